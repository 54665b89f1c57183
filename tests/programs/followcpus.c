/* GOMAXPROCS follows the CPUs the process may use (Go 1.25): started under `taskset -c 0` it
 * has 1 P; when the test widens the affinity, sysmon (started by the first goroutine) raises
 * it within a second or two. Prints "ready procs=N", then "procs=N" at every change; exits 0
 * once it has 2 Ps, 1 if that did not happen within 5 s. */
#include <rtlink.h>

static void nothing(void *arg) { (void)arg; }

int main(void)
{
    rt_go(nothing, 0);
    int last = rt_gomaxprocs();
    rt_printf("ready procs=%d\n", last);
    for (int i = 0; i < 100; i++) {
        rt_sleep(50000000);
        int now = rt_gomaxprocs();
        if (now != last)
            rt_printf("procs=%d\n", now);
        last = now;
        if (now == 2)
            return 0;
    }
    return 1;
}
