/* What the runtime found at start-up, and whether stdout works (it may be /dev/null after
 * checkfds). Exit status 0 when rt_write to fd 1 succeeded. */
#include <rtlink.h>

int main(void)
{
    long w = rt_write(1, "x\n", 2);
    rt_printf("ncpu=%d gomaxprocs=%d quota=%ld pagesize=%ld goid=%ld\n", rt_ncpu(), rt_gomaxprocs(),
              (long)rt_cpuquota(), rt_pagesize(), (long)rt_goid());
    return w == 2 ? 0 : 1;
}
