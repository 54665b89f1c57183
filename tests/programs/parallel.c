/* Two goroutines that can only finish together: each raises its flag and spins until it sees
 * the other's, with no yield. On one P that never ends; with two Ps it ends at once, so it
 * proves the goroutines run at the same time on different Ms. Each also records where its
 * thread-local variable lives: different Ms have different TLS blocks, each starting from the
 * program's initial values. */
#include <rtlink.h>

static volatile int flag[2];
static __thread long tls_value = 1234;
static long where[2], seen[2];
static rt_waitgroup wg;

static void side(void *arg)
{
    long me = (long)arg;
    where[me] = (long)&tls_value;
    seen[me] = tls_value;
    tls_value = 100 + me;
    flag[me] = 1;
    while (!flag[1 - me])
        ;
    rt_waitgroup_done(&wg);
}

int main(void)
{
    rt_waitgroup_add(&wg, 2);
    rt_go(side, (void *)0);
    rt_go(side, (void *)1);
    rt_waitgroup_wait(&wg);
    rt_printf("together: distinct_tls=%d initial=%ld,%ld\n", where[0] != where[1], seen[0], seen[1]);
    return 0;
}
