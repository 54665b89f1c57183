//! System calls that may block (Go: entersyscall, exitsyscall and sysmon's retake in proc.go):
//! while a goroutine's thread waits in the kernel, its P runs other goroutines.
//!
//! Invariants:
//! - `entersyscall` leaves the P in P_SYSCALL, remembered in the M's `oldp`, with `M.p` null:
//!   the M holds no P, yet the P is not idle. Two parties may take it, and a CAS on its status
//!   decides which: the M itself, back from the kernel (`exitsyscall`: P_SYSCALL -> P_RUNNING,
//!   no lock, no system call), or sysmon, once the call has lasted at least one sysmon tick
//!   (20 us while there is activity) and the P has work or no other P is free to take new
//!   work (`retake`: P_SYSCALL -> P_IDLE, then `handoffp` gives it to another M). The loser of
//!   the CAS never touches the P again.
//! - An M in a system call counts as running, not idle, so no deadlock is reported while it
//!   waits.
//! - An M back from the kernel whose P was retaken takes an idle P if there is one; else its
//!   goroutine goes on the global queue and the M sleeps (`exitsyscall_stop`).
//! - sysmon polls every 20 us only while it has recently been busy and backs off to 10 ms; an
//!   entersyscall that finds it dozing wakes it (Go does that only when every P is idle), so a
//!   call that blocks is retaken within about two ticks however long sysmon was idle. The price
//!   is bounded: woken, sysmon polls for a few ms before it dozes again, so a program making a
//!   call every few ms wakes it a few hundred times a second (measured: 1,941 against 247
//!   voluntary switches in 1.9 s at one call per 3 ms). Waking only when this P has goroutines
//!   queued was tried and doubled the hand-off time: a goroutine that yielded waits in the
//!   global queue, which has no lock-free length.
//! - Between `entersyscall` and `exitsyscall` the goroutine holds no P and must not call into
//!   the runtime.
//! - Until a program starts a goroutine nothing could use the P, so `rt_write` (and the printf
//!   family) write directly; `enable_ms` switches them to `write_all_blocking` through
//!   `print::USER_WRITE`, so hello links none of this.
use core::ptr::null_mut;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

use crate::preempt::FORCE_PREEMPT_NS;
use crate::proc_m::{allp_made, exitsyscall_stop, getm, handoffp, pidleget_locked, sched};
use crate::runtime2::{G, G_RUNNING, G_SYSCALL, P_IDLE, P_RUNNING, P_SYSCALL};
use crate::sys_linux;
use crate::tls::getg;

extern "C" {
    fn runtime_mcall(f: extern "C" fn(*mut G) -> !);
}

/// Go's entersyscall: the goroutine is about to enter the kernel; its P stays in P_SYSCALL
/// for the M to take back, unless sysmon retakes it first.
pub fn entersyscall() {
    let mp = getm();
    // SAFETY: on a goroutine of the current M, which holds a P; from the status store on,
    // sysmon may retake the P, so nothing here touches it afterwards.
    unsafe {
        let pp = (*mp).p;
        (*pp).syscalltick = (*pp).syscalltick.wrapping_add(1);
        (*mp).oldp = pp;
        (*mp).p = null_mut();
        (*pp).m = null_mut();
        (*getg()).status.store(G_SYSCALL, Release);
        (*pp).status.store(P_SYSCALL, Release);
    }
    crate::sysmon::wake();
}

/// Go's exitsyscall: back from the kernel, take the P back if sysmon left it, else an idle
/// one, else queue the goroutine and sleep.
pub fn exitsyscall() {
    let mp = getm();
    let gp = getg();
    // SAFETY: mp is the current M; winning the CAS makes oldp ours again, as does a P taken off
    // the idle list; gp is the current goroutine.
    unsafe {
        let pp = (*mp).oldp;
        (*mp).oldp = null_mut();
        if (*pp)
            .status
            .compare_exchange(P_SYSCALL, P_RUNNING, Acquire, Relaxed)
            .is_ok()
        {
            (*mp).p = pp;
            (*pp).m = mp;
        } else if !pidleget_locked(mp) {
            runtime_mcall(exitsyscall_stop);
            return;
        }
        (*gp).status.store(G_RUNNING, Release);
    }
}

/// sysmon's half (Go: retake, for Ps in system calls): hands off the P of every M that has been
/// in one system call since sysmon's last tick, if the P has queued work or no P is free to
/// take new work; after FORCE_PREEMPT_NS it hands the P off anyway (an idle P is cheaper for
/// the next wakeup than one stuck in a call). Returns how many Ps it took.
pub fn retake(now: i64) -> u32 {
    let mut taken = 0;
    // SAFETY: allp_made has nallp live Ps (never freed); sysmontick is sysmon's alone; winning the CAS out of
    // P_SYSCALL makes the P ours to hand off (the M in the kernel will not touch it again).
    unsafe {
        let s = sched();
        let (n, all) = allp_made();
        for i in 0..n {
            let pp = *all.add(i);
            if (*pp).status.load(Acquire) != P_SYSCALL {
                continue;
            }
            let tick = core::ptr::read_volatile(&(*pp).syscalltick);
            let w = &mut (*pp).sysmontick;
            if w.syscalltick != tick {
                w.syscalltick = tick;
                w.syscallwhen = now;
                continue;
            }
            let free = (*s).nmspinning.load(Relaxed) + (*s).npidle.load(Relaxed) > 0;
            if (*pp).runq.is_empty() && free && now - w.syscallwhen < FORCE_PREEMPT_NS {
                continue;
            }
            if (*pp)
                .status
                .compare_exchange(P_SYSCALL, P_IDLE, AcqRel, Relaxed)
                .is_ok()
            {
                handoffp(pp);
                taken += 1;
            }
        }
    }
    taken
}

/// `write_all` with the P let go while the thread waits (print::USER_WRITE, once goroutines
/// exist).
pub fn write_all_blocking(fd: i32, s: &[u8]) -> bool {
    entersyscall();
    let ok = crate::print::write_all(fd, s);
    exitsyscall();
    ok
}

/// C API: Go's entersyscall, before a system call of the program's own that may block.
#[no_mangle]
pub extern "C" fn rt_entersyscall() {
    entersyscall();
}

/// C API: Go's exitsyscall, after that call returns.
#[no_mangle]
pub extern "C" fn rt_exitsyscall() {
    // SAFETY: getg() is the running G.
    if unsafe { (*getg()).status.load(Relaxed) } != G_SYSCALL {
        crate::print::throw("rt_exitsyscall without rt_entersyscall");
    }
    exitsyscall();
}

/// C API: read(2), with the goroutine's P free for others while the thread waits.
///
/// # Safety
/// `buf` must be writable for `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn rt_read(fd: i32, buf: *mut u8, n: usize) -> isize {
    entersyscall();
    // SAFETY: the caller's guarantee.
    let r = unsafe { sys_linux::read(fd, buf, n) };
    exitsyscall();
    r
}

/// C API: any system call that may block, with the goroutine's P free for others while the
/// thread waits. Returns the kernel's result (a negative errno on failure).
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
    entersyscall();
    // SAFETY: the caller's guarantee.
    let r = unsafe { sys_linux::syscall6(nr, a1, a2, a3, a4, a5, a6) };
    exitsyscall();
    r
}
