/* Definitions for pie_main.c, also compiled with -fPIE. */
int pie_counter = 37;
const char *const pie_names[3] = {"zero", "one", "two"};

int pie_twice(int x) { return 2 * x; }
int pie_thrice(int x) { return 3 * x; }
