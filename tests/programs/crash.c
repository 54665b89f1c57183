/* Faults in a named function so the report can be checked against nm. */
#include <rtlink.h>

__attribute__((noinline)) int crash_here(volatile int *p) { return *p; }

int main(void)
{
    rt_print("about to fault\n");
    return crash_here(0);
}
