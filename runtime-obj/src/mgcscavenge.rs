//! The background scavenger (Go: mgcscavenge.go's bgscavenge): a goroutine that gives memory
//! that has been idle for a while back to the OS: free heap pages, and the stacks of dead
//! goroutines.
//!
//! Invariants:
//! - A free heap span whose unreleased pages have been free for AGE (250 ms) is released with
//!   madvise: MADV_DONTNEED by default (RSS falls at once, and the pages read as zeros, which
//!   spares calloc the clearing), MADV_FREE under GODEBUG=madvdontneed=0 (cheaper; the kernel
//!   takes the pages only under memory pressure, and they may keep their bytes). So pages a
//!   program frees are back with the OS within about AGE to 2 x AGE, while a program that
//!   frees and reuses memory within AGE never pays for page faults (a merged free span keeps
//!   the newer of its parts' times, so old idle pages wait with the fresh ones beside them).
//! - The span being released is lent out of the heap (SPAN_SCAVENGING), at most 16 MiB of it
//!   at a time, for the madvise, so the heap lock is never held across a system call, and the
//!   madvise calls run as blocking system calls (entersyscall): the scavenger's P goes on
//!   serving the program meanwhile. A span madvise refuses (locked memory) goes back as it was,
//!   counted as newly freed, so it is not retried at once.
//! - Its heap calls are `guarded` (M.mallocing set), so a signal handler that interrupts it and
//!   frees defers its free instead of waiting on a lock its own thread holds.
//! - Dead goroutines keep their stacks for reuse (proc.rs: gfput), and the pages they touched
//!   stay resident. Each pass moves the dead Gs of `Sched.gfree` to `gfree_aging`, and the ones
//!   already there (dead for a whole pass, AGE or more) out of the lists: their stacks are
//!   released without sched.lock, then they join `gfree_cold`. The mapping stays, so reuse
//!   costs page faults but no mmap, and each dead G is released once however many passes it
//!   waits. gfget takes warm Gs first.
//! - Go's gcenable starts bgscavenge at start-up; here `enable_ms` starts it with the first
//!   goroutine (or malloc's slow path, once the heap has idle pages, starts the goroutines),
//!   since a goroutine means sysmon's thread, which hello's start-up budget has no room for. It
//!   is a system goroutine (goid 0, not counted by rt_numgoroutine).
//! - It sleeps on a timer while memory is waiting to age and parks when nothing is. malloc's
//!   slow path wakes it when the heap has idle pages (`wake`: it needs a P for goready), and
//!   sysmon does when goroutines have died or pages are idle (`poke`: it has no P, so it queues
//!   the goroutine globally). free never does: a signal handler may free anywhere. So a program
//!   with one goroutine that frees and then never allocates again keeps its freed pages.
//!   `STATE` PARKED -> RUNNING by CAS picks exactly one waker; the scavenger re-checks for work
//!   after publishing PARKED (both sides SeqCst), so a wakeup is never lost. While parked it
//!   does not hide a deadlock; while it sleeps, a deadlock is reported once it has parked.
use core::ptr::null_mut;
use core::sync::atomic::Ordering::{Relaxed, Release, SeqCst};
use core::sync::atomic::{AtomicPtr, AtomicU32};

use crate::malloc::guarded;
use crate::mheap::{with_heap, HEAP};
use crate::proc::{gopark, goready};
use crate::proc_m::{getm, sched, wakep};
use crate::runtime2::{G, G_RUNNABLE};
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

/// Goroutines have died since the last pass (a racy read: sysmon's and the scavenger's hint).
fn dead_gs() -> bool {
    // SAFETY: a racy read of one pointer-sized field; a stale value only delays or repeats a
    // pass.
    unsafe { !core::ptr::read_volatile(&(*sched()).gfree).is_null() }
}

/// Starts the scavenger (`enable_ms`, on a goroutine holding a P).
pub fn start() {
    STATE.store(RUNNING, SeqCst);
    crate::proc::go_system(bgscavenge);
}

/// Starts or wakes the scavenger if the heap has idle pages. Called by malloc's slow paths,
/// holding no lock (never by free: a signal handler may free while its thread is inside the
/// scheduler).
pub fn wake() {
    let s = STATE.load(SeqCst);
    // SAFETY: getm is the current M; a P held by it may queue goroutines.
    if s == RUNNING || idle_pages() == 0 || unsafe { (*getm()).p.is_null() } {
        return;
    }
    if s == UNSTARTED {
        crate::proc_m::enable_ms();
    } else if STATE.compare_exchange(PARKED, RUNNING, SeqCst, Relaxed).is_ok() {
        // SAFETY: the CAS made us the one waker of the parked scavenger.
        unsafe { goready(SCAVENGER.load(SeqCst), false) };
    }
}

/// sysmon, every tick: wakes a parked scavenger when goroutines have died since its last pass
/// or the heap has idle pages.
pub fn poke() {
    if STATE.load(SeqCst) != PARKED || !(dead_gs() || idle_pages() > 0) {
        return;
    }
    if STATE.compare_exchange(PARKED, RUNNING, SeqCst, Relaxed).is_ok() {
        let gp = SCAVENGER.load(SeqCst);
        // SAFETY: the CAS made sysmon the one waker of the parked scavenger; with no P it goes
        // on the global queue, and an idle P, if any, gets an M for it.
        unsafe {
            (*gp).status.store(G_RUNNABLE, Release);
            (*sched()).runq.put(gp);
        }
        wakep();
    }
}

extern "C" fn bgscavenge(_: *mut u8) {
    SCAVENGER.store(crate::tls::getg(), SeqCst);
    let advice = if crate::malloc::madv_dontneed() {
        MADV_DONTNEED
    } else {
        MADV_FREE
    };
    loop {
        crate::malloc::drain_remote_now();
        let now = nanotime();
        release_older_than(now - AGE, advice);
        let aging = release_dead_stacks(advice);
        let heap = guarded(|| with_heap(|h| h.oldest_idle())).map(|t| t + AGE);
        let next = match (heap, aging) {
            (Some(t), true) => Some(t.min(now + AGE)),
            (Some(t), false) => Some(t),
            (None, true) => Some(now + AGE),
            (None, false) => None,
        };
        match next {
            Some(t) => crate::time::rt_sleep(t - nanotime()),
            None => gopark(park_scavenger, 0),
        }
    }
}

/// Releases every free heap span idle since `cutoff`, a lent piece (at most 16 MiB) at a time.
fn release_older_than(cutoff: i64, advice: usize) {
    let dontneed = advice == MADV_DONTNEED;
    loop {
        let s = guarded(|| with_heap(|h| h.take_old(cutoff)));
        if s.is_null() {
            return;
        }
        // SAFETY: take_old lent us the span: free pages no one uses until we give it back.
        let ok = unsafe { blocking(|| sys_linux::madvise((*s).base, (*s).npages * PAGE_SIZE, advice)) } == 0;
        // SAFETY: as above.
        guarded(|| with_heap(|h| unsafe { h.return_scavenged(s, ok, ok && dontneed, nanotime()) }));
    }
}

/// Runs `f`, system calls only, as a system call that may block (entersyscall): the runtime's
/// code is never preempted, so a long madvise would otherwise keep this P from the program.
fn blocking<R>(f: impl FnOnce() -> R) -> R {
    crate::syscall::entersyscall();
    let r = f();
    crate::syscall::exitsyscall();
    r
}

/// One pass over the dead Gs (see the module comment); returns whether some are left aging.
fn release_dead_stacks(advice: usize) -> bool {
    let s = sched();
    // SAFETY: the lists are under sched.lock; the Gs taken off them are dead and ours until
    // they are put back, and nothing uses their stacks.
    unsafe {
        (*s).lock.lock();
        let old = (*s).gfree_aging;
        (*s).gfree_aging = (*s).gfree;
        (*s).gfree = null_mut();
        let aging = !(*s).gfree_aging.is_null();
        (*s).lock.unlock();
        if old.is_null() {
            return aging;
        }
        let tail = blocking(|| {
            let mut tail = old;
            loop {
                let st = (*tail).stack;
                if st.lo != 0 {
                    sys_linux::madvise(st.lo, st.size(), advice);
                }
                if (*tail).schedlink.is_null() {
                    return tail;
                }
                tail = (*tail).schedlink;
            }
        });
        (*s).lock.lock();
        (*tail).schedlink = (*s).gfree_cold;
        (*s).gfree_cold = old;
        (*s).lock.unlock();
        aging
    }
}

extern "C" fn park_scavenger(_: usize) {
    STATE.store(PARKED, SeqCst);
    if (idle_pages() > 0 || dead_gs()) && STATE.compare_exchange(PARKED, RUNNING, SeqCst, Relaxed).is_ok() {
        // SAFETY: on g0 of an M holding its P, after park_m parked the scavenger; the CAS made
        // us its one waker.
        unsafe { goready(SCAVENGER.load(SeqCst), false) };
    }
}
