//! `rtlink cflags`: the compiler flags for code that rtlink will link, with the header
//! written where the include flag points.
//!
//! The header is written once into rtlink's cache directory (see cache.rs), so the printed
//! flags stay valid for this rtlink and different rtlink builds never overwrite each other's
//! header.
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::link::{output, Layout, Level};
use crate::{cache, embedded};

#[derive(clap::Args)]
pub struct CflagsArgs {
    /// The x86-64 level to compile for (pass the same to `rtlink build`).
    #[arg(long, value_enum, default_value_t = Level::V1)]
    pub amd64: Level,
    /// Flags for code to link with `rtlink build --static-pie` (-fPIE instead of -fno-pie).
    #[arg(long)]
    pub static_pie: bool,
    /// Write rtlink.h into DIR instead of the cache directory.
    #[arg(long, value_name = "DIR")]
    pub include_dir: Option<PathBuf>,
}

pub fn run(args: &CflagsArgs) -> Result<()> {
    let layout = if args.static_pie {
        Layout::StaticPie
    } else {
        Layout::Exec
    };
    println!("{}", flags(args.amd64, layout, args.include_dir.as_deref())?.join(" "));
    Ok(())
}

/// The flags, with rtlink.h written into `include_dir` (default: the cache directory).
pub fn flags(level: Level, layout: Layout, include_dir: Option<&Path>) -> Result<Vec<String>> {
    let dir = match include_dir {
        Some(d) => {
            let header = d.join("rtlink.h");
            if std::fs::read(&header).ok().as_deref() != Some(embedded::HEADER.as_bytes()) {
                std::fs::create_dir_all(d).map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", d.display()))?;
                output::write_atomically(&header, embedded::HEADER.as_bytes())?;
            }
            d.to_path_buf()
        }
        None => {
            let header = cache::file("include/rtlink.h", embedded::HEADER.as_bytes())
                .map_err(|e| e.context("pass --include-dir DIR to write rtlink.h elsewhere"))?;
            header.parent().map(PathBuf::from).unwrap_or_default()
        }
    };
    let mut flags = vec![
        format!("-I{}", dir.display()),
        "-ffreestanding".into(),
        match layout {
            Layout::Exec => "-fno-pie",
            Layout::StaticPie => "-fPIE",
        }
        .into(),
        "-fno-omit-frame-pointer".into(),
        "-mno-omit-leaf-frame-pointer".into(),
        "-fstack-protector-strong".into(),
    ];
    if level != Level::V1 {
        flags.push(format!("-march=x86-64-v{}", level.number()));
    }
    Ok(flags)
}
