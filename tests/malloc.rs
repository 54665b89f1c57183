//! The malloc family as C programs see it (tests/programs/malloc.c): random sequences checked
//! against a shadow model, alone, on several goroutines over 2 Ps, with no P and from a signal
//! handler; C's edge cases; memory going back to the OS; and the fatal reports for double
//! frees, wild frees and writes to freed memory. Every run has a time limit.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

/// malloc.c, built once for all the tests here.
fn exe() -> &'static Path {
    static EXE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    built_once(&EXE, "malloc.c")
}

/// Runs malloc.c with `args`, GOMAXPROCS=`procs` and GODEBUG=`godebug`, for at most `secs`.
fn run_malloc(procs: &str, godebug: &str, args: &[&str], secs: u32) -> (i32, String, String) {
    output(
        Command::new("timeout")
            .arg(secs.to_string())
            .arg(exe())
            .args(args)
            .env("GODEBUG", godebug)
            .env("GOMAXPROCS", procs),
    )
}

fn ok_line(procs: &str, godebug: &str, args: &[&str], secs: u32) -> String {
    let (code, out, err) = run_malloc(procs, godebug, args, secs);
    assert_eq!(code, 0, "{args:?} GODEBUG={godebug}: {out}{err}");
    assert!(out.starts_with("ok "), "{args:?}: {out}{err}");
    out
}

#[test]
fn random_operations_keep_every_block_intact_aligned_and_apart() {
    let out = ok_line("1", "", &["shadow", "300000"], 60);
    assert!(out.contains("balanced=1"), "every malloc freed: {out}");
    let mallocs: u64 = field(out.trim(), "mallocs").unwrap().parse().unwrap();
    assert!(mallocs > 150_000, "{out}");
    // The same under the debug mode, where every free goes to the span bitmaps and reuse
    // checks the poison.
    let out = ok_line("1", "mallocdebug=1", &["shadow", "60000"], 60);
    assert!(out.contains("balanced=1"), "{out}");
}

#[test]
fn goroutines_on_two_ps_allocate_and_free_each_others_blocks() {
    for godebug in ["", "mallocdebug=1"] {
        let out = ok_line("2", godebug, &["goroutines", "8", "30000"], 60);
        let (sent, received) = (
            field(out.trim(), "sent").unwrap(),
            field(out.trim(), "received").unwrap(),
        );
        assert_eq!(sent, received, "{out}");
        assert!(sent.parse::<u64>().unwrap() > 1000, "{out}");
        assert!(out.contains("balanced=1"), "{out}");
    }
}

#[test]
fn a_hundred_thousand_goroutines_each_allocate_and_free() {
    let out = ok_line("2", "", &["many", "100000"], 60);
    assert_eq!(out, "ok mallocs=300000 balanced=1\n");
}

#[test]
fn c_semantics_for_zero_sizes_overflow_alignment_and_huge_blocks() {
    let out = ok_line("1", "", &["edge"], 30);
    // A 3 GiB calloc of fresh pages is not cleared by hand, so it costs no memory.
    let rss: u64 = field(out.trim(), "rss_after_3gib_calloc_kib").unwrap().parse().unwrap();
    assert!(rss < 64 << 10, "calloc touched its fresh pages: RSS {rss} KiB");
}

#[test]
fn threads_without_a_p_and_signal_handlers_may_free() {
    assert_eq!(ok_line("1", "", &["nop"], 20), "ok balanced=1\n");
    let out = ok_line("1", "", &["signal", "3000000"], 60);
    let frees: u64 = field(out.trim(), "handler_frees").unwrap().parse().unwrap();
    assert!(frees > 100, "the timer signal should have freed blocks: {out}");
    assert!(out.contains("balanced=1"), "{out}");
}

#[test]
fn freed_pages_go_back_to_the_os_within_a_second() {
    // benches/malloc.c's release mode: 200 MiB in blocks of 16-4,096 B, all freed, then 1 s.
    let dir = tempdir();
    let obj = compile(
        dir.path(),
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/malloc.c"),
        &["-DRTLINK"],
    );
    let bench = link(dir.path(), "malloc-bench", &[obj], &[]);
    let release = |godebug: &str, mib: &str| -> Vec<u64> {
        let (code, out, err) = output(run(&bench).args(["release", mib]).env("GODEBUG", godebug));
        assert_eq!(code, 0, "{out}{err}");
        out.split_whitespace().filter_map(|w| w.parse().ok()).collect()
    };
    let v = release("", "200");
    let (peak, after_free, after_1s, released_before, released_after) = (v[0], v[1], v[2], v[3], v[4]);
    assert!(peak > 200 << 10, "200 MiB touched: {v:?}");
    // The frees alone keep the pages (the scavenger waits for them to be idle) ...
    assert!(after_free > peak / 2, "{v:?}");
    // ... then at least 90% of what was freed leaves RSS within the second.
    assert!(peak - after_1s >= (peak - 4096) * 9 / 10, "{v:?}");
    assert!(released_after >= released_before + (180 << 10), "{v:?}");
    // MADV_FREE (madvdontneed=0) releases lazily: RSS stays until the kernel needs the pages,
    // but the heap counts them released.
    let v = release("madvdontneed=0", "100");
    assert!(v[4] >= v[3] + (90 << 10), "{v:?}");
}

#[test]
fn a_p_leaving_service_gives_its_cache_back() {
    // Main spins until the goroutine has run; with preemption off it cannot lose its P, so the
    // goroutine runs on (and fills the cache of) the other one.
    let out = ok_line("2", "asyncpreemptoff=1", &["retire"], 20);
    let (before, after) = (get_from(&out, "inuse_before"), get_from(&out, "inuse_after"));
    assert!(
        before > 0 && after < before,
        "the retired P's cached blocks pin their span: {out}"
    );
    assert!(out.contains("balanced=1"), "{out}");
}

#[test]
fn stacks_of_dead_goroutines_go_back_to_the_os() {
    let (code, out, err) = run_malloc("2", "", &["stacks", "2000"], 30);
    assert_eq!(code, 0, "{out}{err}");
    let (before, ended, after) = (
        get_from(&out, "before"),
        get_from(&out, "ended"),
        get_from(&out, "after_1s"),
    );
    // 2,000 stacks with 64 KiB touched each, kept by their dead Gs for reuse ...
    assert!(ended > before + (100 << 10), "{out}");
    // ... and released once dead for a scavenger pass.
    assert!(ended - after >= (ended - before) * 9 / 10, "{out}");
    // The scavenger is the runtime's: the program sees only main.
    assert_eq!(get_from(&out, "goroutines"), 1, "{out}");
}

fn get_from(out: &str, k: &str) -> u64 {
    field(out.trim(), k)
        .unwrap_or_else(|| panic!("{k} in {out}"))
        .parse()
        .unwrap()
}

/// Runs a misuse mode and returns stderr, checking the exit status 2 and that the program did
/// not carry on.
fn misuse(godebug: &str, args: &[&str]) -> String {
    let (code, out, err) = run_malloc("1", godebug, args, 20);
    assert_eq!(code, 2, "{args:?} GODEBUG={godebug}: {out}{err}");
    assert!(!out.contains("not caught"), "{args:?}: {out}{err}");
    err
}

#[test]
fn double_frees_and_wild_frees_are_fatal_errors() {
    let double = |err: &str| {
        let line = fatal_line(err);
        assert!(line.starts_with("fatal error: double free of 0x"), "{err}");
        assert!(line.ends_with(" (size class 48)"), "{err}");
    };
    // With the debug mode, any double free; without it, a block still in this P's cache
    // (right after the first free, or with other frees between).
    double(&misuse("mallocdebug=1", &["doublefree", "small"]));
    double(&misuse("", &["doublefree", "adjacent"]));
    double(&misuse("", &["doublefree", "small"]));
    let foreign = "which malloc did not return or which was already freed";
    for (godebug, kind) in [
        ("", "large"),
        ("", "wild"),
        ("", "interior"),
        ("mallocdebug=1", "interior"),
    ] {
        let err = misuse(godebug, &["doublefree", kind]);
        assert!(
            err.starts_with("fatal error: free of 0x") && err.contains(foreign),
            "{kind}: {err}"
        );
    }
}

#[test]
fn a_write_to_freed_memory_is_reported_in_debug_mode() {
    let err = misuse("mallocdebug=1", &["uaf"]);
    assert!(err.starts_with("fatal error: write to freed memory at 0x"), "{err}");
    assert!(err.contains("size class 48"), "{err}");
}
