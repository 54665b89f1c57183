//! The symbol table as GNU `nm -n` shows it.
//!
//! GNU nm does not look at ELF directly: BFD first turns each section header into a set of
//! section flags and each symbol into symbol flags, and `bfd_decode_symclass` picks the letter
//! from those. This module follows the same two steps, so the letters, the order and the set of
//! listed symbols are nm's for any ELF file, not only rtlink's output:
//! - section and file symbols are hidden (BFD marks them as debugging symbols), as is the
//!   null symbol at index 0;
//! - undefined symbols sort first by name, then everything else by address, ties by name
//!   (byte order, as with `LC_ALL=C`);
//! - a common symbol's value is its size, as BFD reports it.
use std::io::{self, Write};

use goblin::elf::section_header::{SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_NOBITS};
use goblin::elf::sym::{self, Sym};

use super::image::Image;

const SHN_UNDEF: usize = 0;
const SHN_ABS: usize = 0xfff1;
const SHN_COMMON: usize = 0xfff2;

/// One listed symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol<'a> {
    pub name: &'a str,
    pub value: u64,
    pub letter: char,
    pub kind: u8,
    pub global: bool,
}

impl Symbol<'_> {
    pub fn undefined(&self) -> bool {
        matches!(self.letter, 'U' | 'w' | 'v')
    }
}

/// The symbols nm lists (from `.symtab`), in `nm -n` order.
pub fn sorted<'a>(img: &Image<'a>) -> Vec<Symbol<'a>> {
    let Some(table) = &img.symtab else {
        return Vec::new();
    };
    let mut out: Vec<Symbol<'a>> = table
        .syms
        .iter()
        .skip(1)
        .filter(|s| !matches!(s.st_type(), sym::STT_SECTION | sym::STT_FILE))
        .map(|s| Symbol {
            name: table.name(s).unwrap_or("<corrupt>"),
            value: if s.st_shndx == SHN_COMMON {
                s.st_size
            } else {
                s.st_value
            },
            letter: letter(img, s),
            kind: s.st_type(),
            global: s.st_bind() != sym::STB_LOCAL,
        })
        .collect();
    out.sort_by(|a, b| {
        b.undefined()
            .cmp(&a.undefined())
            .then_with(|| {
                if a.undefined() {
                    std::cmp::Ordering::Equal
                } else {
                    a.value.cmp(&b.value)
                }
            })
            .then_with(|| a.name.as_bytes().cmp(b.name.as_bytes()))
    });
    out
}

/// Writes `syms` in nm's format: the value in hex (16 digits for ELF64, 8 for ELF32, blank
/// for undefined symbols), the letter, the name.
pub fn write_nm(w: &mut impl Write, syms: &[Symbol], is_64: bool) -> io::Result<()> {
    let width = if is_64 { 16 } else { 8 };
    for s in syms {
        if s.undefined() {
            writeln!(w, "{:width$} {} {}", "", s.letter, s.name)?;
        } else {
            writeln!(w, "{:0width$x} {} {}", s.value, s.letter, s.name)?;
        }
    }
    Ok(())
}

/// BFD's `bfd_decode_symclass` over the flags ELF symbols are given when BFD reads them.
fn letter(img: &Image, s: &Sym) -> char {
    let bind = s.st_bind();
    let kind = s.st_type();
    let weak = bind == sym::STB_WEAK;
    let object = matches!(kind, sym::STT_OBJECT | sym::STT_COMMON);
    match s.st_shndx {
        SHN_COMMON => return 'C',
        SHN_UNDEF if weak && object => return 'v',
        SHN_UNDEF if weak => return 'w',
        SHN_UNDEF => return 'U',
        _ => {}
    }
    if kind == sym::STT_GNU_IFUNC {
        return 'i';
    }
    if weak {
        return if object { 'V' } else { 'W' };
    }
    if bind == sym::STB_GNU_UNIQUE {
        return 'u';
    }
    let c = if s.st_shndx == SHN_ABS {
        'a'
    } else {
        match img.shdrs.get(s.st_shndx) {
            Some(sh) => section_letter(img.section_name(s.st_shndx), sh.sh_type, sh.sh_flags),
            None => return '?',
        }
    };
    if bind == sym::STB_GLOBAL {
        c.to_ascii_uppercase()
    } else {
        c
    }
}

/// The letter for a symbol defined in a section: BFD's name table first (PE-style sections
/// keep their letters even in ELF files), then the section flags BFD derives from the header.
fn section_letter(name: &str, sh_type: u32, sh_flags: u64) -> char {
    for (prefix, c) in [(".drectve", 'i'), (".edata", 'e'), (".idata", 'i'), (".pdata", 'p')] {
        if let Some(rest) = name.strip_prefix(prefix) {
            if rest.is_empty() || rest.starts_with(|ch: char| ch == '.' || ch == '$' || ch.is_ascii_digit()) {
                return c;
            }
        }
    }
    let contents = sh_type != SHT_NOBITS;
    let load = sh_flags & u64::from(SHF_ALLOC) != 0 && contents;
    let readonly = sh_flags & u64::from(SHF_WRITE) == 0;
    if sh_flags & u64::from(SHF_EXECINSTR) != 0 {
        't'
    } else if load {
        if readonly {
            'r'
        } else {
            'd'
        }
    } else if !contents {
        'b'
    } else if sh_flags & u64::from(SHF_ALLOC) == 0 && is_debug_name(name) {
        'N'
    } else if readonly {
        'n'
    } else {
        '?'
    }
}

/// Non-allocated sections BFD treats as debugging information, recognised by name only.
fn is_debug_name(name: &str) -> bool {
    [
        ".debug",
        ".gnu.debuglto_.debug_",
        ".gnu.linkonce.wi.",
        ".zdebug",
        ".line",
        ".stab",
    ]
    .iter()
    .any(|p| name.starts_with(p))
        || name == ".gdb_index"
}

#[cfg(test)]
mod tests {
    use super::*;
    use goblin::elf::section_header::{SHT_NOTE, SHT_PROGBITS};

    #[test]
    fn section_letters_follow_bfd_flags() {
        let (a, w, x) = (u64::from(SHF_ALLOC), u64::from(SHF_WRITE), u64::from(SHF_EXECINSTR));
        assert_eq!(section_letter(".text", SHT_PROGBITS, a | x), 't');
        assert_eq!(section_letter(".rodata", SHT_PROGBITS, a), 'r');
        assert_eq!(section_letter(".note.gnu.build-id", SHT_NOTE, a), 'r');
        assert_eq!(section_letter(".data", SHT_PROGBITS, a | w), 'd');
        assert_eq!(section_letter(".bss", SHT_NOBITS, a | w), 'b');
        assert_eq!(section_letter(".tbss", SHT_NOBITS, a | w), 'b');
        assert_eq!(section_letter(".debug_info", SHT_PROGBITS, 0), 'N');
        assert_eq!(section_letter(".comment", SHT_PROGBITS, 0), 'n');
        assert_eq!(section_letter(".mydata", SHT_PROGBITS, w), '?');
        assert_eq!(section_letter(".idata$2", SHT_PROGBITS, a | w), 'i');
        assert_eq!(section_letter(".idatax", SHT_PROGBITS, a | w), 'd');
    }
}
