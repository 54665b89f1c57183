/* Another copy of merge_main.c's literal. */
const char *merge_b(void) { return "one literal, three objects"; }
