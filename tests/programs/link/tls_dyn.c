/* Compiled with -fPIC -g: gcc's own dynamic-model TLS code. tls_dyn_var is global, so code that
 * could end up in a shared library reaches it with the general-dynamic sequence
 * (R_X86_64_TLSGD and a call to __tls_get_addr); the static ones with the local-dynamic
 * sequence (R_X86_64_TLSLD, then R_X86_64_DTPOFF32 for each; the debug info gives each
 * variable's location as a DTPOFF32 too). A static link may relax both sequences. */
__thread long tls_dyn_var = 300;
__thread long tls_dyn_array[4] = {1, 2, 3, 4};
static __thread long ld_one = 11;
static __thread long ld_two;

long read_gd(void) { return tls_dyn_var + tls_dyn_array[3]; }

void write_gd(long v) { tls_dyn_array[3] = v; }

long read_ld(void)
{
    ld_one += 1;
    ld_two += 2;
    return ld_one * 100 + ld_two;
}
