//! Raw Linux x86-64 system calls (Go: sys_linux_amd64.s).
//!
//! Each wrapper is one `syscall` instruction: arguments in rdi, rsi, rdx, r10, r8, r9, the
//! number in rax, the result (or -errno) in rax; rcx and r11 are clobbered. Results are returned
//! raw, as `isize`, negative on error. Wrappers that take pointers are `unsafe`: the caller
//! guarantees the memory is valid for what the kernel will read or write.
use core::arch::asm;

pub const SYS_READ: usize = 0;
pub const SYS_WRITE: usize = 1;
pub const SYS_OPEN: usize = 2;
pub const SYS_CLOSE: usize = 3;
pub const SYS_FSTAT: usize = 5;
pub const SYS_POLL: usize = 7;
pub const SYS_MMAP: usize = 9;
pub const SYS_MPROTECT: usize = 10;
pub const SYS_MUNMAP: usize = 11;
pub const SYS_MADVISE: usize = 28;
pub const SYS_RT_SIGACTION: usize = 13;
pub const SYS_RT_SIGPROCMASK: usize = 14;
pub const SYS_SIGALTSTACK: usize = 131;
pub const SYS_ARCH_PRCTL: usize = 158;
pub const SYS_SCHED_GETAFFINITY: usize = 204;
pub const SYS_CLOCK_GETTIME: usize = 228;
pub const SYS_EXIT_GROUP: usize = 231;
pub const SYS_PRLIMIT64: usize = 302;
pub const SYS_NANOSLEEP: usize = 35;
pub const SYS_GETPID: usize = 39;
pub const SYS_FUTEX: usize = 202;
pub const SYS_TGKILL: usize = 234;

pub const EINTR: isize = 4;

pub const PROT_NONE: usize = 0;
pub const PROT_READ: usize = 1;
pub const PROT_WRITE: usize = 2;
pub const MAP_PRIVATE: usize = 0x02;
pub const MAP_ANONYMOUS: usize = 0x20;
pub const MAP_NORESERVE: usize = 0x4000;
pub const MAP_STACK: usize = 0x20000;
pub const MADV_DONTNEED: usize = 4;
pub const MADV_FREE: usize = 8;
pub const O_RDONLY: usize = 0;
pub const O_RDWR: usize = 2;
pub const O_CLOEXEC: usize = 0o2000000;

/// # Safety
/// The arguments must be valid for syscall `n` (pointers to memory the kernel may access).
#[inline(always)]
pub unsafe fn syscall6(n: usize, a1: usize, a2: usize, a3: usize, a4: usize, a5: usize, a6: usize) -> isize {
    let ret: isize;
    // SAFETY: the caller vouches for the arguments; the asm clobbers only what `syscall` does.
    unsafe {
        asm!("syscall", inlateout("rax") n as isize => ret, in("rdi") a1, in("rsi") a2,
             in("rdx") a3, in("r10") a4, in("r8") a5, in("r9") a6,
             lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    ret
}

/// # Safety
/// As for [`syscall6`].
#[inline(always)]
pub unsafe fn syscall3(n: usize, a1: usize, a2: usize, a3: usize) -> isize {
    let ret: isize;
    // SAFETY: as in syscall6.
    unsafe {
        asm!("syscall", inlateout("rax") n as isize => ret, in("rdi") a1, in("rsi") a2,
             in("rdx") a3, lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    ret
}

/// # Safety
/// As for [`syscall6`].
#[inline(always)]
pub unsafe fn syscall4(n: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> isize {
    // SAFETY: forwarded; the two trailing arguments are ignored by 4-argument calls.
    unsafe { syscall6(n, a1, a2, a3, a4, 0, 0) }
}

pub fn getpid() -> usize {
    // SAFETY: getpid takes no argument and cannot fail.
    unsafe { syscall3(SYS_GETPID, 0, 0, 0) as usize }
}

pub fn exit_group(code: i32) -> ! {
    // SAFETY: exit_group takes no pointer and does not return.
    unsafe {
        syscall3(SYS_EXIT_GROUP, code as usize, 0, 0);
        asm!("ud2", options(noreturn));
    }
}

/// Writes once; returns the kernel's result.
///
/// # Safety
/// `buf` must be readable for `n` bytes.
pub unsafe fn write(fd: i32, buf: *const u8, n: usize) -> isize {
    // SAFETY: forwarded to the caller's guarantee.
    unsafe { syscall3(SYS_WRITE, fd as usize, buf as usize, n) }
}

/// # Safety
/// `buf` must be writable for `n` bytes.
pub unsafe fn read(fd: i32, buf: *mut u8, n: usize) -> isize {
    // SAFETY: forwarded to the caller's guarantee.
    unsafe { syscall3(SYS_READ, fd as usize, buf as usize, n) }
}

/// # Safety
/// `path` must be NUL-terminated.
pub unsafe fn open(path: *const u8, flags: usize) -> isize {
    // SAFETY: forwarded to the caller's guarantee.
    unsafe { syscall3(SYS_OPEN, path as usize, flags, 0) }
}

pub fn close(fd: i32) {
    // SAFETY: close takes no pointer.
    unsafe {
        syscall3(SYS_CLOSE, fd as usize, 0, 0);
    }
}

/// Anonymous private mapping; returns the address or a negative errno.
pub fn mmap_anon(len: usize, prot: usize, extra: usize) -> isize {
    mmap_anon_near(0, len, prot, extra)
}

/// Anonymous private mapping at `hint` if that range is free, else where the kernel chooses
/// (no MAP_FIXED: nothing existing is replaced); returns the address or a negative errno.
pub fn mmap_anon_near(hint: usize, len: usize, prot: usize, extra: usize) -> isize {
    // SAFETY: without MAP_FIXED the kernel only ever picks a free range, so the new mapping
    // aliases nothing.
    unsafe {
        syscall6(
            SYS_MMAP,
            hint,
            len,
            prot,
            MAP_PRIVATE | MAP_ANONYMOUS | extra,
            usize::MAX,
            0,
        )
    }
}

/// # Safety
/// `[addr, addr+len)` must be memory the runtime owns and nothing live uses in a way the new
/// protection forbids.
pub unsafe fn mprotect(addr: usize, len: usize, prot: usize) -> isize {
    // SAFETY: forwarded to the caller's guarantee.
    unsafe { syscall3(SYS_MPROTECT, addr, len, prot) }
}

/// # Safety
/// `[addr, addr+len)` must be anonymous memory the runtime owns whose contents nothing needs:
/// after MADV_DONTNEED it reads as zeros, after MADV_FREE as either the old bytes or zeros.
pub unsafe fn madvise(addr: usize, len: usize, advice: usize) -> isize {
    // SAFETY: forwarded to the caller's guarantee.
    unsafe { syscall3(SYS_MADVISE, addr, len, advice) }
}

/// # Safety
/// `[addr, addr+len)` must be a mapping nothing uses any more.
pub unsafe fn munmap(addr: usize, len: usize) -> isize {
    // SAFETY: forwarded to the caller's guarantee.
    unsafe { syscall3(SYS_MUNMAP, addr, len, 0) }
}
