//! `-l`/`--segments`: the program headers and the section-to-segment mapping, as
//! `readelf -l -W` prints them.
//!
//! A section belongs to a segment by binutils' `ELF_SECTION_IN_SEGMENT_STRICT` rule, reproduced
//! in `in_segment`: TLS sections only in TLS, LOAD and RELRO segments; non-allocated sections
//! in no loadable segment; file offsets (and, for allocated sections, addresses) inside the
//! segment; no empty section at the edge of a DYNAMIC or NOTE segment; `.tbss` only in TLS.
use std::io::{self, Write};

use goblin::elf::program_header::{self as ph, ProgramHeader};
use goblin::elf::section_header::{SectionHeader, SHF_ALLOC, SHF_TLS, SHT_NOBITS};
use serde_json::{json, Value};

use super::{header, names};
use crate::inspect::image::Image;

fn tbss_special(s: &SectionHeader, p: &ProgramHeader) -> bool {
    s.sh_flags & u64::from(SHF_TLS) != 0 && s.sh_type == SHT_NOBITS && p.p_type != ph::PT_TLS
}

fn in_segment(s: &SectionHeader, p: &ProgramHeader) -> bool {
    let tls = s.sh_flags & u64::from(SHF_TLS) != 0;
    let alloc = s.sh_flags & u64::from(SHF_ALLOC) != 0;
    let nobits = s.sh_type == SHT_NOBITS;
    let size = if tbss_special(s, p) { 0 } else { s.sh_size };
    let kind_ok = if tls {
        matches!(p.p_type, ph::PT_TLS | ph::PT_GNU_RELRO | ph::PT_LOAD)
    } else {
        p.p_type != ph::PT_TLS && p.p_type != ph::PT_PHDR
    };
    let loadable = matches!(
        p.p_type,
        ph::PT_LOAD | ph::PT_DYNAMIC | ph::PT_GNU_EH_FRAME | ph::PT_GNU_STACK | ph::PT_GNU_RELRO | 0x6474_e554
    ) || (0x6474_e555..=0x6474_f554).contains(&p.p_type);
    let offset_ok = nobits
        || (s.sh_offset >= p.p_offset
            && s.sh_offset - p.p_offset <= p.p_filesz.wrapping_sub(1)
            && (s.sh_offset - p.p_offset).saturating_add(size) <= p.p_filesz);
    let addr_ok = !alloc
        || (s.sh_addr >= p.p_vaddr
            && s.sh_addr - p.p_vaddr <= p.p_memsz.wrapping_sub(1)
            && (s.sh_addr - p.p_vaddr).saturating_add(size) <= p.p_memsz);
    let edge_ok = !matches!(p.p_type, ph::PT_DYNAMIC | ph::PT_NOTE)
        || s.sh_size != 0
        || p.p_memsz == 0
        || ((nobits || (s.sh_offset > p.p_offset && s.sh_offset - p.p_offset < p.p_filesz))
            && (!alloc || (s.sh_addr > p.p_vaddr && s.sh_addr - p.p_vaddr < p.p_memsz)));
    kind_ok && (alloc || !loadable) && offset_ok && addr_ok && edge_ok
}

fn flags(f: u32) -> String {
    let c = |bit: u32, ch: char| if f & bit != 0 { ch } else { ' ' };
    [c(ph::PF_R, 'R'), c(ph::PF_W, 'W'), c(ph::PF_X, 'E')].iter().collect()
}

pub fn write(img: &Image, out: &mut dyn Write, with_header: bool) -> io::Result<()> {
    if img.phdrs.is_empty() {
        return writeln!(out, "\nThere are no program headers in this file.");
    }
    let n = img.phdrs.len();
    if !with_header {
        writeln!(out, "\nElf file type is {}", header::file_type(img))?;
        writeln!(out, "Entry point {:#x}", img.header.e_entry)?;
        writeln!(
            out,
            "There {} {n} program header{}, starting at offset {}",
            if n == 1 { "is" } else { "are" },
            if n == 1 { "" } else { "s" },
            img.header.e_phoff
        )?;
    }
    writeln!(out, "\nProgram Headers:")?;
    if img.is_64 {
        writeln!(
            out,
            "  Type           Offset   VirtAddr           PhysAddr           FileSiz  MemSiz   Flg Align"
        )?;
    } else {
        writeln!(
            out,
            "  Type           Offset   VirtAddr   PhysAddr   FileSiz MemSiz  Flg Align"
        )?;
    }
    for p in &img.phdrs {
        let ty = names::segment_type(p.p_type);
        // readelf's widths: addresses 16 or 8 digits, sizes 6 or 5, all with 0x.
        let (a, z) = if img.is_64 { (18, 8) } else { (10, 7) };
        writeln!(
            out,
            "  {ty:<14} {:#08x} {:#0a$x} {:#0a$x} {:#0z$x} {:#0z$x} {} {:#x}",
            p.p_offset,
            p.p_vaddr,
            p.p_paddr,
            p.p_filesz,
            p.p_memsz,
            flags(p.p_flags),
            p.p_align
        )?;
        if p.p_type == ph::PT_INTERP {
            if let Some(interp) = img.interpreter {
                writeln!(out, "      [Requesting program interpreter: {interp}]")?;
            }
        }
    }
    if img.shdrs.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n Section to Segment mapping:")?;
    writeln!(out, "  Segment Sections...")?;
    for (i, p) in img.phdrs.iter().enumerate() {
        write!(out, "   {i:02}     ")?;
        for (j, s) in img.shdrs.iter().enumerate().skip(1) {
            if !tbss_special(s, p) && in_segment(s, p) {
                write!(out, "{} ", img.section_name(j))?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

pub fn json(img: &Image) -> Value {
    let segments: Vec<Value> = (img.phdrs.iter())
        .map(|p| {
            let sections: Vec<&str> = (img.shdrs.iter().enumerate().skip(1))
                .filter(|(_, s)| !tbss_special(s, p) && in_segment(s, p))
                .map(|(j, _)| img.section_name(j))
                .collect();
            json!({
                "Type": { "Name": names::segment_type(p.p_type), "Value": p.p_type },
                "Offset": p.p_offset,
                "VirtualAddress": p.p_vaddr,
                "PhysicalAddress": p.p_paddr,
                "FileSize": p.p_filesz,
                "MemSize": p.p_memsz,
                "Flags": { "Flags": flags(p.p_flags).replace(' ', ""), "Value": p.p_flags },
                "Alignment": p.p_align,
                "Sections": sections,
            })
        })
        .collect();
    Value::Array(segments)
}
