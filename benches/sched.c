/* Scheduler micro-benchmarks for rtlink, the twin of sched.go: each mode prints the nanoseconds
 * one operation takes, timed inside the program with rt_nanotime.
 *   spawn N     N goroutines started, run and finished, in batches of 1,000 (wait group)
 *   gosched N   N rt_gosched calls shared by two goroutines (run with GOMAXPROCS=1)
 *   pingpong N  N round trips of a value over two unbuffered channels
 *   cpu N       the total milliseconds for 4 goroutines doing N units of arithmetic each */
#include <rtlink.h>

static rt_waitgroup wg;

static void nop(void *arg)
{
    (void)arg;
    rt_waitgroup_done(&wg);
}

static long n_each;

static void yielder(void *arg)
{
    (void)arg;
    for (long i = 0; i < n_each; i++)
        rt_gosched();
    rt_waitgroup_done(&wg);
}

struct pp {
    rt_chan *ping, *pong;
};

static void ponger(void *arg)
{
    struct pp *p = arg;
    long v;
    while (rt_chan_recv(p->ping, &v))
        rt_chan_send(p->pong, &v);
    rt_waitgroup_done(&wg);
}

static volatile unsigned long sink;

static void crunch(void *arg)
{
    unsigned long x = 88172645463325252UL, n = (unsigned long)arg;
    for (unsigned long i = 0; i < n * 1000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    sink += x;
    rt_waitgroup_done(&wg);
}

static long number(const char *s)
{
    long n = 0;
    while (*s >= '0' && *s <= '9')
        n = n * 10 + (*s++ - '0');
    return n;
}

static int is(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    long n = number(argv[2]);
    int64_t t0 = rt_nanotime();
    if (is(argv[1], "spawn")) {
        for (long done = 0; done < n; done += 1000) {
            rt_waitgroup_add(&wg, 1000);
            for (int i = 0; i < 1000; i++)
                rt_go(nop, 0);
            rt_waitgroup_wait(&wg);
        }
    } else if (is(argv[1], "gosched")) {
        n_each = n / 2;
        rt_waitgroup_add(&wg, 2);
        rt_go(yielder, 0);
        rt_go(yielder, 0);
        rt_waitgroup_wait(&wg);
    } else if (is(argv[1], "pingpong")) {
        struct pp p = {rt_chan_make(sizeof(long), 0), rt_chan_make(sizeof(long), 0)};
        rt_waitgroup_add(&wg, 1);
        rt_go(ponger, &p);
        long v = 0;
        for (long i = 0; i < n; i++) {
            rt_chan_send(p.ping, &v);
            rt_chan_recv(p.pong, &v);
        }
        rt_chan_close(p.ping);
        rt_waitgroup_wait(&wg);
    } else if (is(argv[1], "cpu")) {
        rt_waitgroup_add(&wg, 4);
        for (int i = 0; i < 4; i++)
            rt_go(crunch, (void *)n);
        rt_waitgroup_wait(&wg);
        rt_printf("%ld\n", (long)((rt_nanotime() - t0) / 1000000));
        return 0;
    } else {
        return 2;
    }
    rt_printf("%ld\n", (long)((rt_nanotime() - t0) / n));
    return 0;
}
