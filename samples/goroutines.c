/* goroutines.c: goroutines on m0. rt_go puts the new goroutine in the P's runnext slot, so
 * the newest runs first; rt_gosched sends the caller to the back of the queue. */
#include <rtlink.h>

static int done;

static void worker(void *arg)
{
    long id = (long)arg;
    for (int step = 0; step < 3; step++) {
        rt_printf("worker %ld (goroutine %ld) step %d\n", id, (long)rt_goid(), step);
        rt_gosched();
    }
    done++;
}

int main(void)
{
    for (long i = 1; i <= 3; i++)
        rt_go(worker, (void *)i);
    while (done < 3)
        rt_gosched();
    rt_printf("all %d workers finished; main is goroutine %ld\n", done, (long)rt_goid());
    return 0;
}
