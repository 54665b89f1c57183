//! The symbol table as GNU nm sees it.
//!
//! GNU nm does not look at ELF directly: BFD first turns each section header into a set of
//! section flags and each symbol into symbol flags, and `bfd_decode_symclass` picks the letter
//! from those. This module follows the same two steps, so the letters, the names and the set of
//! symbols are nm's for any ELF file, not only rtlink's output:
//! - the null symbol at index 0 is never listed; section and file symbols are "debugging"
//!   symbols, listed only on request, and an unnamed section symbol takes its section's name;
//! - a common symbol's value is its size, as BFD reports it;
//! - `by_address` is `nm -n`'s order: undefined symbols first by name, then by address, ties
//!   by name (byte order, as with `LC_ALL=C`); `by_name` is nm's default order. Both are
//!   meant for a stable sort, which keeps equal symbols in table order as glibc's qsort does.
use std::cmp::Ordering;

use goblin::elf::section_header::{SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_NOBITS};
use goblin::elf::sym::{self, Sym};

use super::image::Image;

pub const SHN_UNDEF: usize = 0;
pub const SHN_ABS: usize = 0xfff1;
pub const SHN_COMMON: usize = 0xfff2;

/// One symbol as nm reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol<'a> {
    pub name: &'a str,
    pub value: u64,
    pub size: u64,
    pub letter: char,
    /// STT_* type and STB_* binding, as in the file.
    pub kind: u8,
    pub bind: u8,
    pub shndx: usize,
}

impl Symbol<'_> {
    pub fn undefined(&self) -> bool {
        self.shndx == SHN_UNDEF
    }

    pub fn global(&self) -> bool {
        self.bind != sym::STB_LOCAL
    }

    /// Section and file symbols, which BFD flags as debugging symbols.
    pub fn debugging(&self) -> bool {
        matches!(self.kind, sym::STT_SECTION | sym::STT_FILE)
    }
}

/// The `.symtab` symbols in table order, with the debugging ones only when `debug` is set.
pub fn table<'a>(img: &Image<'a>, debug: bool) -> Vec<Symbol<'a>> {
    let Some(table) = &img.symtab else {
        return Vec::new();
    };
    // Each section's letter once, not once per symbol.
    let sections: Vec<char> = (img.shdrs.iter().enumerate())
        .map(|(i, sh)| section_letter(img.section_name(i), sh.sh_type, sh.sh_flags))
        .collect();
    table
        .syms
        .iter()
        .skip(1)
        .map(|s| {
            let mut name = table.name(s).unwrap_or("<corrupt>");
            if name.is_empty() && s.st_type() == sym::STT_SECTION && s.st_shndx < img.shdrs.len() {
                name = img.section_name(s.st_shndx);
            }
            Symbol {
                name,
                value: if s.st_shndx == SHN_COMMON {
                    s.st_size
                } else {
                    s.st_value
                },
                size: s.st_size,
                letter: letter(&sections, s),
                kind: s.st_type(),
                bind: s.st_bind(),
                shndx: s.st_shndx,
            }
        })
        .filter(|s| debug || !s.debugging())
        .collect()
}

/// The symbols `nm -n` lists, in its order, except that symbols with the same name and address
/// may come in any order among themselves (an unstable sort is faster, and the summary that
/// uses this prints only names and addresses).
pub fn sorted<'a>(img: &Image<'a>) -> Vec<Symbol<'a>> {
    let mut syms = table(img, false);
    syms.sort_unstable_by(by_address);
    syms
}

/// nm's default order: by name, in byte order.
pub fn by_name(a: &Symbol, b: &Symbol) -> Ordering {
    a.name.as_bytes().cmp(b.name.as_bytes())
}

/// `nm -n`'s order: undefined symbols first, then by address; ties by name.
pub fn by_address(a: &Symbol, b: &Symbol) -> Ordering {
    match (a.undefined(), b.undefined()) {
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (true, true) => by_name(a, b),
        (false, false) => a.value.cmp(&b.value).then_with(|| by_name(a, b)),
    }
}

/// BFD's `bfd_decode_symclass` over the flags ELF symbols are given when BFD reads them;
/// `sections` holds each section's `section_letter`.
fn letter(sections: &[char], s: &Sym) -> char {
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
        match sections.get(s.st_shndx) {
            Some(&c) => c,
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
