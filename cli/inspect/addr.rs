//! `rtlink inspect FILE --addr ADDR...`: what `addr2line -f -e FILE ADDR...` answers, with
//! `--inlines` for `-i` and `--demangle` for `-C`.
//!
//! Each address gets a function line and a `file:line` line. The function follows BFD: the
//! innermost DWARF function's name when BFD takes it as final (a mangled linkage name, or any
//! name in C or assembly), else the ELF function symbol at or below the address (its size is
//! not checked, as in BFD), else DWARF's name. The location is DWARF's. With `--inlines`, each enclosing inlined call follows: the caller's name and the
//! call site. Unknown parts print as addr2line prints them: `??`, `??:0` when nothing is known,
//! `??:?` (or `file.c:?` from the symbol table's file symbol) when only the function is.
//! Not reproduced: GNU's ` (discriminator N)` after a line.
use std::io::Write;

use serde_json::{json, Value};

use anyhow::{bail, Result};
use goblin::elf::section_header::SHF_ALLOC;
use goblin::elf::sym::{Sym, STB_LOCAL, STT_FILE, STT_FUNC, STT_NOTYPE};

use super::demangle::demangle;
use super::dwarf::Debug;
use super::image::Image;

/// Parses an address as addr2line does: hex, with or without `0x`.
pub fn parse(s: &str) -> Result<u64> {
    let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    match u64::from_str_radix(digits, 16) {
        Ok(a) => Ok(a),
        Err(_) => bail!("{s:?} is not an address (give it in hex, like 0x401000)"),
    }
}

/// The last function symbol at or below `addr` in the section holding it (of several at one
/// address, the largest, then the first), and the source file BFD attributes to it: the nearest FILE symbol
/// before it, for a local symbol, or for any symbol when no FILE symbol follows another symbol
/// (Go's single leading one).
fn containing_symbol<'a>(img: &Image<'a>, addr: u64) -> Option<(&'a str, Option<&'a str>)> {
    let table = img.symtab.as_ref().or(img.dynsym.as_ref())?;
    let section = (img.shdrs.iter())
        .position(|s| s.sh_flags & u64::from(SHF_ALLOC) != 0 && s.sh_addr <= addr && addr - s.sh_addr < s.sh_size)?;
    let mut best: Option<((u64, u64), &Sym, Option<&Sym>)> = None;
    let (mut file, mut symbol_seen, mut file_after_symbol) = (None, false, false);
    for s in table.syms.iter().skip(1) {
        if s.st_type() == STT_FILE {
            file = Some(s);
            file_after_symbol |= symbol_seen;
            continue;
        }
        symbol_seen = true;
        let code = matches!(s.st_type(), STT_FUNC | STT_NOTYPE) && s.st_shndx == section;
        let named = table.name(s).is_some_and(|n| !n.is_empty());
        let key = (s.st_value, s.st_size.max(1));
        if code && s.st_value <= addr && named && best.is_none_or(|(k, _, _)| key > k) {
            let file = file.filter(|_| s.st_bind() == STB_LOCAL || !file_after_symbol);
            best = Some((key, s, file));
        }
    }
    let (_, sym, file) = best?;
    let file = file.and_then(|f| table.name(f)).filter(|n| !n.is_empty());
    Some((table.name(sym)?, file))
}

pub struct Options {
    pub inlines: bool,
    pub demangle: bool,
}

/// The answer for one address: (function, location) pairs, the first for the address itself,
/// then one per enclosing inlined call when asked for.
pub struct Answer {
    pub addr: u64,
    pub frames: Vec<(String, String)>,
}

pub fn answers(img: &Image, debug: Option<&Debug>, addrs: &[u64], opts: &Options) -> Result<Vec<Answer>> {
    let show = |name: &str| {
        if opts.demangle {
            demangle(name).into_owned()
        } else {
            name.to_string()
        }
    };
    let loc = |file: Option<&str>, line: Option<u32>| match (file, line) {
        (Some(f), Some(l)) if l > 0 => format!("{f}:{l}"),
        (Some(f), _) => format!("{f}:?"),
        (None, _) => "??:0".to_string(),
    };
    let mut out = Vec::new();
    for &addr in addrs {
        let frames = match debug {
            Some(d) => d.frames(addr).map_err(anyhow::Error::msg)?,
            None => Vec::new(),
        };
        let symbol = containing_symbol(img, addr);
        let first = frames.first();
        let dwarf_name = first.and_then(|f| f.function.as_deref());
        let name = match first {
            Some(f) if f.final_name => dwarf_name,
            _ => symbol.map(|(n, _)| n).or(dwarf_name),
        };
        let mut answer = vec![match first {
            Some(f) if f.file.is_some() => (name.map_or("??".into(), show), loc(f.file.as_deref(), f.line)),
            _ => match (name, symbol.and_then(|(_, file)| file)) {
                (Some(n), file) => (show(n), format!("{}:?", file.unwrap_or("??"))),
                (None, _) => ("??".into(), "??:0".into()),
            },
        }];
        if opts.inlines {
            for f in frames.iter().skip(1) {
                answer.push((
                    f.function.as_deref().map_or("??".into(), show),
                    loc(f.file.as_deref(), f.line),
                ));
            }
        }
        out.push(Answer { addr, frames: answer });
    }
    Ok(out)
}

pub fn write(answers: &[Answer], out: &mut dyn Write) -> Result<()> {
    for (function, location) in answers.iter().flat_map(|a| &a.frames) {
        writeln!(out, "{function}\n{location}")?;
    }
    Ok(())
}

pub fn json(answers: &[Answer]) -> Value {
    let list: Vec<Value> = (answers.iter())
        .map(|a| {
            let frames: Vec<Value> = a
                .frames
                .iter()
                .map(|(f, l)| json!({ "Function": f, "Location": l }))
                .collect();
            json!({ "Address": a.addr, "Frames": frames })
        })
        .collect();
    Value::Array(list)
}
