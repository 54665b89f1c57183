/* Thread-local variables of several sizes and alignments, initialised and zeroed, read from
 * main and from a goroutine (run with GOMAXPROCS=1: same thread, same values). */
#include <rtlink.h>

__thread long counter = 41;
__thread char small = 7;
__thread char text[12] = "initial";
__thread double ratio = 2.5;
__thread long big[100] __attribute__((aligned(64)));
__thread int zero;

static rt_waitgroup wg;

static void check(void *arg)
{
    (void)arg;
    rt_printf("goroutine sees counter=%ld\n", counter);
    rt_waitgroup_done(&wg);
}

int main(void)
{
    counter++;
    big[99] = 5;
    rt_printf("counter=%ld small=%d text=%s ratio_x2=%d zero=%d big99=%ld big_aligned=%d\n", counter, small, text,
              (int)(ratio * 2), zero, big[99], (int)((unsigned long)big % 64 == 0));
    rt_waitgroup_add(&wg, 1);
    rt_go(check, 0);
    rt_waitgroup_wait(&wg);
    return 0;
}
