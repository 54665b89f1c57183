/* Compiled at -O0 so vectors spill to 16-byte aligned stack slots with movaps: a misaligned
 * stack in main or in a goroutine would fault. */
#include <rtlink.h>

typedef float v4 __attribute__((vector_size(16)));

static int dot(v4 a, v4 b)
{
    v4 p = a * b;
    return (int)(p[0] + p[1] + p[2] + p[3]);
}

static rt_waitgroup wg;

static void in_goroutine(void *arg)
{
    v4 a = {1, 2, 3, 4};
    *(int *)arg = dot(a, a);
    rt_waitgroup_done(&wg);
}

int main(void)
{
    v4 a = {1, 2, 3, 4}, b = {5, 6, 7, 8};
    int g = 0;
    rt_waitgroup_add(&wg, 1);
    rt_go(in_goroutine, &g);
    rt_waitgroup_wait(&wg);
    rt_printf("main=%d goroutine=%d\n", dot(a, b), g);
    return 0;
}
