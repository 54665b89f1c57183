//! Self-relocation of a static-PIE (`rtlink build --static-pie`; glibc: _dl_relocate_static_pie).
//!
//! A static-PIE is an ET_DYN linked at address 0 that the kernel loads at a random base and
//! enters with nothing relocated: every pointer stored in data (function tables, `mainPC`, the
//! init arrays, string tables of `&str`s) still holds its link-time value. `runtime_rt0_go`
//! calls `runtime_relocate` first, before any other code reads a global, and it adds the load
//! base to each of them.
//!
//! Invariants:
//! - This code reads no global and cannot panic (a panic's location record is itself data
//!   that needs relocating): it uses raw pointers only and stops at the first thing it does not
//!   understand, with a message built from PC-relative string constants.
//! - Only R_X86_64_RELATIVE is applied. The linker turns every absolute address in a static-PIE
//!   into one; anything else (IRELATIVE from an ifunc, RELR packing) is refused at link time
//!   by `rtlink build` and is a fatal error here, never silently skipped.
//! - Once relocated, the PT_GNU_RELRO range (everything relocation wrote: `.data.rel.ro`,
//!   `mainPC`, the GOT, the init/fini arrays) is made read-only (`protect_relro`), before any
//!   user code runs.
//! - Built only into the static-PIE flavour of the runtime (`--cfg rtlink_pie`); the ET_EXEC
//!   flavour has nothing to relocate and does not contain this file.
use crate::elf::{Dyn, Ehdr, Phdr, DT_NULL, PT_DYNAMIC};

const DT_RELA: i64 = 7;
const DT_RELASZ: i64 = 8;
const DT_RELAENT: i64 = 9;
const DT_RELRSZ: i64 = 35;
const DT_RELR: i64 = 36;
pub const R_X86_64_RELATIVE: u32 = 8;
const ET_DYN: u16 = 3;

#[repr(C)]
pub struct Rela {
    pub r_offset: u64,
    pub r_info: u64,
    pub r_addend: i64,
}

/// Applies `relas` to an image loaded at `base`; returns the first relocation type it cannot
/// apply (nothing is written for it or after it), or None when all were applied.
///
/// # Safety
/// Every `r_offset` must lie, with 8 bytes after it, inside the writable image at `base`.
pub unsafe fn apply(base: usize, relas: &[Rela]) -> Option<u32> {
    for r in relas {
        let kind = r.r_info as u32;
        if kind != R_X86_64_RELATIVE {
            return Some(kind);
        }
        // SAFETY: the caller's guarantee; the linker keeps RELATIVE targets 8-byte slots of
        // the image, in writable (or RELRO, not yet protected) memory.
        unsafe {
            ((base + r.r_offset as usize) as *mut u64).write_unaligned(base.wrapping_add(r.r_addend as usize) as u64)
        };
    }
    None
}

/// Relocates the program whose ELF header is mapped at `ehdr` (its load base, `__ehdr_start`).
///
/// # Safety
/// Only `runtime_rt0_go` calls this, once, first thing at process entry, with the address of
/// the program's own ELF header as the kernel mapped it.
#[no_mangle]
pub unsafe extern "C" fn runtime_relocate(ehdr: usize) {
    // SAFETY: the kernel mapped the headers and the PT_DYNAMIC segment of the running program;
    // the linker wrote DT_RELA/DT_RELASZ for the image's own relocation table.
    unsafe {
        let eh = &*(ehdr as *const Ehdr);
        if eh.e_type != ET_DYN {
            return;
        }
        let phdrs = (ehdr + eh.e_phoff as usize) as *const Phdr;
        let mut dynamic = core::ptr::null::<Dyn>();
        for i in 0..eh.e_phnum as usize {
            let p = &*phdrs.add(i);
            if p.p_type == PT_DYNAMIC {
                dynamic = (ehdr + p.p_vaddr as usize) as *const Dyn;
            }
        }
        let (mut rela, mut size, mut packed) = (0usize, 0usize, false);
        let mut d = dynamic;
        while !d.is_null() && (*d).d_tag != DT_NULL {
            match (*d).d_tag {
                DT_RELA => rela = (*d).d_val as usize,
                DT_RELASZ => size = (*d).d_val as usize,
                DT_RELAENT => packed |= (*d).d_val as usize != core::mem::size_of::<Rela>(),
                DT_RELR | DT_RELRSZ => packed = true,
                _ => {}
            }
            d = d.add(1);
        }
        let bad = if packed {
            Some(DT_RELR as u32)
        } else {
            let relas = core::slice::from_raw_parts((ehdr + rela) as *const Rela, size / core::mem::size_of::<Rela>());
            apply(ehdr, relas)
        };
        if let Some(kind) = bad {
            refuse(kind);
        }
    }
}

/// Makes the program's PT_GNU_RELRO range read-only (as ld.so and glibc's static start do
/// after relocating): the init/fini arrays, `.data.rel.ro` (`mainPC`, tables of pointers), the
/// GOT. The linker pads the range's end to a page boundary; its start is rounded down, the
/// end too, as glibc does, so no byte outside it loses write access. x86-64 pages are 4 KiB.
///
/// # Safety
/// `phdr` must point to `phnum` program headers (AT_PHDR/AT_PHNUM) of this program, which has
/// been relocated.
pub unsafe fn protect_relro(phdr: usize, phnum: usize) {
    for i in 0..phnum {
        // SAFETY: i < phnum, within the kernel-provided table.
        let p = unsafe { &*(phdr as *const crate::elf::Phdr).add(i) };
        if p.p_type == crate::elf::PT_GNU_RELRO {
            let start = (p.p_vaddr as usize + crate::elf::load_bias()) & !0xfff;
            let end = ((p.p_vaddr + p.p_memsz) as usize + crate::elf::load_bias()) & !0xfff;
            // SAFETY: [start, end) lies within the program's own mapped image, and nothing
            // writes the RELRO sections once relocation is done.
            if end > start
                && unsafe { crate::sys_linux::mprotect(start, end - start, crate::sys_linux::PROT_READ) } != 0
            {
                crate::print::throw("cannot make the RELRO range read-only (mprotect failed)");
            }
        }
    }
}

/// The fatal error for a relocation this runtime does not apply (DT_RELR counts as type 36).
/// It uses nothing that needs relocating: PC-relative string constants and two digits.
#[cold]
fn refuse(kind: u32) -> ! {
    let digits = [b'0' + (kind / 10 % 10) as u8, b'0' + (kind % 10) as u8];
    crate::print::write_all(2, b"fatal error: static-pie: cannot apply relocation type ");
    crate::print::write_all(2, &digits);
    crate::print::write_all(2, b" (rtlink applies R_X86_64_RELATIVE only)\n");
    crate::sys_linux::exit_group(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_relocations_add_the_base_and_others_stop() {
        let mut image = [0u64; 4];
        let base = image.as_mut_ptr() as usize;
        let relas = [
            Rela {
                r_offset: 8,
                r_info: R_X86_64_RELATIVE as u64,
                r_addend: 0x40,
            },
            Rela {
                r_offset: 24,
                r_info: R_X86_64_RELATIVE as u64,
                r_addend: 0,
            },
            Rela {
                r_offset: 0,
                r_info: 37,
                r_addend: 0x10,
            },
            Rela {
                r_offset: 16,
                r_info: R_X86_64_RELATIVE as u64,
                r_addend: 0x10,
            },
        ];
        // SAFETY: every offset lies within `image`.
        let bad = unsafe { apply(base, &relas) };
        assert_eq!(bad, Some(37));
        assert_eq!(image, [0, base as u64 + 0x40, 0, base as u64]);
    }
}
