//! `rtlink inspect FILE`: what readelf and nm say about an ELF file, plus a check of the
//! bootstrap layout.
//!
//! The output is a summary (file, type, entry point and the symbol there, mainPC and what it
//! points at, main, the verdict, the symbol count), a blank line, then the symbols exactly as
//! `LC_ALL=C nm -n` prints them. `--summary` and `--symbols` print one part alone, so the
//! symbol list can be diffed against nm's. The exit status is 1 when the file cannot be read
//! as ELF or when it has a bootstrap layout that is broken; a file that is simply not a
//! self-bootstrapping program (a C binary, an object) is inspected and exits 0.
mod bootstrap;
mod image;
mod symbols;

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::{bail, Result};

use bootstrap::Verdict;
use image::Image;
use symbols::Symbol;

#[derive(clap::Args)]
pub struct InspectArgs {
    /// The ELF file: an executable (rtlink's, Go's, C's), a shared object or an object file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print only the summary.
    #[arg(long, conflicts_with = "symbols")]
    pub summary: bool,
    /// Print only the symbols, in `nm -n` format.
    #[arg(long)]
    pub symbols: bool,
}

pub fn run(args: &InspectArgs) -> Result<()> {
    let bytes = image::read(&args.file)?;
    let img = Image::parse(&args.file, &bytes)?;
    let syms = symbols::sorted(&img);
    let (verdict, main_pc) = bootstrap::check(&img, &syms);
    let out = &mut io::BufWriter::new(io::stdout().lock());
    let written = (|| {
        if !args.symbols {
            summary(out, args, &img, &syms, &verdict, main_pc.as_ref())?;
        }
        if !args.summary {
            if !args.symbols {
                writeln!(out)?;
            }
            symbols::write_nm(out, &syms, img.is_64)?;
        }
        out.flush()
    })();
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
        other => other?,
    }
    if args.symbols && syms.is_empty() {
        eprintln!("rtlink: {}: no symbols", args.file.display());
    }
    let file = args.file.display();
    if !img.problems.is_empty() {
        for p in &img.problems {
            eprintln!("rtlink: {file}: {p}");
        }
        bail!("{file}: the file is damaged; the output above shows only its sound parts");
    }
    if matches!(verdict, Verdict::Failed(..)) && !args.symbols {
        bail!("{}: the bootstrap layout is broken (see above)", args.file.display());
    }
    Ok(())
}

fn summary(
    out: &mut impl Write,
    args: &InspectArgs,
    img: &Image,
    syms: &[Symbol],
    verdict: &Verdict,
    main_pc: Option<&(&bootstrap::Layout, bootstrap::MainPc)>,
) -> io::Result<()> {
    let line = |out: &mut dyn Write, label: &str, value: &str| writeln!(out, "{:<11}{value}", format!("{label}:"));
    line(
        out,
        "file",
        &format!("{} ({} bytes)", args.file.display(), img.data.len()),
    )?;
    line(out, "type", &img.describe())?;
    let entry = img.header.e_entry;
    if img.header.e_type == goblin::elf::header::ET_REL {
        line(out, "entry", "none (relocatable object)")?;
    } else {
        line(
            out,
            "entry",
            &format!("{entry:#x} {}", bootstrap::describe(syms, entry)),
        )?;
    }
    let user_main = match main_pc {
        Some((layout, pc)) => {
            let target = match &pc.target {
                Ok(t) => format!("{t:#x} {}", bootstrap::describe(syms, *t)),
                Err(e) => format!("unreadable: {e}"),
            };
            line(out, "mainPC", &format!("{:#x} {} -> {target}", pc.addr, layout.main_pc))?;
            layout.user_main
        }
        None => "main",
    };
    match bootstrap::defined(syms, user_main) {
        Some(m) => line(out, "main", &format!("{:#x} {user_main}", m.value))?,
        None if syms.is_empty() => line(out, "main", "unknown (no symbols)")?,
        None => line(out, "main", &format!("{user_main} is not defined"))?,
    }
    match verdict {
        Verdict::Ok(l) => line(
            out,
            "bootstrap",
            &format!(
                "ok ({} layout: {} -> ... -> {} -> {})",
                l.family, l.entry, l.runtime_main, l.user_main
            ),
        )?,
        Verdict::Failed(l, broken) => {
            line(out, "bootstrap", &format!("FAILED ({} layout)", l.family))?;
            for b in broken {
                writeln!(out, "  - {b}")?;
            }
        }
        Verdict::NotApplicable(why) => line(out, "bootstrap", &format!("none ({why})"))?,
    }
    let count = if syms.is_empty() {
        "none (no .symtab; the file is stripped)".to_string()
    } else {
        format!("{} (.symtab, as nm lists them)", syms.len())
    };
    line(out, "symbols", &count)
}
