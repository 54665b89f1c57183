/* Allocator benchmarks: the same source built three ways, against rtlink's runtime (-DRTLINK),
 * glibc (gcc -static) and musl (musl-gcc -static). Each mode prints one number.
 *   single N      N malloc+free pairs of random sizes 16-256 B, one thread: ns per pair
 *   threads N     two threads (goroutines on 2 Ps under rtlink) doing N/2 pairs each: ns per
 *                 pair, wall time over all 2 x N/2 pairs
 *   window N      N steps over 1,000 live objects: free a random one, malloc a random size
 *                 16-256 B in its place: ns per step
 *   release MiB   malloc MiB mebibytes in random 16-4096 B objects, touch them, free them all,
 *                 then print "peak_kib rss_after_free_kib rss_after_1s_kib" (VmRSS), to see
 *                 how much of the freed memory goes back to the OS; rtlink's build adds a
 *                 second line, the heap's released KiB before and after the second
 *                 (rt_memstats; tests/malloc.rs runs this mode too)
 * Sizes come from a xorshift generator with a fixed seed, so every build sees the same sequence. */
#ifdef RTLINK
#include <rtlink.h>
#define now_ns() rt_nanotime()
#define print rt_printf
static long sys_call(long nr, long a, long b, long c) { return rt_syscall(nr, a, b, c, 0, 0, 0); }
static void nap_ns(long ns) { rt_sleep(ns); }
#else
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
static long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}
#define print printf
static long sys_call(long nr, long a, long b, long c) { return syscall(nr, a, b, c); }
static void nap_ns(long ns)
{
    struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
    nanosleep(&ts, 0);
}
#endif

static unsigned long parse(const char *s)
{
    unsigned long n = 0;
    while (*s >= '0' && *s <= '9')
        n = n * 10 + (unsigned long)(*s++ - '0');
    return n;
}

static inline unsigned long next(unsigned long *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static volatile unsigned long sink;

static void pairs(unsigned long n, unsigned long seed)
{
    unsigned long x = seed, acc = 0;
    for (unsigned long i = 0; i < n; i++) {
        char *p = malloc(16 + next(&x) % 241);
        p[0] = (char)i;
        acc += (unsigned long)p[0];
        free(p);
    }
    sink += acc;
}

/* VmRSS from /proc/self/statm (pages, second field), in KiB. */
static long rss_kib(void)
{
    char buf[128];
    long fd = sys_call(2 /* open */, (long)"/proc/self/statm", 0, 0);
    if (fd < 0)
        return -1;
    long n = sys_call(0 /* read */, fd, (long)buf, sizeof buf - 1);
    sys_call(3 /* close */, fd, 0, 0);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    const char *s = buf;
    while (*s && *s != ' ')
        s++;
    return (long)parse(s + 1) * 4;
}

struct job {
    unsigned long n, seed;
};

#ifdef RTLINK
static rt_waitgroup wg;
static void worker(void *arg)
{
    struct job *j = arg;
    pairs(j->n, j->seed);
    rt_waitgroup_done(&wg);
}
static void two(struct job *a, struct job *b)
{
    rt_waitgroup_add(&wg, 2);
    rt_go(worker, a);
    rt_go(worker, b);
    rt_waitgroup_wait(&wg);
}
#else
static void *worker(void *arg)
{
    struct job *j = arg;
    pairs(j->n, j->seed);
    return 0;
}
static void two(struct job *a, struct job *b)
{
    pthread_t t1, t2;
    pthread_create(&t1, 0, worker, a);
    pthread_create(&t2, 0, worker, b);
    pthread_join(t1, 0);
    pthread_join(t2, 0);
}
#endif

int main(int argc, char **argv)
{
    if (argc < 3) {
        print("usage: malloc single|threads|window|release N\n");
        return 2;
    }
    const char *mode = argv[1];
    unsigned long n = parse(argv[2]);
    long t0 = now_ns();
    if (mode[0] == 's') {
        pairs(n, 88172645463325252UL);
    } else if (mode[0] == 't') {
        struct job a = {n / 2, 88172645463325252UL}, b = {n / 2, 1181783497276652981UL};
        two(&a, &b);
    } else if (mode[0] == 'w') {
        static char *win[1000];
        unsigned long x = 88172645463325252UL;
        for (int i = 0; i < 1000; i++)
            win[i] = malloc(16 + next(&x) % 241);
        for (unsigned long i = 0; i < n; i++) {
            unsigned long k = next(&x) % 1000;
            free(win[k]);
            win[k] = malloc(16 + next(&x) % 241);
            win[k][0] = (char)i;
        }
        for (int i = 0; i < 1000; i++)
            free(win[i]);
    } else if (mode[0] == 'r') {
        unsigned long want = n << 20, got = 0, count = 0, cap = want / 16;
        char **all = malloc(cap * sizeof *all);
        unsigned long x = 88172645463325252UL;
        while (got < want && count < cap) {
            unsigned long size = 16 + next(&x) % 4081;
            char *p = malloc(size);
            for (unsigned long k = 0; k < size; k += 512)
                p[k] = 1;
            all[count++] = p;
            got += size;
        }
        long peak = rss_kib();
        for (unsigned long i = 0; i < count; i++)
            free(all[i]);
        free(all);
        long after = rss_kib();
#ifdef RTLINK
        struct rt_memstats m0, m1;
        rt_memstats(&m0);
#endif
        nap_ns(1000000000L);
        print("%ld %ld %ld\n", peak, after, rss_kib());
#ifdef RTLINK
        rt_memstats(&m1);
        print("released %lu %lu\n", (unsigned long)(m0.heap_released >> 10), (unsigned long)(m1.heap_released >> 10));
#endif
        return 0;
    } else {
        print("unknown mode %s\n", mode);
        return 2;
    }
    long t = now_ns() - t0;
    print("%ld.%02ld\n", t / (long)n, t * 100 / (long)n % 100);
    return 0;
}
