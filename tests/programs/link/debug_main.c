/* Compiled with -g (with debug_other.c): the test asks addr2line, `rtlink inspect --addr` and
 * gdb where debug_target starts, and each must name debug_other.c and the line of its
 * definition. Prints what debug_target computes. */
#include <rtlink.h>

int debug_target(int x);

int main(void)
{
    rt_printf("debug_target(5)=%d\n", debug_target(5));
    return 0;
}
