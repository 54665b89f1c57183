/* The other half of common_main.c: the same common symbols, common_buf larger and
 * common_aligned more aligned here. */
#include <rtlink.h>

int common_count;
char common_buf[64];
long common_aligned[4] __attribute__((aligned(64)));

void other_fill(void)
{
    common_count += 10;
    for (int i = 0; i < 64; i++)
        common_buf[i] = (char)(i + 1);
    common_aligned[3] += 234;
}

long other_sum(void)
{
    long s = 0;
    for (int i = 0; i < 64; i++)
        s += common_buf[i];
    return s;
}
