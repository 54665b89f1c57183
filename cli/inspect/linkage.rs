//! How a linked file is loaded: at fixed addresses, as a PIE run by its interpreter, as a
//! static-PIE that relocates itself, or as a shared library.
//!
//! The rules, in order (ET_REL and ET_CORE files are not linked programs and get `None`):
//! - ET_EXEC is loaded at the addresses it was linked for;
//! - ET_DYN with entry 0 is a shared library (there is nowhere to start it);
//! - ET_DYN naming an interpreter (PT_INTERP) is a PIE;
//! - ET_DYN without one is a static-PIE when DT_FLAGS_1 has DF_1_PIE, or when its dynamic
//!   section needs no library (no DT_NEEDED), names no soname (no DT_SONAME) and holds
//!   relative relocations (the program relocates itself, as `gcc -static-pie` output does);
//! - any other ET_DYN is a shared library.
//!
//! Everything is read through `Image`'s bounds-checked accessors: a dynamic section or a
//! relocation table that lies outside the file reads as absent, and a table is walked in
//! place, so nothing allocates more than the file holds.
use goblin::elf::dynamic::{Dyn, DT_NEEDED, DT_REL, DT_RELA, DT_RELAENT, DT_RELASZ, DT_RELENT, DT_RELSZ, DT_SONAME};
use goblin::elf::header::{EM_386, EM_AARCH64, EM_RISCV, EM_X86_64, ET_DYN, ET_EXEC};
use goblin::elf::reloc::{R_386_RELATIVE, R_AARCH64_RELATIVE, R_RISCV_RELATIVE, R_X86_64_RELATIVE};
use scroll::Pread;

use super::image::Image;

/// DT_RELRSZ and DT_RELR (compact relative relocations, `-z pack-relative-relocs`), which
/// goblin does not name.
const DT_RELRSZ: u64 = 35;
const DT_RELR: u64 = 36;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linkage {
    /// ET_EXEC: not position-independent.
    Fixed,
    /// A position-independent executable loaded by the interpreter it names.
    Pie,
    /// A position-independent executable with no interpreter: it applies its own relocations.
    StaticPie,
    SharedLibrary,
}

impl Linkage {
    pub fn is_pie(self) -> bool {
        matches!(self, Linkage::Pie | Linkage::StaticPie)
    }
}

/// How the file is loaded; `None` for object files, core files and unknown types.
pub fn of(img: &Image) -> Option<Linkage> {
    match img.header.e_type {
        ET_EXEC => Some(Linkage::Fixed),
        ET_DYN if img.header.e_entry == 0 => Some(Linkage::SharedLibrary),
        ET_DYN if img.interpreter.is_some() => Some(Linkage::Pie),
        ET_DYN => {
            let dynamic = img.dynamic();
            let has = |tag| dynamic.iter().any(|d| d.d_tag == tag);
            let self_contained = !has(DT_NEEDED) && !has(DT_SONAME) && relative_relocations(img, &dynamic);
            Some(if img.pie_flag() || self_contained {
                Linkage::StaticPie
            } else {
                Linkage::SharedLibrary
            })
        }
        _ => None,
    }
}

/// The value of the first `tag` entry.
fn value(dynamic: &[Dyn], tag: u64) -> Option<u64> {
    dynamic.iter().find(|d| d.d_tag == tag).map(|d| d.d_val)
}

/// Whether the DT_RELR, DT_RELA or DT_REL table holds at least one relative relocation.
fn relative_relocations(img: &Image, dynamic: &[Dyn]) -> bool {
    if value(dynamic, DT_RELRSZ).is_some_and(|n| n > 0) && value(dynamic, DT_RELR).is_some() {
        return true;
    }
    let relative = match img.header.e_machine {
        EM_X86_64 => R_X86_64_RELATIVE,
        EM_386 => R_386_RELATIVE,
        EM_AARCH64 => R_AARCH64_RELATIVE,
        EM_RISCV => R_RISCV_RELATIVE,
        _ => return false,
    };
    let word = if img.is_64 { 8 } else { 4 };
    [
        (DT_RELA, DT_RELASZ, DT_RELAENT, 3 * word),
        (DT_REL, DT_RELSZ, DT_RELENT, 2 * word),
    ]
    .into_iter()
    .any(|(at, size, ent, default_ent)| {
        let (Some(addr), Some(size)) = (value(dynamic, at), value(dynamic, size)) else {
            return false;
        };
        let ent = value(dynamic, ent).unwrap_or(default_ent as u64);
        let ent = usize::try_from(ent).ok().filter(|&e| e >= 2 * word);
        let (Some(ent), Some(table)) = (ent, img.mapped(addr, size)) else {
            return false;
        };
        (table.chunks_exact(ent)).any(|r| r_type(img, r) == Some(relative))
    })
}

/// The relocation type in the r_info word that follows r_offset.
fn r_type(img: &Image, entry: &[u8]) -> Option<u32> {
    let le = img.ctx.le;
    if img.is_64 {
        let info: u64 = entry.pread_with(8, le).ok()?;
        Some(goblin::elf::reloc::reloc64::r_type(info))
    } else {
        let info: u32 = entry.pread_with(4, le).ok()?;
        Some(goblin::elf::reloc::reloc32::r_type(info))
    }
}
