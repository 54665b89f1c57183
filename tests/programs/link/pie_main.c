/* -fPIE objects (with pie_other.c) linked into the default fixed-address executable: the code
 * takes addresses of functions through the GOT (R_X86_64_REX_GOTPCRELX, which the linker may
 * relax), calls through the PLT (R_X86_64_PLT32), reads a thread-local declared initial-exec
 * through the GOT (R_X86_64_GOTTPOFF) and one local-exec directly, and keeps tables of pointers
 * in .data.rel.ro. Prints what it reads and calls through each path. */
#include <rtlink.h>

int pie_twice(int x);
int pie_thrice(int x);
extern int pie_counter;
extern const char *const pie_names[3];

static __thread long pie_tls_own = 70;
__thread long pie_tls_ie __attribute__((tls_model("initial-exec"))) = 8080;

static int (*const ops[])(int) = {pie_twice, pie_thrice};

int main(void)
{
    int (*volatile f)(int) = pie_twice;
    pie_counter += 5;
    pie_tls_ie += 1;
    rt_printf("ops=%d,%d via_ptr=%d same_fn=%d counter=%d\n", ops[0](10), ops[1](10), f(21), (int)(f == ops[0]),
              pie_counter);
    rt_printf("names=%s,%s,%s tls_own=%ld tls_ie=%ld\n", pie_names[0], pie_names[1], pie_names[2], pie_tls_own,
              pie_tls_ie);
    return 0;
}
