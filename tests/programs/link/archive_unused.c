/* A member of libarc_ab.a that nothing needs: linking it would print this line first. */
#include <rtlink.h>

int unused_value(void) { return 7; }

__attribute__((constructor)) static void linked_by_mistake(void) { rt_print("archive_unused.o was linked\n"); }
