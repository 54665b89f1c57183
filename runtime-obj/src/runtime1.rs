//! Arguments, environment and debug settings, and the start-up self-check (Go: runtime1.go).
//!
//! Invariants:
//! - `scan_env` runs once in rt0_go and is the only walk over envp at start-up: it finds the
//!   end of envp (hence the auxiliary vector) and the runtime's own variables (GODEBUG,
//!   GOMAXPROCS), so later stages never search the environment again.
//! - GODEBUG is parsed right there, because `inittrace` must time rt0_go itself and
//!   `cpu.<feature>=off` must apply to the microarchitecture check, both of which happen before
//!   schedinit (where Go parses it). So the auxiliary vector is parsed there too (into
//!   `OS.auxv`): with AT_SECURE (a setuid-like start) GODEBUG is treated as unset from the
//!   first instruction on, and no stage ever traces (the trace shows addresses and the
//!   AT_RANDOM seed).
//! - ARGS, ENV and DEBUG are written on m0 during the bootstrap and read-only afterwards.
use crate::fields::Fields;
use crate::global::Global;

pub struct Args {
    pub argc: i32,
    pub argv: *const *const u8,
    pub envp: *const *const u8,
    pub envc: usize,
    pub auxv: *const usize,
}

/// Values (after the `=`) of the runtime's environment variables; null when unset.
pub struct Env {
    pub godebug: *const u8,
    pub gomaxprocs: *const u8,
}

#[derive(Default)]
pub struct DebugVars {
    pub inittrace: bool,
    /// Features masked by `cpu.<name>=off`, bits as in `cpu::FEATURES`.
    pub cpu_off: u64,
}

pub static ARGS: Global<Args> = Global::new(Args {
    argc: 0,
    argv: core::ptr::null(),
    envp: core::ptr::null(),
    envc: 0,
    auxv: core::ptr::null(),
});
pub static ENV: Global<Env> = Global::new(Env {
    godebug: core::ptr::null(),
    gomaxprocs: core::ptr::null(),
});
pub static DEBUG: Global<DebugVars> = Global::new(DebugVars {
    inittrace: false,
    cpu_off: 0,
});

/// If the NUL-terminated `entry` is `NAME=value`, the address of value.
///
/// # Safety
/// `entry` must be NUL-terminated.
unsafe fn env_value(entry: *const u8, name: &[u8]) -> Option<*const u8> {
    for (i, &c) in name.iter().enumerate() {
        // SAFETY: stops at the first mismatch; the NUL mismatches every name byte.
        if unsafe { *entry.add(i) } != c {
            return None;
        }
    }
    // SAFETY: the whole name matched, so entry[name.len()] is within the string.
    (unsafe { *entry.add(name.len()) } == b'=').then(|| entry.wrapping_add(name.len() + 1))
}

/// Walks envp once (see the module doc), parses the auxiliary vector after it into `OS.auxv`,
/// and parses GODEBUG unless AT_SECURE is set.
///
/// # Safety
/// `argv` must be the kernel's argv for `argc` arguments, followed by envp and auxv.
pub unsafe fn scan_env(argc: i32, argv: *const *const u8) {
    // SAFETY: the kernel's layout: argv[argc] is NULL, envp follows and ends with NULL, and
    // every entry is a NUL-terminated string. Globals are written on m0 only.
    unsafe {
        let envp = argv.add(argc as usize + 1);
        let env = &mut *ENV.get();
        let mut n = 0;
        while !(*envp.add(n)).is_null() {
            let e = *envp.add(n);
            if *e == b'G' {
                if let Some(v) = env_value(e, b"GODEBUG") {
                    env.godebug = v;
                } else if let Some(v) = env_value(e, b"GOMAXPROCS") {
                    env.gomaxprocs = v;
                }
            }
            n += 1;
        }
        let a = &mut *ARGS.get();
        a.argc = argc;
        a.argv = argv;
        a.envp = envp;
        a.envc = n;
        a.auxv = envp.add(n + 1) as *const usize;
        let aux = crate::os_linux::Auxv::read(a.auxv);
        (*crate::os_linux::OS.get()).auxv = aux;
        if aux.secure != 0 {
            env.godebug = core::ptr::null();
        }
        if !env.godebug.is_null() {
            parse_godebug(cstr_bytes(env.godebug), &mut *DEBUG.get(), &mut warn_unknown_cpu);
        }
    }
}

fn warn_unknown_cpu(name: &[u8]) {
    crate::print::Buf::new()
        .str("GODEBUG: unknown cpu feature \"")
        .bytes(name)
        .str("\"\n")
        .flush(2);
}

/// GOTRACEBACK's level as Go reads it: `none`/`0` is 0, `all`/`2` (and the more verbose
/// `system` and `crash`, which print the same here) is 2, anything else, unset included, is
/// `single` (1).
pub fn parse_traceback(v: &[u8]) -> u8 {
    // The names in one string, the two of level 0 first: a `match` on byte strings compiles
    // to a chain of byte compares, 200 bytes in every program.
    for (i, name) in Fields::new(b"none,0,all,2,system,crash", b',').enumerate() {
        if v == name {
            return if i < 2 { 0 } else { 2 };
        }
    }
    1
}

/// The bytes of a NUL-terminated string.
///
/// # Safety
/// `s` must be NUL-terminated and live for the program's life (argv/envp strings are).
pub unsafe fn cstr_bytes(s: *const u8) -> &'static [u8] {
    let mut n = 0;
    // SAFETY: as documented.
    unsafe {
        while *s.add(n) != 0 {
            n += 1;
        }
        core::slice::from_raw_parts(s, n)
    }
}

/// Applies a GODEBUG value (`key=value,key=value`). Unknown keys are ignored, as in Go;
/// unknown cpu features are reported through `unknown_cpu`.
pub fn parse_godebug(s: &[u8], d: &mut DebugVars, unknown_cpu: &mut impl FnMut(&[u8])) {
    for item in Fields::new(s, b',') {
        let mut kv = Fields::new(item, b'=');
        let (Some(key), Some(val)) = (kv.next(), kv.rest()) else {
            continue;
        };
        if key == b"inittrace" {
            d.inittrace = val == b"1";
        } else if let Some(name) = key.strip_prefix(b"cpu.") {
            match crate::cpu::mask_for(name) {
                Some(bit) if val == b"off" => d.cpu_off |= bit,
                Some(bit) if val == b"on" => d.cpu_off &= !bit,
                Some(_) => {}
                None => unknown_cpu(name),
            }
        }
    }
}

/// What the runtime reads from GODEBUG when the first goroutine starts or the first object is
/// allocated, not in the bootstrap: sysmon's keys, the goroutine stack size and the
/// allocator's keys (the last setting of each key wins).
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
pub struct LateVars {
    /// `schedtrace=N`: a SCHED line every N ms (0: off).
    pub schedtrace: u64,
    /// `scheddetail=1`: per-P and per-M lines after each SCHED line.
    pub scheddetail: bool,
    /// `asyncpreemptoff=1`: no asynchronous preemption.
    pub asyncpreemptoff: bool,
    /// `stacksize=N` (bytes, or with a k or m suffix: KiB, MiB): rt_go's stack size (0: the
    /// default).
    pub stacksize: u64,
    /// `mallocdebug=1`: every small malloc and free goes through mcentral, which poisons freed
    /// objects, checks the poison on reuse and catches every double free.
    pub mallocdebug: bool,
    /// `madvdontneed=0`: the scavenger releases pages with MADV_FREE (the kernel reclaims
    /// them only under memory pressure) instead of MADV_DONTNEED (RSS falls at once).
    pub madvfree: bool,
}

/// Short literals end up in a string section every program keeps; this one lives in its own,
/// which programs without sysmon drop (hello's size budget).
#[cfg_attr(not(any(test, feature = "host")), link_section = ".rodata.sysmon_keys")]
static ASYNCPREEMPTOFF: [u8; 16] = *b"asyncpreemptoff=";

/// The late settings out of a GODEBUG value; read when the first goroutine starts, not by the
/// bootstrap (which every program links).
pub fn parse_late_vars(godebug: &[u8]) -> LateVars {
    let mut v = LateVars::default();
    for item in Fields::new(godebug, b',') {
        if let Some(n) = item.strip_prefix(b"schedtrace=") {
            v.schedtrace = decimal(n).unwrap_or(0);
        } else if let Some(n) = item.strip_prefix(b"stacksize=") {
            let (digits, unit) = match n.last() {
                Some(b'k' | b'K') => (&n[..n.len() - 1], 10),
                Some(b'm' | b'M') => (&n[..n.len() - 1], 20),
                _ => (n, 0),
            };
            v.stacksize = decimal(digits).map_or(0, |d| d.checked_shl(unit).filter(|b| b >> unit == d).unwrap_or(0));
        } else if let Some(x) = item.strip_prefix(b"mallocdebug=") {
            v.mallocdebug = x == b"1";
        } else if let Some(x) = item.strip_prefix(b"madvdontneed=") {
            v.madvfree = x == b"0";
        } else if let Some(x) = item.strip_prefix(b"scheddetail=") {
            v.scheddetail = x == b"1";
        } else if let Some(x) = item.strip_prefix(&ASYNCPREEMPTOFF) {
            v.asyncpreemptoff = x == b"1";
        }
    }
    v
}

/// The late settings of this process's GODEBUG (none under AT_SECURE: scan_env).
pub fn late_vars() -> LateVars {
    // SAFETY: ENV was filled during the bootstrap and is read-only since; a non-null
    // ENV.godebug is the NUL-terminated value in the process's environment.
    unsafe {
        let godebug = (*ENV.get()).godebug;
        if godebug.is_null() {
            return LateVars::default();
        }
        parse_late_vars(cstr_bytes(godebug))
    }
}

/// A decimal number (saturating), or None if `s` is empty or has a non-digit.
fn decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |n, &d| {
        d.is_ascii_digit()
            .then(|| n.saturating_mul(10).saturating_add(u64::from(d - b'0')))
    })
}

/// Parses a GOMAXPROCS value as Go does (atoi32, then n > 0): a positive decimal integer that
/// fits in an i32 (leading zeros allowed), else None. The caller clamps it to MAX_PROCS, so
/// every valid value above that means MAX_PROCS, whatever its length.
#[inline(always)]
pub fn parse_procs(s: &[u8]) -> Option<u32> {
    // A plain loop: iterator adapters here are outlined once a second caller (sysmon) exists,
    // which costs hello bytes. Saturating above i32::MAX keeps any length from overflowing.
    let mut n = 0u64;
    for &d in s {
        if !d.is_ascii_digit() {
            return None;
        }
        n = (n * 10 + u64::from(d - b'0')).min(1 << 31);
    }
    (n > 0 && n < 1 << 31).then_some(n as u32)
}

pub fn inittrace() -> bool {
    // SAFETY: DEBUG is written only by scan_env during the bootstrap.
    unsafe { (*DEBUG.get()).inittrace }
}

/// The value of environment variable `name`, or null.
///
/// # Safety
/// `name` must be NUL-terminated.
pub unsafe fn getenv(name: *const u8) -> *const u8 {
    // SAFETY: ARGS describes the kernel's envp (scan_env); name is NUL-terminated.
    unsafe {
        let a = &*ARGS.get();
        let name = cstr_bytes(name);
        for i in 0..a.envc {
            if let Some(v) = env_value(*a.envp.add(i), name) {
                return v;
            }
        }
        core::ptr::null()
    }
}

/// Go's `check`: verifies the assumptions the runtime is built on, and throws if one fails.
#[cfg(not(any(test, feature = "host")))]
#[no_mangle]
pub extern "C" fn runtime_check() {
    use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};

    use crate::print::throw;
    use crate::runtime2::AsmOffsets;
    extern "C" {
        static runtime_asm_offsets: AsmOffsets;
    }
    let t0 = crate::trace::start();
    // SAFETY: runtime_asm_offsets is a read-only table of 17 bytes in asm_amd64.S. The Rust
    // side is a constant: built at run time, it cost hundreds of bytes of code.
    let asm = unsafe { runtime_asm_offsets };
    if asm != const { AsmOffsets::rust() } {
        throw("check: asm offsets differ from runtime2.rs");
    }
    let a = AtomicU32::new(1);
    if a.compare_exchange(1, 2, SeqCst, SeqCst) != Ok(1) || a.compare_exchange(1, 3, SeqCst, SeqCst) != Err(2) {
        throw("check: cas32 failed");
    }
    let b = AtomicU64::new(u64::MAX - 1);
    if b.compare_exchange(u64::MAX - 1, 1 << 40, SeqCst, SeqCst).is_err() || b.fetch_add(1, SeqCst) != 1 << 40 {
        throw("check: cas64 failed");
    }
    if core::mem::size_of::<usize>() != 8 || u32::from_ne_bytes([1, 0, 0, 0]) != 1 {
        throw("check: not a little-endian 64-bit target");
    }
    crate::trace::done("check", t0, |b| {
        b.kv("asm offsets=", asm.0.len() as u64).str(" ok, cas32/cas64 ok");
    });
}

/// Go's `args` stage: records argc/argv and parses the auxiliary vector rt0_go located.
///
/// # Safety
/// `argc`/`argv` are the kernel's (rt0_go passes them through).
#[cfg(not(any(test, feature = "host")))]
#[no_mangle]
pub unsafe extern "C" fn runtime_args(argc: i32, argv: *const *const u8) {
    let t0 = crate::trace::start();
    // SAFETY: scan_env filled ARGS and OS.auxv from the same argc/argv.
    let aux = unsafe {
        let a = &*ARGS.get();
        if a.argc != argc || a.argv != argv {
            crate::print::throw("args: argv moved since rt0_go");
        }
        (*crate::os_linux::OS.get()).auxv
    };
    crate::vdso::set_base(aux.vdso);
    crate::trace::done("args", t0, |b| {
        // SAFETY: ARGS is complete.
        let envc = unsafe { (*ARGS.get()).envc };
        b.str("argc=").i64(argc.into()).kv(" envc=", envc as u64);
        b.kv(" auxv=", aux.count as u64).kv(" pagesz=", aux.pagesz as u64);
        b.kx(" hwcap=", aux.hwcap as u64).kx(" vdso=", aux.vdso as u64);
        b.kx(" phdr=", aux.phdr as u64).kv(" phnum=", aux.phnum as u64);
        b.kv(" secure=", aux.secure as u64);
    });
}

/// C API: the program's argv; stores argc through `argc` when it is not null.
///
/// # Safety
/// `argc` must be null or writable.
#[cfg(not(any(test, feature = "host")))]
#[no_mangle]
pub unsafe extern "C" fn rt_args(argc: *mut i32) -> *const *const u8 {
    // SAFETY: ARGS is read-only after the bootstrap; argc as documented.
    unsafe {
        let a = &*ARGS.get();
        if !argc.is_null() {
            *argc = a.argc;
        }
        a.argv
    }
}

/// C API: the value of environment variable `name`, or NULL.
///
/// # Safety
/// `name` must be NUL-terminated.
#[cfg(not(any(test, feature = "host")))]
#[no_mangle]
pub unsafe extern "C" fn rt_getenv(name: *const u8) -> *const u8 {
    // SAFETY: forwarded.
    unsafe { getenv(name) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gotraceback_levels() {
        let levels: [(&[u8], u8); 11] = [
            (b"none", 0),
            (b"0", 0),
            (b"", 1),
            (b"single", 1),
            (b"1", 1),
            (b"nonsense", 1),
            (b"all", 2),
            (b"2", 2),
            (b"crash", 2),
            (b"system", 2),
            (b"none,0", 1),
        ];
        for (v, want) in levels {
            assert_eq!(parse_traceback(v), want, "{v:?}");
        }
    }

    #[test]
    fn late_settings() {
        let v = |s: &[u8]| {
            let v = parse_late_vars(s);
            (v.schedtrace, v.scheddetail, v.asyncpreemptoff)
        };
        assert_eq!(v(b"schedtrace=1000"), (1000, false, false));
        assert_eq!(v(b"inittrace=1,schedtrace=50,scheddetail=1"), (50, true, false));
        assert_eq!(v(b"schedtrace=10x,scheddetail=2,asyncpreemptoff=1"), (0, false, true));
        assert_eq!(
            v(b"schedtrace=5,schedtrace=0,asyncpreemptoff=1,asyncpreemptoff=0"),
            (0, false, false)
        );
        assert_eq!(v(b""), (0, false, false));
        let size = |s: &[u8]| parse_late_vars(s).stacksize;
        assert_eq!(size(b"stacksize=65536"), 65536);
        assert_eq!(size(b"stacksize=64k"), 64 << 10);
        assert_eq!(size(b"schedtrace=1,stacksize=2M"), 2 << 20);
        assert_eq!(size(b"stacksize=1m,stacksize=8K"), 8 << 10);
        for bad in [
            &b"stacksize="[..],
            b"stacksize=k",
            b"stacksize=12q",
            b"stacksize=-1",
            b"stacksize=99999999999999999999m",
        ] {
            assert_eq!(size(bad), 0, "{}", String::from_utf8_lossy(bad));
        }
        let malloc = |s: &[u8]| {
            let v = parse_late_vars(s);
            (v.mallocdebug, v.madvfree)
        };
        assert_eq!(malloc(b""), (false, false));
        assert_eq!(malloc(b"mallocdebug=1,madvdontneed=0"), (true, true));
        assert_eq!(malloc(b"mallocdebug=1,mallocdebug=0,madvdontneed=1"), (false, false));
        assert_eq!(malloc(b"mallocdebug=yes,madvdontneed=2"), (false, false));
    }

    #[test]
    fn godebug_items() {
        let mut d = DebugVars::default();
        let mut unknown = Vec::new();
        parse_godebug(
            b"gctrace=1,inittrace=1,cpu.avx2=off,cpu.bogus=off,cpu.sse3=off,cpu.sse3=on,novalue",
            &mut d,
            &mut |n: &[u8]| unknown.push(n.to_vec()),
        );
        assert!(d.inittrace);
        assert_eq!(d.cpu_off, crate::cpu::mask_for(b"avx2").unwrap());
        assert_eq!(unknown, vec![b"bogus".to_vec()]);
        parse_godebug(b"inittrace=0", &mut d, &mut |_: &[u8]| {});
        assert!(!d.inittrace);
    }

    #[test]
    fn gomaxprocs_values() {
        assert_eq!(parse_procs(b"4"), Some(4));
        assert_eq!(parse_procs(b"0"), None);
        assert_eq!(parse_procs(b"-3"), None);
        assert_eq!(parse_procs(b""), None);
        assert_eq!(parse_procs(b"2x"), None);
        assert_eq!(parse_procs(b"99999999999999"), None);
        assert_eq!(parse_procs(b"2147483647"), Some(i32::MAX as u32));
        assert_eq!(parse_procs(b"2147483648"), None);
        assert_eq!(parse_procs(b"000000000000007"), Some(7));
        assert_eq!(parse_procs(b"1e3"), None);
    }

    #[test]
    fn env_scan_finds_runtime_vars_and_auxv() {
        let strs = [
            c"prog".as_ptr().cast::<u8>(),
            core::ptr::null(),
            c"A=1".as_ptr().cast::<u8>(),
            c"GOMAXPROCS=3".as_ptr().cast::<u8>(),
            c"GODEBUG=inittrace=0".as_ptr().cast::<u8>(),
            c"GO=x".as_ptr().cast::<u8>(),
            core::ptr::null(),
        ];
        let mut block: Vec<usize> = strs.iter().map(|&p| p as usize).collect();
        block.extend([crate::os_linux::AT_PAGESZ, 4096, 0, 0]);
        // SAFETY: block mimics the kernel's argv/envp/auxv layout.
        unsafe { scan_env(1, block.as_ptr() as *const *const u8) };
        // SAFETY: scan_env filled the globals.
        unsafe {
            assert_eq!(cstr_bytes((*ENV.get()).gomaxprocs), b"3");
            assert_eq!(cstr_bytes((*ENV.get()).godebug), b"inittrace=0");
            assert_eq!((*ARGS.get()).envc, 4);
            assert_eq!(*(*ARGS.get()).auxv, crate::os_linux::AT_PAGESZ);
            assert_eq!(cstr_bytes(getenv(c"GO".as_ptr().cast::<u8>())), b"x");
            assert!(getenv(c"G".as_ptr().cast::<u8>()).is_null());
        }
        // AT_SECURE: GODEBUG is as good as unset, so not even rt0_go traces.
        let secure = [
            c"prog".as_ptr().cast::<u8>() as usize,
            0,
            c"GODEBUG=inittrace=1".as_ptr() as usize,
            0,
            crate::os_linux::AT_SECURE,
            1,
            0,
            0,
        ];
        // SAFETY: as above.
        unsafe {
            scan_env(1, secure.as_ptr() as *const *const u8);
            assert!((*ENV.get()).godebug.is_null());
            assert_eq!((*crate::os_linux::OS.get()).auxv.secure, 1);
        }
        assert!(!inittrace());
        assert_eq!(late_vars(), LateVars::default());
    }
}
