//! The C memory and string primitives compilers emit calls to on their own (`memcpy`,
//! `memmove`, `memset`, `memcmp`, `bcmp`, `strlen`); Rust's stable sysroot does not provide
//! them for this target.
//!
//! Each body is a `rep` string instruction in inline asm. That is the point: LLVM turns plain
//! byte loops into calls to these very functions, so a loop written in Rust here could compile
//! into infinite recursion; asm cannot. `rep movsb`/`stosb` are fast on CPUs with ERMS.
//! The direction flag is clear on entry to any function (ABI) and is left clear. In host unit
//! tests the C names are not exported (the host libc has its own).
use core::arch::asm;

/// Copies `n` bytes forward, lowest address first, so `dst` may overlap `src` from below.
/// The runtime's own copies call this rather than `copy_from_slice`/`copy_within`, which
/// compile to `memcpy`/`memmove` libcalls through the GOT (rustc emits them as
/// non-relaxable GOTPCREL calls, which would give every program a .got and a .got.plt).
///
/// # Safety
/// `dst` and `src` valid for `n` bytes; if they overlap, `dst` is not above `src`.
#[inline(always)]
pub unsafe fn copy_forward(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the caller's guarantee; rep movsb copies exactly n bytes forward.
    unsafe {
        asm!("rep movsb", inout("rcx") n => _, inout("rdi") dst => _, inout("rsi") src => _, options(nostack, preserves_flags))
    };
}

/// Copies as much of `src` as fits into the start of `dst`.
pub fn copy(dst: &mut [u8], src: &[u8]) {
    // SAFETY: both slices are valid for the smaller length, and a &mut cannot alias a &.
    unsafe { copy_forward(dst.as_mut_ptr(), src.as_ptr(), dst.len().min(src.len())) }
}

/// # Safety
/// C semantics: `dst` and `src` valid for `n` bytes and not overlapping.
#[cfg_attr(not(any(test, feature = "host")), no_mangle)]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller's guarantee.
    unsafe { copy_forward(dst, src, n) };
    dst
}

/// # Safety
/// C semantics: `dst` and `src` valid for `n` bytes; they may overlap.
#[cfg_attr(not(any(test, feature = "host")), no_mangle)]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize).wrapping_sub(src as usize) >= n {
        // SAFETY: dst is below src or past its end, so a forward copy never reads a byte it
        // already overwrote.
        unsafe { copy_forward(dst, src, n) };
    } else {
        // SAFETY: dst overlaps src from above: copy backwards from the last byte, then clear
        // the direction flag again as the ABI requires.
        unsafe {
            asm!("std", "rep movsb", "cld", inout("rcx") n => _, inout("rdi") dst.add(n).wrapping_sub(1) => _,
                 inout("rsi") src.add(n).wrapping_sub(1) => _, options(nostack));
        }
    }
    dst
}

/// # Safety
/// C semantics: `dst` valid for `n` bytes.
#[cfg_attr(not(any(test, feature = "host")), no_mangle)]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    // SAFETY: the caller's guarantee; rep stosb stores al n times.
    unsafe {
        asm!("rep stosb", inout("rcx") n => _, inout("rdi") dst => _, in("al") c as u8, options(nostack, preserves_flags))
    };
    dst
}

/// # Safety
/// C semantics: `a` and `b` valid for `n` bytes.
#[cfg_attr(not(any(test, feature = "host")), no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    if n == 0 {
        return 0;
    }
    let (x, y): (u32, u32);
    // SAFETY: the caller's guarantee; repe cmpsb stops after the first differing byte (or
    // after n bytes), leaving rsi/rdi one past it, so [-1] re-reads the deciding pair.
    unsafe {
        asm!("repe cmpsb", "movzx {x:e}, byte ptr [rsi-1]", "movzx {y:e}, byte ptr [rdi-1]",
             x = out(reg) x, y = out(reg) y, inout("rcx") n => _, inout("rsi") a => _, inout("rdi") b => _,
             options(nostack, readonly));
    }
    x as i32 - y as i32
}

/// # Safety
/// As for `memcmp`; only zero versus nonzero is meaningful.
#[cfg_attr(not(any(test, feature = "host")), no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: forwarded.
    unsafe { memcmp(a, b, n) }
}

/// # Safety
/// `s` must be NUL-terminated.
#[cfg_attr(not(any(test, feature = "host")), no_mangle)]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let left: usize;
    // SAFETY: the caller's guarantee; repne scasb scans for al = 0 and stops at the NUL.
    unsafe {
        asm!("repne scasb", inout("rcx") usize::MAX => left, inout("rdi") s => _, in("al") 0u8, options(nostack, readonly))
    };
    !left - 1
}
