//! Blocking system calls for the C API (Go: entersyscallblock and exitsyscall in proc.go):
//! `rt_read` and `rt_syscall` give the goroutine's P away while its thread waits in the
//! kernel, so a goroutine blocked in `read` on a pipe does not stop the others.
//!
//! Invariants:
//! - Around the call the goroutine is in G_SYSCALL and its M holds no P. Before the call the P
//!   goes to another M if there is work for it (`startm`), else to the idle list; the M in the
//!   kernel still counts as running, so no deadlock is reported while it waits.
//! - After the call the M takes an idle P if there is one and carries on with the same
//!   goroutine. If none is free, the goroutine goes on the global queue and the M sleeps
//!   (`exitsyscall0` on g0), after a `wakep` in case a P went idle meanwhile (the same
//!   protocol as new work, see proc_m.rs).
//! - Until a program starts a goroutine there is no other work: the P goes to the idle list
//!   and comes straight back.
use core::sync::atomic::Ordering::Release;

use crate::proc_m::{exitsyscall_stop, getm, handoffp, pidleget_locked};
use crate::runtime2::{G, G_RUNNING, G_SYSCALL};
use crate::sys_linux;
use crate::tls::getg;

extern "C" {
    fn runtime_mcall(f: extern "C" fn(*mut G) -> !);
}

/// Go's entersyscallblock: the goroutine is about to block in the kernel; its P moves on.
fn entersyscallblock() {
    let mp = getm();
    // SAFETY: on a goroutine of the current M, which holds a P.
    unsafe {
        (*getg()).status.store(G_SYSCALL, Release);
        handoffp(mp);
    }
}

/// Go's exitsyscall: back from the kernel, run on with an idle P, or queue and sleep.
fn exitsyscall() {
    let mp = getm();
    let gp = getg();
    if pidleget_locked(mp) {
        // SAFETY: gp is the current goroutine.
        unsafe { (*gp).status.store(G_RUNNING, Release) };
        return;
    }
    // SAFETY: on a goroutine (never g0); exitsyscall_stop queues it once its context is saved.
    unsafe { runtime_mcall(exitsyscall_stop) };
}

/// C API: read(2), with the goroutine's P handed off while the thread waits.
///
/// # Safety
/// `buf` must be writable for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn rt_read(fd: i32, buf: *mut u8, n: usize) -> isize {
    entersyscallblock();
    // SAFETY: the caller's guarantee.
    let r = unsafe { sys_linux::read(fd, buf, n) };
    exitsyscall();
    r
}

/// C API: any system call that may block, with the goroutine's P handed off while the thread
/// waits. Returns the kernel's result (a negative errno on failure).
///
/// # Safety
/// The arguments must be valid for system call `nr`, which must not change the runtime's state
/// (no clone, exit, sigaltstack or signal-mask changes, no arch_prctl).
#[no_mangle]
pub unsafe extern "C" fn rt_syscall(
    nr: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
    a6: usize,
) -> isize {
    entersyscallblock();
    // SAFETY: the caller's guarantee.
    let r = unsafe { sys_linux::syscall6(nr, a1, a2, a3, a4, a5, a6) };
    exitsyscall();
    r
}
