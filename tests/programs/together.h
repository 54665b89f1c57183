/* Evidence that a program's goroutines ran at the same time on different threads (Ms), for the
 * stress harness (tests/stress.rs). A goroutine brackets a stretch of work that does not block
 * with together_begin/together_end; together_report, called once every stretch has ended (the
 * program has waited for them), writes one line on stderr:
 *   procs=P ms=M together=T
 * P is rt_gomaxprocs(); M the number of distinct threads that ran counted stretches; T is 1
 * when two counted stretches on different threads overlapped in time, that is when two Ms were
 * running goroutines at once, else 0.
 * Invariants: a thread is known by the address of a __thread variable (each M has its own TLS
 * block); a stretch counts only if it began and ended on the same thread (a goroutine moved by
 * preemption does not); only the first TOGETHER_MAX stretches are kept, so the report costs at
 * most TOGETHER_MAX^2 / 2 comparisons. */
#ifndef TOGETHER_H
#define TOGETHER_H

#include <rtlink.h>

#define TOGETHER_MAX 1024

struct together_stretch {
    const void *m;
    int64_t from, to;
};

static struct together_stretch together_log[TOGETHER_MAX];
static long together_next;
static __thread char together_here;

/* Starts a stretch; the result goes to together_end (-1: not kept). */
static inline long together_begin(void)
{
    long i = __atomic_fetch_add(&together_next, 1, __ATOMIC_RELAXED);
    if (i >= TOGETHER_MAX)
        return -1;
    together_log[i].m = &together_here;
    together_log[i].from = rt_nanotime();
    return i;
}

static inline void together_end(long i)
{
    if (i < 0)
        return;
    together_log[i].to = rt_nanotime();
    if (together_log[i].m != &together_here)
        together_log[i].m = 0;
}

static inline char *together_num(char *p, long v)
{
    char d[20];
    int n = 0;
    do
        d[n++] = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    while (n > 0)
        *p++ = d[--n];
    return p;
}

static inline char *together_str(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static inline void together_report(void)
{
    long n = together_next < TOGETHER_MAX ? together_next : TOGETHER_MAX;
    const void *ms[8];
    long nms = 0, together = 0;
    for (long i = 0; i < n; i++) {
        const struct together_stretch *a = &together_log[i];
        if (!a->m)
            continue;
        long k = 0;
        while (k < nms && ms[k] != a->m)
            k++;
        if (k == nms && nms < 8)
            ms[nms++] = a->m;
        for (long j = 0; j < i && !together; j++) {
            const struct together_stretch *b = &together_log[j];
            together = b->m && b->m != a->m && a->from < b->to && b->from < a->to;
        }
    }
    char out[64], *o = out;
    o = together_num(together_str(o, "procs="), rt_gomaxprocs());
    o = together_num(together_str(o, " ms="), nms);
    o = together_num(together_str(o, " together="), together);
    *o++ = '\n';
    rt_write(2, out, (size_t)(o - out));
}

#endif
