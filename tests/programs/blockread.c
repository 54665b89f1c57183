/* A goroutine blocked in rt_read on a pipe does not stop the others, even on one P: its P goes
 * to another thread while it waits. Three workers finish, then main writes to the pipe, and the
 * reader finishes last. With "stdin" it only copies stdin to stdout with rt_read (a program
 * that starts no goroutine). */
#include <rtlink.h>

#define SYS_pipe2 293

static rt_waitgroup workers, reader_done;
static long finished;
static char got;

static void reader(void *arg)
{
    int fd = (int)(long)arg;
    long n = rt_read(fd, &got, 1);
    rt_printf("reader got %c (n=%ld) after %ld workers\n", got, n, __atomic_load_n(&finished, __ATOMIC_SEQ_CST));
    rt_waitgroup_done(&reader_done);
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

int main(int argc, char **argv)
{
    if (argc > 1) {
        char buf[256];
        long n;
        while ((n = rt_read(0, buf, sizeof buf)) > 0)
            rt_write(1, buf, (size_t)n);
        return n < 0;
    }
    int fds[2];
    if (rt_syscall(SYS_pipe2, (long)fds, 0, 0, 0, 0, 0) != 0)
        return 1;
    rt_waitgroup_add(&reader_done, 1);
    rt_go(reader, (void *)(long)fds[0]);
    rt_waitgroup_add(&workers, 3);
    for (int i = 0; i < 3; i++)
        rt_go(worker, 0);
    rt_waitgroup_wait(&workers);
    rt_write(fds[1], "x", 1);
    rt_waitgroup_wait(&reader_done);
    rt_printf("main done\n");
    return 0;
}
