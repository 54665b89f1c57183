//! `-s`/`--symbols`: every symbol table section (`.dynsym`, `.symtab`), as `readelf -s -W`
//! prints it, with GNU symbol versions on dynamic symbols (`puts@GLIBC_2.2.5 (3)`,
//! `printf@@GLIBC_2.2.5`).
//!
//! The tables are read here rather than from `Image::symtab`/`dynsym` because readelf lists
//! every SHT_SYMTAB and SHT_DYNSYM section, in section order. Version tables are read with
//! bounds checks; a damaged one only loses the version suffixes.
use std::io::{self, Write};

use goblin::elf::section_header::{SHT_DYNSYM, SHT_GNU_VERDEF, SHT_GNU_VERNEED, SHT_GNU_VERSYM, SHT_SYMTAB};
use goblin::elf::sym::{Sym, Symtab, STT_SECTION};
use serde_json::{json, Value};

use super::names;
use crate::inspect::image::{cstr, Image};

/// One symbol table as readelf shows it.
struct Table<'a> {
    section: usize,
    syms: Vec<Sym>,
    strings: &'a [u8],
}

fn tables<'a>(img: &Image<'a>) -> Vec<Table<'a>> {
    let size = Sym::size(img.ctx.container) as u64;
    (img.shdrs.iter().enumerate())
        .filter(|(_, s)| matches!(s.sh_type, SHT_SYMTAB | SHT_DYNSYM) && s.sh_entsize == size)
        .filter_map(|(i, s)| {
            let data = img.section_data(i)?;
            let count = data.len() / size as usize;
            let syms = Symtab::parse(img.data, s.sh_offset as usize, count, img.ctx)
                .ok()?
                .to_vec();
            let strings = img.section_data(s.sh_link as usize).unwrap_or(&[]);
            Some(Table {
                section: i,
                syms,
                strings,
            })
        })
        .collect()
}

fn u16_at(d: &[u8], off: usize, le: bool) -> Option<u16> {
    let b: [u8; 2] = d.get(off..off + 2)?.try_into().ok()?;
    Some(if le {
        u16::from_le_bytes(b)
    } else {
        u16::from_be_bytes(b)
    })
}

fn u32_at(d: &[u8], off: usize, le: bool) -> Option<u32> {
    let b: [u8; 4] = d.get(off..off + 4)?.try_into().ok()?;
    Some(if le {
        u32::from_le_bytes(b)
    } else {
        u32::from_be_bytes(b)
    })
}

/// The version suffix of dynamic symbol `i`: `@NAME (N)` for a needed version, `@@NAME` for
/// the default defined version, `@NAME` for a hidden one.
/// A symbol that names its own version definition (`GLIBC_2.10`, absolute, value 0) gets no
/// suffix, as in readelf.
fn version(img: &Image, i: usize, sym: &Sym, name: &str) -> Option<String> {
    let le = img.ctx.le.is_little();
    let find = |t: u32| img.shdrs.iter().position(|s| s.sh_type == t);
    let versym = img.section_data(find(SHT_GNU_VERSYM)?)?;
    let raw = u16_at(versym, i * 2, le)?;
    let (ver, hidden) = (raw & 0x7fff, raw & 0x8000 != 0);
    if ver <= 1 {
        return None;
    }
    // Needed versions (undefined symbols): Verneed { version, cnt, file, aux, next } and
    // Vernaux { hash, flags, other, name, next }.
    let needed = || {
        let idx = find(SHT_GNU_VERNEED)?;
        let (d, strs) = (
            img.section_data(idx)?,
            img.section_data(img.shdrs[idx].sh_link as usize)?,
        );
        let mut off = 0usize;
        for _ in 0..img.shdrs[idx].sh_info.max(1) {
            let cnt = u16_at(d, off + 2, le)?;
            let mut aux = off.checked_add(u32_at(d, off + 8, le)? as usize)?;
            for _ in 0..cnt {
                if u16_at(d, aux + 6, le)? == ver {
                    return cstr(strs, u32_at(d, aux + 8, le)? as usize).map(|n| format!("@{n} ({ver})"));
                }
                aux = aux.checked_add(u32_at(d, aux + 12, le)? as usize)?;
            }
            match u32_at(d, off + 12, le)? {
                0 => break,
                next => off = off.checked_add(next as usize)?,
            }
        }
        None
    };
    // Defined versions: Verdef { version, flags, ndx, cnt, hash, aux, next }, Verdaux { name, next }.
    let defined = || {
        let idx = find(SHT_GNU_VERDEF)?;
        let (d, strs) = (
            img.section_data(idx)?,
            img.section_data(img.shdrs[idx].sh_link as usize)?,
        );
        let mut off = 0usize;
        for _ in 0..img.shdrs[idx].sh_info.max(1) {
            if u16_at(d, off + 4, le)? == ver {
                let aux = off.checked_add(u32_at(d, off + 12, le)? as usize)?;
                let vname = cstr(strs, u32_at(d, aux, le)? as usize)?;
                if sym.st_shndx == 0xfff1 && vname == name {
                    return None;
                }
                return Some(format!("{}{vname}", if hidden { "@" } else { "@@" }));
            }
            match u32_at(d, off + 16, le)? {
                0 => break,
                next => off = off.checked_add(next as usize)?,
            }
        }
        None
    };
    if sym.st_shndx == 0 {
        needed().or_else(defined)
    } else {
        defined().or_else(needed)
    }
}

fn ndx(shndx: usize) -> String {
    match shndx {
        0 => "UND".into(),
        0xfff1 => "ABS".into(),
        0xfff2 => "COM".into(),
        0xffff => "XIDX".into(),
        0xff00..=0xff1f => format!("PRC[{shndx:#06x}]"),
        0xff20..=0xff3f => format!("OS [{shndx:#06x}]"),
        0xff40..=0xfffe => format!("RSV[{shndx:#06x}]"),
        n => n.to_string(),
    }
}

/// The name readelf prints: section symbols without a name show their section's.
fn name<'a>(img: &Image<'a>, t: &Table<'a>, sym: &Sym) -> String {
    let n = cstr(t.strings, sym.st_name).unwrap_or("<corrupt>");
    if n.is_empty() && sym.st_type() == STT_SECTION && sym.st_shndx < img.shdrs.len() && sym.st_shndx != 0 {
        img.section_name(sym.st_shndx).to_string()
    } else {
        n.to_string()
    }
}

fn size(n: u64) -> String {
    if n < 100_000 {
        format!("{n:5}")
    } else {
        format!("{n:#x}")
    }
}

pub fn write(img: &Image, out: &mut dyn Write) -> io::Result<()> {
    let tables = tables(img);
    let osabi = img.header.e_ident[goblin::elf::header::EI_OSABI];
    if img.shdrs.is_empty() {
        return writeln!(
            out,
            "\nDynamic symbol information is not available for displaying symbols."
        );
    }
    for t in &tables {
        let n = t.syms.len();
        let label = img.section_name(t.section);
        writeln!(
            out,
            "\nSymbol table '{label}' contains {n} {}:",
            if n == 1 { "entry" } else { "entries" }
        )?;
        if img.is_64 {
            writeln!(out, "   Num:    Value          Size Type    Bind   Vis      Ndx Name")?;
        } else {
            writeln!(out, "   Num:    Value  Size Type    Bind   Vis      Ndx Name")?;
        }
        let dynamic = img.shdrs[t.section].sh_type == SHT_DYNSYM;
        for (i, s) in t.syms.iter().enumerate() {
            let value = if img.is_64 {
                format!("{:016x}", s.st_value)
            } else {
                format!("{:08x}", s.st_value)
            };
            let name = name(img, t, s);
            let ver = if dynamic {
                version(img, i, s, &name).unwrap_or_default()
            } else {
                String::new()
            };
            writeln!(
                out,
                "{i:6}: {value} {} {:<7} {:<6} {:<7} {:>4} {}{ver}",
                size(s.st_size),
                names::symbol_type(s.st_type(), osabi),
                names::symbol_bind(s.st_bind(), osabi),
                names::symbol_visibility(s.st_other),
                ndx(s.st_shndx),
                name
            )?;
        }
    }
    Ok(())
}

pub fn json(img: &Image) -> Value {
    let osabi = img.header.e_ident[goblin::elf::header::EI_OSABI];
    let tables: Vec<Value> = (tables(img).iter())
        .map(|t| {
            let dynamic = img.shdrs[t.section].sh_type == SHT_DYNSYM;
            let syms: Vec<Value> = (t.syms.iter().enumerate())
                .map(|(i, s)| {
                    let name = name(img, t, s);
                    json!({
                        "Version": if dynamic { version(img, i, s, &name) } else { None },
                        "Name": name,
                        "Value": s.st_value,
                        "Size": s.st_size,
                        "Binding": { "Name": names::symbol_bind(s.st_bind(), osabi), "Value": s.st_bind() },
                        "Type": { "Name": names::symbol_type(s.st_type(), osabi), "Value": s.st_type() },
                        "Other": { "Name": names::symbol_visibility(s.st_other), "Value": s.st_other },
                        "Section": { "Name": ndx(s.st_shndx), "Value": s.st_shndx },
                    })
                })
                .collect();
            json!({ "Section": img.section_name(t.section), "Symbols": syms })
        })
        .collect();
    Value::Array(tables)
}
