/* main for rust_lib.rs: calls its functions, which read their own statics and call back
 * c_scale, and prints what they return. */
#include <rtlink.h>

unsigned long rust_weighted_sum(size_t n), rust_prime(size_t i), rust_calls(void);
void rust_greet(size_t n);

unsigned long c_scale(void) { return 1000; }

int main(int argc, char **argv)
{
    (void)argv;
    size_t n = (size_t)argc + 1; /* 2 with no arguments: not a constant to the compiler */
    rust_greet(100);
    unsigned long w1 = rust_weighted_sum(n), w2 = rust_weighted_sum(n + 1);
    rt_printf("primes=%lu,%lu,%lu weighted=%lu,%lu calls=%lu\n", rust_prime(0), rust_prime(n + 5), rust_prime(99),
              w1, w2, rust_calls());
    return 0;
}
