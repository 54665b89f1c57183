/* Common symbols (compiled with -fcommon, linked with common_other.c): each tentative definition
 * below is also one in common_other.c, and the linker must make one object of each, as large as
 * the largest (common_buf: 16 bytes here, 64 there) and as aligned as the most aligned
 * (common_aligned: 64 there). Both objects write and read through their own view, so the
 * numbers printed add up only if every pair really is one object. */
#include <rtlink.h>

int common_count;
char common_buf[16];
long common_aligned[4];

void other_fill(void);
long other_sum(void);

int main(void)
{
    common_count = 5;
    common_aligned[3] = 1000;
    other_fill();
    long mine = 0;
    for (int i = 0; i < 16; i++)
        mine += common_buf[i];
    rt_printf("count=%d first16=%ld all64=%ld aligned64=%d last=%ld\n", common_count, mine, other_sum(),
              (int)((unsigned long)common_aligned % 64 == 0), common_aligned[3]);
    return 0;
}
