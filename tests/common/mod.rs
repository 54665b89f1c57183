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
