//! `-n`/`--notes`: the ELF notes, as `readelf -n -W` prints them: from each SHT_NOTE section,
//! or, for a core file or a file without sections, from the PT_NOTE segments.
//!
//! One deliberate difference: a 64-bit core's NT_FILE (the mapped files) is decoded, where
//! Debian's readelf 2.40 prints "Cannot decode 64-bit note in 32-bit build".
//!
//! Known notes are decoded as readelf decodes them (GNU build ID, ABI tag, x86 properties;
//! core files' NT_FILE map); anything else is shown as its description bytes.
use std::io::{self, Write};

use goblin::elf::header::ET_CORE;
use goblin::elf::program_header::PT_NOTE;
use goblin::elf::section_header::SHT_NOTE;
use serde_json::{json, Value};

use crate::inspect::image::{notes, Image, Note};

/// One place notes were found: `in` a section, or `at` a file offset with a length.
struct Place<'a> {
    heading: String,
    notes: Vec<Note<'a>>,
}

fn places<'a>(img: &Image<'a>) -> Vec<Place<'a>> {
    let le = img.ctx.le.is_little();
    if !img.shdrs.is_empty() && img.header.e_type != ET_CORE {
        return (img.shdrs.iter().enumerate())
            .filter(|(_, s)| s.sh_type == SHT_NOTE)
            .filter_map(|(i, s)| {
                let data = img.section_data(i)?;
                Some(Place {
                    heading: format!("Displaying notes found in: {}", img.section_name(i)),
                    notes: notes(data, s.sh_addralign, le),
                })
            })
            .collect();
    }
    (img.phdrs.iter().filter(|p| p.p_type == PT_NOTE))
        .filter_map(|p| {
            let data = img.segment_data(p)?;
            Some(Place {
                heading: format!(
                    "Displaying notes found at file offset {:#010x} with length {:#010x}:",
                    p.p_offset, p.p_filesz
                ),
                notes: notes(data, p.p_align, le),
            })
        })
        .collect()
}

/// readelf's description of a note's type.
fn type_name(img: &Image, n: &Note) -> String {
    let unknown = || format!("Unknown note type: ({:#010x})", n.kind);
    match (n.owner, n.kind) {
        ("GNU", 1) => "NT_GNU_ABI_TAG (ABI version tag)".into(),
        ("GNU", 2) => "NT_GNU_HWCAP (DSO-supplied software HWCAP info)".into(),
        ("GNU", 3) => "NT_GNU_BUILD_ID (unique build ID bitstring)".into(),
        ("GNU", 4) => "NT_GNU_GOLD_VERSION (gold version)".into(),
        ("GNU", 5) => "NT_GNU_PROPERTY_TYPE_0".into(),
        ("GNU", _) => unknown(),
        ("Go", 4) => "GO BUILDID".into(),
        ("stapsdt", 3) => "NT_STAPSDT (SystemTap probe descriptors)".into(),
        ("GDB", 0xff00_0000) => "NT_GDB_TDESC (GDB XML target description)".into(),
        (_, k) if img.header.e_type == ET_CORE => match k {
            1 => "NT_PRSTATUS (prstatus structure)".into(),
            2 => "NT_FPREGSET (floating point registers)".into(),
            3 => "NT_PRPSINFO (prpsinfo structure)".into(),
            4 => "NT_TASKSTRUCT (task structure)".into(),
            6 => "NT_AUXV (auxiliary vector)".into(),
            0x200 => "NT_386_TLS (x86 TLS information)".into(),
            0x202 => "NT_X86_XSTATE (x86 XSAVE extended state)".into(),
            0x4649_4c45 => "NT_FILE (mapped files)".into(),
            0x5349_4749 => "NT_SIGINFO (siginfo_t data)".into(),
            _ => unknown(),
        },
        _ => unknown(),
    }
}

fn word(d: &[u8], off: usize, size: usize, le: bool) -> Option<u64> {
    let b = d.get(off..off + size)?;
    let mut w = [0u8; 8];
    if le {
        w[..size].copy_from_slice(b);
        Some(u64::from_le_bytes(w))
    } else {
        w[8 - size..].copy_from_slice(b);
        Some(u64::from_be_bytes(w))
    }
}

/// x86 ISA level names for GNU_PROPERTY_X86_ISA_1_* bitmasks.
const ISA: [&str; 4] = ["x86-64-baseline", "x86-64-v2", "x86-64-v3", "x86-64-v4"];

/// The names of the bits set in `bits`, readelf's `<unknown: bit>` for bits past the table.
fn features(bits: u64, table: &[&str]) -> String {
    let list: Vec<String> = (0..32)
        .filter(|i| bits & (1 << i) != 0)
        .map(|i| {
            table
                .get(i)
                .map_or_else(|| format!("<unknown: {:x}>", 1u64 << i), |n| n.to_string())
        })
        .collect();
    list.join(", ")
}

/// GNU_PROPERTY_TYPE_0's property list, as readelf words it.
fn properties(img: &Image, d: &[u8]) -> String {
    const FEATURE_1: [&str; 4] = ["IBT", "SHSTK", "LAM_U48", "LAM_U57"];
    const FEATURE_2: [&str; 10] = [
        "x86", "x87", "MMX", "XMM", "YMM", "ZMM", "FXSR", "XSAVE", "XSAVEOPT", "XSAVEC",
    ];
    let le = img.ctx.le.is_little();
    let align = if img.is_64 { 8 } else { 4 };
    let mut out = Vec::new();
    let mut off = 0;
    while off + 8 <= d.len() {
        let (Some(kind), Some(size)) = (word(d, off, 4, le), word(d, off + 4, 4, le)) else {
            break;
        };
        let value = || word(d, off + 8, 4, le).unwrap_or(0);
        out.push(match kind {
            1 => format!("stack size: {:#x}", word(d, off + 8, align, le).unwrap_or(0)),
            2 => "no copy on protected".into(),
            0xc000_0002 => format!("x86 feature: {}", features(value(), &FEATURE_1)),
            0xc000_8001 => format!("x86 feature needed: {}", features(value(), &FEATURE_2)),
            0xc000_8002 => format!("x86 ISA needed: {}", features(value(), &ISA)),
            0xc001_0001 => format!("x86 feature used: {}", features(value(), &FEATURE_2)),
            0xc001_0002 => format!("x86 ISA used: {}", features(value(), &ISA)),
            k => format!("<unknown type {k:#x} data: ...>"),
        });
        let Some(step) = (size as usize).checked_add(8).map(|n| n.next_multiple_of(align)) else {
            break;
        };
        off = off.saturating_add(step);
    }
    out.join(", ")
}

/// A core file's NT_FILE: the page size, then each mapping's range, file offset and path.
fn mapped_files(img: &Image, d: &[u8]) -> Option<String> {
    let size = if img.is_64 { 8 } else { 4 };
    let le = img.ctx.le.is_little();
    let w = |i: usize| word(d, i.checked_mul(size)?, size, le);
    let (count, page) = (usize::try_from(w(0)?).ok()?, w(1)?);
    let table_end = count.checked_mul(3)?.checked_add(2)?.checked_mul(size)?;
    let mut names = d.get(table_end..)?.split(|&b| b == 0);
    let width = size * 2 + 2;
    let mut s = format!("    Page size: {page}\n");
    if img.is_64 {
        s += "                 Start                 End         Page Offset\n";
    } else {
        s += "         Start         End Page Offset\n";
    }
    for i in 0..count {
        let (start, end, off) = (w(2 + 3 * i)?, w(3 + 3 * i)?, w(4 + 3 * i)?);
        let name = std::str::from_utf8(names.next()?).unwrap_or("?");
        s += &format!("    {start:#0width$x}  {end:#0width$x}  {off:#0width$x}\n        {name}\n");
    }
    Some(s.trim_end().to_string())
}

/// A SystemTap probe: three addresses, then provider, name and argument strings.
fn stapsdt(img: &Image, d: &[u8]) -> Option<String> {
    let size = if img.is_64 { 8 } else { 4 };
    let le = img.ctx.le.is_little();
    let addr = |i: usize| word(d, i * size, size, le).map(|a| format!("{a:#0w$x}", w = size * 2 + 2));
    let (pc, base, sem) = (addr(0)?, addr(1)?, addr(2)?);
    let mut strings = d
        .get(3 * size..)?
        .split(|&b| b == 0)
        .map(|s| std::str::from_utf8(s).unwrap_or("?"));
    let (provider, name, args) = (strings.next()?, strings.next()?, strings.next().unwrap_or(""));
    Some(format!(
        "    Provider: {provider}\n    Name: {name}\n    Location: {pc}, Base: {base}, Semaphore: {sem}\n    Arguments: {args}"
    ))
}

fn bytes(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x} ")).collect()
}

/// The decoded description, starting with readelf's indentation; empty when there is none.
fn contents(img: &Image, n: &Note) -> String {
    match (n.owner, n.kind) {
        ("GNU", 3) => format!(
            "    Build ID: {}",
            n.desc.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
        ("GNU", 1) if n.desc.len() >= 16 => {
            let le = img.ctx.le.is_little();
            let w = |i: usize| word(n.desc, i * 4, 4, le).unwrap_or(0);
            let os = ["Linux", "Hurd", "Solaris", "FreeBSD", "NetBSD", "Syllable", "NaCl"];
            let name = os.get(w(0) as usize).map_or("Unknown", |s| s);
            format!("    OS: {name}, ABI: {}.{}.{}", w(1), w(2), w(3))
        }
        ("GNU", 5) => format!("      Properties: {}", properties(img, n.desc)),
        ("stapsdt", 3) => stapsdt(img, n.desc).unwrap_or_else(|| format!("   description data: {}", bytes(n.desc))),
        ("CORE", 0x4649_4c45) if img.header.e_type == ET_CORE => {
            mapped_files(img, n.desc).unwrap_or_else(|| "    Malformed note - too short for header".into())
        }
        ("CORE", 1..=4 | 6 | 0x5349_4749) if img.header.e_type == ET_CORE => String::new(),
        _ if n.desc.is_empty() => String::new(),
        _ => format!("   description data: {}", bytes(n.desc)),
    }
}

pub fn write(img: &Image, out: &mut dyn Write) -> io::Result<()> {
    for place in places(img) {
        writeln!(out, "\n{}", place.heading)?;
        writeln!(out, "  Owner                Data size \tDescription")?;
        for n in &place.notes {
            let owner = if n.owner.is_empty() { "(NONE)" } else { n.owner };
            write!(out, "  {owner:<20} {:#010x}\t{}", n.desc.len(), type_name(img, n))?;
            let c = contents(img, n);
            if c.is_empty() && img.header.e_type != ET_CORE {
                writeln!(out)?;
            } else {
                writeln!(out, "\t{c}")?;
            }
        }
    }
    Ok(())
}

pub fn json(img: &Image) -> Value {
    let all: Vec<Value> = (places(img).iter())
        .map(|p| {
            let notes: Vec<Value> = (p.notes.iter())
                .map(|n| {
                    json!({
                        "Owner": n.owner,
                        "Data size": n.desc.len(),
                        "Type": type_name(img, n),
                        "Description": contents(img, n).trim(),
                    })
                })
                .collect();
            json!({ "NoteSection": { "Name": p.heading, "Notes": notes } })
        })
        .collect();
    Value::Array(all)
}
