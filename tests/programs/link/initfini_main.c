/* Initialisation and finalisation across two objects (with initfini_other.c): .preinit_array
 * first, then the constructors of both objects sorted together by priority (101, 102, 200,
 * 300), then the unprioritised ones in link order (a constructor and a raw .init_array entry
 * here, then initfini_other.c's), then main; after main, .fini_array in reverse: the
 * unprioritised destructors (initfini_other.c's first), then by priority from the highest
 * number down. Each step appends a letter, and every destructor prints a line. */
#include <rtlink.h>

static char log[32];
static int n;
void mark(char c) { log[n++] = c; }

static void pre(void) { mark('P'); }
__attribute__((section(".preinit_array"), used)) static void (*preinit[])(void) = {pre};

__attribute__((constructor(300))) static void c300(void) { mark('3'); }
__attribute__((constructor(101))) static void c101(void) { mark('1'); }
__attribute__((constructor)) static void cplain(void) { mark('m'); }
static void raw(void) { mark('r'); }
__attribute__((section(".init_array"), used)) static void (*raw_init[])(void) = {raw};

__attribute__((destructor(101))) static void d101(void) { rt_print("fini 101\n"); }
__attribute__((destructor(300))) static void d300(void) { rt_print("fini 300\n"); }
__attribute__((destructor)) static void dplain(void) { rt_print("fini main plain\n"); }

int main(void)
{
    mark('M');
    rt_printf("init order=%s\n", log);
    return 0;
}
