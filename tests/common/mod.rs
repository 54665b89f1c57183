//! Shared helpers for the integration tests: compile real C/asm with the system compiler and
//! the flags `rtlink cflags` prints, link with the `rtlink` binary under test, run, inspect.
//!
//! Every helper panics with the command and its output on failure, so a failing test says what
//! ran. Each test works in its own temporary directory.
#![allow(dead_code)]

pub mod watchdog;
pub mod zoo;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use object::write::{Object, StandardSection, Symbol, SymbolSection};
use object::{Architecture, BinaryFormat, Endianness, SymbolFlags, SymbolKind, SymbolScope};

pub const RTLINK: &str = env!("CARGO_BIN_EXE_rtlink");

/// The C test programs shipped in tests/programs.
pub fn program(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs").join(name)
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("rtlink-test-")
        .tempdir()
        .expect("temp dir")
}

/// Runs `cmd`, panicking with its output unless it exits 0.
pub fn ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn rtlink() -> Command {
    Command::new(RTLINK)
}

/// `rtlink cflags` split into arguments.
pub fn cflags(extra: &[&str]) -> Vec<String> {
    let out = ok(rtlink().arg("cflags").args(extra));
    text(&out.stdout).split_whitespace().map(String::from).collect()
}

/// Compiles `src` (C or .S) into an object in `dir`.
pub fn compile(dir: &Path, src: &Path, extra: &[&str]) -> PathBuf {
    let obj = dir.join(src.file_stem().unwrap()).with_extension("o");
    ok(Command::new("cc")
        .args(cflags(&[]))
        .args(["-O2", "-Wall", "-c"])
        .args(extra)
        .arg(src)
        .arg("-o")
        .arg(&obj));
    obj
}

/// Compiles C source text into an object.
pub fn compile_str(dir: &Path, name: &str, code: &str, extra: &[&str]) -> PathBuf {
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, code).unwrap();
    compile(dir, &src, extra)
}

/// A relocatable object for `arch` defining a function `main`.
pub fn foreign_object(dir: &Path, name: &str, arch: Architecture) -> PathBuf {
    let mut obj = Object::new(BinaryFormat::Elf, arch, Endianness::Little);
    let text = obj.section_id(StandardSection::Text);
    let off = obj.append_section_data(text, &[0u8; 4], 4);
    obj.add_symbol(Symbol {
        name: b"main".to_vec(),
        value: off,
        size: 4,
        kind: SymbolKind::Text,
        scope: SymbolScope::Linkage,
        weak: false,
        section: SymbolSection::Section(text),
        flags: SymbolFlags::None,
    });
    let path = dir.join(name);
    std::fs::write(&path, obj.write().unwrap()).unwrap();
    path
}

/// Links objects with `rtlink build`, asserting it is quiet on success.
pub fn link(dir: &Path, name: &str, objs: &[PathBuf], extra: &[&str]) -> PathBuf {
    let exe = dir.join(name);
    let out = ok(rtlink().arg("build").args(objs).arg("-o").arg(&exe).args(extra));
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "rtlink build was not quiet: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    exe
}

/// Compiles one tests/programs file and links it.
pub fn build_program(dir: &Path, file: &str, cc_extra: &[&str]) -> PathBuf {
    let obj = compile(dir, &program(file), cc_extra);
    link(dir, Path::new(file).file_stem().unwrap().to_str().unwrap(), &[obj], &[])
}

/// A tests/programs file built once, into `cell` (a static of the test file), for all of the
/// file's tests. The directory lives as long as the test process.
pub fn built_once(cell: &'static OnceLock<(tempfile::TempDir, PathBuf)>, file: &str) -> &'static Path {
    let (_, exe) = cell.get_or_init(|| {
        let dir = tempdir();
        let exe = build_program(dir.path(), file, &[]);
        (dir, exe)
    });
    exe
}

/// What tests/programs/channels.c prints on any number of Ps.
pub const CHANNELS_OUTPUT: &str = "numgoroutine 1 6 1\npipeline sum=333833500\nbuffered len=3\n\
    buffered got=3 total=33 after_close=0 ok=0\npingpong ball=10000\nselect default=-1\n\
    select a=100 b=100 sum=9900\nselect send=0 full=-1 value=7\nmany once=1\n";

/// Runs a program with no GODEBUG/GOMAXPROCS inherited from the test's environment.
pub fn run(exe: &Path) -> Command {
    let mut c = Command::new(exe);
    c.env_remove("GODEBUG").env_remove("GOMAXPROCS").stdin(Stdio::null());
    c
}

/// Output and exit code of a finished command.
pub fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// The first line tests/programs/args.c prints when it gets `argv` (argv[0] included) and the
/// environment `env` (`NAME=value` strings, in the order execve passes them).
pub fn args_line(argv: &[String], env: &[String]) -> String {
    let summary = |strs: &[String]| {
        let (mut len, mut hash) = (0u64, 0u64);
        for (i, s) in strs.iter().enumerate() {
            let h = s
                .bytes()
                .fold(5381u64, |h, c| h.wrapping_mul(33).wrapping_add(c.into()));
            len += s.len() as u64;
            hash ^= h.wrapping_add(i as u64);
        }
        (len, hash)
    };
    let ((alen, ah), (elen, eh)) = (summary(argv), summary(env));
    format!(
        "argc={} arglen={alen} arghash={ah:x} envc={} envlen={elen} envhash={eh:x} same_argv=1",
        argv.len(),
        env.len()
    )
}

/// A fatal error's report: its first line (`fatal error: ...`), after checking that the
/// runtime's traceback of the failing goroutine follows it (`goroutine N [running]:` and at
/// least one frame).
pub fn fatal_line(err: &str) -> &str {
    let (first, rest) = err.split_once('\n').unwrap_or((err, ""));
    let mut lines = rest.lines().skip_while(|l| l.is_empty());
    let header = lines.next().unwrap_or("");
    assert!(
        header.starts_with("goroutine ")
            && header.ends_with(" [running]:")
            && lines.next().is_some_and(|f| f.contains(" pc=0x")),
        "no traceback after the fatal error: {err:?}"
    );
    first
}

/// The value after `key=` in a line of `k=v` words.
pub fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split([' ', ',', '(', ')'])
        .find_map(|w| w.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

/// The address of symbol `sym` according to GNU nm.
pub fn nm_addr(exe: &Path, sym: &str) -> u64 {
    let out = ok(Command::new("nm").arg(exe));
    text(&out.stdout)
        .lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            let (a, _, n) = (w.next()?, w.next()?, w.next()?);
            (n == sym).then(|| u64::from_str_radix(a, 16).unwrap())
        })
        .unwrap_or_else(|| panic!("{sym} not in nm output of {}", exe.display()))
}

pub fn ncpu() -> u32 {
    text(&ok(&mut Command::new("nproc")).stdout).trim().parse().unwrap()
}
