//! `rtlink inspect FILE --disassemble [SYMBOL]` against `objdump -d --no-show-raw-insn
//! --disassemble=SYMBOL`, function by function, and the entry chain the summary shows.
//! objdump's synthetic `name@plt` symbols are the one known difference (static rtlink and Go
//! programs have no PLT, so on them every function must match).
mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn objdump(file: &Path, symbol: &str) -> String {
    let out = text(
        &ok(Command::new("objdump")
            .args(["-d", "--no-show-raw-insn"])
            .arg(format!("--disassemble={symbol}"))
            .arg(file))
        .stdout,
    );
    // Keep the function's own lines: from its header, without section banners or blank lines.
    let header = out
        .lines()
        .position(|l| l.ends_with(&format!(" <{symbol}>:")))
        .unwrap_or(out.lines().count());
    out.lines()
        .skip(header)
        .filter(|l| !l.is_empty() && !l.starts_with("Disassembly of section"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn functions(file: &Path, limit: usize) -> Vec<String> {
    let nm = text(&ok(Command::new("nm").arg(file)).stdout);
    let mut names: Vec<String> = nm
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (_, t, n) = (w.next()?, w.next()?, w.next()?);
            matches!(t, "T" | "t").then(|| n.to_string())
        })
        .collect();
    names.sort();
    names.dedup();
    names.truncate(limit);
    names
}

#[test]
fn every_function_matches_objdump_on_rtlink_and_go_binaries() {
    let dir = tempdir();
    let zoo = zoo::build(dir.path());
    let mut compared = 0;
    for (file, limit) in [(&zoo.rtlink_exe, 500), (&zoo.go_exe, 250)] {
        for f in functions(file, limit) {
            let (code, ours, err) = output(rtlink().arg("inspect").arg(file).args(["--disassemble", &f]));
            assert_eq!(code, 0, "{f}: {err}");
            let theirs = objdump(file, &f);
            if ours != theirs {
                let line = ours.lines().zip(theirs.lines()).position(|(a, b)| a != b).unwrap_or(0);
                panic!(
                    "{} {f}: line {}:\n  ours:    {:?}\n  objdump: {:?}",
                    file.display(),
                    line + 1,
                    ours.lines().nth(line),
                    theirs.lines().nth(line)
                );
            }
            compared += theirs.lines().count();
        }
    }
    assert!(compared > 5_000, "only {compared} instructions compared");
}

#[test]
fn the_entry_function_by_default_and_the_chain_in_the_summary() {
    let dir = tempdir();
    let zoo = zoo::build(dir.path());
    let exe = &zoo.rtlink_exe;
    let (_, ours, _) = output(rtlink().arg("inspect").arg(exe).arg("--disassemble"));
    assert_eq!(ours, objdump(exe, "_rt0_amd64_linux"));
    assert!(ours.contains("jmp    ") && ours.contains(" <_rt0_amd64>\n"), "{ours}");

    let (_, summary, _) = output(rtlink().arg("inspect").arg(exe));
    assert!(
        summary.contains("\nchain:     _rt0_amd64_linux -> _rt0_amd64 -> runtime_rt0_go\n"),
        "{summary}"
    );
    let (_, summary, _) = output(rtlink().arg("inspect").arg(&zoo.go_exe));
    assert!(
        summary.contains("\nchain:     _rt0_amd64_linux -> _rt0_amd64 -> runtime.rt0_go"),
        "{summary}"
    );
    let (_, summary, _) = output(rtlink().arg("inspect").arg(&zoo.c_static));
    assert!(
        !summary.contains("chain:"),
        "_start calls through the GOT; no chain:\n{summary}"
    );

    let (code, _, err) = output(
        rtlink()
            .arg("inspect")
            .arg(exe)
            .args(["--disassemble", "no_such_function"]),
    );
    assert_eq!(code, 1);
    assert!(err.contains("no symbol \"no_such_function\" to disassemble"), "{err}");
}
