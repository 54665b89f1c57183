//! CPU features and the microarchitecture-level check (Go: the GOAMD64 check in rt0_go and
//! internal/cpu).
//!
//! A program records the x86-64 level its code was compiled for (`runtime_goamd64`, 1..=4,
//! set by `rtlink build --amd64`). At start the runtime verifies the CPU has every feature of
//! that level and otherwise prints Go's message and exits 1, instead of dying later on an
//! illegal instruction.
//!
//! CPUID costs about 7.6 us in our VMs, so it runs only when needed and each leaf at most
//! once: a v1 program runs none; v2 reads leaves 1 and 0x8000_0001; v3/v4 add leaf 7 and
//! XGETBV, and only after leaf 1 has passed (a CPU with leaf 1's AVX bits has leaf 7).
//! `GODEBUG=cpu.<name>=off` masks a feature before the check (`cpu.all=off` masks all).
use core::arch::asm;

/// Register sources of the feature bits.
const L1_ECX: u8 = 0;
const L7_EBX: u8 = 1;
const E1_ECX: u8 = 2;
const XCR0: u8 = 3;

/// A feature bit: its GODEBUG name (NUL-padded, Go's name where Go has one), the register it
/// is read from, its bit, and the lowest level that requires it.
pub struct Feature {
    name: [u8; 12],
    reg: u8,
    bit: u8,
    level: u8,
}

impl Feature {
    pub fn name(&self) -> &[u8] {
        let n = self.name.iter().position(|&c| c == 0).unwrap_or(self.name.len());
        &self.name[..n]
    }
}

const fn f(name: &[u8], reg: u8, bit: u8, level: u8) -> Feature {
    let mut n = [0u8; 12];
    let mut i = 0;
    while i < name.len() {
        n[i] = name[i];
        i += 1;
    }
    Feature {
        name: n,
        reg,
        bit,
        level,
    }
}

/// The x86-64 psABI levels' features (v2, v3, v4).
pub const FEATURES: [Feature; 24] = [
    f(b"sse3", L1_ECX, 0, 2),
    f(b"ssse3", L1_ECX, 9, 2),
    f(b"cx16", L1_ECX, 13, 2),
    f(b"sse41", L1_ECX, 19, 2),
    f(b"sse42", L1_ECX, 20, 2),
    f(b"popcnt", L1_ECX, 23, 2),
    f(b"lahf", E1_ECX, 0, 2),
    f(b"fma", L1_ECX, 12, 3),
    f(b"movbe", L1_ECX, 22, 3),
    f(b"osxsave", L1_ECX, 27, 3),
    f(b"avx", L1_ECX, 28, 3),
    f(b"f16c", L1_ECX, 29, 3),
    f(b"lzcnt", E1_ECX, 5, 3),
    f(b"bmi1", L7_EBX, 3, 3),
    f(b"avx2", L7_EBX, 5, 3),
    f(b"bmi2", L7_EBX, 8, 3),
    f(b"xsave.sse", XCR0, 1, 3),
    f(b"xsave.avx", XCR0, 2, 3),
    f(b"avx512f", L7_EBX, 16, 4),
    f(b"avx512dq", L7_EBX, 17, 4),
    f(b"avx512cd", L7_EBX, 28, 4),
    f(b"avx512bw", L7_EBX, 30, 4),
    f(b"avx512vl", L7_EBX, 31, 4),
    f(b"xsave.avx512", XCR0, 5, 4),
];

/// The bit in a GODEBUG mask for feature `name` (`all` masks every feature).
pub fn mask_for(name: &[u8]) -> Option<u64> {
    if name == b"all" {
        return Some(u64::MAX);
    }
    FEATURES.iter().position(|f| f.name() == name).map(|i| 1 << i)
}

/// The first feature of `level` missing from `regs` (or masked), if any. `regs` holds the
/// registers in the order L1_ECX, L7_EBX, E1_ECX, XCR0; `have` says which were read, and
/// features in unread registers count as missing.
pub fn missing(level: u8, regs: &[u32; 4], have: u8, mask: u64) -> Option<&'static Feature> {
    FEATURES.iter().enumerate().find_map(|(i, f)| {
        let present = have & (1 << f.reg) != 0 && regs[f.reg as usize] & (1 << f.bit) != 0 && mask & (1 << i) == 0;
        (f.level <= level && !present).then_some(f)
    })
}

/// What the check did, for the trace.
#[derive(Default, Clone, Copy)]
pub struct CheckResult {
    pub level: u8,
    pub cpuid_calls: u32,
    pub missing: Option<&'static Feature>,
}

pub fn cpuid(leaf: u32) -> [u32; 4] {
    let (a, b, c, d): (u32, u32, u32, u32);
    // SAFETY: CPUID only reads the leaf registers and writes eax..edx; rbx is reserved by LLVM,
    // so it is saved and restored around the instruction.
    unsafe {
        asm!("mov {t:r}, rbx", "cpuid", "xchg {t:r}, rbx", t = out(reg) b,
             inlateout("eax") leaf => a, inlateout("ecx") 0 => c, lateout("edx") d,
             options(nostack, preserves_flags));
    }
    [a, b, c, d]
}

fn xgetbv0() -> u32 {
    let (lo, _hi): (u32, u32);
    // SAFETY: called only after CPUID reported OSXSAVE, so XGETBV is enabled.
    unsafe { asm!("xgetbv", in("ecx") 0, out("eax") lo, out("edx") _hi, options(nostack, nomem, preserves_flags)) };
    lo
}

/// Checks the CPU against `level`, running only the CPUID leaves that level needs.
pub fn check_level(level: u8, mask: u64) -> CheckResult {
    let mut r = CheckResult {
        level,
        ..Default::default()
    };
    if level <= 1 {
        return r;
    }
    let mut regs = [0u32; 4];
    regs[L1_ECX as usize] = cpuid(1)[2];
    regs[E1_ECX as usize] = cpuid(0x8000_0001)[2];
    r.cpuid_calls = 2;
    let mut have = 1 << L1_ECX | 1 << E1_ECX;
    if level >= 3
        && missing(level, &regs, have | 1 << L7_EBX | 1 << XCR0, mask)
            .is_none_or(|m| m.reg != L1_ECX && m.reg != E1_ECX)
    {
        regs[L7_EBX as usize] = cpuid(7)[1];
        r.cpuid_calls += 1;
        regs[XCR0 as usize] = xgetbv0();
        have |= 1 << L7_EBX | 1 << XCR0;
    }
    r.missing = missing(level, &regs, have, mask);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: u8 = 0b1111;

    fn missing_name(level: u8, regs: &[u32; 4], have: u8, mask: u64) -> Option<&'static [u8]> {
        missing(level, regs, have, mask).map(Feature::name)
    }

    #[test]
    fn full_cpu_passes_every_level() {
        let regs = [u32::MAX; 4];
        for level in 1..=4 {
            assert!(missing(level, &regs, ALL, 0).is_none());
        }
    }

    #[test]
    fn masks_and_missing_bits() {
        let regs = [u32::MAX; 4];
        let avx2 = mask_for(b"avx2").unwrap();
        assert_eq!(missing_name(3, &regs, ALL, avx2), Some(&b"avx2"[..]));
        assert_eq!(missing_name(2, &regs, ALL, avx2), None);
        assert_eq!(
            missing_name(2, &regs, ALL, mask_for(b"all").unwrap()),
            Some(&b"sse3"[..])
        );
        assert_eq!(mask_for(b"nosuch"), None);
        let mut no_popcnt = regs;
        no_popcnt[L1_ECX as usize] &= !(1 << 23);
        assert_eq!(missing_name(2, &no_popcnt, ALL, 0), Some(&b"popcnt"[..]));
        // Unread registers count as missing.
        assert_eq!(missing_name(3, &regs, 1 << L1_ECX | 1 << E1_ECX, 0), Some(&b"bmi1"[..]));
    }

    #[test]
    fn host_cpu_agrees_with_proc_cpuinfo() {
        let info = std::fs::read_to_string("/proc/cpuinfo").unwrap();
        let flags = info.lines().find(|l| l.starts_with("flags")).unwrap();
        let has = |f: &str| flags.split_whitespace().any(|x| x == f);
        let v3 = has("avx2") && has("bmi2") && has("fma") && has("movbe");
        assert_eq!(check_level(3, 0).missing.is_none(), v3);
        let r = check_level(1, 0);
        assert_eq!(r.cpuid_calls, 0);
    }
}
