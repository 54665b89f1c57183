//! `rtlink build --static-pie`: an ET_DYN without an interpreter that relocates itself at start,
//! runs at a different address every time and protects its relocated data (PT_GNU_RELRO),
//! checked against readelf and by running it, with each linker that can make one; and the
//! inputs and linkers it refuses, with their messages.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// `readelf -lW` of a file: its segment lines ("  LOAD  0x... RW 0x1000").
fn segments(exe: &Path) -> Vec<String> {
    let out = text(&ok(Command::new("readelf").arg("-lW").arg(exe)).stdout);
    out.lines()
        .skip_while(|l| !l.trim_start().starts_with("Type"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect()
}

/// Compiles a tests/programs file position-independent and links it as a static-PIE.
fn build_pie(dir: &Path, file: &str, ld: &str) -> PathBuf {
    let obj = compile(dir, &program(file), &["-fPIE"]);
    link(dir, &format!("{file}.{ld}"), &[obj], &["--static-pie", "--ld", ld])
}

#[test]
fn a_static_pie_runs_at_a_new_address_every_time_with_every_linker() {
    let dir = tempdir();
    for ld in ["bfd", "lld", "mold", "internal"] {
        let exe = build_pie(dir.path(), "pie.c", ld);
        let header = text(&ok(Command::new("readelf").arg("-hW").arg(&exe)).stdout);
        assert!(
            header.contains("DYN (Position-Independent Executable file)"),
            "{ld}: {header}"
        );
        let segs = segments(&exe);
        assert!(segs.iter().any(|s| s.starts_with("GNU_RELRO")), "{ld}: {segs:?}");
        assert!(
            segs.iter().any(|s| s.starts_with("GNU_STACK") && s.contains(" RW ")),
            "{ld}: {segs:?}"
        );
        assert!(
            !segs.iter().any(|s| s.starts_with("INTERP") || s.contains("RWE")),
            "{ld}: {segs:?}"
        );
        let relocs = text(&ok(Command::new("readelf").arg("-rW").arg(&exe)).stdout);
        let kinds: Vec<&str> = relocs
            .lines()
            .filter_map(|l| l.split_whitespace().nth(2))
            .filter(|k| k.starts_with("R_"))
            .collect();
        assert!(
            !kinds.is_empty() && kinds.iter().all(|k| *k == "R_X86_64_RELATIVE"),
            "{ld}: {relocs}"
        );

        let mut mains = Vec::new();
        for _ in 0..2 {
            let (code, out, err) = output(&mut run(&exe));
            assert_eq!(code, 0, "{ld}: {err}");
            assert!(out.ends_with(" zero one two\n"), "{ld}: {out}");
            mains.push(out.split_whitespace().next().unwrap().to_string());
        }
        assert_ne!(mains[0], mains[1], "{ld}: ASLR");

        let summary = text(&ok(rtlink().arg("inspect").arg(&exe)).stdout);
        assert!(summary.contains(" mainPC -> "), "{ld}: {summary}");
        let main_pc = summary.lines().find(|l| l.starts_with("mainPC:")).unwrap();
        let runtime_main = nm_addr(&exe, "runtime_main");
        assert!(
            main_pc.ends_with(&format!("-> {runtime_main:#x} runtime_main")),
            "{ld}: {main_pc}"
        );
        assert!(
            summary.contains("hardening: nx-stack relro pie canary"),
            "{ld}: {summary}"
        );
        ok(rtlink()
            .args(["inspect", "--check", "--require", "all,bootstrap"])
            .arg(&exe));
    }
}

#[test]
fn relocated_data_is_read_only_once_the_program_runs() {
    let dir = tempdir();
    let exe = build_pie(dir.path(), "pie.c", "bfd");
    let (code, out, err) = output(run(&exe).arg("relro"));
    assert_eq!(code, 2, "{out}{err}");
    assert!(!out.contains("wrote"), "{out}");
    let names = out.split_whitespace().nth(1).unwrap().strip_prefix("names=").unwrap();
    let names = u64::from_str_radix(names.trim_start_matches("0x"), 16).unwrap();
    // SEGV_ACCERR (2): the page is mapped, but not writable any more.
    assert!(
        err.starts_with(&format!(
            "fatal error: unexpected signal SIGSEGV: segmentation violation\naddr={:#x} pc=",
            names + 8
        )) && err.lines().nth(1).unwrap().ends_with(" sigcode=2"),
        "{err}"
    );
    // And the stack protector (on by default in rtlink cflags) catches an overflow.
    let (code, _, err) = output(run(&exe).arg("canary"));
    assert_eq!(code, 2);
    assert!(err.starts_with("fatal error: stack smashing detected\n"), "{err}");
}

#[test]
fn programs_give_the_same_output_as_static_pies() {
    let dir = tempdir();
    for file in ["ctors.c", "tls.c", "channels.c"] {
        let exec = build_program(dir.path(), file, &[]);
        let pie = build_pie(dir.path(), file, "bfd");
        // stdout and the status (channels.c's stderr says how many threads ran, which varies).
        let (code, out, err) = output(&mut run(&exec));
        assert_eq!(code, 0, "{file}: {err}");
        let (pie_code, pie_out, pie_err) = output(&mut run(&pie));
        assert_eq!((pie_code, pie_out), (code, out), "{file}: {pie_err}");
    }
    // Preemption finds the user's code at its relocated address: on one P, two goroutines
    // that never yield take turns only if sysmon's signal preempts them there.
    let pie = build_pie(dir.path(), "preempt.c", "bfd");
    let (code, out, err) = output(run(&pie).env("GOMAXPROCS", "1"));
    assert_eq!((code, out.as_str()), (0, "same=1,1 took_turns=1\n"), "{err}");
}

#[test]
fn what_a_static_pie_cannot_hold_is_refused_by_name() {
    let dir = tempdir();
    let out = dir.path().join("app");
    let fails = |args: &[&str]| {
        let (code, stdout, err) = output(rtlink().current_dir(dir.path()).arg("build").args(args));
        assert_eq!((code, stdout.as_str()), (1, ""), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?}");
        err
    };
    let pie_obj = compile(dir.path(), &program("pie.c"), &["-fPIE"]);
    let err = fails(&["--static-pie", "--ld", "gold", pie_obj.to_str().unwrap(), "-o", "app"]);
    assert_eq!(
        err,
        "rtlink: --static-pie: gold cannot link a static-PIE (-pie and -static are incompatible there); use --ld bfd, lld or mold\n"
    );
    // Code compiled for a fixed address: the linker says which object and what to do.
    let fixed = compile_str(
        dir.path(),
        "fixed",
        "#include <rtlink.h>\nint main(void) { rt_print(\"hi\\n\"); return 0; }\n",
        &[],
    );
    let err = fails(&["--static-pie", fixed.to_str().unwrap(), "-o", "app"]);
    assert!(
        err.contains("fixed.o: relocation R_X86_64_32") && err.contains("recompile with -fPIE"),
        "{err}"
    );
    assert!(
        err.ends_with("rtlink: link failed: ld exited with exit status: 1; app was not written\n"),
        "{err}"
    );
    // An IFUNC would need an IRELATIVE relocation, which no rtlink program applies.
    let ifunc = compile_str(
        dir.path(),
        "ifunc",
        "#include <rtlink.h>\nstatic int one(void) { return 1; }\n\
         static int (*pick(void))(void) { return one; }\n\
         int f(void) __attribute__((ifunc(\"pick\")));\n\
         int main(void) { return f(); }\n",
        &["-fPIE"],
    );
    for layout in [&["--static-pie"][..], &[]] {
        let mut args = layout.to_vec();
        args.extend([ifunc.to_str().unwrap(), "-o", "app"]);
        assert_eq!(
            fails(&args),
            format!("rtlink: {}: f is an IFUNC (STT_GNU_IFUNC, from __attribute__((ifunc)) or target_clones): rtlink's runtime applies no IRELATIVE relocations; choose the implementation at start-up through a function pointer instead\n", ifunc.display())
        );
    }
}
