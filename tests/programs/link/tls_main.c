/* Thread-local storage from two objects (with tls_other.c), each with initialised and zero
 * variables and one aligned beyond 16 (64 here, 128 there), so the linker must lay out .tdata
 * and .tbss of both in one PT_TLS segment of the larger alignment, where each keeps its
 * offset. Each object reaches only its own variables (local-exec, R_X86_64_TPOFF32); main
 * prints the initial values, whether the zero ones are zero and the aligned ones aligned, then
 * the values after both objects changed theirs. */
#include <rtlink.h>

static __thread int local_init = 5;
__thread int main_zero;
__thread long main_aligned64 __attribute__((aligned(64))) = 640;

long other_init_value(void), other_aligned_value(void), other_zeros(void);
int other_aligned_ok(void);
void other_bump(long by);

int main(void)
{
    rt_printf("initial: local=%d main64=%ld other=%ld other128=%ld zeros=%d,%ld\n", local_init, main_aligned64,
              other_init_value(), other_aligned_value(), main_zero == 0, other_zeros());
    rt_printf("aligned: 64=%d 128=%d\n", (int)((unsigned long)&main_aligned64 % 64 == 0), other_aligned_ok());
    local_init += 1;
    main_zero = 9;
    main_aligned64 *= 2;
    other_bump(main_zero);
    rt_printf("after: local=%d zero=%d main64=%ld other=%ld other128=%ld zeros=%ld\n", local_init, main_zero,
              main_aligned64, other_init_value(), other_aligned_value(), other_zeros());
    return 0;
}
