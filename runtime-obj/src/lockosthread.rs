//! Wiring a goroutine to its thread (Go: LockOSThread and UnlockOSThread, and the lockedm
//! parts of proc.go: stoplockedm, startlockedm, mexit), for code that needs one thread's state
//! to stay put: thread-local variables, a namespace joined with setns, a signal mask, a
//! library that must be called from one thread.
//!
//! Invariants:
//! - `G.lockedm` and `M.lockedg` point at each other or are both null. Only the goroutine itself
//!   changes them, on its own M (`rt_lockosthread`, `rt_unlockosthread`, its exit); the lock
//!   nests (`M.lockedext` counts), as Go's does.
//! - A locked M runs its goroutine and no other. When that goroutine stops running (it parks,
//!   yields, is preempted, or comes back from a system call whose P was retaken), the M gives
//!   its P away (`handoffp`) and sleeps on its note (`stoplockedm`), counted in `nmidlelocked`
//!   so that checkdead treats it as idle.
//! - An M that takes a goroutine locked to another M off a run queue hands that M its own P
//!   (`nextp`, then a wakeup) and goes idle itself (`startlockedm`): the P moves to the
//!   goroutine's thread; the goroutine never moves.
//! - A goroutine that ends while locked takes its thread with it, as in Go (the thread's state
//!   may have been changed for it): the M gives up its P, leaves `allm` for `Sched.freem` and
//!   exits its thread. The kernel zeroes `M.procid` once the thread is gone (CLONE_CHILD_CLEARTID),
//!   and only then does `newm` reuse the M, its g0 stack, signal stack and TLS block (the block
//!   re-initialised from the template). m0 cannot end without ending the process's main thread
//!   (the program would turn into a zombie in ps while it runs), so it sleeps for good instead,
//!   as Go's does.
//! - This is reached only through `proc::SCHEDULE`, which the first `rt_lockosthread` switches
//!   to `schedule_locked`, and `proc::HANDOFF_LOCKED`, for Ms that were already inside the
//!   plain `schedule` then (asleep in find_runnable), so programs that never lock link none of
//!   it. goexit0 leaves a
//!   goroutine that ends locked off the free list (it could be reused, and its lock seen, by
//!   another M at once); `schedule_locked` on its M finds it dead and frees it, then the M.
use core::hint::black_box;
use core::ptr::null_mut;
use core::sync::atomic::Ordering::{Acquire, Relaxed};

use crate::print::throw;
use crate::proc::{execute, find_runnable, gfput, HANDOFF_LOCKED, SCHEDULE};
use crate::proc_m::{checkdead, enable_ms, getm, handoffp, resetspinning, sched, sleep_until_given_p, stopm};
use crate::runtime2::{runtime_m0, G_DEAD, M};
use crate::sys_linux;
use crate::tls::getg;

const SYS_EXIT: usize = 60;

/// C API: wires the calling goroutine to its thread until as many `rt_unlockosthread` calls.
#[no_mangle]
pub extern "C" fn rt_lockosthread() {
    enable_ms();
    let handoff: extern "C" fn(*mut M, *mut M) -> ! = handoff_locked;
    HANDOFF_LOCKED.store(black_box(handoff as *mut ()), Relaxed);
    let locked: extern "C" fn() -> ! = schedule_locked;
    SCHEDULE.store(black_box(locked as *mut ()), Relaxed);
    let mp = getm();
    let gp = getg();
    // SAFETY: the current goroutine and its M; only they touch these fields.
    unsafe {
        (*mp).lockedext = (*mp)
            .lockedext
            .checked_add(1)
            .unwrap_or_else(|| throw("rt_lockosthread nested too deeply"));
        (*mp).lockedg = gp;
        (*gp).lockedm = mp;
    }
}

/// C API: undoes one `rt_lockosthread`; at zero the goroutine may move between threads again.
/// Without a lock it does nothing (as Go's UnlockOSThread).
#[no_mangle]
pub extern "C" fn rt_unlockosthread() {
    let mp = getm();
    // SAFETY: as in rt_lockosthread.
    unsafe {
        if (*mp).lockedext == 0 {
            return;
        }
        (*mp).lockedext -= 1;
        if (*mp).lockedext == 0 {
            (*mp).lockedg = null_mut();
            (*getg()).lockedm = null_mut();
        }
    }
}

/// `schedule` once goroutines may be locked: a locked M runs only its own goroutine (and ends
/// with it); an M that finds another M's locked goroutine hands that M its P and looks again
/// once it has a P.
extern "C" fn schedule_locked() -> ! {
    let mp = getm();
    loop {
        // SAFETY: mp is the current M; its locked goroutine is not running (this is schedule);
        // a G from find_runnable came off a run queue and is ours to run or to hand to its M
        // together with our P.
        unsafe {
            let lg = (*mp).lockedg;
            if !lg.is_null() {
                if (*lg).status.load(Relaxed) == G_DEAD {
                    (*lg).lockedm = null_mut();
                    (*mp).lockedg = null_mut();
                    (*mp).lockedext = 0;
                    gfput(lg);
                    mexit(mp);
                }
                stoplockedm(mp);
                execute(mp, lg, false);
            }
            let (gp, inherit) = find_runnable(mp);
            let lm = (*gp).lockedm;
            if lm.is_null() || lm == mp {
                execute(mp, gp, inherit);
            }
            if (*mp).spinning {
                resetspinning(mp);
            }
            startlockedm(mp, lm);
        }
    }
}

/// For an M still in the plain `schedule` (entered before the first lock): it found a goroutine
/// locked to `lm`, hands `lm` its P, and schedules on in the lock-aware form.
extern "C" fn handoff_locked(mp: *mut M, lm: *mut M) -> ! {
    // SAFETY: mp is the current M holding its P; the goroutine it found is lm's and runnable.
    unsafe {
        if (*mp).spinning {
            resetspinning(mp);
        }
        startlockedm(mp, lm);
    }
    schedule_locked()
}

/// Go's stoplockedm: the locked goroutine stopped running; the M lets its P go (if it still
/// has one) and sleeps until an M that found the goroutine runnable hands over a P.
///
/// # Safety
/// `mp` is the current M, locked to a goroutine that is not running.
unsafe fn stoplockedm(mp: *mut M) {
    // SAFETY: the caller's guarantee; a released P is held by nobody until handoffp places it;
    // nmidlelocked changes under sched.lock; the note is this M's own and its one waker sets
    // nextp before the wakeup.
    unsafe {
        release_p(mp);
        let s = sched();
        (*s).lock.lock();
        (*s).nmidlelocked += 1;
        checkdead();
        (*s).lock.unlock();
        sleep_until_given_p(mp);
    }
}

/// Go's startlockedm: the current M (`mp`, holding a P) found a goroutine locked to `lm`: `lm`
/// gets the P and runs it; `mp` sleeps until it is given another P.
///
/// # Safety
/// `mp` is the current M and holds a P; `lm` sleeps (or is about to) in stoplockedm.
unsafe fn startlockedm(mp: *mut M, lm: *mut M) {
    // SAFETY: the caller's guarantee; nmidlelocked changes under sched.lock; the P passes to
    // lm through nextp, read by lm only after the wakeup.
    unsafe {
        let pp = (*mp).p;
        (*mp).p = null_mut();
        (*pp).m = null_mut();
        let s = sched();
        (*s).lock.lock();
        (*s).nmidlelocked -= 1;
        (*s).lock.unlock();
        (*lm).nextp = pp;
        (*lm).park.wakeup();
        stopm(mp);
    }
}

/// Lets go of the current M's P, if it has one: another M gets it if there is work.
fn release_p(mp: *mut M) {
    // SAFETY: mp is the current M; a P it lets go of is held by nobody until handoffp places it.
    unsafe {
        let pp = (*mp).p;
        if !pp.is_null() {
            (*mp).p = null_mut();
            (*pp).m = null_mut();
            handoffp(pp);
        }
    }
}

/// Go's mexit: the current M's thread ends (m0's sleeps for good); see the module comment.
///
/// # Safety
/// `mp` is the current M, on its g0, running no goroutine.
unsafe fn mexit(mp: *mut M) -> ! {
    // SAFETY: the caller's guarantee; allm, freem and nmfreed change under sched.lock; once
    // the thread has exited the kernel zeroes procid, and only then may newm reuse the M and
    // the g0 stack this code runs on.
    unsafe {
        release_p(mp);
        let s = sched();
        (*s).lock.lock();
        (*s).nmfreed += 1;
        if mp != runtime_m0.get() {
            let mut link: *mut *mut M = &mut (*s).allm;
            while *link != mp {
                link = &mut (**link).alllink;
            }
            *link = (*mp).alllink;
            (*mp).freelink = (*s).freem;
            (*s).freem = mp;
        }
        checkdead();
        (*s).lock.unlock();
        if mp == runtime_m0.get() {
            (*mp).park.sleep();
            throw("locked m0 woke up");
        }
        sys_linux::syscall3(SYS_EXIT, 0, 0, 0);
    }
    throw("mexit: thread did not exit")
}

/// Takes an M whose thread has exited off `Sched.freem`, for newm to reuse, or null.
/// Sched.lock must be held.
pub unsafe fn mget_freed() -> *mut M {
    // SAFETY: under sched.lock; procid is zeroed by the kernel when the thread is gone (read
    // atomically: the kernel writes it from another context).
    unsafe {
        let s = sched();
        let mut link: *mut *mut M = &mut (*s).freem;
        while !(*link).is_null() {
            let mp = *link;
            let tid = &*(&raw const (*mp).procid as *const core::sync::atomic::AtomicU32);
            if tid.load(Acquire) == 0 {
                *link = (*mp).freelink;
                return mp;
            }
            link = &mut (*mp).freelink;
        }
        null_mut()
    }
}
