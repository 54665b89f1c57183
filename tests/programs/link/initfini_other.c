/* Constructors and destructors of the second object of initfini_main.c, with priorities that
 * interleave with its. */
#include <rtlink.h>

void mark(char c);

__attribute__((constructor(200))) static void c200(void) { mark('2'); }
__attribute__((constructor(102))) static void c102(void) { mark('q'); }
__attribute__((constructor)) static void oplain(void) { mark('o'); }

__attribute__((destructor(200))) static void d200(void) { rt_print("fini 200\n"); }
__attribute__((destructor)) static void oplain_fini(void) { rt_print("fini other plain\n"); }
