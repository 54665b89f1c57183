//! Timers (Go: time.go): `rt_sleep` and `rt_after`, kept per P in a min-heap by deadline (the
//! heap's operations are in timerheap.rs).
//!
//! Invariants:
//! - A P's heap is changed only under its `timers` lock; `P.timer0` mirrors the earliest
//!   deadline (0: no timer) so the scheduler can look without the lock.
//! - A sleeping goroutine's timer is added only once the goroutine is parked (from gopark's
//!   callback, on g0), so no M can fire it early; firing readies it like any waker.
//! - A timer fires at the first schedule on its P after its deadline, or when an M that found
//!   no work runs other Ps' expired timers; an M going to sleep with timers pending sleeps only
//!   until the earliest one (proc_m.rs). A goroutine that never yields delays its P's timers
//!   until sysmon preempts it (10 ms).
//! - Timers fire outside the lock: pop one, unlock, fire, repeat.
//! - Until a program first uses a timer, the scheduler reaches this code only through
//!   `RUN_TIMERS`, so a program without timers does not link it.
use core::ptr::null_mut;
use core::sync::atomic::AtomicPtr;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use crate::chan::Chan;
use crate::print::throw;
use crate::proc::{gopark, goready};
use crate::proc_m::{allp, enable_ms, getm};
use crate::runtime2::{Timer, G, P};
use crate::tls::getg;
use crate::vdso::nanotime;

/// `run_expired`, once any timer exists; null before.
static RUN_TIMERS: AtomicPtr<()> = AtomicPtr::new(null_mut());

/// Adds `t` to P `pp`'s heap.
///
/// # Safety
/// `pp` is a live P.
unsafe fn add(pp: *mut P, t: Timer) {
    enable();
    // SAFETY: the caller's guarantee; the heap is changed under its lock.
    unsafe {
        let ts = &mut (*pp).timers;
        ts.lock.lock();
        ts.push(t);
        (*pp).timer0.store(ts.earliest(), Release);
        ts.lock.unlock();
    }
}

/// Fires the timers of `pp` that are due, in deadline order (their goroutines join the run
/// queue's tail, FIFO, not runnext). Called by the scheduler through `run_timers` on the M
/// holding `pp`, or on an idle P's heap by an M that found no work.
fn run_expired(pp: *mut P) {
    // SAFETY: pp is a live P, held by the current M.
    if unsafe { (*pp).retire.load(Acquire) } {
        crate::proc_m::retire_p(getm());
        return;
    }
    let now = nanotime();
    // SAFETY: pp is a live P.
    if unsafe { (*pp).timer0.load(Acquire) } > now {
        return;
    }
    loop {
        // SAFETY: pp is a live P; its heap is changed under its lock.
        let t = unsafe {
            let ts = &mut (*pp).timers;
            ts.lock.lock();
            let t = ts.pop_due(now);
            (*pp).timer0.store(ts.earliest(), Release);
            ts.lock.unlock();
            t
        };
        let Some(t) = t else { return };
        // SAFETY: a timer's goroutine is parked (its timer was added after it parked) and is
        // readied once; a timer's channel has room for its one element.
        unsafe {
            if !t.g.is_null() {
                goready(t.g, false);
            } else {
                let mut when = t.when;
                crate::chan::send_nonblocking(t.c.cast(), &mut when as *mut i64 as *const u8);
            }
        }
    }
}

/// Lets the scheduler reach `run_expired` (rt_setmaxprocs uses the timer check to have an M
/// retire its P).
pub fn enable() {
    RUN_TIMERS.store(core::hint::black_box(run_expired as *mut ()), Release);
}

/// Moves every timer of `from` to `to` (a P leaving service).
///
/// # Safety
/// Both are live Ps; `to` is not retiring.
pub unsafe fn move_timers(from: *mut P, to: *mut P) {
    // SAFETY: the caller's guarantee; each heap changes under its lock, taken one at a time.
    unsafe {
        loop {
            let ts = &mut (*from).timers;
            ts.lock.lock();
            let t = ts.pop_due(i64::MAX);
            (*from).timer0.store(ts.earliest(), Release);
            ts.lock.unlock();
            let Some(t) = t else { return };
            add(to, t);
        }
    }
}

/// The scheduler's check: fires `pp`'s due timers if it has any timer at all.
#[inline(always)]
pub fn run_timers(pp: *mut P) {
    // SAFETY: pp is a live P; a P has a timer only after `add` set RUN_TIMERS to run_expired.
    unsafe {
        if (*pp).timer0.load(Relaxed) != 0 {
            let f: fn(*mut P) = core::mem::transmute(RUN_TIMERS.load(Acquire));
            f(pp);
        }
    }
}

/// The earliest deadline on any P (0: none), for an M deciding how long to sleep.
pub fn next_when() -> i64 {
    // SAFETY: allp has gomaxprocs live Ps; timer0 is an atomic.
    unsafe {
        let (n, all) = allp();
        (0..n)
            .map(|i| (**all.add(i)).timer0.load(Acquire))
            .filter(|&w| w != 0)
            .min()
            .unwrap_or(0)
    }
}

/// Fires due timers on every P (an M with no work does this before it sleeps).
pub fn run_all_due() {
    // SAFETY: allp has gomaxprocs live Ps.
    unsafe {
        let (n, all) = allp();
        for i in 0..n {
            run_timers(*all.add(i));
        }
    }
}

#[repr(C)]
struct SleepRequest {
    when: i64,
    g: *mut G,
}

extern "C" fn add_sleep_timer(req: usize) {
    // SAFETY: rt_sleep passes its request, alive on the parked goroutine's stack; on g0 the M
    // still holds its P.
    unsafe {
        let r = &*(req as *const SleepRequest);
        add(
            (*getm()).p,
            Timer {
                when: r.when,
                g: r.g,
                c: null_mut(),
            },
        );
    }
}

/// C API: the calling goroutine sleeps for at least `ns` nanoseconds (yields if `ns` <= 0).
#[no_mangle]
pub extern "C" fn rt_sleep(ns: i64) {
    enable_ms();
    if ns <= 0 {
        crate::proc::rt_gosched();
        return;
    }
    let req = SleepRequest {
        when: nanotime().saturating_add(ns),
        g: getg(),
    };
    gopark(add_sleep_timer, &req as *const SleepRequest as usize);
}

/// C API: a channel that receives the deadline (an rt_nanotime value, int64_t) once, `ns`
/// nanoseconds from now (Go's time.After).
#[no_mangle]
pub extern "C" fn rt_after(ns: i64) -> *mut Chan {
    enable_ms();
    let c = crate::chan::rt_chan_make(8, 1);
    let when = nanotime().saturating_add(ns.max(0));
    // SAFETY: on a goroutine whose M holds a P.
    unsafe {
        let pp = (*getm()).p;
        if pp.is_null() {
            throw("rt_after: no P");
        }
        add(
            pp,
            Timer {
                when,
                g: null_mut(),
                c: c.cast(),
            },
        );
    }
    c
}
