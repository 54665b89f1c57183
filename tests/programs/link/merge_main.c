/* Mergeable strings (SHF_MERGE|SHF_STRINGS, .rodata.str1.*): the same literal in three objects
 * (merge_a.c, merge_b.c, here) and a pointer into the middle of a longer literal (a relocation
 * to a section symbol plus an offset into the merged section). The contents must survive
 * merging and the pointer must still point at its suffix; a linker that merges identical
 * strings makes the three copies one, which both links are expected to agree on. */
#include <rtlink.h>

const char *merge_a(void);
const char *merge_b(void);
extern const char *const merge_suffix;

static int same_string(const char *x, const char *y)
{
    while (*x && *x == *y)
        x++, y++;
    return *x == *y;
}

int main(void)
{
    const char *mine = "one literal, three objects";
    const char *a = merge_a(), *b = merge_b();
    rt_printf("a=\"%s\" b=\"%s\" suffix=\"%s\"\n", a, b, merge_suffix);
    rt_printf("equal_text=%d,%d same_address=%d,%d\n", same_string(mine, a), same_string(mine, b), (int)(mine == a),
              (int)(a == b));
    return 0;
}
