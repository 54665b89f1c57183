/* Goroutine stack sizes and overflow. "goroutine": a goroutine recurses until it runs into its
 * stack's guard page (run it with GODEBUG=stacksize= to change that stack's size); "sized": the
 * same on a stack from rt_go_stack(100000), which rounds up to 25 pages; "main": main's
 * goroutine recurses off the bottom of the OS stack (after starting a goroutine, so the
 * runtime's overflow report is linked in). Each must be reported as a stack overflow of that
 * goroutine, not as a stray SIGSEGV. "sizes": goroutines on 1 MiB stacks recurse 600 KiB deep
 * (more than rt_go's 256 KiB) and return, mixed with ordinary ones, so dead goroutines and
 * their stacks are reused across sizes. */
#include <rtlink.h>

static __attribute__((noinline)) long deep(long n)
{
    volatile char frame[512];
    frame[0] = (char)n;
    return deep(n + 1) + frame[0];
}

static void recurse(void *arg)
{
    (void)arg;
    deep(0);
}

static void nop(void *arg) { (void)arg; }

static rt_waitgroup wg;
static long reached;

static __attribute__((noinline)) long descend(long n)
{
    volatile char frame[1024];
    frame[0] = (char)n;
    return n == 0 ? frame[0] : descend(n - 1) + frame[0];
}

static void use_stack(void *kib)
{
    descend((long)kib);
    __atomic_fetch_add(&reached, 1, __ATOMIC_SEQ_CST);
    rt_waitgroup_done(&wg);
}

static int is(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

int main(int argc, char **argv)
{
    if (argc > 1 && is(argv[1], "goroutine")) {
        rt_waitgroup_add(&wg, 1);
        rt_go(recurse, 0);
        rt_waitgroup_wait(&wg);
    } else if (argc > 1 && is(argv[1], "sized")) {
        rt_waitgroup_add(&wg, 1);
        rt_go_stack(recurse, 0, 100000);
        rt_waitgroup_wait(&wg);
    } else if (argc > 1 && is(argv[1], "sizes")) {
        for (int round = 0; round < 50; round++) {
            rt_waitgroup_add(&wg, 20);
            for (int i = 0; i < 10; i++) {
                rt_go_stack(use_stack, (void *)600L, 1 << 20);
                rt_go(use_stack, (void *)100L);
            }
            rt_waitgroup_wait(&wg);
        }
        rt_printf("reached=%ld\n", reached);
    } else {
        rt_go(nop, 0);
        deep(0);
    }
    return 0;
}
