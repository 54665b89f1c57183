/* rt_lockosthread: main's goroutine locks itself to the main thread first thing and stays
 * there throughout; a locked goroutine stays on its thread (its tid and a __thread variable do
 * not change) across yields, sleeps and channel waits while other goroutines are busy, and no
 * other goroutine runs on that thread meanwhile; the lock nests; a goroutine that ends locked
 * takes its thread with it, and new goroutines run on fine afterwards (on a reused M). (A
 * deadlock with locked goroutines is deadlock.c's "locked".) With "late" several Ms are started and go idle before any goroutine locks itself (they sleep
 * inside the scheduler from before the first lock); then a locked goroutine yields 300 times
 * and must stay on its thread. */
#include <rtlink.h>

#define SYS_getpid 39
#define SYS_gettid 186
#define SYS_tgkill 234
#define ROUNDS 300

static long raw(long nr, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "0"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static long gettid(void) { return raw(SYS_gettid, 0, 0, 0); }

static __thread long tls_tag;
static long locked_tid;            /* the locked goroutine's thread while it is locked */
static long moved, stolen, others_ran;
static rt_waitgroup wg;
static rt_chan *ping;

static void locked(void *arg)
{
    (void)arg;
    rt_lockosthread();
    rt_lockosthread(); /* nested: one unlock below keeps it locked */
    rt_unlockosthread();
    long tid = gettid();
    tls_tag = tid;
    __atomic_store_n(&locked_tid, tid, __ATOMIC_SEQ_CST);
    for (int i = 0; i < ROUNDS; i++) {
        if (i % 3 == 0)
            rt_gosched();
        else if (i % 3 == 1)
            rt_sleep(20000);
        else
            rt_chan_recv(ping, 0);
        if (gettid() != tid || tls_tag != tid)
            moved++;
    }
    __atomic_store_n(&locked_tid, 0, __ATOMIC_SEQ_CST);
    rt_unlockosthread();
    rt_unlockosthread(); /* not locked any more: does nothing */
    rt_waitgroup_done(&wg);
}

static void pinger(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS / 3; i++)
        rt_chan_send(ping, 0);
    rt_waitgroup_done(&wg);
}

static void busy(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        long lt = __atomic_load_n(&locked_tid, __ATOMIC_SEQ_CST);
        if (lt != 0 && gettid() == lt)
            __atomic_fetch_add(&stolen, 1, __ATOMIC_SEQ_CST);
        volatile unsigned x = 0;
        for (int k = 0; k < 2000; k++)
            x += k;
        rt_gosched();
    }
    __atomic_fetch_add(&others_ran, 1, __ATOMIC_SEQ_CST);
    rt_waitgroup_done(&wg);
}

static long quitter_tid, dirty_tls;
static __thread long tls_init = 7;

/* Ends locked, so its thread ends. Every thread it starts on is fresh or a reused M, whose TLS
 * must be as new: tls_init back at 7 (not the 8 a dead quitter left), tls_tag 0 (or the
 * locked goroutine's, on that goroutine's old thread). */
static void quitter(void *arg)
{
    (void)arg;
    rt_lockosthread();
    if (tls_init != 7 || (tls_tag != 0 && tls_tag != gettid()))
        __atomic_fetch_add(&dirty_tls, 1, __ATOMIC_SEQ_CST);
    tls_init = 8;
    tls_tag = 1;
    __atomic_store_n(&quitter_tid, gettid(), __ATOMIC_SEQ_CST);
    rt_waitgroup_done(&wg);
}

static void nop(void *arg)
{
    (void)arg;
    rt_waitgroup_done(&wg);
}

static void spin_a_while(void *arg)
{
    (void)arg;
    volatile unsigned long x = 0;
    for (long i = 0; i < 20000000; i++)
        x += i;
    rt_waitgroup_done(&wg);
}

static void yield_locked(void *arg)
{
    (void)arg;
    rt_lockosthread();
    long tid = gettid();
    for (int i = 0; i < ROUNDS; i++) {
        rt_gosched();
        if (gettid() != tid)
            moved++;
    }
    rt_waitgroup_done(&wg);
}

int main(int argc, char **argv)
{
    long pid = raw(SYS_getpid, 0, 0, 0);
    ping = rt_chan_make(0, 0);
    if (argc > 1 && argv[1][0] == 'l') {
        rt_waitgroup_add(&wg, 8);
        for (int i = 0; i < 8; i++)
            rt_go(spin_a_while, 0);
        rt_waitgroup_wait(&wg);
        rt_sleep(20000000); /* the Ms that ran them are idle now */
        rt_waitgroup_add(&wg, 1);
        rt_go(yield_locked, 0);
        rt_waitgroup_wait(&wg);
        rt_printf("late lock: moved=%ld\n", moved);
        return 0;
    }

    rt_lockosthread();
    rt_waitgroup_add(&wg, 2 + 4);
    rt_go(locked, 0);
    rt_go(pinger, 0);
    for (int i = 0; i < 4; i++)
        rt_go(busy, 0);
    rt_waitgroup_wait(&wg);
    int main_moved = gettid() != pid;
    rt_printf("locked: moved=%ld stolen=%ld others=%ld\n", moved, stolen, others_ran);

    long gone = 0, not_main = 0;
    for (int round = 0; round < 30; round++) {
        rt_waitgroup_add(&wg, 1);
        rt_go(quitter, 0);
        rt_waitgroup_wait(&wg);
        not_main += quitter_tid != pid;
        for (int i = 0; i < 1000; i++) {
            if (raw(SYS_tgkill, pid, quitter_tid, 0) == -3) { /* ESRCH: the thread has exited */
                gone++;
                break;
            }
            rt_sleep(1000000);
        }
    }
    main_moved += gettid() != pid;
    rt_printf("ended locked: threads gone=%ld of 30 (not main's: %ld) dirty tls=%ld\n", gone, not_main, dirty_tls);

    rt_waitgroup_add(&wg, 100);
    for (int i = 0; i < 100; i++)
        rt_go(nop, 0);
    rt_waitgroup_wait(&wg);
    rt_printf("100 more goroutines ran\n");

    rt_waitgroup_add(&wg, 1);
    rt_go(pinger, 0);
    for (int i = 0; i < ROUNDS / 3; i++) {
        rt_chan_recv(ping, 0);
        main_moved += gettid() != pid;
    }
    rt_waitgroup_wait(&wg);
    rt_printf("main locked to the main thread: moved=%d\n", main_moved);
    return 0;
}
