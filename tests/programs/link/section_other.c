/* More items for section_main.c's "rtl_items" section. */
struct item {
    const char *name;
    long value;
};

#define ITEM(id, v)                                                                                          \
    __attribute__((section("rtl_items"), used, retain, aligned(16))) static const struct item item_##id = {#id, v}

ITEM(gamma, 300);
ITEM(delta, 4000);
ITEM(epsilon, 50000);
