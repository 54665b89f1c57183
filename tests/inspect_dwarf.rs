//! `rtlink inspect FILE --addr …` against `addr2line -f [-i] [-C] -e FILE …`, and the source
//! lines the summary shows for the entry point and main. The one known difference, GNU's
//! ` (discriminator N)` suffix, is written down in ARCHITECTURE.md; addresses where addr2line
//! prints one are left out and counted.
mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// Every function symbol's address and the address 5 bytes into it, in hex.
fn probe_addresses(file: &Path, limit: usize) -> Vec<String> {
    let nm = text(&ok(Command::new("nm").arg("-n").arg(file)).stdout);
    nm.lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (a, t) = (w.next()?, w.next()?);
            matches!(t, "T" | "t" | "W")
                .then(|| u64::from_str_radix(a, 16).ok())
                .flatten()
        })
        .take(limit)
        .flat_map(|a| [format!("{a:#x}"), format!("{:x}", a + 5)])
        .collect()
}

/// Compares, address by address; returns how many were skipped for discriminators.
fn compare(file: &Path, addrs: &[String], flags: &[&str]) -> usize {
    let theirs = text(
        &ok(Command::new("addr2line")
            .arg("-f")
            .args(flags)
            .arg("-e")
            .arg(file)
            .args(addrs))
        .stdout,
    );
    let mut ours_args: Vec<&str> = vec!["inspect"];
    let file_s = file.to_str().unwrap();
    ours_args.push(file_s);
    ours_args.push("--addr");
    ours_args.extend(addrs.iter().map(String::as_str));
    for f in flags {
        ours_args.push(match *f {
            "-i" => "--inlines",
            "-C" => "--demangle",
            other => panic!("no mapping for {other}"),
        });
    }
    let ours = text(&ok(rtlink().args(&ours_args)).stdout);
    // Without -i every address is exactly two lines; with -i, compare the whole text.
    if flags.contains(&"-i") {
        let strip = |s: &str| -> String {
            s.lines()
                .map(|l| l.split(" (discriminator").next().unwrap())
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(
            strip(&ours),
            strip(&theirs),
            "addr2line -f {} -e {}",
            flags.join(" "),
            file.display()
        );
        return 0;
    }
    let (o, t): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), theirs.lines().collect());
    assert_eq!(o.len(), t.len(), "{}:\n{ours}\nvs\n{theirs}", file.display());
    let mut skipped = 0;
    for (i, addr) in addrs.iter().enumerate() {
        let (a, b) = (&o[2 * i..2 * i + 2], &t[2 * i..2 * i + 2]);
        if b[1].contains("(discriminator") {
            skipped += 1;
            continue;
        }
        assert_eq!(a, b, "addr2line -f {} -e {} {addr}", flags.join(" "), file.display());
    }
    skipped
}

#[test]
fn addresses_match_addr2line_on_rtlink_c_and_go_binaries() {
    let dir = tempdir();
    let d = dir.path();
    let zoo = zoo::build(d);
    let deep_o0 = {
        let obj = compile(d, &program("deep.c"), &["-g", "-O0"]);
        link(d, "deep_o0", &[obj], &[])
    };
    let mut skipped = 0;
    for file in [&zoo.rtlink_exe, &deep_o0, &zoo.c_static, &zoo.c_pie, &zoo.go_exe] {
        let addrs = probe_addresses(file, 400);
        assert!(addrs.len() > 20, "{}", file.display());
        skipped += compare(file, &addrs, &[]);
    }
    // C++ names, mangled and demangled.
    let cpp = probe_addresses(&zoo.cpp_exe, 400);
    skipped += compare(&zoo.cpp_exe, &cpp, &[]);
    skipped += compare(&zoo.cpp_exe, &cpp, &["-C"]);
    assert!(skipped < 10, "{skipped} addresses had discriminators");
    // Addresses nothing knows.
    compare(&zoo.rtlink_exe, &["0x0".into(), "ffffffff".into()], &[]);
}

#[test]
fn inlined_calls_match_addr2line_i() {
    let dir = tempdir();
    let d = dir.path();
    let obj = compile_str(
        d,
        "inl",
        r#"#include <rtlink.h>
static inline __attribute__((always_inline)) int leaf(int x) { return x * 3 + rt_goid(); }
static inline __attribute__((always_inline)) int mid(int x) { return leaf(x) + leaf(x + 1); }
int main(int argc, char **argv) { (void)argv; return mid(argc) & 1; }
"#,
        &["-g", "-O2"],
    );
    let exe = link(d, "inl", &[obj], &[]);
    let main = nm_addr(&exe, "main");
    let addrs: Vec<String> = (0..24).map(|i| format!("{:#x}", main + i)).collect();
    compare(&exe, &addrs, &["-i"]);
    let (_, out, _) = output(
        rtlink()
            .arg("inspect")
            .arg(&exe)
            .arg("--addr")
            .args(&addrs)
            .arg("--inlines"),
    );
    assert!(
        out.contains("\nleaf\n") && out.contains("\nmid\n"),
        "inlined frames are shown:\n{out}"
    );
}

#[test]
fn the_summary_shows_source_lines_and_bad_addresses_are_refused() {
    let dir = tempdir();
    let d = dir.path();
    let obj = compile(d, &program("deep.c"), &["-g", "-O0"]);
    let exe = link(d, "deep", &[obj], &[]);
    let (code, out, _) = output(rtlink().arg("inspect").arg(&exe));
    assert_eq!(code, 0, "{out}");
    let main = nm_addr(&exe, "main");
    let a2l = text(&ok(Command::new("addr2line").arg("-e").arg(&exe).arg(format!("{main:#x}"))).stdout);
    let line = a2l.trim().rsplit('/').next().unwrap();
    assert!(out.contains(&format!("main:      {main:#x} main at {line}\n")), "{out}");

    let (code, _, err) = output(rtlink().arg("inspect").arg(&exe).args(["--addr", "main"]));
    assert_eq!(code, 1);
    assert!(
        err.contains("\"main\" is not an address (give it in hex, like 0x401000)"),
        "{err}"
    );
    let (code, _, err) = output(rtlink().arg("inspect").arg(d.join("deep.o")).args(["--addr", "0x10"]));
    assert_eq!(code, 1);
    assert!(
        err.contains("an object file's DWARF is not relocated yet; link it first"),
        "{err}"
    );
}

#[test]
fn addr_disassembly_and_nm_have_json_forms() {
    let dir = tempdir();
    let d = dir.path();
    let obj = compile(d, &program("deep.c"), &["-g", "-O0"]);
    let exe = link(d, "deep", &[obj], &[]);
    let main = nm_addr(&exe, "main");
    let json = |args: &[&str]| -> serde_json::Value {
        let (code, out, err) = output(rtlink().arg("inspect").args(args));
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    };
    let exe_s = exe.to_str().unwrap();
    let doc = json(&[exe_s, "--json", "--addr", &format!("{main:#x}")]);
    let frame = &doc[0]["Addresses"][0]["Frames"][0];
    assert_eq!(frame["Function"], "main");
    assert!(frame["Location"].as_str().unwrap().ends_with("deep.c:25"), "{frame}");
    let doc = json(&[exe_s, "--json", "--disassemble", "main"]);
    assert_eq!(doc[0]["Disassembly"]["Address"].as_u64(), Some(main));
    assert!(doc[0]["Disassembly"]["Instructions"].as_array().unwrap().len() > 5);
    let doc = json(&["--json", "--nm", "-n", "-l", exe_s]);
    let syms = doc[0]["Symbols"].as_array().unwrap();
    let m = syms.iter().find(|s| s["Name"] == "main").unwrap();
    assert_eq!((m["Value"].as_u64(), m["Type"].as_str()), (Some(main), Some("T")));
    assert!(m["Line"].as_str().unwrap().ends_with("deep.c:24"), "{m}");
}
