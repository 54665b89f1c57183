/* One copy of merge_main.c's literal, and a pointer 8 bytes into a longer literal. */
const char *merge_a(void) { return "one literal, three objects"; }
const char *const merge_suffix = "prefix: one literal, three objects, and more" + 8;
