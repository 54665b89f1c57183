/* goroutines.c: goroutines on every P. Four workers each add up a share of 1..N in parallel (an
 * idle P's thread takes a new goroutine as soon as it exists); a mutex guards the total and a
 * wait group lets main wait for all of them. */
#include <rtlink.h>

#define N 10000000L
#define WORKERS 4

static rt_mutex mu;
static rt_waitgroup wg;
static long total;

static void worker(void *arg)
{
    long first = (long)arg, sum = 0;
    for (long i = first; i <= N; i += WORKERS)
        sum += i;
    rt_mutex_lock(&mu);
    total += sum;
    rt_mutex_unlock(&mu);
    rt_waitgroup_done(&wg);
}

int main(void)
{
    rt_waitgroup_add(&wg, WORKERS);
    for (long w = 1; w <= WORKERS; w++)
        rt_go(worker, (void *)w);
    rt_waitgroup_wait(&wg);
    rt_printf("%d workers summed 1..%ld = %ld on %d Ps; main is goroutine %ld\n", WORKERS, N, total,
              rt_gomaxprocs(), (long)rt_goid());
    return total == N * (N + 1) / 2 ? 0 : 1;
}
