/* Thread-locals used from another object than the one that defines them (tls_extern_def.c):
 * non-PIC code reaches them with initial-exec (R_X86_64_GOTTPOFF), the linker gives each a
 * GOT slot with its offset from the thread pointer, or rewrites the load into local-exec.
 * Prints the initial values, then what both objects see after each changed one. */
#include <rtlink.h>

extern __thread long ext_init;
extern __thread char ext_zero[32];
extern __thread long ext_aligned __attribute__((aligned(64)));

long def_sum(void);

int main(void)
{
    rt_printf("initial: init=%ld zero31=%d aligned=%ld aligned64=%d\n", ext_init, ext_zero[31], ext_aligned,
              (int)((unsigned long)&ext_aligned % 64 == 0));
    ext_init += 1;
    ext_zero[31] = 7;
    rt_printf("after: sum=%ld init=%ld\n", def_sum(), ext_init);
    return 0;
}
