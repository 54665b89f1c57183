/* Goroutines on one P (run with GOMAXPROCS=1): scheduling order through runnext, the local ring
 * and rt_gosched; many goroutines (stacks reused from the pool); deep recursion on a goroutine
 * stack. */
#include <rtlink.h>

static char trace[64];
static int nt, finished;

static void step(void *arg)
{
    char c = (char)(long)arg;
    for (int i = 0; i < 2; i++) {
        trace[nt++] = c;
        rt_gosched();
    }
}

static void counter(void *arg)
{
    (*(long *)arg)++;
    finished++;
}

static long deep(int n)
{
    volatile char pad[512];
    pad[0] = (char)n;
    return n == 0 ? 0 : deep(n - 1) + pad[0] - (char)n + 1;
}

static void recurse(void *arg) { *(long *)arg = deep(300); }

int main(void)
{
    rt_go(step, (void *)'a');
    rt_go(step, (void *)'b');
    rt_go(step, (void *)'c');
    while (nt < 6)
        rt_gosched();
    rt_printf("order=%s\n", trace);

    long total = 0;
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < 100; i++)
            rt_go(counter, &total);
        while (finished < (round + 1) * 100)
            rt_gosched();
    }
    long depth = 0;
    rt_go(recurse, &depth);
    rt_gosched();
    rt_printf("total=%ld finished=%d depth=%ld main_goid=%ld\n", total, finished, depth, (long)rt_goid());
    return 0;
}
