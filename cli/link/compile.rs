//! Source inputs: `rtlink build main.c util.S lib.o -o app` compiles the sources first, as cc
//! would, with the flags `rtlink cflags` prints (header include path, `-ffreestanding`, ...).
//!
//! The compiler is `$CC` (C, assembly) or `$CXX` (C++), default `cc`/`c++`, split on blanks so
//! `CC="ccache gcc"` works; `$CFLAGS`/`$CXXFLAGS` follow rtlink's flags, so the user's win. C++
//! is compiled freestanding (no exceptions, no RTTI), as the runtime provides no C++ library.
//! Objects go to a temporary directory, except with `-c`, which writes `NAME.o` next to the
//! current directory's sources like cc. The compiler's own diagnostics pass through untouched;
//! a failed compile stops the build with exit status 1 and writes nothing.
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use tempfile::TempDir;

use super::BuildArgs;
use crate::cflags;

/// The language of a source input, from its extension.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    C,
    Asm,
    Cxx,
}

fn lang(path: &Path) -> Option<Lang> {
    match path.extension()?.to_str()? {
        "c" => Some(Lang::C),
        "S" | "s" => Some(Lang::Asm),
        "cc" | "cpp" | "cxx" | "C" => Some(Lang::Cxx),
        _ => None,
    }
}

/// `files` with every source replaced by the object compiled from it in `work`.
/// Compiles the sources among `files` in a private temporary directory, made only when there
/// is one to compile; returns what to link in their place and the directory, which must
/// outlive the link.
pub fn sources(args: &BuildArgs, files: &[PathBuf]) -> Result<(Vec<PathBuf>, Option<TempDir>)> {
    if files.iter().all(|f| lang(f).is_none()) {
        return Ok((files.to_vec(), None));
    }
    let work = tempfile::Builder::new()
        .prefix("rtlink-cc-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let objects = (files.iter().enumerate())
        .map(|(i, input)| match lang(input) {
            Some(l) => {
                let stem = input.file_stem().unwrap_or_default().to_string_lossy();
                let obj = work.path().join(format!("{i}-{stem}.o"));
                compile(args, l, input, &obj)?;
                Ok(obj)
            }
            None => Ok(input.clone()),
        })
        .collect::<Result<_>>()?;
    Ok((objects, Some(work)))
}

/// `-c`: each source to `NAME.o` in the current directory (or `-o FILE` for a single one).
pub fn objects_only(args: &BuildArgs) -> Result<()> {
    let inputs = args.line.files();
    if inputs.len() != args.line.items.len() {
        bail!("-c compiles sources; -l, --whole-archive and groups belong to a link");
    }
    if let Some(other) = inputs.iter().find(|i| lang(i).is_none()) {
        bail!(
            "{}: -c compiles sources (.c, .S, .s, .cc); this is not one",
            other.display()
        );
    }
    if args.output.is_some() && inputs.len() > 1 {
        bail!("-c with -o takes one source; give the sources one at a time or drop -o");
    }
    for input in &inputs {
        let obj = match &args.output {
            Some(o) => o.clone(),
            None => PathBuf::from(input.file_stem().unwrap_or_default()).with_extension("o"),
        };
        compile(args, lang(input).unwrap_or(Lang::C), input, &obj)?;
    }
    Ok(())
}

/// A command from an environment variable, split on blanks, or the default.
fn tool(var: &str, default: &str) -> Vec<String> {
    let words: Vec<String> = (std::env::var(var).unwrap_or_default().split_whitespace())
        .map(String::from)
        .collect();
    if words.is_empty() {
        vec![default.to_string()]
    } else {
        words
    }
}

fn compile(args: &BuildArgs, lang: Lang, src: &Path, obj: &Path) -> Result<()> {
    if !src.is_file() {
        bail!("{}: no such source file", src.display());
    }
    let (compiler, user_flags) = match lang {
        Lang::Cxx => (tool("CXX", "c++"), "CXXFLAGS"),
        Lang::C | Lang::Asm => (tool("CC", "cc"), "CFLAGS"),
    };
    let mut cmd = Command::new(&compiler[0]);
    cmd.args(&compiler[1..])
        .args(cflags::flags(args.amd64, args.layout(), None)?);
    if lang == Lang::Cxx {
        cmd.args(["-fno-exceptions", "-fno-rtti", "-fno-threadsafe-statics"]);
    }
    cmd.args(std::env::var(user_flags).unwrap_or_default().split_whitespace());
    cmd.arg("-c").arg(src).arg("-o").arg(obj);
    if args.verbose {
        eprintln!("{}", super::driver::shell_words(&cmd));
    }
    let status = cmd
        .status()
        .with_context(|| format!("cannot run the compiler '{}'", compiler[0]))?;
    if !status.success() {
        bail!(
            "{}: compilation failed ({} exited with {status})",
            src.display(),
            compiler[0]
        );
    }
    Ok(())
}
