/* __tls_get_addr for the general- and local-dynamic code of relocs.S and tls_dyn.c.
 * A linker writing a static executable may relax those sequences to local-exec, and then never
 * calls this; relocs.S's reloc_dtpoff64 always does, with a tls_index it fills by
 * R_X86_64_DTPOFF64. The program is its only TLS module (module 1), whose block the runtime
 * puts round_up(PT_TLS memsz, PT_TLS align) below the thread pointer (%fs:0), as GNU ld's
 * local-exec offsets assume; an offset is from the start of that block. */
struct tls_index {
    unsigned long module, offset;
};

struct elf_header {
    unsigned char ident[16];
    unsigned short type, machine;
    unsigned int version;
    unsigned long entry, phoff, shoff;
    unsigned int flags;
    unsigned short ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct program_header {
    unsigned int type, flags;
    unsigned long offset, vaddr, paddr, filesz, memsz, align;
};

#define PT_TLS 7

extern const struct elf_header __ehdr_start;

void *__tls_get_addr(const struct tls_index *ti)
{
    const struct program_header *ph =
        (const struct program_header *)((const char *)&__ehdr_start + __ehdr_start.phoff);
    unsigned long size = 0;
    for (int i = 0; i < __ehdr_start.phnum; i++)
        if (ph[i].type == PT_TLS) {
            unsigned long align = ph[i].align ? ph[i].align : 1;
            size = (ph[i].memsz + align - 1) & -align;
        }
    char *tp;
    __asm__("movq %%fs:0, %0" : "=r"(tp));
    return tp - size + ti->offset;
}
