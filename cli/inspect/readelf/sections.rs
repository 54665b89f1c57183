//! `-S`/`--sections`: the section header table as `readelf -S -W` prints it.
use std::io::{self, Write};

use goblin::elf::header::EM_X86_64;
use serde_json::{json, Value};

use super::names;
use crate::inspect::image::Image;

/// readelf's letters for the flag bits, lowest bit first.
fn flags(f: u64, machine: u16) -> String {
    const LETTERS: [(u64, char); 13] = [
        (0x1, 'W'),
        (0x2, 'A'),
        (0x4, 'X'),
        (0x10, 'M'),
        (0x20, 'S'),
        (0x40, 'I'),
        (0x80, 'L'),
        (0x100, 'O'),
        (0x200, 'G'),
        (0x400, 'T'),
        (0x800, 'C'),
        (0x0020_0000, 'R'),
        (0x8000_0000, 'E'),
    ];
    let mut s = String::new();
    let mut left = f;
    for (bit, c) in LETTERS {
        if f & bit != 0 {
            s.push(c);
            left &= !bit;
        }
    }
    if machine == EM_X86_64 && left & 0x1000_0000 != 0 {
        s.push('l');
        left &= !0x1000_0000;
    }
    if left & 0x0ff0_0000 != 0 {
        s.push('o');
    }
    if left & 0xf000_0000 != 0 {
        s.push('p');
    }
    if left & !0xfff0_0000 != 0 {
        s.push('x');
    }
    s
}

/// The intro line readelf prints when -h has not already shown the counts.
pub fn intro(img: &Image) -> String {
    let n = img.shdrs.len();
    format!(
        "There {} {n} section header{}, starting at offset {:#x}:\n",
        if n == 1 { "is" } else { "are" },
        if n == 1 { "" } else { "s" },
        img.header.e_shoff
    )
}

pub fn write(img: &Image, out: &mut dyn Write, with_header: bool) -> io::Result<()> {
    if img.shdrs.is_empty() {
        return writeln!(out, "\nThere are no sections in this file.");
    }
    if !with_header {
        write!(out, "{}", intro(img))?;
    }
    let machine = img.header.e_machine;
    writeln!(out, "\nSection Header{}:", if img.shdrs.len() == 1 { "" } else { "s" })?;
    if img.is_64 {
        writeln!(
            out,
            "  [Nr] Name              Type            Address          Off    Size   ES Flg Lk Inf Al"
        )?;
    } else {
        writeln!(
            out,
            "  [Nr] Name              Type            Addr     Off    Size   ES Flg Lk Inf Al"
        )?;
    }
    for (i, s) in img.shdrs.iter().enumerate() {
        let name = if i == 0 { "" } else { img.section_name(i) };
        let ty = names::section_type(s.sh_type, machine);
        let addr = if img.is_64 {
            format!("{:016x}", s.sh_addr)
        } else {
            format!("{:08x}", s.sh_addr)
        };
        writeln!(
            out,
            "  [{i:2}] {name:<17} {ty:<15} {addr} {:06x} {:06x} {:02x} {:>3} {:2} {:3} {:2}",
            s.sh_offset,
            s.sh_size,
            s.sh_entsize,
            flags(s.sh_flags, machine),
            s.sh_link,
            s.sh_info,
            s.sh_addralign
        )?;
    }
    writeln!(out, "Key to Flags:")?;
    writeln!(
        out,
        "  W (write), A (alloc), X (execute), M (merge), S (strings), I (info),"
    )?;
    writeln!(
        out,
        "  L (link order), O (extra OS processing required), G (group), T (TLS),"
    )?;
    writeln!(out, "  C (compressed), x (unknown), o (OS specific), E (exclude),")?;
    let os = match img.header.e_ident[goblin::elf::header::EI_OSABI] {
        3 | 9 => "R (retain), D (mbind), ",
        0 => "D (mbind), ",
        _ => "",
    };
    let arch = match machine {
        EM_X86_64 => "l (large), ",
        goblin::elf::header::EM_ARM => "y (purecode), ",
        goblin::elf::header::EM_PPC => "v (VLE), ",
        _ => "",
    };
    writeln!(out, "  {os}{arch}p (processor specific)")
}

pub fn json(img: &Image) -> Value {
    let machine = img.header.e_machine;
    let sections: Vec<Value> = (img.shdrs.iter().enumerate())
        .map(|(i, s)| {
            json!({
                "Index": i,
                "Name": { "Name": if i == 0 { "" } else { img.section_name(i) }, "Value": s.sh_name },
                "Type": { "Name": names::section_type(s.sh_type, machine), "Value": s.sh_type },
                "Flags": { "Flags": flags(s.sh_flags, machine), "Value": s.sh_flags },
                "Address": s.sh_addr,
                "Offset": s.sh_offset,
                "Size": s.sh_size,
                "Link": s.sh_link,
                "Info": s.sh_info,
                "AddressAlignment": s.sh_addralign,
                "EntrySize": s.sh_entsize,
            })
        })
        .collect();
    Value::Array(sections)
}
