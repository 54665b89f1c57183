//! `-h`/`--file-header`: the ELF header as `readelf -h` prints it.
//!
//! Every field comes from the checked header; the counts that extended numbering moves into
//! section 0 are shown as readelf shows them (`0 (N)`, `65535 (N)`).
use std::io::{self, Write};

use goblin::elf::header::{self, ET_CORE, ET_DYN, ET_EXEC, ET_NONE, ET_REL};
use serde_json::{json, Value};

use super::names;
use crate::inspect::image::Image;

/// readelf's name for the file type, e.g. `EXEC (Executable file)`.
pub fn file_type(img: &Image) -> String {
    match img.header.e_type {
        ET_NONE => "NONE (None)".into(),
        ET_REL => "REL (Relocatable file)".into(),
        ET_EXEC => "EXEC (Executable file)".into(),
        ET_DYN if img.pie_flag() => "DYN (Position-Independent Executable file)".into(),
        ET_DYN => "DYN (Shared object file)".into(),
        ET_CORE => "CORE (Core file)".into(),
        t if t >= 0xff00 => format!("Processor Specific: ({t:x})"),
        t if t >= 0xfe00 => format!("OS Specific: ({t:x})"),
        t => format!("<unknown>: {t:x}"),
    }
}

pub fn write(img: &Image, out: &mut dyn Write) -> io::Result<()> {
    let h = &img.header;
    let id = &h.e_ident;
    writeln!(out, "ELF Header:")?;
    write!(out, "  Magic:   ")?;
    for b in id {
        write!(out, "{b:02x} ")?;
    }
    writeln!(out)?;
    let field = |out: &mut dyn Write, name: &str, value: &str| writeln!(out, "  {:<34} {value}", format!("{name}:"));
    field(out, "Class", names::class(id[header::EI_CLASS]).as_str())?;
    field(out, "Data", names::data(id[header::EI_DATA]).as_str())?;
    let version = id[header::EI_VERSION];
    field(
        out,
        "Version",
        &format!("{version}{}", if version == 1 { " (current)" } else { " <unknown>" }),
    )?;
    field(out, "OS/ABI", &names::osabi(id[header::EI_OSABI]))?;
    field(out, "ABI Version", &id[header::EI_ABIVERSION].to_string())?;
    field(out, "Type", &file_type(img))?;
    field(out, "Machine", &names::machine(h.e_machine))?;
    field(out, "Version", &format!("{:#x}", h.e_version))?;
    field(out, "Entry point address", &format!("{:#x}", h.e_entry))?;
    field(
        out,
        "Start of program headers",
        &format!("{} (bytes into file)", h.e_phoff),
    )?;
    field(
        out,
        "Start of section headers",
        &format!("{} (bytes into file)", h.e_shoff),
    )?;
    field(out, "Flags", &format!("{:#x}", h.e_flags))?;
    field(out, "Size of this header", &format!("{} (bytes)", h.e_ehsize))?;
    field(out, "Size of program headers", &format!("{} (bytes)", h.e_phentsize))?;
    let phnum = match (h.e_phnum, img.shdrs.first()) {
        (0xffff, Some(s)) if s.sh_info != 0 => format!("{} ({})", h.e_phnum, s.sh_info),
        (n, _) => n.to_string(),
    };
    field(out, "Number of program headers", &phnum)?;
    field(out, "Size of section headers", &format!("{} (bytes)", h.e_shentsize))?;
    let shnum = match (h.e_shnum, img.shdrs.len()) {
        (0, n) if n > 0 => format!("0 ({n})"),
        (n, _) => n.to_string(),
    };
    field(out, "Number of section headers", &shnum)?;
    let strndx = match (u32::from(h.e_shstrndx), img.shdrs.first()) {
        (goblin::elf::section_header::SHN_XINDEX, Some(s)) => format!("{} ({})", h.e_shstrndx, s.sh_link),
        (i, _) if i != 0 && i as usize >= img.shdrs.len().max(usize::from(h.e_shnum)) => {
            format!("{i} <corrupt: out of range>")
        }
        (i, _) => i.to_string(),
    };
    field(out, "Section header string table index", &strndx)
}

pub fn json(img: &Image) -> Value {
    let h = &img.header;
    let id = &h.e_ident;
    json!({
        "Ident": {
            "Magic": id[..4].to_vec(),
            "Class": { "Name": names::class(id[header::EI_CLASS]), "Value": id[header::EI_CLASS] },
            "DataEncoding": { "Name": names::data(id[header::EI_DATA]), "Value": id[header::EI_DATA] },
            "FileVersion": id[header::EI_VERSION],
            "OS/ABI": { "Name": names::osabi(id[header::EI_OSABI]), "Value": id[header::EI_OSABI] },
            "ABIVersion": id[header::EI_ABIVERSION],
        },
        "Type": { "Name": file_type(img), "Value": h.e_type },
        "Machine": { "Name": names::machine(h.e_machine), "Value": h.e_machine },
        "Version": h.e_version,
        "Entry": h.e_entry,
        "ProgramHeaderOffset": h.e_phoff,
        "SectionHeaderOffset": h.e_shoff,
        "Flags": h.e_flags,
        "HeaderSize": h.e_ehsize,
        "ProgramHeaderEntrySize": h.e_phentsize,
        "ProgramHeaderCount": img.phdrs.len(),
        "SectionHeaderEntrySize": h.e_shentsize,
        "SectionHeaderCount": img.shdrs.len(),
        "StringTableSectionIndex": img.shstrndx,
    })
}
