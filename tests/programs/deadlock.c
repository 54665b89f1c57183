/* Misuse the runtime must report, chosen by argv[1]: "deadlock" waits for a wait group nobody
 * will finish; "negative" takes a wait group below zero; "unlock" unlocks a mutex that is not
 * locked; "spawned" deadlocks while other goroutines exist, all blocked too; "recv" receives
 * from a channel nobody sends on; "sendclosed" and "closeclosed" misuse a closed channel;
 * "select" blocks in a select with no usable case; "locked" deadlocks with main's goroutine
 * and another locked to their threads; "exitsyscall" calls rt_exitsyscall without
 * rt_entersyscall; "runlock" and "wunlock" unlock an rt_rwmutex that is not locked;
 * "lockedexits" deadlocks after two goroutines have ended locked (taking their threads).
 * And a hang the runtime cannot see, for the stress harness's watchdog: "spin" waits for a wait
 * group while a goroutine spins forever (a running M is not a deadlock). */
#include <rtlink.h>

static rt_waitgroup wg, never;
static rt_mutex mu;
static rt_rwmutex rw;

static void blocked(void *arg)
{
    (void)arg;
    rt_waitgroup_wait(&never);
}

static int is(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static void spin(void *arg)
{
    (void)arg;
    for (;;)
        __asm__ volatile("pause");
}

static void locked_exit(void *arg)
{
    (void)arg;
    rt_lockosthread();
    rt_waitgroup_done(&wg);
}

static void locked_blocked(void *arg)
{
    (void)arg;
    rt_lockosthread();
    rt_waitgroup_wait(&never);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    rt_waitgroup_add(&never, 1);
    if (is(what, "deadlock")) {
        rt_waitgroup_add(&wg, 1);
        rt_waitgroup_wait(&wg);
    } else if (is(what, "negative")) {
        rt_waitgroup_done(&wg);
    } else if (is(what, "unlock")) {
        rt_mutex_unlock(&mu);
    } else if (is(what, "spawned")) {
        for (int i = 0; i < 10; i++)
            rt_go(blocked, 0);
        rt_waitgroup_wait(&never);
    } else if (is(what, "recv")) {
        rt_chan_recv(rt_chan_make(8, 0), 0);
    } else if (is(what, "sendclosed") || is(what, "closeclosed")) {
        rt_chan *c = rt_chan_make(4, 1);
        int v = 1;
        rt_chan_close(c);
        if (is(what, "sendclosed"))
            rt_chan_send(c, &v);
        else
            rt_chan_close(c);
    } else if (is(what, "locked")) {
        rt_lockosthread();
        rt_go(locked_blocked, 0);
        rt_waitgroup_wait(&never);
    } else if (is(what, "lockedexits")) {
        rt_setmaxprocs(4); /* more Ms, so exited ones get reused */
        for (int i = 0; i < 2; i++) {
            rt_waitgroup_add(&wg, 1);
            rt_go(locked_exit, 0);
            rt_waitgroup_wait(&wg);
            rt_sleep(5000000);
        }
        rt_waitgroup_wait(&never);
    } else if (is(what, "spin")) {
        rt_go(spin, 0);
        rt_waitgroup_wait(&never);
    } else if (is(what, "runlock")) {
        rt_rwmutex_runlock(&rw);
    } else if (is(what, "wunlock")) {
        rt_rwmutex_rlock(&rw);
        rt_rwmutex_unlock(&rw);
    } else if (is(what, "exitsyscall")) {
        rt_exitsyscall();
    } else if (is(what, "select")) {
        rt_select_case none[1] = {{0, RT_RECV, 0, 0}};
        rt_select(none, 1, 1);
    }
    rt_print("not reached\n");
    return 0;
}
