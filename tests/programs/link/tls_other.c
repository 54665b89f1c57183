/* Thread-local variables of the second object of tls_main.c, and the functions that read and
 * change them. */
__thread long other_init = 1234;
__thread char other_zero[100];
__thread long other_aligned128 __attribute__((aligned(128))) = 128128;

long other_init_value(void) { return other_init; }
long other_aligned_value(void) { return other_aligned128; }
int other_aligned_ok(void) { return (unsigned long)&other_aligned128 % 128 == 0; }

/* How many of other_zero's bytes are zero. */
long other_zeros(void)
{
    long n = 0;
    for (int i = 0; i < 100; i++)
        n += other_zero[i] == 0;
    return n;
}

void other_bump(long by)
{
    other_init += by;
    other_aligned128 += 2 * by;
    other_zero[99] = 1;
}
