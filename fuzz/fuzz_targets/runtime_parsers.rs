//! Fuzz target: the runtime's parsers of what the kernel and the user hand a program (GODEBUG,
//! GOTRACEBACK, GOMAXPROCS, /proc/self/cgroup and mountinfo lines, cgroup v1 and v2 CPU limits,
//! the auxiliary vector), compiled for the host, over arbitrary bytes. Each must return, never
//! panic (overflow checks are on), and keep its invariants:
//! - `parse_procs` and `parse_u64` accept exactly the decimal numbers they document (for
//!   `parse_procs`, 1 to 2^31 - 1, leading zeros allowed, as Go's atoi32);
//! - a CPU limit is quota/period in thousandths of a CPU, rounded up, and never 0;
//! - `default_procs` stays within [1, ncpu];
//! - `Auxv::from_pairs` keeps the last value of each key before AT_NULL, and counts the pairs.
//!
//! Every input feeds every parser: the whole bytes, each line, the halves around the first
//! newline (v1 quota and period files), and 16-byte (key, value) pairs (auxv).
//! Run: bash scripts/fuzz.sh [SECONDS].
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtlink_runtime::cgroup::{self, Version};
use rtlink_runtime::os_linux::{self as os, Auxv};
use rtlink_runtime::runtime1::{self, DebugVars};

fuzz_target!(|data: &[u8]| {
    godebug(data);
    numbers(data);
    for line in data.split(|&c| c == b'\n') {
        cgroup_lines(line);
    }
    limits(data);
    auxv(data);
});

fn godebug(data: &[u8]) {
    let mut d = DebugVars::default();
    runtime1::parse_godebug(data, &mut d, &mut |name: &[u8]| {
        assert!(rtlink_runtime::cpu::mask_for(name).is_none())
    });
    runtime1::parse_late_vars(data);
    let level = runtime1::parse_traceback(data);
    let named = [&b"none"[..], b"0", b"all", b"2", b"system", b"crash"].contains(&data);
    assert!(level <= 2 && (level == 1) != named, "GOTRACEBACK {data:?}: {level}");
}

/// `digits` without leading zeros, as text.
fn canonical(digits: &[u8]) -> &[u8] {
    let start = digits.iter().position(|&c| c != b'0').unwrap_or(digits.len());
    &digits[start..]
}

fn numbers(data: &[u8]) {
    if let Some(n) = runtime1::parse_procs(data) {
        assert!((1..1 << 31).contains(&n), "GOMAXPROCS {n} from {data:?}");
        assert_eq!(n.to_string().as_bytes(), canonical(data));
    }
    if let Some(n) = cgroup::parse_u64(data) {
        let digits = data.trim_ascii();
        assert!(digits.len() <= 19);
        assert_eq!(n.to_string().as_bytes(), canonical(digits).max(b"0"));
    }
}

fn cgroup_lines(line: &[u8]) {
    match cgroup::parse_proc_cgroup_line(line) {
        Some((Version::V2, path)) => assert!(line.starts_with(b"0::") && line.ends_with(path)),
        Some((Version::V1, path)) => assert!(line.ends_with(path)),
        None => {}
    }
    if let Some(m) = cgroup::parse_mountinfo_line(line) {
        let within = |s: &[u8]| line.as_ptr_range().contains(&s.as_ptr()) || s.is_empty();
        assert!(within(m.root) && within(m.point));
    }
}

/// The exact limit, in thousandths of a CPU rounded up, of `quota` per `period`.
fn exact_milli(quota: u64, period: u64) -> u128 {
    (u128::from(quota) * 1000).div_ceil(u128::from(period))
}

fn limits(data: &[u8]) {
    let (quota, period) = match data.iter().position(|&c| c == b'\n') {
        Some(nl) => (&data[..nl], &data[nl + 1..]),
        None => (data, &b""[..]),
    };
    let cfs = cgroup::parse_cfs(quota, period);
    if let Some(m) = cfs {
        let (q, p) = (cgroup::parse_u64(quota).unwrap(), cgroup::parse_u64(period).unwrap());
        assert!(m >= 1);
        assert_eq!(u128::from(m), exact_milli(q, p), "cfs {q}/{p}");
    }
    let max = cgroup::parse_cpu_max(data);
    assert!(max != Some(0));
    let ncpu = data
        .get(..4)
        .map_or(1, |b| u32::from_le_bytes(b.try_into().unwrap()).max(1));
    let raw = data.get(4..12).map(|b| u64::from_le_bytes(b.try_into().unwrap()));
    for limit in [None, cfs, max, raw] {
        let n = cgroup::default_procs(ncpu, limit);
        assert!((1..=ncpu).contains(&n), "default_procs({ncpu}, {limit:?}) = {n}");
    }
}

fn auxv(data: &[u8]) {
    let word = |b: &[u8]| usize::from_le_bytes(b.try_into().unwrap());
    let pairs: Vec<(usize, usize)> = data.chunks_exact(16).map(|p| (word(&p[..8]), word(&p[8..]))).collect();
    let a = Auxv::from_pairs(pairs.iter().copied());
    let kept = &pairs[..pairs.iter().position(|p| p.0 == os::AT_NULL).unwrap_or(pairs.len())];
    let last = |key: usize| kept.iter().rev().find(|p| p.0 == key).map_or(0, |p| p.1);
    assert_eq!(a.count, kept.len());
    let fields = [
        (a.pagesz, os::AT_PAGESZ),
        (a.phdr, os::AT_PHDR),
        (a.phnum, os::AT_PHNUM),
        (a.hwcap, os::AT_HWCAP),
        (a.hwcap2, os::AT_HWCAP2),
        (a.secure, os::AT_SECURE),
        (a.random, os::AT_RANDOM),
        (a.vdso, os::AT_SYSINFO_EHDR),
        (a.execfn, os::AT_EXECFN),
    ];
    for (value, key) in fields {
        assert_eq!(value, last(key), "auxv key {key}");
    }
}
