/* Calls each function of relocs.S, relocs_gotpcrel.S and tls_dyn.c and prints what it
 * returned: the values the relocations led them to (see relocs.S). */
#include <rtlink.h>

long reloc_abs64(void), reloc_pc64(void), reloc_pc32(void), reloc_plt32(void), reloc_abs32(void),
    reloc_abs32s(void), reloc_gotpcrelx_call(void), reloc_gotpcrelx_jmp(void), reloc_rex_gotpcrelx(void),
    reloc_tpoff32(void), reloc_gottpoff(void), reloc_tlsgd(void), reloc_tlsld(void), reloc_dtpoff64(void),
    reloc_size(void), reloc_gotpcrel(void);
long read_gd(void), read_ld(void);
void write_gd(long v);

int main(void)
{
    rt_printf("64=%lx pc64=%lx pc32=%lx plt32=%lx 32=%lx 32s=%lx\n", reloc_abs64(), reloc_pc64(), reloc_pc32(),
              reloc_plt32(), reloc_abs32(), reloc_abs32s());
    rt_printf("gotpcrel=%lx gotpcrelx_call=%lx gotpcrelx_jmp=%lx rex_gotpcrelx=%lx\n", reloc_gotpcrel(),
              reloc_gotpcrelx_call(), reloc_gotpcrelx_jmp(), reloc_rex_gotpcrelx());
    rt_printf("tpoff32=%lx gottpoff=%lx tlsgd=%lx tlsld=%lx dtpoff64=%lx size=%ld\n", reloc_tpoff32(),
              reloc_gottpoff(), reloc_tlsgd(), reloc_tlsld(), reloc_dtpoff64(), reloc_size());
    long gd = read_gd();
    write_gd(40);
    long ld1 = read_ld();
    rt_printf("c: gd=%ld gd_after=%ld ld=%ld,%ld\n", gd, read_gd(), ld1, read_ld());
    return 0;
}
