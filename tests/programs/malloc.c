/* The malloc family against a shadow model. Modes (argv[1]):
 *   shadow N        N random operations (malloc, calloc, realloc, reallocarray, memalign,
 *                   aligned_alloc, posix_memalign, free) on 4,096 slots; every live block holds
 *                   a pattern that is checked before it is freed or resized; every block is
 *                   checked for alignment, usable size and overlap with every other live block
 *   goroutines G N  G goroutines do `shadow N` each on their own slots and also hand blocks to
 *                   a partner goroutine over a channel, which checks and frees them; the
 *                   final check-and-free of each table is a stretch for together.h (its line
 *                   goes to stderr)
 *   many N          N goroutines each allocate, fill, check and free a few blocks
 *   edge            C semantics: 0 sizes, overflow, bad alignments, errno, huge blocks, in-place
 *                   realloc
 *   nop             frees with no P (between rt_entersyscall and rt_exitsyscall)
 *   signal N        a timer signal every 20 us frees blocks from its handler while main runs N
 *                   malloc/free pairs: frees that interrupt malloc or free must be deferred
 *   retire          a goroutine on the second P frees into that P's cache; then GOMAXPROCS
 *                   drops to 1: the retired P's cache must go back (heap in use falls)
 *   stacks N        N goroutines each touch 64 KiB of their stacks and, once all have, end; prints RSS (KiB) once
 *                   they have ended and 1 s later, when their stacks should be released
 *   doublefree K    frees a block twice (K = small, adjacent, large) or frees a pointer malloc
 *                   did not return (K = wild, interior)
 *   uaf             writes to a freed block (run with GODEBUG=mallocdebug=1) */
#include "together.h"

#define SLOTS 4096

struct slot {
    unsigned char *p;
    size_t size;
    unsigned char pat;
};

static unsigned long parse(const char *s)
{
    unsigned long n = 0;
    while (*s >= '0' && *s <= '9')
        n = n * 10 + (unsigned long)(*s++ - '0');
    return n;
}

static unsigned long next(unsigned long *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static __attribute__((noreturn)) void fail(const char *what, unsigned long a, unsigned long b)
{
    rt_printf("FAIL %s %lx %lx\n", what, a, b);
    rt_exit(1);
}

static void fill(struct slot *s)
{
    for (size_t i = 0; i < s->size; i++)
        s->p[i] = (unsigned char)(s->pat + i * 7);
}

static void check(const struct slot *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s->p[i] != (unsigned char)(s->pat + i * 7))
            fail("pattern", (unsigned long)s->p, i);
}

/* A size: mostly small, sometimes up to 64 KiB, rarely up to 2 MiB. */
static size_t pick_size(unsigned long *x)
{
    unsigned long r = next(x);
    switch (r % 16) {
    case 0:
        return 0;
    case 1:
        return (r >> 8) % 65536;
    case 2:
        if ((r >> 4) % 8 == 0)
            return (r >> 8) % (2 << 20);
        /* fall through */
    default:
        return (r >> 8) % 512;
    }
}

static void alloc_into(struct slot *s, unsigned long *x)
{
    size_t size = pick_size(x);
    unsigned long r = next(x);
    size_t align = 16;
    switch (r % 10) {
    case 0:
        s->p = calloc(1 + size / 8, 8);
        size = (1 + size / 8) * 8;
        for (size_t i = 0; i < size; i++)
            if (s->p[i])
                fail("calloc not zero", (unsigned long)s->p, i);
        break;
    case 1:
        align = (size_t)1 << ((r >> 8) % 14);
        s->p = memalign(align, size);
        break;
    case 2:
        align = (size_t)16 << ((r >> 8) % 10);
        if (size % align)
            size += align - size % align;
        s->p = aligned_alloc(align, size);
        break;
    case 3:
        align = (size_t)8 << ((r >> 8) % 12);
        if (posix_memalign((void **)&s->p, align, size) != 0)
            fail("posix_memalign", align, size);
        break;
    default:
        s->p = malloc(size);
    }
    if (!s->p)
        fail("alloc returned NULL", size, align);
    if (align < 16)
        align = 16;
    if ((unsigned long)s->p % align)
        fail("misaligned", (unsigned long)s->p, align);
    if (malloc_usable_size(s->p) < size)
        fail("usable size", malloc_usable_size(s->p), size);
    s->size = size;
    s->pat = (unsigned char)r;
    fill(s);
}

static void resize(struct slot *s, unsigned long *x)
{
    size_t size = pick_size(x) + 1;
    unsigned char *q = (next(x) & 1) ? realloc(s->p, size) : reallocarray(s->p, 1, size);
    if (!q)
        fail("realloc returned NULL", size, 0);
    if ((unsigned long)q % 16)
        fail("realloc misaligned", (unsigned long)q, 0);
    s->p = q;
    check(s, s->size < size ? s->size : size);
    s->size = size;
    fill(s);
}

static int by_addr(const void *a, const void *b);

/* No two live blocks overlap: insertion sort by address of the live ones, then neighbours.
 * The sorted copy is the caller's own (goroutines check their tables at the same time). */
static void no_overlap(struct slot *t, int n)
{
    struct slot live[n];
    int k = 0;
    for (int i = 0; i < n; i++)
        if (t[i].p)
            live[k++] = t[i];
    for (int i = 1; i < k; i++) {
        struct slot v = live[i];
        int j = i - 1;
        while (j >= 0 && by_addr(&live[j], &v) > 0) {
            live[j + 1] = live[j];
            j--;
        }
        live[j + 1] = v;
    }
    for (int i = 1; i < k; i++)
        if (live[i - 1].p + (live[i - 1].size ? live[i - 1].size : 1) > live[i].p)
            fail("overlap", (unsigned long)live[i - 1].p, (unsigned long)live[i].p);
}

static int by_addr(const void *a, const void *b)
{
    const struct slot *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p;
}

static unsigned long shadow(struct slot *t, int n, unsigned long ops, unsigned long seed, rt_chan *out)
{
    unsigned long x = seed, sent = 0;
    for (unsigned long op = 0; op < ops; op++) {
        struct slot *s = &t[next(&x) % (unsigned long)n];
        if (!s->p) {
            alloc_into(s, &x);
        } else if (next(&x) % 3 == 0) {
            resize(s, &x);
        } else {
            check(s, s->size);
            if (out && next(&x) % 2 == 0) {
                rt_chan_send(out, s);
                sent++;
            } else {
                free(s->p);
            }
            s->p = 0;
        }
        if (op % 20000 == 0)
            no_overlap(t, n);
    }
    long stretch = together_begin();
    no_overlap(t, n);
    for (int i = 0; i < n; i++)
        if (t[i].p) {
            check(&t[i], t[i].size);
            free(t[i].p);
            t[i].p = 0;
        }
    together_end(stretch);
    return sent;
}

struct worker {
    unsigned long ops, seed, sent;
    rt_chan *out;
    struct slot t[SLOTS / 4];
};
static rt_waitgroup wg, drained;

static void work(void *arg)
{
    struct worker *w = arg;
    w->sent = shadow(w->t, SLOTS / 4, w->ops, w->seed, w->out);
    rt_waitgroup_done(&wg);
}

static unsigned long received;
static void drain(void *arg)
{
    struct slot s;
    while (rt_chan_recv(arg, &s)) {
        check(&s, s.size);
        free(s.p);
        __atomic_add_fetch(&received, 1, __ATOMIC_RELAXED);
    }
    rt_waitgroup_done(&drained);
}

static void one(void *arg)
{
    unsigned long x = (unsigned long)arg * 2654435761UL + 1;
    struct slot s[3];
    for (int i = 0; i < 3; i++)
        alloc_into(&s[i], &x);
    rt_gosched();
    for (int i = 0; i < 3; i++) {
        check(&s[i], s[i].size);
        free(s[i].p);
    }
    rt_waitgroup_done(&wg);
}

static volatile int filled;
static void fill_cache(void *arg)
{
    (void)arg;
    char *p[1000];
    for (int i = 0; i < 1000; i++)
        p[i] = malloc(40);
    for (int i = 0; i < 1000; i++)
        free(p[i]);
    filled = 1;
    rt_waitgroup_done(&wg);
}

/* Touches 64 KiB of its stack, then waits at `gate` until every one has, so all N stacks are
 * in use at once (none is reused by a later goroutine), then ends. */
static rt_waitgroup gate, exited;
static void deep(void *arg)
{
    volatile char buf[64 << 10];
    for (unsigned long i = 0; i < sizeof buf; i += 512)
        buf[i] = (char)(unsigned long)arg;
    rt_waitgroup_done(&wg);
    rt_waitgroup_wait(&gate);
    rt_waitgroup_done(&exited);
}

/* ---- signals, without libc ---- */
struct ksigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};
__attribute__((naked)) static void restorer(void)
{
    __asm__ volatile("mov $15, %eax\n\tsyscall");
}

#define RING 1024
static void *volatile ring[RING];
static volatile unsigned long ring_head, ring_tail, handler_frees;

static void on_timer(int sig)
{
    (void)sig;
    int saved = errno;
    if (ring_tail != ring_head) {
        void *p = ring[ring_tail % RING];
        ring_tail = ring_tail + 1;
        free(p);
        handler_frees = handler_frees + 1;
    }
    errno = saved;
}

static void signal_mode(unsigned long n)
{
    struct ksigaction sa = {on_timer, 0x04000000UL | 0x10000000UL /* RESTORER | RESTART */, restorer, 0};
    if (rt_syscall(13 /* rt_sigaction */, 10 /* SIGUSR1 */, (long)&sa, 0, 8, 0, 0) != 0)
        fail("sigaction", 0, 0);
    struct {
        long value;
        int signo, notify, tid, pad[11];
    } ev = {0, 10, 4 /* SIGEV_THREAD_ID */, (int)rt_syscall(186 /* gettid */, 0, 0, 0, 0, 0, 0), {0}};
    int timer;
    if (rt_syscall(222 /* timer_create */, 1 /* CLOCK_MONOTONIC */, (long)&ev, (long)&timer, 0, 0, 0) != 0)
        fail("timer_create", 0, 0);
    long spec[4] = {0, 20000, 0, 20000};
    rt_syscall(223 /* timer_settime */, timer, 0, (long)spec, 0, 0, 0);
    unsigned long x = 42;
    for (unsigned long i = 0; i < n; i++) {
        size_t size = 2 + next(&x) % 300;
        unsigned char *p = malloc(size);
        p[0] = 1;
        p[size - 1] = 2;
        if (ring_head - ring_tail < RING - 1) {
            unsigned char *q = malloc(size);
            q[0] = 3;
            ring[ring_head % RING] = q;
            ring_head = ring_head + 1;
        }
        if (p[0] != 1 || p[size - 1] != 2)
            fail("signal pattern", (unsigned long)p, size);
        free(p);
    }
    long off[4] = {0, 0, 0, 0};
    rt_syscall(223, timer, 0, (long)off, 0, 0, 0);
    while (ring_tail != ring_head) {
        free(ring[ring_tail % RING]);
        ring_tail = ring_tail + 1;
    }
    struct rt_memstats m;
    rt_memstats(&m);
    rt_printf("ok handler_frees=%lu balanced=%d\n", handler_frees, m.mallocs == m.frees);
}

static long rss_kib(void)
{
    char buf[128];
    long fd = rt_syscall(2, (long)"/proc/self/statm", 0, 0, 0, 0, 0);
    long n = rt_syscall(0, fd, (long)buf, sizeof buf - 1, 0, 0, 0);
    rt_syscall(3, fd, 0, 0, 0, 0, 0);
    buf[n > 0 ? n : 0] = 0;
    const char *s = buf;
    while (*s && *s != ' ')
        s++;
    return (long)parse(s + 1) * 4;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *mode = argv[1];
    unsigned long a = argc > 2 ? parse(argv[2]) : 0, b = argc > 3 ? parse(argv[3]) : 0;
    if (mode[0] == 's' && mode[1] == 'h') {
        static struct slot t[SLOTS];
        shadow(t, SLOTS, a, 88172645463325252UL, 0);
        struct rt_memstats m;
        rt_memstats(&m);
        rt_printf("ok mallocs=%lu balanced=%d\n", (unsigned long)m.mallocs, m.mallocs == m.frees);
    } else if (mode[0] == 'g') {
        rt_chan *c = rt_chan_make(sizeof(struct slot), 64);
        rt_waitgroup_add(&drained, 1);
        rt_go(drain, c);
        static struct worker w[64];
        rt_waitgroup_add(&wg, (int64_t)a);
        for (unsigned long i = 0; i < a && i < 64; i++) {
            w[i].ops = b;
            w[i].seed = 0x9e3779b97f4a7c15UL * (i + 1);
            w[i].out = c;
            rt_go(work, &w[i]);
        }
        rt_waitgroup_wait(&wg);
        rt_chan_close(c);
        rt_waitgroup_wait(&drained);
        unsigned long sent = 0;
        for (unsigned long i = 0; i < a; i++)
            sent += w[i].sent;
        struct rt_memstats m;
        rt_memstats(&m);
        rt_printf("ok sent=%lu received=%lu balanced=%d\n", sent, received, m.mallocs == m.frees);
        together_report();
    } else if (mode[0] == 'm') {
        rt_waitgroup_add(&wg, (int64_t)a);
        for (unsigned long i = 0; i < a; i++)
            rt_go(one, (void *)i);
        rt_waitgroup_wait(&wg);
        struct rt_memstats m;
        rt_memstats(&m);
        rt_printf("ok mallocs=%lu balanced=%d\n", (unsigned long)m.mallocs, m.mallocs == m.frees);
    } else if (mode[0] == 'e') {
        void *z = malloc(0), *z2 = malloc(0);
        if (!z || !z2 || z == z2)
            fail("malloc(0)", (unsigned long)z, (unsigned long)z2);
        free(z);
        free(z2);
        free(0);
        errno = 0;
        if (malloc((size_t)1 << 62) || errno != ENOMEM)
            fail("huge malloc", 0, (unsigned long)errno);
        errno = 0;
        if (calloc((size_t)1 << 40, (size_t)1 << 40) || errno != ENOMEM)
            fail("calloc overflow", 0, (unsigned long)errno);
        char *keep = malloc(10);
        errno = 0;
        if (reallocarray(keep, (size_t)1 << 40, (size_t)1 << 40) || errno != ENOMEM)
            fail("reallocarray overflow", 0, (unsigned long)errno);
        errno = 0;
        if (aligned_alloc(24, 48) || errno != EINVAL)
            fail("aligned_alloc(24)", 0, (unsigned long)errno);
        void *q = (void *)1;
        if (posix_memalign(&q, 4, 8) != EINVAL || posix_memalign(&q, 24, 8) != EINVAL || q != (void *)1)
            fail("posix_memalign bad alignment", 0, 0);
        if (posix_memalign(&q, (size_t)1 << 20, 5) != 0 || (unsigned long)q % (1 << 20))
            fail("posix_memalign 1 MiB", (unsigned long)q, 0);
        free(q);
        /* In place within a size class, moved beyond it. */
        char *r = malloc(40);
        if (realloc(r, 48) != r || malloc_usable_size(r) != 48)
            fail("realloc in class", (unsigned long)r, malloc_usable_size(r));
        char *r2 = realloc(r, 100);
        if (r2 == r)
            fail("realloc across classes stayed", (unsigned long)r, 0);
        if (realloc(r2, 0) != 0)
            fail("realloc(p, 0)", 0, 0);
        /* Huge: 1 GiB of address space, touched at both ends, and calloc of fresh pages. */
        unsigned char *g = malloc((size_t)1 << 30);
        if (!g)
            fail("1 GiB malloc", 0, 0);
        g[0] = 1;
        g[((size_t)1 << 30) - 1] = 2;
        unsigned char *g2 = realloc(g, ((size_t)1 << 30) - 4096);
        if (g2 != g)
            fail("large realloc shrink not in place", (unsigned long)g, (unsigned long)g2);
        free(g2);
        unsigned char *c = calloc(1, (size_t)3 << 30);
        if (!c || c[0] || c[((size_t)3 << 30) - 1])
            fail("3 GiB calloc", (unsigned long)c, 0);
        long rss = rss_kib();
        free(c);
        free(keep);
        rt_printf("ok rss_after_3gib_calloc_kib=%ld\n", rss);
    } else if (mode[0] == 'n' && mode[1] == 'o') {
        void *p[100];
        for (int i = 0; i < 100; i++)
            p[i] = malloc((size_t)i * 100);
        rt_entersyscall();
        for (int i = 0; i < 100; i++)
            free(p[i]);
        void *big = malloc(100000);
        void *small = malloc(32);
        free(big);
        free(small);
        rt_exitsyscall();
        struct rt_memstats m;
        rt_memstats(&m);
        rt_printf("ok balanced=%d\n", m.mallocs == m.frees);
    } else if (mode[0] == 's' && mode[1] == 'i') {
        signal_mode(a);
    } else if (mode[0] == 'r' && mode[1] == 'e') {
        /* main keeps its P busy, so the goroutine runs on the other one (the test turns
         * preemption off, so main cannot lose its P to it). */
        rt_waitgroup_add(&wg, 1);
        rt_go(fill_cache, 0);
        while (!filled)
            ;
        rt_waitgroup_wait(&wg);
        struct rt_memstats m0, m1;
        rt_memstats(&m0);
        rt_setmaxprocs(1);
        rt_sleep(10000000);
        rt_memstats(&m1);
        rt_printf("ok inuse_before=%lu inuse_after=%lu balanced=%d\n", (unsigned long)m0.heap_inuse,
                  (unsigned long)m1.heap_inuse, m1.mallocs == m1.frees);
    } else if (mode[0] == 's' && mode[1] == 't') {
        long before = rss_kib();
        rt_waitgroup_add(&wg, (int64_t)a);
        rt_waitgroup_add(&exited, (int64_t)a);
        rt_waitgroup_add(&gate, 1);
        for (unsigned long i = 0; i < a; i++)
            rt_go(deep, (void *)i);
        rt_waitgroup_wait(&wg);
        rt_waitgroup_done(&gate);
        rt_waitgroup_wait(&exited);
        long ended = rss_kib();
        rt_sleep(1000000000);
        rt_printf("before=%ld ended=%ld after_1s=%ld goroutines=%ld\n", before, ended, rss_kib(), (long)rt_numgoroutine());
    } else if (mode[0] == 'd') {
        const char *k = argc > 2 ? argv[2] : "small";
        if (k[0] == 's') {
            char *p = malloc(40), *q = malloc(40);
            free(p);
            free(q);
            free(p);
            for (int i = 0; i < 1000; i++)
                free(malloc(40));
        } else if (k[0] == 'a') {
            char *p = malloc(40);
            free(p);
            free(p);
        } else if (k[0] == 'l') {
            char *p = malloc(100000);
            free(p);
            free(p);
        } else if (k[0] == 'w') {
            free((void *)0x12345678);
        } else {
            char *p = malloc(100000);
            free(p + 8192 * 20);
            char *q = malloc(64);
            free(q + 16);
            for (int i = 0; i < 1000; i++)
                free(malloc(64));
        }
        rt_printf("not caught\n");
    } else if (mode[0] == 'u') {
        char *p = malloc(40);
        free(p);
        p[20] = 'x';
        char *q = malloc(40);
        rt_printf("not caught %p %p\n", (void *)p, (void *)q);
    }
    return 0;
}
