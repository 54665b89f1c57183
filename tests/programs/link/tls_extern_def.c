/* The definitions tls_extern_main.c uses. */
__thread long ext_init = 41;
__thread char ext_zero[32];
__thread long ext_aligned __attribute__((aligned(64))) = 6400;

long def_sum(void) { return ext_init + ext_zero[31] + ext_aligned; }
