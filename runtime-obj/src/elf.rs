//! The few ELF64 structures the runtime reads in memory: its own program headers (PT_TLS),
//! the vDSO's dynamic symbols and, for crash reports, the executable's symbol table.
//! Layouts are the System V gABI's; all fields little-endian, read in place.
#[repr(C)]
pub struct Ehdr {
    pub e_ident: [u8; 16],
    pub e_type: u16,
    pub e_machine: u16,
    pub e_version: u32,
    pub e_entry: u64,
    pub e_phoff: u64,
    pub e_shoff: u64,
    pub e_flags: u32,
    pub e_ehsize: u16,
    pub e_phentsize: u16,
    pub e_phnum: u16,
    pub e_shentsize: u16,
    pub e_shnum: u16,
    pub e_shstrndx: u16,
}

#[repr(C)]
pub struct Phdr {
    pub p_type: u32,
    pub p_flags: u32,
    pub p_offset: u64,
    pub p_vaddr: u64,
    pub p_paddr: u64,
    pub p_filesz: u64,
    pub p_memsz: u64,
    pub p_align: u64,
}

#[repr(C)]
pub struct Shdr {
    pub sh_name: u32,
    pub sh_type: u32,
    pub sh_flags: u64,
    pub sh_addr: u64,
    pub sh_offset: u64,
    pub sh_size: u64,
    pub sh_link: u32,
    pub sh_info: u32,
    pub sh_addralign: u64,
    pub sh_entsize: u64,
}

#[repr(C)]
pub struct Sym {
    pub st_name: u32,
    pub st_info: u8,
    pub st_other: u8,
    pub st_shndx: u16,
    pub st_value: u64,
    pub st_size: u64,
}

#[repr(C)]
pub struct Dyn {
    pub d_tag: i64,
    pub d_val: u64,
}

pub const PT_LOAD: u32 = 1;
pub const PT_DYNAMIC: u32 = 2;
pub const PT_TLS: u32 = 7;
pub const PT_GNU_RELRO: u32 = 0x6474_e552;
pub const SHT_SYMTAB: u32 = 2;
pub const STT_FUNC: u8 = 2;
pub const DT_NULL: i64 = 0;
pub const DT_HASH: i64 = 4;
pub const DT_STRTAB: i64 = 5;
pub const DT_SYMTAB: i64 = 6;
pub const DT_GNU_HASH: i64 = 0x6fff_fef5;

/// What to add to a link-time address to get the run-time one: 0 in an ET_EXEC, which runs
/// where it was linked; in a static-PIE, linked at 0, the base the kernel chose, which is
/// where its own ELF header (`__ehdr_start`) is mapped.
#[inline(always)]
pub fn load_bias() -> usize {
    #[cfg(rtlink_pie)]
    {
        extern "C" {
            static __ehdr_start: u8;
        }
        // SAFETY: only the symbol's address is taken; the linker defines it in every link.
        unsafe { &raw const __ehdr_start as usize }
    }
    #[cfg(not(rtlink_pie))]
    0
}

/// Compares the NUL-terminated string at `p` with `name` (which has no NUL).
///
/// # Safety
/// `p` must point to a NUL-terminated string.
pub unsafe fn cstr_eq(p: *const u8, name: &[u8]) -> bool {
    for (i, &c) in name.iter().enumerate() {
        // SAFETY: we stop at the first mismatch, and a NUL mismatches every byte of `name`,
        // so no read goes past the terminator.
        if unsafe { *p.add(i) } != c {
            return false;
        }
    }
    // SAFETY: all of `name` matched, so p[name.len()] is at most the terminator.
    unsafe { *p.add(name.len()) == 0 }
}
