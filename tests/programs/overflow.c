/* Stack overflow: with "goroutine" a goroutine recurses until it runs into its stack's guard
 * page; with "main" main's goroutine recurses off the bottom of the OS stack (after starting a
 * goroutine, so the runtime's overflow report is linked in). Both must be reported as a stack
 * overflow of that goroutine, not as a stray SIGSEGV. */
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

static int is(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

int main(int argc, char **argv)
{
    if (argc > 1 && is(argv[1], "goroutine")) {
        rt_waitgroup wg = {0};
        rt_waitgroup_add(&wg, 1);
        rt_go(recurse, 0);
        rt_waitgroup_wait(&wg);
    } else {
        rt_go(nop, 0);
        deep(0);
    }
    return 0;
}
