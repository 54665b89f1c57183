//! The bootstrap chain, observed through `GODEBUG=inittrace=1`: every stage runs, in Go's
//! order, once, and reports values the test checks against the kernel, readelf and nm.
mod common;

use std::collections::HashMap;
use std::process::Command;

use common::*;

const STAGES: [&str; 16] = [
    "rt0_go",
    "check",
    "args",
    "osinit",
    "stackinit",
    "randinit",
    "mallocinit",
    "mcommoninit",
    "sigsave",
    "checkfds",
    "procresize",
    "schedinit",
    "newproc",
    "minit",
    "initsig",
    "runtime_main",
];

struct Line {
    stage: String,
    at_us: u64,
    rest: String,
}

/// Parses `init <stage> @<ms> ms, <ms> ms clock, <values>` lines; panics on anything else.
fn parse(stderr: &str) -> Vec<Line> {
    stderr
        .lines()
        .map(|l| {
            let msg = format!("not an inittrace line: {l:?}");
            let r = l.strip_prefix("init ").expect(&msg);
            let (stage, r) = r.split_once(" @").expect(&msg);
            let (at, r) = r.split_once(" ms, ").expect(&msg);
            let (took, rest) = r.split_once(" ms clock, ").expect(&msg);
            let us = |s: &str| {
                let (a, b) = s.split_once('.').expect(&msg);
                assert_eq!(b.len(), 3, "three decimals: {l}");
                a.parse::<u64>().unwrap() * 1000 + b.parse::<u64>().unwrap()
            };
            us(took);
            Line {
                stage: stage.into(),
                at_us: us(at),
                rest: rest.into(),
            }
        })
        .collect()
}

fn trace(exe: &std::path::Path, args: &[&str]) -> (String, Vec<Line>) {
    let mut cmd = run(exe);
    cmd.args(args)
        .env_clear()
        .env("GODEBUG", "inittrace=1")
        .env("A", "1")
        .env("B", "2");
    let (code, out, err) = output(&mut cmd);
    assert_eq!(code, 0, "{err}");
    (out, parse(&err))
}

#[test]
fn every_stage_runs_once_in_order() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "info.c", &[]);
    let (_, lines) = trace(&exe, &[]);
    let stages: Vec<&str> = lines.iter().map(|l| l.stage.as_str()).collect();
    assert_eq!(stages, STAGES);
    // Start times never go backwards (schedinit's line closes its sub-steps, and starts with
    // the first of them).
    let starts: Vec<u64> = lines
        .iter()
        .filter(|l| l.stage != "schedinit")
        .map(|l| l.at_us)
        .collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");
    let sched = lines.iter().find(|l| l.stage == "schedinit").unwrap();
    let stackinit = lines.iter().find(|l| l.stage == "stackinit").unwrap();
    assert!(sched.at_us <= stackinit.at_us);
}

#[test]
fn without_godebug_the_runtime_prints_nothing() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "info.c", &[]);
    let (code, _, err) = output(&mut run(&exe));
    assert_eq!((code, err.as_str()), (0, ""));
}

#[test]
fn stages_report_what_the_system_says() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "tls.c", &[]);
    let (_, lines) = trace(&exe, &["one", "two"]);
    let by: HashMap<&str, &str> = lines.iter().map(|l| (l.stage.as_str(), l.rest.as_str())).collect();

    // rt0_go: g0's stack is the top 64 KiB of the OS stack; no CPUID for a v1 program; the TLS
    // block is the program's PT_TLS.
    let rt0 = by["rt0_go"];
    let g0 = rt0.split("g0.stack=[").nth(1).unwrap();
    let (lo, hi) = g0.split_once(", ").unwrap();
    let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x").trim_end_matches(')'), 16).unwrap();
    assert_eq!(hex(hi.split(')').next().unwrap()) - hex(lo), 64 << 10, "{rt0}");
    assert_eq!(field(rt0, "amd64"), Some("v1"));
    assert_eq!(field(rt0, "cpuid"), Some("0"));
    let segs = text(&ok(Command::new("readelf").arg("-lW").arg(&exe)).stdout);
    let tls: Vec<&str> = segs
        .lines()
        .find(|l| l.trim_start().starts_with("TLS"))
        .unwrap()
        .split_whitespace()
        .collect();
    let memsz = u64::from_str_radix(tls[5].trim_start_matches("0x"), 16).unwrap();
    assert!(rt0.contains(&format!("tls={memsz}B/align 64")), "{rt0} vs {tls:?}");
    let block = memsz.next_multiple_of(64) + 64;
    assert!(
        rt0.contains(if block <= 1024 {
            "(static block)"
        } else {
            "(mapped block)"
        }),
        "{rt0}"
    );

    // args: what the kernel passed.
    let args = by["args"];
    assert_eq!(field(args, "argc"), Some("3"));
    assert_eq!(field(args, "envc"), Some("3"));
    assert_eq!(field(args, "pagesz"), Some("4096"));
    let phnum = segs
        .lines()
        .find_map(|l| l.strip_prefix("There are "))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    assert_eq!(field(args, "phnum"), Some(phnum));
    assert_ne!(field(args, "vdso"), Some("0x0"));
    assert_eq!(field(args, "secure"), Some("0"));

    // osinit: the affinity mask's CPUs.
    assert_eq!(field(by["osinit"], "ncpu"), Some(ncpu().to_string().as_str()));
    assert_eq!(field(by["osinit"], "pagesize"), Some("4096"));

    // newproc: the first goroutine starts at *mainPC, which is runtime_main.
    let np = by["newproc"];
    assert_eq!(field(np, "goid"), Some("1"));
    let target = format!("{:#x}", nm_addr(&exe, "runtime_main"));
    assert_eq!(field(np, "fn"), Some(format!("*mainPC={target}").as_str()), "{np}");
    let si = by["stackinit"];
    let main_kib = si.strip_prefix("main stack=").unwrap().split(' ').next().unwrap();
    assert!(
        np.contains(&format!(" {main_kib} ")),
        "newproc uses stackinit's size: {np} vs {si}"
    );

    assert!(by["initsig"].starts_with("handlers=4 (SIGSEGV SIGBUS SIGFPE SIGILL)"));
    assert_eq!(field(by["runtime_main"], "goid"), Some("1"));
    assert_eq!(field(by["checkfds"], "closed"), Some("none"));
    assert!(by["check"].starts_with("asm offsets=17 ok"), "{}", by["check"]);
}

#[test]
fn a_large_tls_block_gets_its_own_mapping() {
    let dir = tempdir();
    let code = r#"
        #include <rtlink.h>
        __thread char big[65536] = {1};
        __thread char tail = 9;
        int main(void) { big[65535] = 2; rt_printf("%d %d %d\n", big[0], big[65535], tail); return 0; }
    "#;
    let obj = compile_str(dir.path(), "bigtls", code, &[]);
    let exe = link(dir.path(), "bigtls", &[obj], &[]);
    let (out, lines) = trace(&exe, &[]);
    assert_eq!(out, "1 2 9\n");
    let rt0 = &lines[0].rest;
    assert!(
        rt0.contains("B/align") && rt0.contains("(mapped block)"),
        "64 KiB of TLS cannot use m0's static block: {rt0}"
    );
}

/// The `lo, hi` of a `[0x…, 0x…)` range after `key` in a trace line.
fn range_after(line: &str, key: &str) -> (u64, u64) {
    let r = line.split(key).nth(1).unwrap_or_else(|| panic!("no {key} in {line}"));
    let (lo, rest) = r.trim_start_matches('[').split_once(", ").unwrap();
    let hi = rest.split(')').next().unwrap();
    let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
    (hex(lo), hex(hi))
}

#[test]
fn main_stack_follows_rlimit_stack() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "deep.c", &["-O0"]);
    let run_with = |limit: &str, kib: u32| {
        output(
            Command::new("sh")
                .arg("-c")
                .arg(format!("ulimit -s {limit} && exec {} {kib}", exe.display()))
                .env("GODEBUG", "inittrace=1"),
        )
    };
    // With a finite limit, the main goroutine runs on the rest of the OS stack, right below
    // g0's 64 KiB, and gets all of the limit but what is above it.
    let (code, out, err) = run_with("2048", 1);
    assert_eq!((code, out.as_str()), (0, "deep 1 KiB ok\n"), "{err}");
    let lines = parse(&err);
    let by = |stage: &str| lines.iter().find(|l| l.stage == stage).unwrap().rest.clone();
    let si = by("stackinit");
    let size = si.strip_prefix("main stack=").unwrap().split(' ').next().unwrap();
    let kib: u64 = size.trim_end_matches("KiB").parse().unwrap();
    assert!(si.contains("KiB (RLIMIT_STACK, OS stack)"), "{si}");
    assert!((1900..2048 - 64).contains(&kib), "{si}");
    let (g0_lo, _) = range_after(&by("rt0_go"), "g0.stack=");
    let (lo, hi) = range_after(&by("newproc"), "stack=");
    assert_eq!(hi, g0_lo, "the main goroutine's stack ends where g0's begins");
    assert_eq!((hi - lo) >> 10, kib);
    assert_eq!(lo % 4096, 0, "the stack's lowest page is whole");

    // It really is that big: 1.5 MiB of frames fit, and 3 MiB end in a clean fatal signal.
    let (code, out, err) = run_with("2048", 1536);
    assert_eq!((code, out.as_str()), (0, "deep 1536 KiB ok\n"), "{err}");
    let (code, out, err) = run_with("2048", 3072);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("fatal error: unexpected signal SIGSEGV"), "{err}");

    // A limit too small to leave room below g0 gets a mapped stack of the minimum size.
    let (code, out, err) = run_with("96", 16);
    assert_eq!((code, out.as_str()), (0, "deep 16 KiB ok\n"), "{err}");
    assert!(err.contains("main stack=96 KiB (RLIMIT_STACK) "), "{err}");

    // With no limit it is a mapped stack of the 1 GiB cap, guard page below.
    let (code, _, err) = run_with("unlimited", 4096);
    assert_eq!(code, 0, "{err}");
    let lines = parse(&err);
    let si = &lines.iter().find(|l| l.stage == "stackinit").unwrap().rest;
    assert!(si.starts_with("main stack=1048576 KiB (RLIMIT_STACK) "), "{si}");
}
