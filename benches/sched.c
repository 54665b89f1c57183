/* Scheduler micro-benchmarks for rtlink, the twin of sched.go: each mode prints the nanoseconds
 * one operation takes, timed inside the program with rt_nanotime.
 *   spawn N     N goroutines started, run and finished, in batches of 1,000 (wait group)
 *   gosched N   N rt_gosched calls shared by two goroutines (run with GOMAXPROCS=1)
 *   pingpong N  N round trips of a value over two unbuffered channels
 *   cpu N       the total milliseconds for 4 goroutines doing N units of arithmetic each
 *   alive N     N goroutines blocked at once: the bytes of resident memory each adds (VmRSS)
 *   handoff N   N times, on one P, a goroutine blocks in read(2) on an empty pipe while
 *               another is runnable: the time until the other runs (sysmon takes the P) */
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

static rt_waitgroup started;
static rt_waitgroup release;

static void parked(void *arg)
{
    (void)arg;
    rt_waitgroup_done(&started);
    rt_waitgroup_wait(&release);
    rt_waitgroup_done(&wg);
}

/* VmRSS from /proc/self/status, in KiB. */
static long rss_kib(void)
{
    char buf[4096];
    long fd = rt_syscall(2 /* open */, (long)"/proc/self/status", 0, 0, 0, 0, 0);
    if (fd < 0)
        return -1;
    long n = rt_read((int)fd, buf, sizeof buf - 1);
    rt_syscall(3 /* close */, fd, 0, 0, 0, 0, 0);
    for (long i = 0; i + 6 < n; i++)
        if (buf[i] == 'V' && buf[i + 1] == 'm' && buf[i + 2] == 'R' && buf[i + 3] == 'S' && buf[i + 4] == 'S') {
            long v = 0;
            for (i += 6; i < n && (buf[i] == ' ' || buf[i] == '\t'); i++)
                ;
            for (; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
                v = v * 10 + (buf[i] - '0');
            return v;
        }
    return -1;
}

static int pipefd[2];
static volatile long seq;
static volatile int64_t t_block;

static void blocker(void *arg)
{
    long n = (long)arg;
    char c;
    for (long i = 0; i < n; i++) {
        t_block = rt_nanotime();
        seq = i + 1;
        rt_read(pipefd[0], &c, 1);
    }
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
    } else if (is(argv[1], "alive")) {
        long before = rss_kib();
        rt_waitgroup_add(&started, n);
        rt_waitgroup_add(&release, 1);
        rt_waitgroup_add(&wg, n);
        for (long i = 0; i < n; i++)
            rt_go(parked, 0);
        rt_waitgroup_wait(&started);
        long after = rss_kib();
        rt_waitgroup_done(&release);
        rt_waitgroup_wait(&wg);
        rt_printf("%ld\n", (after - before) * 1024 / n);
        return 0;
    } else if (is(argv[1], "handoff")) {
        if (rt_syscall(293 /* pipe2 */, (long)pipefd, 0, 0, 0, 0, 0) != 0)
            return 1;
        rt_waitgroup_add(&wg, 1);
        rt_go(blocker, (void *)n);
        int64_t total = 0;
        for (long i = 0; i < n; i++) {
            while (seq != i + 1)
                rt_gosched();
            total += rt_nanotime() - t_block;
            rt_write(pipefd[1], "x", 1);
        }
        rt_waitgroup_wait(&wg);
        rt_printf("%ld\n", (long)(total / n));
        return 0;
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
