//! The default view of `rtlink inspect FILE`: what kind of file it is, where it starts, where
//! mainPC leads, where `main` is, and the bootstrap verdict.
//!
//! Every line is `label:` padded to 11 columns and a value, so scripts can pick lines by label.
//! The exit status is 1 when the file is damaged (its problems are reported after the sound
//! parts are printed) or when it has a bootstrap layout that is broken; a file that is simply
//! not a self-bootstrapping program (a C binary, an object) exits 0.
use std::io::{self, Write};
use std::path::Path;

use anyhow::{bail, Result};

use super::bootstrap::{self, Verdict};
use super::image::{self, Image};
use super::symbols::{self, Symbol};

pub fn run(path: &Path, out: &mut impl Write) -> Result<()> {
    let bytes = image::read(path)?;
    let img = Image::parse(path, &bytes)?;
    let syms = symbols::sorted(&img);
    let (verdict, main_pc) = bootstrap::check(&img, &syms);
    write(out, path, &img, &syms, &verdict, main_pc.as_ref())?;
    out.flush()?;
    let file = path.display();
    if !img.problems.is_empty() {
        for p in &img.problems {
            eprintln!("rtlink: {file}: {p}");
        }
        bail!("{file}: the file is damaged; the output above shows only its sound parts");
    }
    if matches!(verdict, Verdict::Failed(..)) {
        bail!("{file}: the bootstrap layout is broken (see above)");
    }
    Ok(())
}

fn write(
    out: &mut impl Write,
    path: &Path,
    img: &Image,
    syms: &[Symbol],
    verdict: &Verdict,
    main_pc: Option<&(&bootstrap::Layout, bootstrap::MainPc)>,
) -> io::Result<()> {
    let line = |out: &mut dyn Write, label: &str, value: &str| writeln!(out, "{:<11}{value}", format!("{label}:"));
    line(out, "file", &format!("{} ({} bytes)", path.display(), img.data.len()))?;
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
