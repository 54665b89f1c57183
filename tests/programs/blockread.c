/* A goroutine blocked in a system call does not stop the others, even on one P: sysmon takes
 * its P and hands it to another thread while it waits. Three rounds, one per way of blocking:
 * rt_read on an empty pipe, rt_write of more than a pipe holds, and a raw system call of the
 * program's own wrapped in rt_entersyscall/rt_exitsyscall. In each, three CPU-bound workers
 * finish while the blocker waits, then main unblocks it, and it finishes last. With "stdin" it
 * only copies stdin to stdout with rt_read (a program that starts no goroutine). With "naps" a
 * goroutine makes 10,000 blocking 40 us nanosleeps through rt_syscall while main waits: sysmon
 * keeps taking the idle P from the sleeper as the sleeper keeps coming back for it, the race in
 * which a P handed off and a goroutine queued at the same moment must not leave the goroutine
 * behind with the P idle. */
#include <rtlink.h>

#define SYS_read 0
#define SYS_pipe2 293
#define BIG (256 * 1024) /* more than a pipe's 64 KiB buffer */

static rt_waitgroup workers, blocker_done;
static long finished;
static int fds[2];
static char big[BIG];

static long raw_read(int fd, void *buf, long n)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "0"((long)SYS_read), "D"((long)fd), "S"(buf), "d"(n) : "rcx", "r11", "memory");
    return r;
}

static void blocker(void *arg)
{
    char got = '?';
    long n;
    switch ((int)(long)arg) {
    case 'r':
        n = rt_read(fds[0], &got, 1);
        break;
    case 'w':
        n = rt_write(fds[1], big, BIG);
        got = 'w';
        break;
    default:
        rt_entersyscall();
        n = raw_read(fds[0], &got, 1);
        rt_exitsyscall();
        break;
    }
    rt_printf("%c: got %c (n=%ld) after %ld workers\n", (int)(long)arg, got, n, __atomic_load_n(&finished, __ATOMIC_SEQ_CST));
    rt_waitgroup_done(&blocker_done);
}

static void worker(void *arg)
{
    (void)arg;
    volatile unsigned long x = 1;
    for (int i = 0; i < 1000000; i++)
        x = x * 3 + 1;
    __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
    rt_waitgroup_done(&workers);
}

static void round_of(int how)
{
    __atomic_store_n(&finished, 0, __ATOMIC_SEQ_CST);
    rt_waitgroup_add(&blocker_done, 1);
    rt_go(blocker, (void *)(long)how);
    rt_waitgroup_add(&workers, 3);
    for (int i = 0; i < 3; i++)
        rt_go(worker, 0);
    rt_waitgroup_wait(&workers);
    if (how == 'w') {
        long left = BIG, n;
        while (left > 0 && (n = rt_read(fds[0], big, left < 65536 ? left : 65536)) > 0)
            left -= n;
    } else {
        rt_write(fds[1], "x", 1);
    }
    rt_waitgroup_wait(&blocker_done);
}

static void napper(void *arg)
{
    (void)arg;
    long ts[2] = {0, 40000};
    for (int i = 0; i < 10000; i++)
        rt_syscall(35 /* nanosleep */, (long)ts, 0, 0, 0, 0, 0);
    rt_waitgroup_done(&workers);
}

int main(int argc, char **argv)
{
    if (argc > 1 && argv[1][0] == 'n') {
        rt_waitgroup_add(&workers, 1);
        rt_go(napper, 0);
        rt_waitgroup_wait(&workers);
        rt_printf("naps done\n");
        return 0;
    }
    if (argc > 1) {
        char buf[256];
        long n;
        while ((n = rt_read(0, buf, sizeof buf)) > 0)
            rt_write(1, buf, (size_t)n);
        return n < 0;
    }
    if (rt_syscall(SYS_pipe2, (long)fds, 0, 0, 0, 0, 0) != 0)
        return 1;
    round_of('r');
    round_of('w');
    round_of('s');
    rt_printf("main done\n");
    return 0;
}
