/* Timers: rt_sleep's duration; many goroutines sleeping different times (in pairs) wake in
 * deadline order and none before its deadline (each wakeup is a stretch for together.h, whose
 * line goes to stderr); a select with a timeout (rt_after) when nothing comes, and a value that
 * beats the timeout; main sleeping while a goroutine spins on rt_gosched.
 * Usage: sleep [goroutines] (at most 100,000; their deadlines are spread over at most 2 s). */
#include "together.h"

#define MS 1000000L

static long n_sleepers = 2000;
static rt_waitgroup wg;
static rt_mutex mu;
#define MAX_SLEEPERS 100000
static long order[MAX_SLEEPERS], norder, early;
static int64_t step; /* between consecutive deadlines, in pairs: 2 * step */

static long number(const char *s)
{
    long n = 0;
    while (*s >= '0' && *s <= '9')
        n = n * 10 + (*s++ - '0');
    return n;
}

static int64_t base;

static void sleeper(void *arg)
{
    long k = (long)arg;
    /* Deadlines in pairs, 2 * `step` apart from a common base, started in a scrambled order;
     * the first is after the last sleeper has started (a new goroutine takes up to ~20 us
     * here: a new G and a fresh stack page). After waking, step / 25 (at most 20 us) of work:
     * the two of a pair may then be seen running at once on two Ms. */
    int64_t deadline = base + 20 * MS + n_sleepers * 20000 + k / 2 * 2 * step;
    rt_sleep(deadline - rt_nanotime());
    long stretch = together_begin();
    int64_t woke = rt_nanotime();
    while (rt_nanotime() < woke + step / 25)
        ;
    together_end(stretch);
    int woke_early = woke < deadline;
    rt_mutex_lock(&mu);
    order[norder++] = k;
    early += woke_early;
    rt_mutex_unlock(&mu);
    rt_waitgroup_done(&wg);
}

static void late_sender(void *arg)
{
    rt_sleep(5 * MS);
    long v = 42;
    rt_chan_send(arg, &v);
}

static volatile int stop;

static void spinner(void *arg)
{
    (void)arg;
    while (!stop)
        rt_gosched();
    rt_waitgroup_done(&wg);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        n_sleepers = number(argv[1]);
    if (n_sleepers < 1 || n_sleepers > MAX_SLEEPERS)
        return 3;
    step = 2000 * MS / n_sleepers < MS / 2 ? 2000 * MS / n_sleepers : MS / 2;
    int64_t t0 = rt_nanotime();
    rt_sleep(30 * MS);
    int64_t slept = rt_nanotime() - t0;
    rt_printf("sleep 30ms: at_least=%d not_too_long=%d\n", slept >= 30 * MS, slept < 300 * MS);

    rt_waitgroup_add(&wg, n_sleepers);
    base = rt_nanotime();
    for (long i = 0; i < n_sleepers; i++)
        rt_go(sleeper, (void *)((i * 7919) % n_sleepers));
    rt_waitgroup_wait(&wg);
    long inversions = 0;
    for (long i = 1; i < norder; i++)
        inversions += order[i] < order[i - 1] - MS / step; /* beyond scheduling jitter: 1 ms */
    rt_printf("sleepers=%ld woke=%ld early=%ld out_of_order=%ld\n", n_sleepers, norder, early, inversions);

    rt_chan *never = rt_chan_make(8, 0);
    long v = 0;
    int64_t dl = 0;
    /* The clock starts before rt_after does: a goroutine held up between the two (by the OS,
     * on a loaded machine) would otherwise see the timeout come early. */
    t0 = rt_nanotime();
    rt_select_case cs[2] = {{never, RT_RECV, 0, &v}, {rt_after(10 * MS), RT_RECV, 0, &dl}};
    int which = rt_select(cs, 2, 1);
    int64_t t1 = rt_nanotime();
    rt_printf("timeout case=%d waited_enough=%d\n", which, t1 - t0 >= 10 * MS && t1 >= dl);
    rt_chan *soon = rt_chan_make(8, 0);
    rt_go(late_sender, soon);
    rt_select_case cs2[2] = {{soon, RT_RECV, 0, &v}, {rt_after(2000 * MS), RT_RECV, 0, &dl}};
    which = rt_select(cs2, 2, 1);
    rt_printf("value case=%d v=%ld\n", which, v);

    rt_waitgroup_add(&wg, 1);
    rt_go(spinner, 0);
    rt_sleep(10 * MS);
    stop = 1;
    rt_waitgroup_wait(&wg);
    rt_printf("slept beside a spinner\n");
    together_report();
    return 0;
}
