//! `rtlink inspect --nm [OPTIONS] FILE...` against `LC_ALL=C nm [OPTIONS] FILE...`: the same
//! bytes on stdout for every option set below, on every kind of ELF file in the zoo.
mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const OPTION_SETS: &[&[&str]] = &[
    &[],
    &["-n"],
    &["-p"],
    &["-r"],
    &["-n", "-r"],
    &["-S"],
    &["-n", "-S"],
    &["-u"],
    &["--defined-only"],
    &["--defined-only", "-n"],
    &["-g"],
    &["-a"],
    &["-a", "-n", "-S"],
    &["-f", "posix"],
    &["-P", "-S"],
    &["--format=sysv"],
    &["-f", "sysv", "-a"],
    &["-t", "d", "-S"],
    &["-t", "o"],
    &["--radix=d", "-P"],
    &["-A"],
    &["-o", "-P"],
    &["-j"],
    &["-W"],
    &["-g", "-S", "-t", "d", "-P"],
    &["--no-sort", "--print-size", "--extern-only"],
];

/// Asserts equal outputs, showing the first line that differs rather than both whole lists.
fn assert_same(ours: (i32, String), nm: (i32, String), what: &str) {
    if ours != nm {
        let first = ours.1.lines().zip(nm.1.lines()).position(|(a, b)| a != b);
        let line = first.unwrap_or(ours.1.lines().count().min(nm.1.lines().count()));
        panic!(
            "{what}: exit {} vs nm's {}; first difference at line {}:\n  ours: {:?}\n  nm:   {:?}",
            ours.0,
            nm.0,
            line + 1,
            ours.1.lines().nth(line),
            nm.1.lines().nth(line)
        );
    }
}

fn nm(args: &[&str], files: &[&Path]) -> (i32, String) {
    let out = Command::new("nm")
        .args(args)
        .args(files)
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    (out.status.code().unwrap(), text(&out.stdout))
}

fn ours(args: &[&str], files: &[&Path]) -> (i32, String) {
    let (code, out, _) = output(rtlink().args(["inspect", "--nm"]).args(args).args(files));
    (code, out)
}

#[test]
fn every_option_set_on_every_kind_of_file() {
    let dir = tempdir();
    let zoo = zoo::build(dir.path());
    let mut compared = 0;
    for file in zoo.all() {
        for args in OPTION_SETS {
            let expected = nm(args, &[file]);
            compared += expected.1.lines().count();
            assert_same(
                ours(args, &[file]),
                expected,
                &format!("nm {} {}", args.join(" "), file.display()),
            );
        }
    }
    assert!(compared > 50_000, "only {compared} lines compared");
}

#[test]
fn several_files_and_archive_members_get_headers() {
    let dir = tempdir();
    let zoo = zoo::build(dir.path());
    let files = [zoo.rtlink_obj.as_path(), zoo.c_obj.as_path(), zoo.obj32.as_path()];
    let archive = [zoo.archive.as_path()];
    let mixed = [zoo.c_obj.as_path(), zoo.archive.as_path(), zoo.obj32.as_path()];
    for args in [
        &[][..],
        &["-P"],
        &["-f", "sysv"],
        &["-A"],
        &["-A", "-P"],
        &["-j"],
        &["-n", "-S"],
    ] {
        for set in [&files[..], &archive, &mixed] {
            assert_same(
                ours(args, set),
                nm(args, set),
                &format!("nm {} {set:?}", args.join(" ")),
            );
        }
    }
}

/// Demangling: Rust (v0 and legacy, with LLVM suffixes) in rtlink's runtime, C++ in user code
/// (templates, anonymous namespaces, vtables, VTTs, thunks, lambdas, comdat group names).
/// Known differences that are cpp_demangle's, in libstdc++'s own internals only, are not
/// exercised here: see ARCHITECTURE.md.
#[test]
fn demangled_names_match_nm_c() {
    let dir = tempdir();
    let zoo = zoo::build(dir.path());
    for file in [&zoo.rtlink_exe, &zoo.cpp_obj, &zoo.cpp_exe, &zoo.go_exe] {
        for args in [&["-C"][..], &["-C", "-n", "-S"], &["--demangle", "-f", "sysv"]] {
            let what = format!("nm {} {}", args.join(" "), file.display());
            assert_same(ours(args, &[file]), nm(args, &[file]), &what);
        }
    }
    let (_, out) = ours(&["-C"], &[&zoo.cpp_obj]);
    for name in [
        "vtable for S",
        "VTT for V",
        "virtual thunk to V::g()",
        "non-virtual thunk to M::k()",
        "(anonymous namespace)::anon(int)",
        "S::~S()",
    ] {
        assert!(out.contains(name), "{name} not in:\n{out}");
    }
    let (_, out) = ours(&["-C"], &[&zoo.rtlink_exe]);
    assert!(out.contains(" t rtlink_runtime::proc::schedule\n"), "{out}");
}

#[test]
fn bad_files_are_reported_and_skipped_like_nm() {
    let dir = tempdir();
    let zoo = zoo::build(dir.path());
    let text_file = dir.path().join("notes.txt");
    std::fs::write(&text_file, "hello\n").unwrap();
    let (code, out, err) = output(rtlink().args(["inspect", "--nm"]).arg(&text_file).arg(&zoo.c_obj));
    assert_eq!(code, 1);
    assert_eq!(out, nm(&[], &[&text_file, &zoo.c_obj]).1);
    assert!(err.contains("notes.txt: not an ELF file"), "{err}");
    let (code, _, err) = output(rtlink().args(["inspect", "--nm", "--bogus"]).arg(&zoo.c_obj));
    assert_eq!(code, 2);
    assert!(err.contains("--bogus"), "{err}");
}

/// `-l`: the declaration line of each function (its line-table row when DWARF has no
/// declaration), as nm -l prints it, on C programs built with -g. For Go binaries GNU nm prints
/// no locations where rtlink does (see ARCHITECTURE.md), so Go is checked for presence only.
#[test]
fn line_numbers_match_nm_l_on_c_programs() {
    let dir = tempdir();
    let d = dir.path();
    let zoo = zoo::build(d);
    let deep = {
        let obj = compile(d, &program("deep.c"), &["-g", "-O0"]);
        link(d, "deep", &[obj], &[])
    };
    let code_lines = |s: String| -> String {
        s.lines()
            .filter(|l| l.get(17..19).is_some_and(|t| matches!(t, "T " | "t " | "W ")))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    for file in [&zoo.c_pie, &zoo.c_static, &deep] {
        let (_, ours) = ours(&["-l"], &[file]);
        let (_, theirs) = nm(&["-l"], &[file]);
        assert_same(
            (0, code_lines(ours)),
            (0, code_lines(theirs)),
            &format!("nm -l {}", file.display()),
        );
    }
    let (_, out) = ours(&["-l"], &[&deep]);
    assert!(
        out.lines().any(|l| l.contains(" T main\t") && l.ends_with("deep.c:24")),
        "{out}"
    );
    let (_, out) = ours(&["-l"], &[&zoo.go_exe]);
    assert!(
        out.lines()
            .any(|l| l.contains(" T main.main\t") && l.contains("hello.go:")),
        "{out}"
    );
}
