/* Initialisation order: .preinit_array, then constructors by priority, then unprioritised
 * ones, then main; destructors after main returns (or rt_exit), in reverse. */
#include <rtlink.h>

static char log[32];
static int n;
static void mark(char c) { log[n++] = c; }

static void pre(int argc, char **argv, char **envp)
{
    (void)argv;
    (void)envp;
    mark(argc > 0 ? 'P' : '?');
}
__attribute__((section(".preinit_array"), used)) static void (*preinit)(int, char **, char **) = pre;

__attribute__((constructor(300))) static void c300(void) { mark('3'); }
__attribute__((constructor(200))) static void c200(void) { mark('2'); }
__attribute__((constructor)) static void cplain(void) { mark('c'); }
__attribute__((destructor)) static void d1(void) { rt_print("destructor d1\n"); }
__attribute__((destructor(200))) static void d200(void) { rt_print("destructor d200\n"); }

int main(int argc, char **argv)
{
    mark('M');
    rt_printf("order=%s\n", log);
    if (argc > 1)
        rt_exit(7);
    return 0;
}
