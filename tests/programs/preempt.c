/* Asynchronous preemption: two goroutines that never yield share one P. Each runs a long loop
 * keeping many integer and floating-point values in registers; if a preemption lost or mixed up
 * any register (general, flags or SSE), its checksum would differ from the one main computes
 * first, before any goroutine exists (so before sysmon, and never preempted). Every million
 * iterations each also looks at the other's progress counter: it sees it move only if they take
 * turns (or run side by side); without preemption the first finishes before the second starts.
 * Each first leaves all-ones garbage on its stack below its frame, where the preemption's saved
 * state then goes (XRSTOR faults if anything of it survives in the XSAVE header). */
#include <rtlink.h>

static volatile long progress[2];
static long moves_seen[2];
static unsigned long sums[2];
static rt_waitgroup wg;

static unsigned long work(long n, int me)
{
    unsigned long a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8;
    double x = 1.0, y = 0.5, z = 0.25;
    long other_last = 0;
    for (long i = 0; i < n; i++) {
        a = a * 6364136223846793005UL + b;
        b ^= a >> 7;
        c += b * 3 + (a < b);
        d = (d << 3) ^ c;
        e += d >> 11;
        f ^= e * 5;
        g += f ^ (g >> 3);
        h = h * 31 + g;
        x = x * 1.0000001 + y;
        y = y * 0.9999999 + z * 1e-9;
        z = z + x * 1e-12;
        if ((i & 0xfffff) == 0 && me >= 0) {
            progress[me]++;
            long other = progress[1 - me];
            moves_seen[me] += other != other_last;
            other_last = other;
        }
    }
    return a ^ b ^ c ^ d ^ e ^ f ^ g ^ h ^ (unsigned long)(x * 1e6) ^ (unsigned long)(y * 1e9) ^ (unsigned long)(z * 1e9);
}

static long n;

static __attribute__((noinline)) void dirty_stack(void)
{
    volatile unsigned long junk[2048];
    for (int i = 0; i < 2048; i++)
        junk[i] = ~0UL;
}

static void side(void *arg)
{
    long me = (long)arg;
    dirty_stack();
    sums[me] = work(n, (int)me);
    rt_waitgroup_done(&wg);
}

int main(int argc, char **argv)
{
    n = 100000000;
    if (argc > 1)
        for (n = 0; *argv[1]; argv[1]++)
            n = n * 10 + (*argv[1] - '0');
    unsigned long want = work(n, -1);
    rt_waitgroup_add(&wg, 2);
    rt_go(side, (void *)0);
    rt_go(side, (void *)1);
    rt_waitgroup_wait(&wg);
    /* The first to start sees the other begin (one move) only if it is preempted; both see
     * many moves when they take turns. */
    int took_turns = moves_seen[0] > 1 && moves_seen[1] > 1;
    rt_printf("same=%d,%d took_turns=%d\n", sums[0] == want, sums[1] == want, took_turns);
    return 0;
}
