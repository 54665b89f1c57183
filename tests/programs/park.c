/* A counting semaphore built by the user from rt_park/rt_ready and a spin lock: 8 workers share
 * 2 permits, so at most 2 are ever inside; and rt_goexit ends goroutines early (their code after
 * the call never runs), main's own goroutine included, while the others carry on. */
#include <rtlink.h>

struct sema {
    int lock, permits;
    rt_g *waiting[64];
    int nwaiting;
};

static void spin_lock(int *l)
{
    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        ;
}

static void spin_unlock(uintptr_t l)
{
    __atomic_store_n((int *)l, 0, __ATOMIC_RELEASE);
}

static void acquire(struct sema *s)
{
    spin_lock(&s->lock);
    if (s->permits > 0) {
        s->permits--;
        spin_unlock((uintptr_t)&s->lock);
        return;
    }
    s->waiting[s->nwaiting++] = rt_self();
    rt_park(spin_unlock, (uintptr_t)&s->lock); /* woken holding the permit */
}

static void release(struct sema *s)
{
    spin_lock(&s->lock);
    rt_g *next = s->nwaiting ? s->waiting[--s->nwaiting] : 0;
    if (!next)
        s->permits++;
    spin_unlock((uintptr_t)&s->lock);
    if (next)
        rt_ready(next);
}

static struct sema sem = {0, 2, {0}, 0};
static int inside, most;
static rt_waitgroup wg;

static void worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) {
        acquire(&sem);
        int now = __atomic_add_fetch(&inside, 1, __ATOMIC_SEQ_CST);
        int m = __atomic_load_n(&most, __ATOMIC_SEQ_CST);
        while (now > m && !__atomic_compare_exchange_n(&most, &m, now, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            ;
        /* Give a second permit holder the chance to come in (its P's thread may be descheduled
         * by the OS for a while on a loaded machine), and check no third ever does. */
        for (int k = 0; k < 100 && __atomic_load_n(&inside, __ATOMIC_SEQ_CST) < 2; k++)
            rt_gosched();
        __atomic_sub_fetch(&inside, 1, __ATOMIC_SEQ_CST);
        release(&sem);
    }
    rt_waitgroup_done(&wg);
}

static int after_goexit;

static void quitter(void *arg)
{
    (void)arg;
    rt_waitgroup_done(&wg);
    rt_goexit();
    after_goexit = 1;
}

static void last_word(void *arg)
{
    (void)arg;
    rt_waitgroup_wait(&wg);
    rt_printf("most inside=%d after_goexit=%d\n", most, after_goexit);
    rt_exit(0);
}

int main(void)
{
    rt_waitgroup_add(&wg, 8 + 3);
    for (int i = 0; i < 8; i++)
        rt_go(worker, 0);
    for (int i = 0; i < 3; i++)
        rt_go(quitter, 0);
    rt_go(last_word, 0);
    rt_goexit(); /* main's goroutine ends; last_word ends the program */
    return 1;
}
