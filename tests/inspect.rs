//! `rtlink inspect` against the reference tools: its symbol list must be byte-for-byte what
//! `LC_ALL=C nm -n` prints, and its entry point and type what `readelf -h` says, on rtlink's
//! own output, C binaries (static and dynamic), Go binaries and object files. The bootstrap
//! verdict is checked on good binaries and on binaries broken on purpose, and bad files must
//! give one clear error line and exit 1.
mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;

/// `rtlink inspect ARGS FILE`: exit code, stdout, stderr.
fn inspect(file: &Path, args: &[&str]) -> (i32, String, String) {
    output(rtlink().arg("inspect").args(args).arg(file))
}

/// The value of `label:` in the summary.
fn summary_field(summary: &str, label: &str) -> String {
    let prefix = format!("{label}:");
    summary
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {label} in\n{summary}"))
        .trim()
        .to_string()
}

fn readelf_h(file: &Path, key: &str) -> String {
    let out = text(&ok(Command::new("readelf").arg("-hW").arg(file)).stdout);
    out.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix(key)
                .map(|v| v.trim_start_matches(':').trim().to_string())
        })
        .unwrap_or_else(|| panic!("no {key} in readelf -h output:\n{out}"))
}

/// Asserts that `inspect --symbols` is exactly `LC_ALL=C nm -n`, and that the summary's entry
/// and type agree with `readelf -h`.
fn assert_matches_binutils(file: &Path) {
    let nm = Command::new("nm")
        .arg("-n")
        .arg(file)
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    let (code, syms, _) = inspect(file, &["--nm", "-n"]);
    assert_eq!(code, 0);
    assert_eq!(
        syms,
        text(&nm.stdout),
        "symbols of {} differ from nm -n",
        file.display()
    );
    assert!(!syms.is_empty(), "{} has no symbols to compare", file.display());

    let (_, summary, _) = inspect(file, &[]);
    let kind = readelf_h(file, "Type");
    let ty = summary_field(&summary, "type");
    let expected = match kind.split_whitespace().next().unwrap() {
        "EXEC" => "executable",
        "REL" => "relocatable object",
        "DYN" => "position-independent executable",
        other => panic!("unexpected type {other}"),
    };
    assert!(ty.contains(expected), "{ty} vs readelf {kind}");
    let class = readelf_h(file, "Class");
    assert!(ty.starts_with(&class), "{ty} vs readelf class {class}");
    if expected != "relocatable object" {
        let entry = readelf_h(file, "Entry point address");
        let ours = summary_field(&summary, "entry");
        assert_eq!(ours.split_whitespace().next().unwrap(), entry, "{summary}");
    }
}

fn rtlink_hello(dir: &Path) -> PathBuf {
    let obj = compile(dir, &Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/hello.c"), &[]);
    link(dir, "hello", &[obj], &[])
}

#[test]
fn rtlink_binary_summary_and_symbols() {
    let dir = tempdir();
    let exe = rtlink_hello(dir.path());
    assert_matches_binutils(&exe);
    assert_matches_binutils(&dir.path().join("hello.o"));

    let (code, out, err) = inspect(&exe, &[]);
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    let size = std::fs::metadata(&exe).unwrap().len();
    assert_eq!(summary_field(&out, "file"), format!("{} ({size} bytes)", exe.display()));
    assert_eq!(
        summary_field(&out, "type"),
        "ELF64 x86-64 executable, statically linked"
    );
    let entry = nm_addr(&exe, "_rt0_amd64_linux");
    assert_eq!(summary_field(&out, "entry"), format!("{entry:#x} _rt0_amd64_linux"));
    let (pc, rmain) = (nm_addr(&exe, "mainPC"), nm_addr(&exe, "runtime_main"));
    assert_eq!(
        summary_field(&out, "mainPC"),
        format!("{pc:#x} mainPC -> {rmain:#x} runtime_main")
    );
    assert_eq!(
        summary_field(&out, "main"),
        format!("{:#x} main", nm_addr(&exe, "main"))
    );
    assert!(
        summary_field(&out, "bootstrap").starts_with("ok (rtlink layout"),
        "{out}"
    );

    let (_, syms, _) = inspect(&exe, &["--nm", "-n"]);
    assert_eq!(
        summary_field(&out, "symbols"),
        format!("{} (.symtab, as nm lists them), DWARF debug info", syms.lines().count())
    );
}

#[test]
fn every_kind_of_elf_matches_nm_and_readelf() {
    let dir = tempdir();
    let zoo = zoo::build(dir.path());
    for file in zoo.all() {
        assert_matches_binutils(file);
    }
    for exe in [&zoo.c_pie, &zoo.c_nopie, &zoo.c_static] {
        let (code, out, _) = inspect(exe, &[]);
        assert_eq!(code, 0, "{out}");
        assert!(summary_field(&out, "bootstrap").starts_with("none (no mainPC"), "{out}");
        assert!(
            summary_field(&out, "entry").ends_with(" _start (C start code: _start -> __libc_start_main -> main)"),
            "{out}"
        );
        let main = format!("{:#x} main at kinds.c:", nm_addr(exe, "main"));
        assert!(summary_field(&out, "main").starts_with(&main), "{out}");
    }
    let (_, out, _) = inspect(&zoo.c_pie, &[]);
    assert!(
        summary_field(&out, "type").contains("dynamically linked (interpreter /lib"),
        "{out}"
    );
    let (_, out, _) = inspect(&zoo.obj32, &[]);
    assert_eq!(summary_field(&out, "type"), "ELF32 i386 relocatable object");
    let (_, syms, _) = inspect(&zoo.cpp_obj, &["--nm", "-n"]);
    assert!(syms.contains(" u _ZZ3inlvE1x") && syms.contains(" W _Z3inlv"), "{syms}");
}

#[test]
fn go_binary_has_the_go_layout() {
    let dir = tempdir();
    let exe = zoo::go_hello(dir.path());
    assert_matches_binutils(&exe);
    let (code, out, _) = inspect(&exe, &[]);
    assert_eq!(code, 0, "{out}");
    let (pc, rmain) = (nm_addr(&exe, "runtime.mainPC"), nm_addr(&exe, "runtime.main"));
    assert_eq!(
        summary_field(&out, "mainPC"),
        format!("{pc:#x} runtime.mainPC -> {rmain:#x} runtime.main")
    );
    assert_eq!(
        summary_field(&out, "main"),
        format!("{:#x} main.main at hello.go:5", nm_addr(&exe, "main.main"))
    );
    assert!(summary_field(&out, "bootstrap").starts_with("ok (Go layout"), "{out}");
}

/// Overwrites the 8 bytes at virtual address `addr` of an rtlink binary (whose first PT_LOAD
/// maps file offset 0 at 0x400000).
fn patch_word(exe: &Path, addr: u64, value: u64) {
    let mut bytes = std::fs::read(exe).unwrap();
    let off = (addr - 0x400000) as usize;
    bytes[off..off + 8].copy_from_slice(&value.to_le_bytes());
    std::fs::write(exe, bytes).unwrap();
}

#[test]
fn broken_layouts_are_reported() {
    let dir = tempdir();
    let d = dir.path();
    let exe = rtlink_hello(d);
    let (pc, main, rmain) = (
        nm_addr(&exe, "mainPC"),
        nm_addr(&exe, "main"),
        nm_addr(&exe, "runtime_main"),
    );
    let loads = text(&ok(Command::new("readelf").arg("-lW").arg(&exe)).stdout);
    assert!(
        loads
            .lines()
            .any(|l| l.split_whitespace().take(3).collect::<Vec<_>>() == ["LOAD", "0x000000", "0x0000000000400000"]),
        "{loads}"
    );

    // mainPC pointing at the user's main would skip the whole runtime.
    let skip = d.join("skip");
    std::fs::copy(&exe, &skip).unwrap();
    patch_word(&skip, pc, main);
    let (code, out, err) = inspect(&skip, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        summary_field(&out, "bootstrap").starts_with("FAILED (rtlink layout)"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "  - mainPC holds {main:#x} (main), not runtime_main at {rmain:#x}"
        )),
        "{out}"
    );
    assert_eq!(
        err,
        format!(
            "rtlink: {}: the bootstrap layout is broken (see above)\n",
            skip.display()
        )
    );

    // Entering at main instead of the runtime, linked by hand from the same parts.
    let rt = d.join("rt.o");
    let script = d.join("rtlink.ld");
    ok(rtlink().arg("runtime").arg("-o").arg(&rt).arg("--script").arg(&script));
    let bad_entry = d.join("bad_entry");
    ok(Command::new("ld")
        .args(["-static", "-nostdlib", "-z", "noexecstack", "-e", "main", "-T"])
        .arg(&script)
        .arg("-o")
        .arg(&bad_entry)
        .arg(&rt)
        .arg(d.join("hello.o")));
    let (code, out, _) = inspect(&bad_entry, &[]);
    assert_eq!(code, 1, "{out}");
    let (entry, main) = (nm_addr(&bad_entry, "_rt0_amd64_linux"), nm_addr(&bad_entry, "main"));
    assert!(
        out.contains(&format!(
            "  - the entry point is {main:#x} (main), not _rt0_amd64_linux at {entry:#x}"
        )),
        "{out}"
    );
}

#[test]
fn stripped_binary() {
    let dir = tempdir();
    let exe = rtlink_hello(dir.path());
    let stripped = dir.path().join("stripped");
    ok(Command::new("strip").arg("-o").arg(&stripped).arg(&exe));
    let (code, out, err) = inspect(&stripped, &[]);
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    assert_eq!(
        summary_field(&out, "entry"),
        format!("{:#x} ?", nm_addr(&exe, "_rt0_amd64_linux"))
    );
    assert!(
        summary_field(&out, "bootstrap").starts_with("none (no symbol table"),
        "{out}"
    );
    assert_eq!(
        summary_field(&out, "symbols"),
        "none (no .symtab; the file is stripped)"
    );
    // Like nm: nothing on stdout, a note on stderr.
    let (code, out, err) = inspect(&stripped, &["--nm", "-n"]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert_eq!(err, format!("rtlink: {}: no symbols\n", stripped.display()));
}

#[test]
fn bad_files_give_one_clear_error() {
    let dir = tempdir();
    let d = dir.path();
    let write = |name: &str, bytes: &[u8]| {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let exe = rtlink_hello(d);
    let elf = std::fs::read(&exe).unwrap();
    let cases = [
        (
            write("notes.txt", b"hello\n"),
            "not an ELF file (it starts with 68 65 6c 6c)".to_string(),
        ),
        (write("empty", b""), "the file is empty, not an ELF file".to_string()),
        (
            write("lib.a", b"!<arch>\n"),
            "an empty archive: no members to inspect".to_string(),
        ),
        (
            write("short", &elf[..40]),
            "truncated ELF header: the file has 40 bytes, the header needs 64".to_string(),
        ),
        (
            write("libfoo.so", b"/* GNU ld script */\nGROUP ( libfoo.so.1 )\n"),
            "a GNU ld script (text), not an ELF file; inspect the files it names".to_string(),
        ),
        (d.join("missing"), "No such file or directory".to_string()),
        (d.join("adir"), "is a directory, not an ELF file".to_string()),
    ];
    std::fs::create_dir(d.join("adir")).unwrap();
    for (file, msg) in cases {
        let (code, out, err) = inspect(&file, &[]);
        assert_eq!((code, out.as_str()), (1, ""), "{}: {err}", file.display());
        assert!(
            err.starts_with("rtlink: ") && err.contains(&msg),
            "{}: {err}",
            file.display()
        );
        assert!(err.contains(file.file_name().unwrap().to_str().unwrap()), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // A damaged table is named with its offsets; the sound parts are still shown.
    let phnum = u16::from_le_bytes([elf[56], elf[57]]);
    let cut = write("cut100", &elf[..100]);
    let (code, out, err) = inspect(&cut, &[]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("file:") && out.contains("type:      ELF64 x86-64 executable"),
        "{out}"
    );
    assert!(
        err.contains(&format!(
            "rtlink: {}: program header table at 0x40 ({phnum} entries of 56 bytes) runs past the end of the \
             file (size 0x64)\n",
            cut.display()
        )),
        "{err}"
    );
    assert!(
        err.ends_with("the file is damaged; the output above shows only its sound parts\n"),
        "{err}"
    );

    // Cut anywhere, the file is either still readable or refused; never a crash.
    for len in (0..elf.len()).step_by(211) {
        let cut = write("cut", &elf[..len]);
        let (code, _, err) = inspect(&cut, &[]);
        assert!(code == 0 || code == 1, "cut at {len}: exit {code}: {err}");
        assert!(!err.contains("panicked"), "cut at {len}: {err}");
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    // An object with far more symbols than a pipe buffers, so rtlink is still writing when
    // the reader goes away (as with `rtlink inspect big.o | head`).
    let dir = tempdir();
    let src: String = (0..8000).map(|i| format!("int variable_number_{i} = {i};\n")).collect();
    let obj = compile_str(dir.path(), "many", &src, &[]);
    let mut child = rtlink()
        .args(["inspect", "--nm"])
        .arg(&obj)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 5];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(&first, b"00000");
    assert!(out.status.success() && out.stderr.is_empty(), "{out:?}");
}

#[test]
fn check_is_quiet_when_ok_and_says_why_otherwise() {
    let dir = tempdir();
    let d = dir.path();
    let exe = rtlink_hello(d);
    assert_eq!(inspect(&exe, &["--check"]), (0, String::new(), String::new()));

    let broken = d.join("broken");
    std::fs::copy(&exe, &broken).unwrap();
    patch_word(&broken, nm_addr(&exe, "mainPC"), nm_addr(&exe, "main"));
    let (code, out, err) = inspect(&broken, &["--check"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.contains("  - mainPC holds") && err.ends_with("the bootstrap layout is broken\n"),
        "{err}"
    );

    let c = d.join("c");
    let src = d.join("c.c");
    std::fs::write(&src, "int main(void) { return 0; }\n").unwrap();
    ok(Command::new("gcc").arg(&src).arg("-o").arg(&c));
    let (code, out, err) = inspect(&c, &["--check"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.ends_with(
            "no bootstrap layout to check: no mainPC or runtime.mainPC symbol: not a self-bootstrapping program\n"
        ),
        "{err}"
    );
}

/// `readelf -SW` as (name, size, allocated) per section, in order.
fn readelf_sections(file: &Path) -> Vec<(String, u64, bool)> {
    let out = text(&ok(Command::new("readelf").arg("-SW").arg(file)).stdout);
    out.lines()
        .filter_map(|l| {
            let l = l.trim_start().strip_prefix('[')?;
            let (num, rest) = l.split_once(']')?;
            if num.trim() == "0" || num.trim() == "Nr" {
                return None;
            }
            let f: Vec<&str> = rest.split_whitespace().collect();
            let flags = if f.len() > 8 { f[6] } else { "" };
            Some((
                f[0].to_string(),
                u64::from_str_radix(f[4], 16).ok()?,
                flags.contains('A'),
            ))
        })
        .collect()
}

#[test]
fn size_attributes_bytes_to_runtime_and_user() {
    let dir = tempdir();
    let exe = rtlink_hello(dir.path());
    let (code, out, _) = inspect(&exe, &["--size", "--json"]);
    assert_eq!(code, 0, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let size = &doc[0]["Size"];
    let sections = size["Sections"].as_array().unwrap();
    let expected = readelf_sections(&exe);
    assert_eq!(sections.len(), expected.len());
    let mut file_total = size["Headers"].as_u64().unwrap();
    for (s, (name, bytes, alloc)) in sections.iter().zip(&expected) {
        assert_eq!(s["Name"], name.as_str());
        assert_eq!(s["Memory"].as_u64().unwrap(), if *alloc { *bytes } else { 0 }, "{name}");
        file_total += s["File"].as_u64().unwrap();
    }
    assert_eq!(file_total, std::fs::metadata(&exe).unwrap().len());
    // The user's code is exactly main; the runtime is most of the text.
    let text = sections.iter().find(|s| s["Name"] == ".text").unwrap();
    let nm = text_of(Command::new("nm").args(["-S"]).arg(&exe));
    let main_size = nm
        .lines()
        .find_map(|l| l.strip_suffix(" T main").and_then(|l| l.split_whitespace().nth(1)))
        .map(|s| u64::from_str_radix(s, 16).unwrap())
        .unwrap();
    assert_eq!(text["Owners"]["user"].as_u64(), Some(main_size), "{text}");
    assert!(text["Owners"]["runtime"].as_u64().unwrap() > 10 * main_size, "{text}");

    let (_, table, _) = inspect(&exe, &["--size"]);
    assert!(table.starts_with("section  "), "{table}");
    assert!(
        table.contains("\nruntime ") && table.contains("% of loaded memory"),
        "{table}"
    );
}

fn text_of(cmd: &mut Command) -> String {
    text(&ok(cmd).stdout)
}

#[test]
fn json_summary_agrees_with_the_text_and_the_tools() {
    let dir = tempdir();
    let d = dir.path();
    let exe = rtlink_hello(d);
    let (code, out, _) = inspect(&exe, &["--json"]);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let file = &doc[0];
    assert_eq!(file["FileSummary"]["Format"], "elf64-x86-64");
    assert_eq!(file["FileSummary"]["AddressSize"], "64bit");
    let s = &file["Summary"];
    let entry = u64::from_str_radix(readelf_h(&exe, "Entry point address").trim_start_matches("0x"), 16).unwrap();
    assert_eq!(s["Entry"]["Address"].as_u64(), Some(entry));
    assert_eq!(s["Entry"]["Symbol"], "_rt0_amd64_linux");
    assert_eq!(s["MainPC"]["Address"].as_u64(), Some(nm_addr(&exe, "mainPC")));
    assert_eq!(
        s["MainPC"]["Target"]["Address"].as_u64(),
        Some(nm_addr(&exe, "runtime_main"))
    );
    assert_eq!(s["MainPC"]["Target"]["Symbol"], "runtime_main");
    assert_eq!(s["Main"]["Address"].as_u64(), Some(nm_addr(&exe, "main")));
    assert_eq!(s["Bootstrap"]["Verdict"], "ok");
    assert_eq!(s["Bootstrap"]["Layout"], "rtlink");

    // A gcc binary carries a GNU build ID; the summary shows readelf's.
    let src = d.join("c.c");
    std::fs::write(&src, "int main(void) { return 0; }\n").unwrap();
    let c = d.join("c");
    ok(Command::new("gcc")
        .arg("-Wl,--build-id=sha1")
        .arg(&src)
        .arg("-o")
        .arg(&c));
    let notes = text_of(Command::new("readelf").arg("-n").arg(&c));
    let id = notes.lines().find_map(|l| l.trim().strip_prefix("Build ID: ")).unwrap();
    let (_, out, _) = inspect(&c, &[]);
    assert_eq!(summary_field(&out, "build-id"), id);
}

#[test]
fn archives_are_inspected_member_by_member() {
    let dir = tempdir();
    let zoo = zoo::build(dir.path());
    let (code, out, err) = inspect(&zoo.archive, &[]);
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    let ours: Vec<&str> = out.lines().filter(|l| l.starts_with("File: ")).collect();
    let readelf = text_of(Command::new("readelf").arg("-h").arg(&zoo.archive));
    let theirs: Vec<&str> = readelf.lines().filter(|l| l.starts_with("File: ")).collect();
    assert_eq!(ours, theirs);
    assert_eq!(ours.len(), 3);
    assert!(out.contains("type:      ELF32 i386 relocatable object"), "{out}");
}
