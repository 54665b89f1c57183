/* Section garbage collection, compiled with -ffunction-sections -fdata-sections: every
 * function and object has its own section, and rtlink links with --gc-sections. The used ones
 * (reached from main, in both objects) must work; gc_unused_fn, gc_only_from_unused and
 * gc_unused_data are referenced by nothing live and must be dropped (the test checks both
 * links' symbol tables). */
#include <rtlink.h>

int gc_used_fn(int x);
extern const int gc_used_table[5];

static int gc_only_from_unused(int x) { return x * 99; }
int gc_unused_fn(int x) { return gc_only_from_unused(x) + 1; }
int gc_unused_data[64] = {1};
int gc_main_data = 17;

int main(void)
{
    int sum = 0;
    for (int i = 0; i < 5; i++)
        sum += gc_used_table[i];
    rt_printf("used_fn=%d table_sum=%d data=%d\n", gc_used_fn(4), sum, gc_main_data);
    return 0;
}
