//! `rtlink inspect -h/-S/-l/-s/-n` against `readelf -W` with the same options: the same bytes
//! on stdout, on every kind of ELF file in the zoo, glibc's shared library (versioned dynamic
//! symbols, SystemTap notes) and a core file written by gdb's gcore. Also the JSON form of the
//! views, and a damaged file whose sound parts must still be shown.
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;

const VIEW_SETS: &[&[&str]] = &[
    &["-h"],
    &["-S"],
    &["-l"],
    &["-s"],
    &["-n"],
    &["-h", "-S", "-l"],
    &["-l", "-S"],
    &["-S", "-s"],
    &["-n", "-s", "-l", "-S", "-h"],
    &["--file-header", "--segments", "--sections", "--symbols", "--notes"],
];

fn readelf(args: &[&str], file: &Path) -> (i32, String) {
    let out = Command::new("readelf").arg("-W").args(args).arg(file).output().unwrap();
    (out.status.code().unwrap(), text(&out.stdout))
}

fn ours(args: &[&str], file: &Path) -> (i32, String) {
    let (code, out, _) = output(rtlink().arg("inspect").args(args).arg(file));
    (code, out)
}

/// Asserts equal outputs, showing the first line that differs.
fn assert_same(ours: &str, theirs: &str, what: &str) {
    if ours != theirs {
        let line = ours.lines().zip(theirs.lines()).position(|(a, b)| a != b);
        let line = line.unwrap_or(ours.lines().count().min(theirs.lines().count()));
        panic!(
            "{what}: first difference at line {}:\n  ours:    {:?}\n  readelf: {:?}",
            line + 1,
            ours.lines().nth(line),
            theirs.lines().nth(line)
        );
    }
}

/// A core file of a live process, written by gdb's gcore (independent of core_pattern).
fn core_file(dir: &Path) -> PathBuf {
    let mut child = Command::new("sleep").arg("30").stdin(Stdio::null()).spawn().unwrap();
    let prefix = dir.join("core");
    let gcore = Command::new("gcore")
        .arg("-o")
        .arg(&prefix)
        .arg(child.id().to_string())
        .output();
    child.kill().unwrap();
    child.wait().unwrap();
    let gcore = gcore.expect("gcore (gdb) is installed by scripts/install-deps.sh");
    assert!(gcore.status.success(), "gcore failed: {}", text(&gcore.stderr));
    PathBuf::from(format!("{}.{}", prefix.display(), child.id()))
}

#[test]
fn every_view_matches_readelf_on_every_kind_of_file() {
    let dir = tempdir();
    let zoo = zoo::build(dir.path());
    let mut files: Vec<PathBuf> = zoo.all().into_iter().map(Path::to_path_buf).collect();
    files.push(PathBuf::from("/lib/x86_64-linux-gnu/libc.so.6"));
    files.push(zoo.archive.clone());
    let mut lines = 0;
    for file in &files {
        for args in VIEW_SETS {
            let (code, theirs) = readelf(args, file);
            let what = format!("readelf -W {} {}", args.join(" "), file.display());
            let (our_code, out) = ours(args, file);
            assert_eq!(our_code, code, "{what}");
            assert_same(&out, &theirs, &what);
            lines += theirs.lines().count();
        }
    }
    assert!(lines > 30_000, "only {lines} lines compared");
}

#[test]
fn core_files_show_header_segments_and_notes() {
    let dir = tempdir();
    let core = core_file(dir.path());
    for args in [&["-h"][..], &["-l"], &["-S"], &["-h", "-l"]] {
        let what = format!("readelf -W {} core", args.join(" "));
        assert_same(&ours(args, &core).1, &readelf(args, &core).1, &what);
    }
    // Notes: the same notes in the same order. NT_FILE is decoded here, where Debian's
    // readelf says "Cannot decode 64-bit note in 32-bit build".
    let (_, notes) = ours(&["-n"], &core);
    let (_, theirs) = readelf(&["-n"], &core);
    let heads = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.starts_with("  ") && l.contains('\t'))
            .map(|l| l.split('\t').take(2).collect::<Vec<_>>().join("\t"))
            .collect()
    };
    assert_eq!(heads(&notes), heads(&theirs));
    assert!(notes.contains("NT_FILE (mapped files)\t    Page size: "), "{notes}");
    assert!(
        notes.contains("        /usr/bin/sleep\n") || notes.contains("        /bin/sleep\n"),
        "{notes}"
    );
    let (code, summary) = ours(&[], &core);
    assert_eq!(code, 0);
    assert!(summary.contains("type:      ELF64 x86-64 core file"), "{summary}");
}

#[test]
fn json_views_carry_readelf_values() {
    let dir = tempdir();
    let exe = zoo::build(dir.path()).c_pie;
    let (code, out) = ours(&["--json", "-h", "-S", "-l", "-s", "-n"], &exe);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let file = &doc[0];
    let entry = text(&ok(Command::new("readelf").arg("-h").arg(&exe)).stdout);
    let entry = entry
        .lines()
        .find_map(|l| l.trim().strip_prefix("Entry point address:"))
        .unwrap()
        .trim();
    assert_eq!(format!("{:#x}", file["ElfHeader"]["Entry"].as_u64().unwrap()), entry);
    assert_eq!(
        file["ElfHeader"]["Type"]["Name"],
        "DYN (Position-Independent Executable file)"
    );

    let sections = file["Sections"].as_array().unwrap();
    let (_, table) = readelf(&["-S"], &exe);
    let names: Vec<&str> = table
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix('['))
        .filter_map(|l| l.split_once(']'))
        .filter(|(n, _)| n.trim() != "Nr")
        .map(|(_, rest)| rest.split_whitespace().next().filter(|n| *n != "NULL").unwrap_or(""))
        .collect();
    let ours: Vec<&str> = sections.iter().map(|s| s["Name"]["Name"].as_str().unwrap()).collect();
    assert_eq!(ours, names);
    let text_sec = sections.iter().find(|s| s["Name"]["Name"] == ".text").unwrap();
    assert_eq!(text_sec["Flags"]["Flags"], "AX");

    let interp = file["ProgramHeaders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["Type"]["Name"] == "INTERP")
        .unwrap();
    assert_eq!(interp["Sections"], serde_json::json!([".interp"]));
    let tables = file["Symbols"].as_array().unwrap();
    let dynsym = tables.iter().find(|t| t["Section"] == ".dynsym").unwrap();
    let printf = dynsym["Symbols"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Name"] == "printf")
        .unwrap();
    assert!(printf["Version"].as_str().unwrap().starts_with("@GLIBC_"), "{printf}");
    let notes = serde_json::to_string(&file["Notes"]).unwrap();
    assert!(notes.contains("NT_GNU_BUILD_ID"), "{notes}");
}

#[test]
fn a_damaged_file_still_shows_its_sound_parts() {
    let dir = tempdir();
    let exe = zoo::build(dir.path()).rtlink_exe;
    let bytes = std::fs::read(&exe).unwrap();
    // Cut off the section header table at the end: the ELF header and the program headers
    // are still sound.
    let cut = dir.path().join("cut");
    std::fs::write(&cut, &bytes[..bytes.len() - 200]).unwrap();
    let (code, out, err) = output(rtlink().args(["inspect", "-h", "-l"]).arg(&cut));
    assert_eq!(code, 1);
    let (_, header) = readelf(&["-h"], &exe);
    assert!(out.starts_with(&header), "the header is printed whole:\n{out}");
    assert!(out.contains("Program Headers:"), "{out}");
    assert!(err.contains("section header table at 0x"), "{err}");
    assert!(err.contains("runs past the end of the file"), "{err}");
}
