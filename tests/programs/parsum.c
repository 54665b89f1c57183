/* A parallel sum checked against the serial one: GOROUTINES goroutines each add up a slice of
 * an array, then fold their part into the total under an rt_mutex; a wait group tells main
 * when all are done. Also counts, under the mutex, how many goroutines ran, and checks the
 * counter lands on zero. The sums are stretches for together.h (its line goes to stderr).
 * Usage: parsum [goroutines] */
#include "together.h"

#define LEN 100000L

static long data[LEN];
static long total, done;
static rt_mutex mu;
static rt_waitgroup wg;
static long parts;

static void part(void *arg)
{
    long k = (long)arg, sum = 0;
    long stretch = together_begin();
    for (long i = k * LEN / parts; i < (k + 1) * LEN / parts; i++)
        sum += data[i];
    together_end(stretch);
    rt_mutex_lock(&mu);
    total += sum;
    done++;
    rt_mutex_unlock(&mu);
    rt_waitgroup_done(&wg);
}

int main(int argc, char **argv)
{
    parts = 64;
    if (argc > 1) {
        parts = 0;
        for (const char *p = argv[1]; *p; p++)
            parts = parts * 10 + (*p - '0');
    }
    long serial = 0;
    for (long i = 0; i < LEN; i++) {
        data[i] = (i * 7919) % 1000;
        serial += data[i];
    }
    rt_waitgroup_add(&wg, parts);
    for (long k = 0; k < parts; k++)
        rt_go(part, (void *)k);
    rt_waitgroup_wait(&wg);
    rt_waitgroup_wait(&wg);
    rt_printf("parts=%ld done=%ld ok=%d\n", parts, done, total == serial);
    together_report();
    return total == serial && done == parts ? 0 : 1;
}
