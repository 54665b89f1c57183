//! The background scavenger (Go: mgcscavenge.go's bgscavenge): a goroutine that gives free
//! heap pages back to the OS once they have been idle for a while.
//!
//! Invariants:
//! - A free span whose unreleased pages have been free for AGE (250 ms) is released with
//!   madvise: MADV_DONTNEED by default (RSS falls at once, and the pages read as zeros, which
//!   spares calloc the clearing), MADV_FREE under GODEBUG=madvdontneed=0 (cheaper; the kernel
//!   takes the pages only under memory pressure, and they may keep their bytes). So pages a
//!   program frees are back with the OS within about AGE to 2 x AGE, while a program that
//!   frees and reuses memory within AGE never pays for page faults.
//! - The span being released is lent out of the heap (SPAN_SCAVENGING) for the madvise, so
//!   the heap lock is never held across a system call.
//! - Go's gcenable starts bgscavenge at start-up; here it starts when a free first leaves the
//!   heap with idle pages, since a goroutine means sysmon's thread, which most small programs
//!   never need (hello's start-up budget). It parks while there is nothing to release and the
//!   free that next leaves idle pages wakes it: `STATE` PARKED -> RUNNING by CAS, so exactly
//!   one waker readies it, and the scavenger re-checks the heap after publishing PARKED (both
//!   sides use SeqCst), so a wakeup is never lost.
//! - It is a system goroutine: rt_numgoroutine does not count it, and while it is parked it
//!   does not hide a deadlock (while it sleeps on its timer, a deadlock is reported once the
//!   timer has fired and it has parked).
//! - Waking needs a P (goready, rt_go); a free on a thread without one leaves the scavenger
//!   to the next free that has one.
use core::ptr::null_mut;
use core::sync::atomic::Ordering::{Relaxed, SeqCst};
use core::sync::atomic::{AtomicPtr, AtomicU32};

use crate::mheap::{with_heap, HEAP};
use crate::proc::{gopark, goready};
use crate::proc_m::getm;
use crate::runtime2::G;
use crate::sizeclasses::PAGE_SIZE;
use crate::sys_linux::{self, MADV_DONTNEED, MADV_FREE};
use crate::vdso::nanotime;

const AGE: i64 = 250_000_000;

const UNSTARTED: u32 = 0;
const RUNNING: u32 = 1;
const PARKED: u32 = 2;
static STATE: AtomicU32 = AtomicU32::new(UNSTARTED);
static SCAVENGER: AtomicPtr<G> = AtomicPtr::new(null_mut());

fn idle_pages() -> usize {
    // SAFETY: `idle` is an atomic, readable without the heap lock.
    unsafe { (*HEAP.get()).idle.load(SeqCst) }
}

/// Starts or wakes the scavenger if the heap has idle pages. Called after a free that may
/// have returned pages to the heap, outside the allocator's locks, on a goroutine.
pub fn wake() {
    let s = STATE.load(SeqCst);
    // SAFETY: getm is the current M; a P held by it may queue goroutines.
    if s == RUNNING || idle_pages() == 0 || unsafe { (*getm()).p.is_null() } {
        return;
    }
    if s == UNSTARTED {
        if STATE.compare_exchange(UNSTARTED, RUNNING, SeqCst, Relaxed).is_ok() {
            crate::proc::rt_go(bgscavenge, null_mut());
        }
    } else if STATE.compare_exchange(PARKED, RUNNING, SeqCst, Relaxed).is_ok() {
        // SAFETY: the CAS made us the one waker of the parked scavenger.
        unsafe { goready(SCAVENGER.load(SeqCst), false) };
    }
}

/// Goroutines the runtime runs for itself, left out of rt_numgoroutine.
pub fn system_goroutines() -> i64 {
    i64::from(STATE.load(Relaxed) != UNSTARTED)
}

extern "C" fn bgscavenge(_: *mut u8) {
    SCAVENGER.store(crate::tls::getg(), SeqCst);
    let dontneed = crate::malloc::madv_dontneed();
    loop {
        crate::malloc::drain_remote_now();
        release_older_than(nanotime() - AGE, dontneed);
        match with_heap(|h| h.oldest_idle()) {
            Some(t) => crate::time::rt_sleep(t + AGE - nanotime()),
            None => gopark(park_scavenger, 0),
        }
    }
}

/// Releases every free span idle since `cutoff`.
fn release_older_than(cutoff: i64, dontneed: bool) {
    let advice = if dontneed { MADV_DONTNEED } else { MADV_FREE };
    loop {
        let s = with_heap(|h| h.take_old(cutoff));
        if s.is_null() {
            return;
        }
        // SAFETY: take_old lent us the span: free pages no one uses until we give it back.
        unsafe {
            sys_linux::madvise((*s).base, (*s).npages * PAGE_SIZE, advice);
            with_heap(|h| h.return_scavenged(s, dontneed));
        }
    }
}

extern "C" fn park_scavenger(_: usize) {
    STATE.store(PARKED, SeqCst);
    if idle_pages() > 0 && STATE.compare_exchange(PARKED, RUNNING, SeqCst, Relaxed).is_ok() {
        // SAFETY: on g0 of an M holding its P, after park_m parked the scavenger; the CAS made
        // us its one waker.
        unsafe { goready(SCAVENGER.load(SeqCst), false) };
    }
}
