/* tls_ctors.c: thread-local variables and constructors/destructors, which the runtime sets up
 * and runs around main: TLS from the program's PT_TLS segment before any C code, constructors
 * in priority order from .init_array, destructors from .fini_array at exit. */
#include <rtlink.h>

__thread long counter = 41;
__thread char tag[8] = "tls";
__thread int zeroed;

static int order[4], n;

__attribute__((constructor(101))) static void first(void) { order[n++] = 101; }
__attribute__((constructor(202))) static void second(void) { order[n++] = 202; }
__attribute__((constructor)) static void plain(void) { order[n++] = 65535; }
__attribute__((destructor)) static void bye(void) { rt_print("destructor: bye\n"); }

int main(void)
{
    counter++;
    rt_printf("counter=%ld tag=%s zeroed=%d\n", counter, tag, zeroed);
    rt_printf("constructors ran in order: %d %d %d\n", order[0], order[1], order[2]);
    return 0;
}
