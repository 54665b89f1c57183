//! `rtlink inspect --nm [OPTIONS] FILE...`: GNU nm's listing, options and defaults.
//!
//! The output is byte-for-byte `LC_ALL=C nm [OPTIONS] FILE...` for the options below (the
//! tests diff the two). Symbols come from `symbols::table`, so the letters are BFD's; this
//! module only filters, sorts and formats, following nm's rules:
//! - the default order is by name; `-n` by address, `-p` table order, `-r` reverses either
//!   (sorts are stable, so equal symbols stay in table order);
//! - sorting happens on the raw names, before `-C` demangles them;
//! - values are padded to the address width (16 or 8 digits) in the `-t` radix, except in the
//!   POSIX format; a size is printed only when it is not zero;
//! - with several files, each list is headed by the file's name;
//! - `-l` adds `file:line` to code symbols in the BSD format: the declaration of the DWARF
//!   function containing the symbol, else the line table's row (data symbols, which nm places
//!   through DWARF variables, and undefined ones, through relocations, get none).
use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, ValueEnum};

use goblin::elf::section_header::SHF_EXECINSTR;

use super::demangle::demangle;
use super::dwarf;
use super::image::{self, Image};
use super::symbols::{self, Symbol, SHN_ABS, SHN_COMMON, SHN_UNDEF};

#[derive(Parser, Debug)]
#[command(name = "rtlink inspect --nm", no_binary_name = true, disable_version_flag = true)]
pub struct NmArgs {
    /// Display debugger-only symbols (section and file symbols).
    #[arg(short = 'a', long = "debug-syms")]
    debug_syms: bool,
    /// Print the input file's name before every symbol.
    #[arg(short = 'A', short_alias = 'o', long = "print-file-name")]
    print_file_name: bool,
    /// Decode C++ and Rust symbol names.
    #[arg(short = 'C', long = "demangle", overrides_with = "no_demangle")]
    demangle: bool,
    /// Do not demangle (the default).
    #[arg(long = "no-demangle")]
    no_demangle: bool,
    /// Output format.
    #[arg(short = 'f', long = "format", value_enum, default_value = "bsd")]
    format: Format,
    /// Same as --format=bsd.
    #[arg(short = 'B')]
    bsd: bool,
    /// Same as --format=posix.
    #[arg(short = 'P', long = "portability")]
    posix: bool,
    /// Same as --format=just-symbols.
    #[arg(short = 'j', long = "just-symbols")]
    just_symbols: bool,
    /// Display only external symbols.
    #[arg(short = 'g', long = "extern-only")]
    extern_only: bool,
    /// Sort symbols by address.
    #[arg(short = 'n', short_alias = 'v', long = "numeric-sort")]
    numeric_sort: bool,
    /// Do not sort the symbols.
    #[arg(short = 'p', long = "no-sort")]
    no_sort: bool,
    /// Reverse the sense of the sort.
    #[arg(short = 'r', long = "reverse-sort")]
    reverse_sort: bool,
    /// Print the size of defined symbols.
    #[arg(short = 'S', long = "print-size")]
    print_size: bool,
    /// Radix for symbol values.
    #[arg(short = 't', long = "radix", value_enum, default_value = "x")]
    radix: Radix,
    /// Display only undefined symbols.
    #[arg(short = 'u', long = "undefined-only")]
    undefined_only: bool,
    /// Display only defined symbols.
    #[arg(short = 'U', long = "defined-only")]
    defined_only: bool,
    /// Ignore weak symbols.
    #[arg(short = 'W', long = "no-weak")]
    no_weak: bool,
    /// Suppress the "no symbols" diagnostic.
    #[arg(long)]
    quiet: bool,
    /// Add the file:line of each code symbol, from DWARF.
    #[arg(short = 'l', long = "line-numbers")]
    line_numbers: bool,
    /// The ELF files.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print JSON instead (set from `rtlink inspect --json`).
    #[arg(skip)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Bsd,
    Sysv,
    Posix,
    JustSymbols,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Radix {
    #[value(name = "x")]
    Hex,
    #[value(name = "d")]
    Dec,
    #[value(name = "o")]
    Oct,
}

impl NmArgs {
    fn format(&self) -> Format {
        match (self.bsd, self.posix, self.just_symbols) {
            (true, _, _) => Format::Bsd,
            (_, true, _) => Format::Posix,
            (_, _, true) => Format::JustSymbols,
            _ => self.format,
        }
    }

    fn keep(&self, s: &Symbol) -> bool {
        let weak = s.bind == goblin::elf::sym::STB_WEAK;
        let external = s.bind != goblin::elf::sym::STB_LOCAL || s.undefined() || s.shndx == SHN_COMMON;
        if self.undefined_only && !s.undefined() || self.defined_only && s.undefined() {
            return false;
        }
        !(self.extern_only && !external || self.no_weak && weak)
    }
}

/// How one list is labelled: the header line's name and the `-A` prefix's name.
struct Unit {
    /// `file`, or for an archive member `member` (BSD) / `archive[member]` (POSIX, SysV).
    header: String,
    /// Whether the header is printed at all (several files, or an archive member).
    headed: bool,
    /// `file`, `archive:member` (BSD) or `archive[member]` (POSIX).
    prefix: String,
}

/// Lists every file's symbols, each archive member in turn. Files that cannot be read are
/// reported and skipped, as nm does, and make the command fail at the end.
pub fn run(args: &NmArgs, out: &mut impl Write) -> Result<Vec<String>> {
    let mut errors = Vec::new();
    let mut docs = Vec::new();
    let several = args.files.len() > 1;
    let format = args.format();
    for path in &args.files {
        let bytes = match image::read(path) {
            Ok(b) => b,
            Err(e) => {
                errors.push(format!("{e:#}"));
                continue;
            }
        };
        let name = path.display().to_string();
        let units = if crate::archive::is_archive(&bytes) {
            if several && format == Format::Bsd {
                write!(out, "\n{name}:\n")?;
            }
            let members = match crate::archive::members(path, &bytes) {
                Ok(m) => m,
                Err(e) => {
                    errors.push(format!("{e:#}"));
                    continue;
                }
            };
            (members.into_iter())
                .map(|(m, data)| {
                    let bracketed = format!("{name}[{m}]");
                    let (header, prefix) = match format {
                        Format::Bsd | Format::JustSymbols => (m.clone(), format!("{name}:{m}")),
                        _ => (bracketed.clone(), bracketed),
                    };
                    (
                        PathBuf::from(format!("{name}({m})")),
                        data,
                        Unit {
                            header,
                            headed: true,
                            prefix,
                        },
                    )
                })
                .collect()
        } else {
            let unit = Unit {
                header: name.clone(),
                headed: several,
                prefix: name.clone(),
            };
            vec![(path.clone(), &bytes[..], unit)]
        };
        for (label, data, unit) in units {
            let img = match Image::parse(&label, data) {
                Ok(i) => i,
                Err(e) => {
                    errors.push(format!("{e:#}"));
                    continue;
                }
            };
            let syms = selected(args, &img);
            if img.symtab.is_none() && !args.quiet {
                eprintln!("rtlink: {}: no symbols", label.display());
            }
            let inflated = if args.line_numbers {
                dwarf::Inflated::new(&img).unwrap_or_default()
            } else {
                Default::default()
            };
            let debug = if args.line_numbers {
                dwarf::Debug::load(&img, &inflated).ok().flatten()
            } else {
                None
            };
            let mut decls = debug.as_ref().map(|d| d.declarations()).unwrap_or_default();
            decls.sort_by_key(|(r, _)| r.begin);
            let line_of = |addr: u64| {
                // The last function starting at or below addr, if its range covers it.
                let i = decls.partition_point(|(r, _)| r.begin <= addr);
                let decl = i
                    .checked_sub(1)
                    .map(|i| &decls[i])
                    .filter(|(r, _)| addr < r.end)
                    .map(|(_, l)| l.clone());
                decl.or_else(|| debug.as_ref()?.location(addr, false))
            };
            let lines: Option<&dyn Fn(u64) -> Option<String>> = debug.is_some().then_some(&line_of);
            if args.json {
                docs.push(json_list(args, &label.display().to_string(), &syms, lines));
            } else {
                write_list(out, args, &img, &unit, &syms, lines)?;
            }
            errors.extend(img.problems.iter().map(|p| format!("{}: {p}", label.display())));
        }
    }
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &serde_json::Value::Array(docs))?;
        writeln!(out)?;
    }
    Ok(errors)
}

/// One file's symbols as JSON: name (demangled with -C), value, size, nm's letter, and the
/// source line with -l.
fn json_list(
    args: &NmArgs,
    file: &str,
    syms: &[Symbol],
    lines: Option<&dyn Fn(u64) -> Option<String>>,
) -> serde_json::Value {
    let list: Vec<serde_json::Value> = (syms.iter())
        .map(|s| {
            let name = if args.demangle { demangle(s.name) } else { s.name.into() };
            let line = lines.filter(|_| !s.undefined()).and_then(|f| f(s.value));
            serde_json::json!({ "Name": name, "Value": s.value, "Size": s.size, "Type": s.letter.to_string(), "Line": line })
        })
        .collect();
    serde_json::json!({ "File": file, "Symbols": list })
}

/// One file's listing, headed as nm heads a single file: the sorted, filtered symbols.
pub fn write_image(args: &NmArgs, img: &Image, name: &str, out: &mut impl Write) -> io::Result<()> {
    let unit = Unit {
        header: name.to_string(),
        headed: false,
        prefix: name.to_string(),
    };
    write_list(out, args, img, &unit, &selected(args, img), None)
}

/// The symbols nm would list for `args`, in its order.
fn selected<'a>(args: &NmArgs, img: &Image<'a>) -> Vec<Symbol<'a>> {
    let mut syms: Vec<Symbol> = (symbols::table(img, args.debug_syms).into_iter())
        .filter(|s| args.keep(s))
        .collect();
    if !args.no_sort {
        let order = if args.numeric_sort {
            symbols::by_address
        } else {
            symbols::by_name
        };
        syms.sort_by(|a, b| if args.reverse_sort { order(b, a) } else { order(a, b) });
    }
    syms
}

fn write_list(
    out: &mut impl Write,
    args: &NmArgs,
    img: &Image,
    unit: &Unit,
    syms: &[Symbol],
    lines: Option<&dyn Fn(u64) -> Option<String>>,
) -> io::Result<()> {
    let format = args.format();
    let name = &unit.header;
    match format {
        Format::Sysv => {
            let what = if args.undefined_only {
                "Undefined symbols"
            } else {
                "Symbols"
            };
            write!(out, "\n\n{what} from {name}:\n\n")?;
            if img.is_64 {
                write!(out, "Name                  Value           Class        Type         Size             Line  Section\n\n")?;
            } else {
                write!(
                    out,
                    "Name                  Value   Class        Type         Size     Line  Section\n\n"
                )?;
            }
        }
        Format::Bsd if unit.headed && !args.print_file_name => write!(out, "\n{name}:\n")?,
        Format::Posix if unit.headed && !args.print_file_name => writeln!(out, "{name}:")?,
        _ => {}
    }
    let width = if img.is_64 { 16 } else { 8 };
    let value = |v: u64, padded: bool| match (args.radix, padded) {
        (Radix::Hex, true) => format!("{v:0width$x}"),
        (Radix::Dec, true) => format!("{v:0width$}"),
        (Radix::Oct, true) => format!("{v:0width$o}"),
        (Radix::Hex, false) => format!("{v:x}"),
        (Radix::Dec, false) => format!("{v}"),
        (Radix::Oct, false) => format!("{v:o}"),
    };
    let blank = " ".repeat(width);
    for s in syms {
        let shown = if args.demangle { demangle(s.name) } else { s.name.into() };
        if args.print_file_name {
            match format {
                Format::Posix => write!(out, "{}: ", unit.prefix)?,
                _ => write!(out, "{}:", unit.prefix)?,
            }
        }
        match format {
            Format::JustSymbols => writeln!(out, "{shown}")?,
            Format::Bsd => {
                if s.undefined() {
                    write!(out, "{blank}")?;
                } else {
                    write!(out, "{}", value(s.value, true))?;
                    if args.print_size && s.size != 0 {
                        write!(out, " {}", value(s.size, true))?;
                    }
                }
                write!(out, " {} {shown}", s.letter)?;
                let code = (img.shdrs.get(s.shndx)).is_some_and(|sh| sh.sh_flags & u64::from(SHF_EXECINSTR) != 0);
                match lines
                    .filter(|_| code && !s.undefined())
                    .and_then(|line_of| line_of(s.value))
                {
                    Some(at) => writeln!(out, "\t{at}")?,
                    None => writeln!(out)?,
                }
            }
            Format::Posix => {
                write!(out, "{shown} {} ", s.letter)?;
                if s.undefined() {
                    writeln!(out, "        ")?;
                } else if s.size != 0 {
                    writeln!(out, "{} {}", value(s.value, false), value(s.size, false))?;
                } else {
                    writeln!(out, "{} ", value(s.value, false))?;
                }
            }
            Format::Sysv => {
                let v = if s.undefined() {
                    blank.clone()
                } else {
                    value(s.value, true)
                };
                write!(out, "{shown:<20}|{v}|   {}  |", s.letter)?;
                if s.kind == goblin::elf::sym::STT_SECTION {
                    writeln!(out, "{:18}|{blank}|     |", "")?;
                } else {
                    let size = if s.size != 0 {
                        value(s.size, true)
                    } else {
                        blank.clone()
                    };
                    writeln!(out, "{:>18}|{size}|     |{}", type_name(s.kind), section(img, s.shndx))?;
                }
            }
        }
    }
    Ok(())
}

/// nm's name for an ELF symbol type in the SysV format.
fn type_name(kind: u8) -> String {
    use goblin::elf::sym::*;
    match kind {
        STT_NOTYPE => "NOTYPE".into(),
        STT_OBJECT => "OBJECT".into(),
        STT_FUNC => "FUNC".into(),
        STT_SECTION => "SECTION".into(),
        STT_FILE => "FILE".into(),
        STT_COMMON => "COMMON".into(),
        STT_TLS => "TLS".into(),
        13..=15 => format!("<processor specific>: {kind}"),
        10..=12 => format!("<OS specific>: {kind}"),
        _ => format!("<unknown>: {kind}"),
    }
}

/// BFD's name for the section a symbol is in.
fn section<'a>(img: &Image<'a>, shndx: usize) -> &'a str {
    match shndx {
        SHN_UNDEF => "*UND*",
        SHN_ABS => "*ABS*",
        SHN_COMMON => "*COM*",
        i => img.section_name(i),
    }
}
