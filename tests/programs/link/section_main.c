/* A custom section bracketed by the linker's __start_/__stop_ symbols: section_main.c and
 * section_other.c each put items in "rtl_items" (a C identifier, so the linker defines
 * __start_rtl_items and __stop_rtl_items). main walks them in link order. The items are
 * `retain` (SHF_GNU_RETAIN), which keeps them under --gc-sections with every linker: GNU ld
 * would keep sections that only __start_/__stop_ refer to anyway, lld (-z start-stop-gc, its
 * default) would drop them. */
#include <rtlink.h>

struct item {
    const char *name;
    long value;
};

#define ITEM(id, v)                                                                                          \
    __attribute__((section("rtl_items"), used, retain, aligned(16))) static const struct item item_##id = {#id, v}

ITEM(alpha, 1);
ITEM(beta, 20);

extern const struct item __start_rtl_items[], __stop_rtl_items[];

int main(void)
{
    long sum = 0, count = 0;
    rt_print("items:");
    for (const struct item *it = __start_rtl_items; it < __stop_rtl_items; it++) {
        rt_printf(" %s=%ld", it->name, it->value);
        sum += it->value;
        count++;
    }
    rt_printf("\ncount=%ld sum=%ld bytes=%ld\n", count, sum,
              (long)((const char *)__stop_rtl_items - (const char *)__start_rtl_items));
    return 0;
}
