/* rt_setmaxprocs while the program runs (start it with GOMAXPROCS=1 and
 * GODEBUG=asyncpreemptoff=1, so two spinning goroutines can meet only by running at the same
 * time): growing to 2 lets them meet; a parallel sum stays right across grow and shrink; with
 * argument "shrunk" the pair is started after going back to 1 P, and can never meet. With
 * "strand" (run it with preemption on) a goroutine on the second P queues another behind
 * itself and spins until that one runs, while main shrinks to 1 P: the P being retired must
 * still be preempted and stolen from, so the queued one runs at once, not when the spinner
 * gives up after 3 s. */
#include <rtlink.h>

static volatile int flag[2];
static rt_waitgroup wg;

static void side(void *arg)
{
    long me = (long)arg;
    flag[me] = 1;
    while (!flag[1 - me])
        ;
    rt_waitgroup_done(&wg);
}

static void meet(void)
{
    flag[0] = flag[1] = 0;
    rt_waitgroup_add(&wg, 2);
    rt_go(side, (void *)0);
    rt_go(side, (void *)1);
    rt_waitgroup_wait(&wg);
}

static long total;
static rt_mutex mu;

static void part(void *arg)
{
    long k = (long)arg, sum = 0;
    for (long i = k * 10000; i < (k + 1) * 10000; i++)
        sum += i;
    rt_mutex_lock(&mu);
    total += sum;
    rt_mutex_unlock(&mu);
    rt_gosched();
    rt_waitgroup_done(&wg);
}

static int sum_ok(void)
{
    total = 0;
    rt_waitgroup_add(&wg, 100);
    for (long k = 0; k < 100; k++)
        rt_go(part, (void *)k);
    rt_waitgroup_wait(&wg);
    return total == 999999L * 1000000L / 2;
}

static volatile int queued, ran;

static void behind(void *arg)
{
    (void)arg;
    ran = 1;
    rt_waitgroup_done(&wg);
}

static void stranding(void *arg)
{
    (void)arg;
    rt_go(behind, 0);
    queued = 1;
    int64_t t0 = rt_nanotime();
    while (!ran && rt_nanotime() - t0 < 3000000000L)
        ;
    rt_printf("queued goroutine ran after %s\n", ran && rt_nanotime() - t0 < 1000000000L ? "under 1 s" : "3 s");
    rt_waitgroup_done(&wg);
}

int main(int argc, char **argv)
{
    if (argc > 1 && argv[1][0] == 's' && argv[1][1] == 't') {
        rt_setmaxprocs(2);
        rt_waitgroup_add(&wg, 2);
        rt_go(stranding, 0);
        while (!queued)
            ;
        rt_setmaxprocs(1);
        rt_waitgroup_wait(&wg);
        return 0;
    }
    int start = rt_setmaxprocs(0);
    int was = rt_setmaxprocs(2);
    int now = rt_gomaxprocs();
    if (argc > 1) {
        rt_setmaxprocs(1);
        meet(); /* never returns on one P without preemption */
        return 1;
    }
    meet();
    int ok1 = sum_ok();
    int back = rt_setmaxprocs(1);
    int ok2 = sum_ok();
    rt_setmaxprocs(4);
    int ok3 = sum_ok();
    rt_setmaxprocs(1);
    int ok4 = sum_ok();
    rt_printf("start=%d was=%d now=%d back=%d sums=%d%d%d%d procs=%d\n", start, was, now, back, ok1, ok2, ok3, ok4,
              rt_gomaxprocs());
    return 0;
}
