/* Hidden visibility, with hidden_lib.c: functions and data declared hidden there are used from
 * here (hidden symbols link across objects of one executable, and become local in it). */
#include <rtlink.h>

__attribute__((visibility("hidden"))) int hidden_add(int a, int b);
__attribute__((visibility("hidden"))) extern int hidden_table[4];
__attribute__((visibility("protected"))) int protected_scale(int x);
int visible_via_hidden(int x);

int main(void)
{
    hidden_table[2] += 5;
    rt_printf("add=%d table=%d,%d,%d,%d scale=%d via=%d\n", hidden_add(40, 2), hidden_table[0], hidden_table[1],
              hidden_table[2], hidden_table[3], protected_scale(7), visible_via_hidden(3));
    return 0;
}
