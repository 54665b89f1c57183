//! Runs the external linker: the embedded runtime object first, then the user's inputs, with
//! the embedded linker script, into a temporary file that replaces the output only on success.
//!
//! The runtime object and the script are read by the linker from rtlink's cache directory
//! (written there once, see cache.rs), or from a private temporary directory when there is no
//! usable cache; for `--amd64 v2..v4` a tiny generated object defines `runtime_goamd64`, which
//! overrides the runtime's weak default of 1 and makes the program check the CPU at start.
use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use object::write::{Object, StandardSection, Symbol, SymbolSection};
use object::{Architecture, BinaryFormat, Endianness, SymbolFlags, SymbolKind, SymbolScope};

use super::layout::Layout;
use super::{line, output, pie, BuildArgs};
use crate::cache;

/// x86-64 microarchitecture levels (psABI v1..v4, Go's GOAMD64).
#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Level {
    V1,
    V2,
    V3,
    V4,
}

impl Level {
    pub fn number(self) -> u8 {
        self as u8 + 1
    }
}

/// An object defining `runtime_goamd64 = level` in read-only data.
pub(super) fn level_object(level: Level) -> Result<Vec<u8>> {
    let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
    let section = obj.section_id(StandardSection::ReadOnlyData);
    let offset = obj.append_section_data(section, &[level.number()], 1);
    obj.add_symbol(Symbol {
        name: b"runtime_goamd64".to_vec(),
        value: offset,
        size: 1,
        kind: SymbolKind::Data,
        scope: SymbolScope::Linkage,
        weak: false,
        section: SymbolSection::Section(section),
        flags: SymbolFlags::None,
    });
    Ok(obj.write()?)
}

/// Links into `out`, which replaces its destination only when the linker succeeds.
pub fn link(args: &BuildArgs, inputs: &[OsString], out: output::Pending) -> Result<()> {
    let output_path = out.dest();
    let layout = args.layout();
    // `_work` keeps a temporary directory alive until the linker is done with it.
    let (script, objects, _work) = match inputs_in_cache(args.amd64, layout) {
        Ok((script, objects)) => (script, objects, None),
        Err(_) => {
            let (script, objects, work) = inputs_in_temp(args.amd64, layout)?;
            (script, objects, Some(work))
        }
    };
    let ld = linker_command(&args.ld);
    let mut cmd = Command::new(ld);
    let mold = Path::new(ld).file_name().is_some_and(|n| n == "mold");
    cmd.args(layout.flags(ld, mold)?);
    if !mold {
        cmd.arg("-T").arg(&script);
    }
    if !args.no_gc_sections {
        cmd.arg("--gc-sections");
    }
    cmd.arg(format!("--build-id={}", args.build_id));
    if let Some(map) = &args.map {
        cmd.arg("-Map").arg(map);
    }
    if args.strip_all {
        cmd.arg("--strip-all");
    } else if args.strip_debug {
        cmd.arg("--strip-debug");
    }
    cmd.arg("-o").arg(out.path());
    cmd.args(&objects).args(inputs);
    if let Some(dir) = &args.save_temps {
        save_temps(dir, &cmd, &script, &objects, output_path)?;
    }
    if args.verbose {
        eprintln!("{}", shell_words(&cmd));
    }
    let status = match cmd.status() {
        Ok(s) => s,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            bail!(
                "linker '{ld}' not found (install {}, or choose another with --ld)",
                package(ld)
            )
        }
        Err(e) => return Err(e).with_context(|| format!("cannot run linker '{ld}'")),
    };
    if !status.success() {
        bail!(
            "link failed: {ld} exited with {status}; {} was not written",
            output_path.display()
        );
    }
    if layout == Layout::StaticPie {
        pie::check_output(out.path(), output_path)?;
    }
    out.commit()
}

/// `--save-temps DIR`: copies of the runtime object, the level object and the script, and
/// `DIR/link.rsp`, the linker's arguments naming those copies and the real output, so that
/// `LINKER @DIR/link.rsp` repeats the link by hand.
fn save_temps(dir: &Path, cmd: &Command, script: &Path, objects: &[PathBuf], output: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let mut renamed: Vec<(OsString, OsString)> = Vec::new();
    for f in objects.iter().map(PathBuf::as_path).chain([script]) {
        let copy = dir.join(f.file_name().unwrap_or_default());
        std::fs::copy(f, &copy).with_context(|| format!("{}: cannot write", copy.display()))?;
        renamed.push((f.as_os_str().to_owned(), copy.into_os_string()));
    }
    let mut args: Vec<OsString> = cmd.get_args().map(OsString::from).collect();
    if let Some(o) = args.iter().position(|a| a == "-o") {
        args[o + 1] = output.as_os_str().to_owned();
    }
    for a in &mut args {
        if let Some((_, copy)) = renamed.iter().find(|(orig, _)| orig == a) {
            *a = copy.clone();
        }
    }
    let text: String = (args.iter())
        .map(|a| format!("{}\n", line::quote_word(&a.to_string_lossy())))
        .collect();
    output::write_atomically(&dir.join("link.rsp"), text.as_bytes())
}

/// The runtime object, the level object and the script from rtlink's cache directory.
fn inputs_in_cache(level: Level, layout: Layout) -> Result<(PathBuf, Vec<PathBuf>)> {
    let ((script_name, script_text), (rt_name, rt)) = (layout.script(), layout.runtime());
    let script = cache::file(script_name, script_text.as_bytes())?;
    let mut objects = vec![cache::file(rt_name, rt)?];
    if level != Level::V1 {
        objects.push(cache::file(
            &format!("rtlink_goamd64_v{}.o", level.number()),
            &level_object(level)?,
        )?);
    }
    Ok((script, objects))
}

/// The same files in a private temporary directory, for when there is no usable cache
/// directory (no HOME, a read-only home).
fn inputs_in_temp(level: Level, layout: Layout) -> Result<(PathBuf, Vec<PathBuf>, tempfile::TempDir)> {
    let work = tempfile::Builder::new()
        .prefix("rtlink-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let ((script_name, script_text), (rt_name, rt_data)) = (layout.script(), layout.runtime());
    let rt = work.path().join(rt_name);
    let script = work.path().join(script_name);
    std::fs::write(&rt, rt_data).context("cannot write the runtime object")?;
    std::fs::write(&script, script_text.as_bytes()).context("cannot write the linker script")?;
    let mut objects = vec![rt];
    if level != Level::V1 {
        let lvl = work.path().join("rtlink_goamd64.o");
        std::fs::write(&lvl, level_object(level)?).context("cannot write the level object")?;
        objects.push(lvl);
    }
    Ok((script, objects, work))
}

/// The linker's command for a `--ld` value: `bfd`, `gold` and `lld` name GNU ld, gold and
/// LLVM's lld; anything else is a command name or path as given.
fn linker_command(choice: &str) -> &str {
    match choice {
        "bfd" => "ld.bfd",
        "gold" => "ld.gold",
        "lld" => "ld.lld",
        other => other,
    }
}

/// The Debian package that provides a linker, for the "not found" message.
fn package(ld: &str) -> &str {
    match Path::new(ld).file_name().and_then(|n| n.to_str()).unwrap_or(ld) {
        "ld.lld" | "lld" => "lld",
        "mold" => "mold",
        _ => "binutils",
    }
}

/// The command as a shell would need it typed.
pub fn shell_words(cmd: &Command) -> String {
    std::iter::once(cmd.get_program().to_owned())
        .chain(cmd.get_args().map(OsString::from))
        .map(|a| quote(Path::new(&a)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote(p: &Path) -> String {
    let s = p.to_string_lossy();
    if !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-_./=,:+@%".contains(&c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote(Path::new("a/b.o")), "a/b.o");
        assert_eq!(quote(Path::new("my file.o")), "'my file.o'");
        assert_eq!(quote(Path::new("it's")), r"'it'\''s'");
    }

    #[test]
    fn level_object_defines_the_symbol() {
        use object::{Object as _, ObjectSymbol as _};
        let data = level_object(Level::V3).unwrap();
        let f = object::File::parse(&*data).unwrap();
        let sym = f.symbols().find(|s| s.name() == Ok("runtime_goamd64")).unwrap();
        assert!(sym.is_global() && !sym.is_weak() && sym.is_definition());
    }
}
