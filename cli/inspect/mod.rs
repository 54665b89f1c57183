//! `rtlink inspect`: what readelf, nm and addr2line say about an ELF file, plus a check of the
//! bootstrap layout.
//!
//! Each view lives in its own module; this one only parses the command line and runs the view
//! on a buffered stdout. A reader that goes away early (`rtlink inspect … | head`) ends the
//! output quietly with status 0, as it does for binutils.
mod bootstrap;
mod demangle;
mod image;
mod nm;
mod summary;
mod symbols;

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Parser;

#[derive(clap::Args)]
pub struct InspectArgs {
    /// The ELF file: an executable (rtlink's, Go's, C's), a shared object or an object file.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// List symbols exactly as GNU nm does: everything after --nm is nm's options and files
    /// (`rtlink inspect --nm -n -S app`); `--nm --help` lists the options.
    #[arg(long, num_args = 0.., allow_hyphen_values = true, value_name = "NM-OPTIONS")]
    pub nm: Option<Vec<String>>,
}

pub fn run(args: &InspectArgs) -> Result<()> {
    let mut out = BufWriter::new(io::stdout().lock());
    let result = match &args.nm {
        Some(nm_args) => run_nm(nm_args, args.file.as_ref(), &mut out),
        None => match &args.file {
            Some(file) => summary::run(file, &mut out),
            None => bail!("no file to inspect: give an ELF file (rtlink inspect FILE)"),
        },
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

fn run_nm(nm_args: &[String], file: Option<&PathBuf>, out: &mut impl Write) -> Result<()> {
    let mut parsed = nm::NmArgs::try_parse_from(nm_args).unwrap_or_else(|e| e.exit());
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
