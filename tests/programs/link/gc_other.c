/* The second object of gc_main.c: one used function and table, one unused function and table. */
const int gc_used_table[5] = {1, 2, 3, 4, 5};
const int gc_unused_table[5] = {9, 9, 9, 9, 9};

int gc_used_fn(int x) { return x * gc_used_table[4]; }
int gc_other_unused_fn(int x) { return x + gc_unused_table[0]; }
