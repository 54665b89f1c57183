//! `rtlink cflags`: the compiler flags for code that rtlink will link, with the header
//! written where the include flag points.
//!
//! The header is written once per header content into a cache directory named after its
//! hash, so the printed flags stay valid for this rtlink and different rtlink versions never
//! overwrite each other's header.
use std::path::PathBuf;

use anyhow::{bail, Result};

use crate::embedded;
use crate::link::{output, Level};

#[derive(clap::Args)]
pub struct CflagsArgs {
    /// The x86-64 level to compile for (pass the same to `rtlink build`).
    #[arg(long, value_enum, default_value_t = Level::V1)]
    pub amd64: Level,
    /// Write rtlink.h into DIR instead of the cache directory.
    #[arg(long, value_name = "DIR")]
    pub include_dir: Option<PathBuf>,
}

pub fn run(args: &CflagsArgs) -> Result<()> {
    let dir = match &args.include_dir {
        Some(d) => d.clone(),
        None => cache_dir()?
            .join(format!(
                "rtlink-{}-{:016x}",
                env!("CARGO_PKG_VERSION"),
                fnv1a(embedded::HEADER.as_bytes())
            ))
            .join("include"),
    };
    let header = dir.join("rtlink.h");
    if std::fs::read(&header).ok().as_deref() != Some(embedded::HEADER.as_bytes()) {
        std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", dir.display()))?;
        output::write_atomically(&header, embedded::HEADER.as_bytes())?;
    }
    let mut flags = vec![
        format!("-I{}", dir.display()),
        "-ffreestanding".into(),
        "-fno-pie".into(),
        "-fno-omit-frame-pointer".into(),
    ];
    if args.amd64 != Level::V1 {
        flags.push(format!("-march=x86-64-v{}", args.amd64.number()));
    }
    println!("{}", flags.join(" "));
    Ok(())
}

fn cache_dir() -> Result<PathBuf> {
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(h) => Ok(PathBuf::from(h).join(".cache")),
        None => bail!("neither XDG_CACHE_HOME nor HOME is set; pass --include-dir DIR"),
    }
}

/// FNV-1a, 64-bit: a stable content hash for the cache directory's name.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}
