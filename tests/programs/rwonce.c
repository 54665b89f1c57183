/* rt_rwmutex and rt_once under contention. Writers bump 16 counters under the write lock,
 * yielding halfway; readers check under the read lock that all 16 agree (a torn read means a
 * reader and a writer overlapped), yielding inside so other readers can join them. Then 50
 * goroutines race into one rt_once whose function sleeps: it runs once, and nobody returns
 * before it has finished. */
#include <rtlink.h>

#define WRITERS 4
#define READERS 8
#define WRITES 200
#define READS 400

static rt_rwmutex rw;
static long counters[16];
static long readers_in, writers_in, most_readers, overlaps, torn;
static rt_waitgroup wg;

static void note_max(long *max, long v)
{
    long m = __atomic_load_n(max, __ATOMIC_SEQ_CST);
    while (v > m && !__atomic_compare_exchange_n(max, &m, v, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        ;
}

static void writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < WRITES; i++) {
        rt_rwmutex_lock(&rw);
        if (__atomic_add_fetch(&writers_in, 1, __ATOMIC_SEQ_CST) != 1 || __atomic_load_n(&readers_in, __ATOMIC_SEQ_CST))
            __atomic_fetch_add(&overlaps, 1, __ATOMIC_SEQ_CST);
        for (int k = 0; k < 8; k++)
            counters[k]++;
        rt_gosched();
        for (int k = 8; k < 16; k++)
            counters[k]++;
        __atomic_sub_fetch(&writers_in, 1, __ATOMIC_SEQ_CST);
        rt_rwmutex_unlock(&rw);
    }
    rt_waitgroup_done(&wg);
}

static void reader(void *arg)
{
    (void)arg;
    for (int i = 0; i < READS; i++) {
        rt_rwmutex_rlock(&rw);
        note_max(&most_readers, __atomic_add_fetch(&readers_in, 1, __ATOMIC_SEQ_CST));
        if (__atomic_load_n(&writers_in, __ATOMIC_SEQ_CST))
            __atomic_fetch_add(&overlaps, 1, __ATOMIC_SEQ_CST);
        long first = counters[0];
        rt_gosched();
        for (int k = 1; k < 16; k++)
            if (counters[k] != first)
                __atomic_fetch_add(&torn, 1, __ATOMIC_SEQ_CST);
        __atomic_sub_fetch(&readers_in, 1, __ATOMIC_SEQ_CST);
        rt_rwmutex_runlock(&rw);
    }
    rt_waitgroup_done(&wg);
}

static rt_once once;
static long once_calls, once_finished, early;

static void init_once(void *arg)
{
    __atomic_fetch_add(&once_calls, 1, __ATOMIC_SEQ_CST);
    rt_sleep(2000000);
    __atomic_store_n(&once_finished, (long)arg, __ATOMIC_SEQ_CST);
}

static void racer(void *arg)
{
    (void)arg;
    rt_once_do(&once, init_once, (void *)42);
    if (__atomic_load_n(&once_finished, __ATOMIC_SEQ_CST) != 42)
        __atomic_fetch_add(&early, 1, __ATOMIC_SEQ_CST);
    rt_waitgroup_done(&wg);
}

int main(void)
{
    rt_waitgroup_add(&wg, WRITERS + READERS);
    for (int i = 0; i < READERS; i++) {
        rt_go(reader, 0);
        if (i < WRITERS)
            rt_go(writer, 0);
    }
    rt_waitgroup_wait(&wg);
    rt_printf("rwmutex: counters=%ld overlaps=%ld torn=%ld readers_shared=%d\n", counters[15], overlaps, torn,
              most_readers > 1);

    rt_waitgroup_add(&wg, 50);
    for (int i = 0; i < 50; i++)
        rt_go(racer, 0);
    rt_waitgroup_wait(&wg);
    rt_once_do(&once, init_once, (void *)7);
    rt_printf("once: calls=%ld value=%ld returned_early=%ld\n", once_calls, once_finished, early);
    return 0;
}
