//! `rtlink inspect`: what readelf, nm and addr2line say about an ELF file, plus a check of the
//! bootstrap layout.
//!
//! Each view lives in its own module; this one parses the command line, opens the file (each
//! member in turn for an archive, headed `File: lib.a(member.o)` as readelf does), runs the
//! view on a buffered stdout, and turns what went wrong into the exit status: 1 when the file
//! is damaged (its problems are reported after the sound parts are printed), when it has a
//! bootstrap layout that is broken, or, with `--check`, when a requirement is unmet (what is
//! required is `require.rs`'s business: the layout by default, `--require` lists otherwise). A reader that goes away early (`rtlink inspect … | head`)
//! ends the output quietly with status 0, as it does for binutils.
mod addr;
mod bootstrap;
mod demangle;
mod disasm;
mod dwarf;
pub mod fuzz;
mod hardening;
mod image;
mod linkage;
mod nm;
mod owner;
mod readelf;
mod require;
mod size;
mod summary;
mod symbols;

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Parser;
use serde_json::{json, Value};

use bootstrap::Verdict;
use hardening::Item;
use image::Image;
use require::{Demands, Requirement};
use summary::Summary;

#[derive(clap::Args)]
#[command(disable_help_flag = true)]
pub struct InspectArgs {
    /// The ELF file: an executable (rtlink's, Go's, C's), a shared object, an object file or an
    /// archive of objects.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Check the file instead of showing it: no output and exit 0 when every requirement is
    /// met; each unmet one on stderr and exit 1 otherwise (for Makefiles and CI). Without
    /// --require the requirement is the bootstrap layout.
    #[arg(long, conflicts_with_all = ["json", "size"])]
    pub check: bool,
    /// With --check: require exactly these instead of the bootstrap layout, comma-separated
    /// (`--check --require all` works on any executable, rtlink's or not; add `bootstrap` to
    /// check the layout too).
    #[arg(long, value_delimiter = ',', requires = "check", value_name = "ITEM,...")]
    pub require: Vec<Requirement>,
    /// Show the bytes by section and by owner (runtime, user, library) instead of the summary.
    #[arg(long)]
    pub size: bool,
    /// Print the view as JSON (an array with one object per file or archive member).
    #[arg(long)]
    pub json: bool,
    /// Show the ELF file header, as `readelf -h`.
    #[arg(short = 'h', long = "file-header")]
    pub file_header: bool,
    /// Show the section headers, as `readelf -S`.
    #[arg(short = 'S', long = "sections", alias = "section-headers")]
    pub sections: bool,
    /// Show the program headers and the section-to-segment mapping, as `readelf -l`.
    #[arg(short = 'l', long = "segments", alias = "program-headers")]
    pub segments: bool,
    /// Show the symbol tables, as `readelf -s`.
    #[arg(short = 's', long = "symbols", alias = "syms")]
    pub symbols: bool,
    /// Show the notes, as `readelf -n`.
    #[arg(short = 'n', long = "notes")]
    pub notes: bool,
    /// Accepted for readelf compatibility: the readelf views are always wide.
    #[arg(short = 'W', long = "wide")]
    pub wide: bool,
    /// Answer like `addr2line -f`: the function and file:line of each address (hex).
    #[arg(long, value_name = "ADDR", num_args = 1..)]
    pub addr: Vec<String>,
    /// With --addr: also show the inlined calls enclosing each address (addr2line -i).
    #[arg(long, requires = "addr")]
    pub inlines: bool,
    /// With --addr: demangle C++ and Rust function names (addr2line -C).
    #[arg(long, requires = "addr")]
    pub demangle: bool,
    /// Disassemble a function (default: the one at the entry point), like objdump -d.
    #[arg(long, value_name = "SYMBOL", num_args = 0..=1, default_missing_value = "")]
    pub disassemble: Option<String>,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// List symbols exactly as GNU nm does: everything after --nm is nm's options and files
    /// (`rtlink inspect --nm -n -S app`); `--nm --help` lists the options.
    #[arg(long, num_args = 0.., allow_hyphen_values = true, value_name = "NM-OPTIONS")]
    pub nm: Option<Vec<String>>,
}

/// `file:line` (file name only) of `offset` in an object file, given its DWARF sections with
/// relocations applied; for build errors. None when there is no line for it.
pub fn line_in_object(data: &[u8], debug_sections: Vec<(String, Vec<u8>)>, offset: u64) -> Option<String> {
    let img = Image::parse(Path::new("object"), data).ok()?;
    let sections = dwarf::Inflated::from_sections(debug_sections);
    let debug = dwarf::Debug::load_relocated(&img, &sections).ok()??;
    debug.location(offset, true)
}

impl InspectArgs {
    fn views(&self) -> readelf::Views {
        readelf::Views {
            header: self.file_header,
            sections: self.sections,
            segments: self.segments,
            symbols: self.symbols,
            notes: self.notes,
        }
    }
}

pub fn run(args: &InspectArgs) -> Result<()> {
    let mut out = BufWriter::new(io::stdout().lock());
    let result = match (&args.nm, &args.file) {
        (Some(nm_args), file) => run_nm(nm_args, file.as_ref(), args.json, &mut out),
        (None, Some(file)) => run_views(args, file, &mut out),
        (None, None) => bail!("no file to inspect: give an ELF file (rtlink inspect FILE)"),
    };
    let result = result.and_then(|()| Ok(out.flush()?));
    match result {
        Err(e)
            if e.downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe) =>
        {
            Ok(())
        }
        r => r,
    }
}

/// What one file (or archive member) contributed to the exit status.
#[derive(Default)]
struct Outcome {
    problems: Vec<String>,
    broken_layout: bool,
    /// Why `--check` found nothing to check.
    unchecked: Option<String>,
    /// The hardening items `--check --require` found missing.
    missing: Vec<Item>,
}

fn run_views(args: &InspectArgs, path: &Path, out: &mut impl Write) -> Result<()> {
    let bytes = image::read(path)?;
    let parts: Vec<(PathBuf, &[u8], bool)> = if crate::archive::is_archive(&bytes) {
        let members = crate::archive::members(path, &bytes)?;
        if members.is_empty() {
            bail!("{}: an empty archive: no members to inspect", path.display());
        }
        (members.into_iter())
            .map(|(m, data)| (PathBuf::from(format!("{}({m})", path.display())), data, true))
            .collect()
    } else {
        vec![(path.to_path_buf(), &bytes[..], false)]
    };
    let mut outcome = Outcome::default();
    let demands = Demands::new(&args.require);
    let mut docs = Vec::new();
    for (name, data, member) in parts {
        if member && !args.json && !args.check {
            write!(out, "\nFile: {}\n", name.display())?;
        }
        let img = match Image::parse(&name, data) {
            Ok(img) => img,
            Err(e) if member => {
                outcome.problems.push(format!("{e:#}"));
                continue;
            }
            Err(e) => return Err(e),
        };
        let inflated = dwarf::Inflated::new(&img);
        let debug = match inflated
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|i| dwarf::Debug::load(&img, i))
        {
            Ok(d) => d,
            Err(_) if args.addr.is_empty() && img.header.e_type == goblin::elf::header::ET_REL => None,
            Err(e) if args.addr.is_empty() => {
                outcome.problems.push(format!("{}: DWARF: {e}", name.display()));
                None
            }
            Err(e) => bail!("{}: {e}", name.display()),
        };
        let summary = Summary::new(&name, &img, debug.as_ref());
        let views = args.views();
        if let Some(name) = &args.disassemble {
            let listing = disasm::listing(&img, &summary.syms, Some(name.as_str()).filter(|n| !n.is_empty()))?;
            if args.json {
                docs.push(with_summary(&summary, "Disassembly", disasm::json(&listing)));
            } else {
                disasm::write(&img, &listing, out)?;
            }
        } else if !args.addr.is_empty() {
            let addrs = args.addr.iter().map(|a| addr::parse(a)).collect::<Result<Vec<_>>>()?;
            let opts = addr::Options {
                inlines: args.inlines,
                demangle: args.demangle,
            };
            let answers = addr::answers(&img, debug.as_ref(), &addrs, &opts)?;
            if args.json {
                docs.push(with_summary(&summary, "Addresses", addr::json(&answers)));
            } else {
                addr::write(&answers, out)?;
            }
        } else if args.check {
            if demands.bootstrap {
                if let Verdict::NotApplicable(why) = &summary.verdict {
                    outcome.unchecked = Some(why.clone());
                }
                if !matches!(summary.verdict, Verdict::Ok(..)) {
                    summary.write_text(&mut io::stderr())?;
                }
            }
            for (item, why) in demands.unmet(&summary.hardening) {
                eprintln!("rtlink: {}: {}: {why}", name.display(), item.name());
                if !outcome.missing.contains(&item) {
                    outcome.missing.push(item);
                }
            }
        } else if args.json {
            docs.push(json_doc(args, &summary));
        } else if views.any() {
            readelf::write(&img, views, out)?;
        } else if args.size {
            size::Sizes::new(&img, &summary.syms, summary.main_pc.as_ref().map(|(l, _)| *l)).write_text(out)?;
        } else {
            summary.write_text(out)?;
        }
        outcome.broken_layout |= (!args.check || demands.bootstrap) && matches!(summary.verdict, Verdict::Failed(..));
        outcome
            .problems
            .extend(img.problems.iter().map(|p| format!("{}: {p}", name.display())));
    }
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &Value::Array(docs))?;
        writeln!(out)?;
    }
    out.flush()?;
    let file = path.display();
    if !outcome.problems.is_empty() {
        outcome.problems.iter().for_each(|p| eprintln!("rtlink: {p}"));
        bail!("{file}: the file is damaged; the output above shows only its sound parts");
    }
    if let Some(why) = outcome.unchecked {
        bail!("{file}: no bootstrap layout to check: {why}");
    }
    if outcome.broken_layout {
        bail!(
            "{file}: the bootstrap layout is broken{}",
            if args.check { "" } else { " (see above)" }
        );
    }
    if !outcome.missing.is_empty() {
        let names: Vec<&str> = outcome.missing.iter().map(|i| i.name()).collect();
        bail!("{file}: required hardening missing: {}", names.join(", "));
    }
    Ok(())
}

/// A JSON document with the file summary and one view under `key`.
fn with_summary(summary: &Summary, key: &str, view: Value) -> Value {
    let mut doc = file_summary(summary);
    doc[key] = view;
    doc
}

/// llvm-readobj's `FileSummary` object for one file.
fn file_summary(summary: &Summary) -> Value {
    let img = summary.img;
    let machine = match img.header.e_machine {
        goblin::elf::header::EM_X86_64 => "x86_64".to_string(),
        goblin::elf::header::EM_386 => "i386".to_string(),
        goblin::elf::header::EM_AARCH64 => "aarch64".to_string(),
        m => format!("unknown({m})"),
    };
    let bits = if img.is_64 { 64 } else { 32 };
    let format = format!("elf{bits}-{}", machine.replace('_', "-"));
    json!({
        "FileSummary": { "File": summary.file, "Format": format, "Arch": machine, "AddressSize": format!("{bits}bit") },
    })
}

/// One file's JSON document, shaped like llvm-readobj's: a `FileSummary` and one key per view.
fn json_doc(args: &InspectArgs, summary: &Summary) -> Value {
    let img = summary.img;
    let mut doc = file_summary(summary);
    let views = args.views();
    if views.any() {
        for (k, v) in readelf::json(img, views) {
            doc[k] = v;
        }
    } else if args.size {
        doc["Size"] = size::Sizes::new(img, &summary.syms, summary.main_pc.as_ref().map(|(l, _)| *l)).to_json();
    } else {
        doc["Summary"] = summary.to_json();
    }
    doc
}

fn run_nm(nm_args: &[String], file: Option<&PathBuf>, json: bool, out: &mut impl Write) -> Result<()> {
    let mut parsed = nm::NmArgs::try_parse_from(nm_args).unwrap_or_else(|e| e.exit());
    parsed.json = json;
    parsed.files.extend(file.cloned());
    if parsed.files.is_empty() {
        parsed.files.push(PathBuf::from("a.out"));
    }
    let errors = nm::run(&parsed, out)?;
    out.flush()?;
    match errors.split_last() {
        None => Ok(()),
        Some((last, rest)) => {
            for e in rest {
                eprintln!("rtlink: {e}");
            }
            bail!("{last}")
        }
    }
}
