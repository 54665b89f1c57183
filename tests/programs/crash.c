/* Fatal errors for the crash-report tests (tests/crash.rs), each at a known depth of named
 * functions so the traceback can be checked against nm and addr2line:
 * - no argument: main -> level2 -> crash_here faults (a NULL read) on goroutine 1;
 * - "goroutine": goroutine 2 (worker -> crash_here) faults while main waits on a wait group
 *   and goroutine 3 is parked on a channel receive;
 * - "throw": main -> level2 -> a negative wait-group counter, which the runtime throws on.
 * Each call is followed by a use of its result, so no call is a tail call (a tail call leaves
 * no frame of the caller for any traceback to show). */
#include <rtlink.h>

__attribute__((noinline)) int crash_here(volatile int *p) { return *p; }

static rt_waitgroup wg;
static rt_chan *never;

__attribute__((noinline)) int level2(volatile int *p, int throw)
{
    if (throw) {
        rt_waitgroup_add(&wg, -1);
        return 1;
    }
    return crash_here(p) + 1;
}

__attribute__((noinline)) void worker(void *arg)
{
    rt_print("worker about to fault\n");
    rt_exit(crash_here(arg) + 3);
}

__attribute__((noinline)) void parked(void *arg)
{
    long v;
    (void)arg;
    rt_chan_recv(never, &v);
    rt_exit(4);
}

int main(int argc, char **argv)
{
    if (argc > 1 && argv[1][0] == 'g') {
        never = rt_chan_make(sizeof(long), 0);
        rt_waitgroup_add(&wg, 1);
        rt_go(parked, 0);
        rt_sleep(1000000);
        rt_go(worker, 0);
        rt_waitgroup_wait(&wg);
        return 5;
    }
    rt_print("about to fault\n");
    int r = level2(0, argc > 1 && argv[1][0] == 't');
    rt_print("not reached\n");
    return r;
}
