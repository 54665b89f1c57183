/* Recurses argv[1] KiB deep on the main goroutine's stack, touching every frame, and prints
 * the depth reached: proves the stack really is as large as the runtime says, and (with a
 * depth beyond it) that running off its end is a clean fatal signal, not corruption. */
#include <rtlink.h>

static long parse(const char *s)
{
    long n = 0;
    while (*s >= '0' && *s <= '9')
        n = n * 10 + (*s++ - '0');
    return n;
}

static __attribute__((noinline)) long down(long kib)
{
    volatile char frame[1024];
    frame[0] = (char)kib;
    frame[1023] = (char)kib;
    if (kib <= 1)
        return frame[0] + frame[1023];
    return down(kib - 1) + frame[512];
}

int main(int argc, char **argv)
{
    long kib = argc > 1 ? parse(argv[1]) : 0;
    down(kib);
    rt_printf("deep %ld KiB ok\n", kib);
    return 0;
}
