//! Ms (Go: the M half of proc.go, and newosproc from os_linux.go): OS threads that run Ps,
//! the idle lists, spinning, and the wakeup protocol.
//!
//! Invariants (Go's, see the comment at the top of its proc.go):
//! - An M runs Go code only while it holds a P (`M.p`); `acquirep`/`releasep` pair an M and a
//!   P, and an idle P is on `Sched.pidle`, counted in `npidle`.
//! - An M with no work releases its P, puts itself on `Sched.midle` and sleeps on its own note
//!   (`stopm`); `startm` takes an idle M (or makes one), hands it a P through `M.nextp` and
//!   wakes the note. The idle lists change only under `Sched.lock`.
//! - A *spinning* M holds a P and looks for work to steal; `nmspinning` counts them. New work
//!   (`newproc`, `goready`) calls `wakep`, which starts an M only if there is an idle P and no
//!   M spinning: a spinning M will find the work anyway. A spinning M that finds work stops
//!   spinning and, if it was the last one, wakes another (`resetspinning`), so a burst of work
//!   fans out one M at a time. A spinning M that finds nothing drops its P, stops spinning, and
//!   then checks every run queue once more before sleeping: work queued between its last look
//!   and its `nmspinning` decrement saw a spinning M and woke nobody, so this re-check is what
//!   keeps it from being lost.
//! - A new M's thread is cloned with all signals blocked, gets its own g0 stack (with a guard
//!   page), its own static TLS block (`tls::new_block`) and signal stack, and restores the
//!   process's signal mask in `runtime_mstart_m` before it schedules.
//! - An M exits only with a goroutine that ends locked to it (lockosthread.rs), and newm then
//!   reuses it. When every M is idle, asleep for its locked goroutine or gone (none running,
//!   none being started) and no timer is pending, nothing can make a goroutine runnable again,
//!   so `checkdead` reports Go's deadlock error. With timers pending an idle M sleeps only until
//!   the earliest (time.rs).
//! - Until a program starts a goroutine (`rt_go` calls `enable_ms`) there is one goroutine and
//!   nothing another M could run, so `wakep` starts nothing and an M out of work has found a
//!   deadlock. The multi-M paths (`startm`, `steal_or_stop`) are reached only through the
//!   `STARTM`/`STEAL_OR_STOP` pointers `enable_ms` sets, so a program that never starts a
//!   goroutine (hello) does not link them: about 1.5 KiB of its 20.
use core::arch::asm;
use core::ptr::null_mut;
use core::sync::atomic::AtomicPtr;
use core::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

use crate::print::throw;
use crate::runtime2::*;
use crate::stack::{stackalloc, G0_STACK, STACK_GUARD};
use crate::sys_linux::{self, SYS_RT_SIGPROCMASK};
use crate::tls::getg;
use crate::{persistentalloc, signal, tls};

extern "C" {
    fn runtime_clone(flags: usize, stk: usize, mp: *mut M, g0: *mut G, tls: usize) -> isize;
    fn runtime_schedule() -> !;
}

/// GOMAXPROCS values above this are capped (each P costs about 2 KiB).
pub const MAX_PROCS: u32 = 1024;

/// Go's cap on Ms (`sched.maxmcount`).
const MAX_MCOUNT: i64 = 10_000;

const CLONE_VM: usize = 0x100;
const CLONE_FS: usize = 0x200;
const CLONE_FILES: usize = 0x400;
const CLONE_SIGHAND: usize = 0x800;
const CLONE_THREAD: usize = 0x10000;
const CLONE_SYSVSEM: usize = 0x40000;
const CLONE_SETTLS: usize = 0x80000;
const CLONE_PARENT_SETTID: usize = 0x100000;
const CLONE_CHILD_CLEARTID: usize = 0x200000;
const SIG_SETMASK: usize = 2;

pub fn sched() -> *mut Sched {
    SCHED.get()
}

/// Every P made so far, those being retired and retired included (count, then array; see
/// Sched.nallp): what preemption, retake and stealing look at, so a P marked to retire, which
/// lies beyond gomaxprocs, still has its goroutine preempted, its P retaken from a system call
/// and its queue stolen from.
pub fn allp_made() -> (usize, *mut *mut P) {
    // SAFETY: SCHED is a static; the fields are atomics.
    unsafe {
        let s = sched();
        let n = (*s).nallp.load(Acquire) as usize;
        (n, (*s).allp.load(Acquire))
    }
}

/// The Ps in service: their count and the array (see Sched.allp for the ordering).
#[inline(always)]
pub fn allp() -> (usize, *mut *mut P) {
    // SAFETY: SCHED is a static; the fields are atomics.
    unsafe {
        let s = sched();
        let n = (*s).gomaxprocs.load(Acquire) as usize;
        (n, (*s).allp.load(Acquire))
    }
}

pub fn getm() -> *mut M {
    // SAFETY: every G the scheduler runs, and every g0, has its m set before it runs.
    unsafe { (*getg()).m }
}

/// Go's mcommoninit: numbers the M, seeds its random state and links it into allm.
#[inline(always)]
pub fn mcommoninit(mp: *mut M) {
    // SAFETY: sched.lock guards mnext and allm; mp is not yet visible to any other thread.
    unsafe {
        let s = sched();
        (*s).lock.lock();
        (*mp).id = (*s).mnext;
        (*s).mnext += 1;
        (*mp).rand = crate::rand::mseed((*mp).id);
        (*mp).alllink = (*s).allm;
        (*s).allm = mp;
        (*s).lock.unlock();
    }
}

/// Pairs the current M with `pp`.
///
/// # Safety
/// `pp` must be a P nobody else holds (just taken off the idle list, or handed over).
pub unsafe fn acquirep(mp: *mut M, pp: *mut P) {
    // SAFETY: the caller's guarantee; mp is the current M.
    unsafe {
        (*mp).p = pp;
        (*pp).m = mp;
        (*pp).status.store(P_RUNNING, Release);
    }
}

/// Puts `pp` on the idle list. Sched.lock must be held.
unsafe fn pidleput(pp: *mut P) {
    // SAFETY: under sched.lock, the only writer of the idle list; pp has been released.
    unsafe {
        let s = sched();
        (*pp).status.store(P_IDLE, Release);
        (*pp).m = null_mut();
        (*pp).link = (*s).pidle;
        (*s).pidle = pp;
        (*s).npidle.fetch_add(1, Release);
    }
}

/// Takes an idle P, or null. Sched.lock must be held.
unsafe fn pidleget() -> *mut P {
    // SAFETY: under sched.lock.
    unsafe {
        let s = sched();
        let pp = (*s).pidle;
        if !pp.is_null() {
            (*s).pidle = (*pp).link;
            (*s).npidle.fetch_sub(1, Release);
        }
        pp
    }
}

/// Takes an idle M, or null. Sched.lock must be held.
unsafe fn mget() -> *mut M {
    // SAFETY: under sched.lock.
    unsafe {
        let s = sched();
        let mp = (*s).midle;
        if !mp.is_null() {
            (*s).midle = (*mp).schedlink;
            (*s).nmidle -= 1;
        }
        mp
    }
}

/// `startm` and `steal_or_stop_ms` once a goroutine other than main exists; null before.
static STARTM: AtomicPtr<()> = AtomicPtr::new(null_mut());
static STEAL_OR_STOP: AtomicPtr<()> = AtomicPtr::new(null_mut());

/// Lets the scheduler use other Ms; called by `rt_go`. black_box: otherwise LTO sees that the
/// pointers only ever hold these functions, calls them directly, and links them into every
/// program again.
pub fn enable_ms() {
    if STEAL_OR_STOP.load(Relaxed).is_null() {
        STARTM.store(core::hint::black_box(startm as *mut ()), Relaxed);
        STEAL_OR_STOP.store(core::hint::black_box(steal_or_stop_ms as *mut ()), Relaxed);
        let write: fn(i32, &[u8]) -> bool = crate::syscall::write_all_blocking;
        crate::print::USER_WRITE.store(core::hint::black_box(write as *mut ()), Relaxed);
        let overflow: extern "C" fn(usize, usize, usize, usize) = signal::report_overflow;
        signal::OVERFLOW_CHECK.store(core::hint::black_box(overflow as *mut ()), Relaxed);
        let others: fn(Option<&[u8]>, *mut G) = crate::traceback::others;
        crate::traceback::OTHERS.store(core::hint::black_box(others as *mut ()), Relaxed);
        let unmap: fn(Stack) = crate::stack::stackfree_unmap;
        crate::stack::UNMAP.store(core::hint::black_box(unmap as *mut ()), Relaxed);
        crate::stack::count_main_stack();
        let v = crate::runtime1::late_vars();
        crate::stack::set_goroutine_size(v.stacksize as usize);
        crate::sysmon::start(&v);
        crate::mgcscavenge::start();
    }
}

/// The end of findRunnable, once the current M found no work of its own: work from other Ps
/// (or null, to look again after sleeping). Before `enable_ms` there is none anywhere: deadlock.
#[inline(always)]
pub fn steal_or_stop(mp: *mut M) -> *mut G {
    let f = STEAL_OR_STOP.load(Relaxed);
    if f.is_null() {
        throw("all goroutines are asleep - deadlock!");
    }
    // SAFETY: STEAL_OR_STOP holds steal_or_stop_ms (enable_ms).
    let f: fn(*mut M) -> *mut G = unsafe { core::mem::transmute(f) };
    f(mp)
}

/// Go's findRunnable after the local and global queues: steal as a spinning M (unless half
/// the busy Ps' Ms already spin); with nothing found, give up the P, stop spinning, look at
/// every queue once more (see the invariants), and sleep until startm hands over a P. Returns
/// a stolen G, or null when the caller should look again (with a P it holds again).
fn steal_or_stop_ms(mp: *mut M) -> *mut G {
    // SAFETY: mp is the current M and holds its P until releasep_to_idle.
    unsafe {
        // Due timers anywhere (an idle P's among them) become work here first.
        crate::time::run_all_due();
        if !(*(*mp).p).runq.is_empty() {
            return null_mut();
        }
        let s = sched();
        let busy = (*s).gomaxprocs.load(Relaxed).saturating_sub((*s).npidle.load(Relaxed));
        if (*mp).spinning || 2 * (*s).nmspinning.load(Relaxed) < busy {
            if !(*mp).spinning {
                (*mp).spinning = true;
                (*s).nmspinning.fetch_add(1, Relaxed);
            }
            let gp = steal_work(mp, (*mp).p);
            if !gp.is_null() {
                return gp;
            }
        }
        releasep_to_idle(mp);
        if (*mp).spinning {
            stop_spinning(mp);
            // Work queued after the last look saw this M spinning and woke nobody.
            if any_runnable() && pidleget_locked(mp) {
                (*mp).spinning = true;
                (*s).nmspinning.fetch_add(1, Relaxed);
                return null_mut();
            }
        }
        stopm(mp);
        null_mut()
    }
}

/// Four passes over the other Ps in a random order, taking half of a victim's queue; runnext
/// only in the last pass (Go: stealWork).
///
/// # Safety
/// `pp` must be the P the current M `mp` holds.
unsafe fn steal_work(mp: *mut M, pp: *mut P) -> *mut G {
    // SAFETY: the caller's guarantee; allp_made has nallp live Ps, never freed.
    unsafe {
        let (n, all) = allp_made();
        for pass in 0..4 {
            let start = crate::rand::wyrand(&mut (*mp).rand) as usize % n.max(1);
            for i in 0..n {
                let victim = *all.add((start + i) % n);
                if victim != pp {
                    let gp = (*pp).runq.steal(&(*victim).runq, pass == 3);
                    if !gp.is_null() {
                        return gp;
                    }
                }
            }
        }
        null_mut()
    }
}

/// Go's wakep: if there is an idle P and no M is spinning, start one spinning M.
pub fn wakep() {
    let f = STARTM.load(Relaxed);
    if f.is_null() {
        return;
    }
    // SAFETY: the counters are atomics; STARTM holds `startm` (enable_ms), which takes
    // sched.lock for the lists.
    unsafe {
        let s = sched();
        if (*s).npidle.load(Acquire) == 0 || (*s).nmspinning.load(Acquire) != 0 {
            return;
        }
        if (*s).nmspinning.compare_exchange(0, 1, AcqRel, Relaxed).is_err() {
            return;
        }
        let startm: unsafe fn(*mut P, bool) = core::mem::transmute(f);
        startm(null_mut(), true);
    }
}

/// Go's startm: runs `pp` (or an idle P) on an idle M, or on a new one. A `spinning` caller
/// has already counted the M in nmspinning; with no idle P the count is given back.
///
/// # Safety
/// `pp`, if not null, must be a P nobody holds.
pub unsafe fn startm(pp: *mut P, spinning: bool) {
    // SAFETY: the lists change under sched.lock; an M taken off midle is asleep on its note
    // and reads nextp and spinning only after the wakeup (release) it waits for (acquire).
    unsafe {
        let s = sched();
        (*s).lock.lock();
        let pp = if pp.is_null() { pidleget() } else { pp };
        if pp.is_null() {
            (*s).lock.unlock();
            if spinning {
                (*s).nmspinning.fetch_sub(1, AcqRel);
            }
            return;
        }
        let nmp = mget();
        (*s).lock.unlock();
        if nmp.is_null() {
            newm(pp, spinning);
            return;
        }
        (*nmp).spinning = spinning;
        (*nmp).nextp = pp;
        (*nmp).park.wakeup();
    }
}

/// Go's resetspinning: the current M found work; if it was the last spinning M, another is
/// woken to keep looking (there may be more work than this M can take).
#[inline(always)]
pub fn resetspinning(mp: *mut M) {
    stop_spinning(mp);
    wakep();
}

/// The current M stops spinning and leaves the count.
#[inline(always)]
fn stop_spinning(mp: *mut M) {
    // SAFETY: mp is the current M; nmspinning is an atomic.
    unsafe {
        (*mp).spinning = false;
        if (*sched()).nmspinning.fetch_sub(1, AcqRel) == 0 {
            throw("findrunnable: negative nmspinning");
        }
    }
}

/// Go's stopm, for an M that has released its P: sleep until startm hands over a P, then
/// take it.
///
/// With timers pending it sleeps only until the earliest; then, unless a waker has claimed it
/// meanwhile, it leaves the idle list and takes an idle P to fire them (or, if every P is busy,
/// sleeps until woken: their Ms fire timers as they schedule).
pub fn stopm(mp: *mut M) {
    // SAFETY: the idle list changes under sched.lock; the note is this M's own; an M a waker
    // took off the idle list (mget) always gets its wakeup, with nextp set.
    unsafe {
        let s = sched();
        let mut timed = true;
        loop {
            (*s).lock.lock();
            (*mp).schedlink = (*s).midle;
            (*s).midle = mp;
            (*s).nmidle += 1;
            checkdead();
            (*s).lock.unlock();
            let deadline = if timed { crate::time::next_when() } else { 0 };
            if deadline == 0 || (*mp).park.sleep_for(deadline - crate::vdso::nanotime()) {
                break;
            }
            (*s).lock.lock();
            if !midle_remove(mp) {
                // A waker took this M off the list: its wakeup is on the way.
                (*s).lock.unlock();
                break;
            }
            let pp = pidleget();
            (*s).lock.unlock();
            if !pp.is_null() {
                acquirep(mp, pp);
                return;
            }
            // Every P is busy: their Ms fire the timers as they schedule. Sleep until woken
            // (a deadline already past would make this loop spin).
            timed = false;
        }
        sleep_until_given_p(mp);
    }
}

/// Sleeps on the current M's note until a waker hands it a P through `nextp` (startm,
/// startlockedm), then takes that P.
///
/// # Safety
/// `mp` is the current M, holding no P, and exactly one waker will set nextp and wake it.
pub unsafe fn sleep_until_given_p(mp: *mut M) {
    // SAFETY: the caller's guarantee; the waker sets nextp before the wakeup (release), read
    // here after it (acquire).
    unsafe {
        (*mp).park.sleep();
        (*mp).park.clear();
        let pp = (*mp).nextp;
        (*mp).nextp = null_mut();
        acquirep(mp, pp);
    }
}

/// Takes `mp` off the idle list if it is there. Sched.lock must be held.
unsafe fn midle_remove(mp: *mut M) -> bool {
    // SAFETY: under sched.lock, the idle list's Ms are live and linked through schedlink.
    unsafe {
        let s = sched();
        let mut link: *mut *mut M = &mut (*s).midle;
        while !(*link).is_null() {
            if *link == mp {
                *link = (*mp).schedlink;
                (*s).nmidle -= 1;
                return true;
            }
            link = &mut (**link).schedlink;
        }
        false
    }
}

/// Drops the current M's P onto the idle list.
fn releasep_to_idle(mp: *mut M) {
    // SAFETY: mp is the current M and holds its P; the list changes under sched.lock.
    unsafe {
        let s = sched();
        (*s).lock.lock();
        let pp = (*mp).p;
        (*mp).p = null_mut();
        pidleput(pp);
        (*s).lock.unlock();
    }
}

/// Takes an idle P for the current M, if there is one.
pub fn pidleget_locked(mp: *mut M) -> bool {
    // SAFETY: the list changes under sched.lock; a P taken off it is held by nobody.
    unsafe {
        let s = sched();
        (*s).lock.lock();
        let pp = pidleget();
        (*s).lock.unlock();
        if pp.is_null() {
            return false;
        }
        acquirep(mp, pp);
        true
    }
}

/// Go's handoffp, for a P whose M stops running goroutines without going idle (sysmon took it
/// from an M in a system call, or a locked M waits for its goroutine): it goes to another M if
/// there is work for it or a timer on it (idle Ms sleep only until the timers they saw), else
/// to the idle list.
///
/// # Safety
/// `pp` must be a P nobody holds.
pub unsafe fn handoffp(pp: *mut P) {
    // SAFETY: the caller's guarantee; a P let go of is held by nobody until startm hands it
    // over or pidleget takes it.
    unsafe {
        let s = sched();
        // Under sched.lock, like exitsyscall_stop's queueing: either this sees the goroutine
        // it queued, or it saw this P on the idle list.
        (*s).lock.lock();
        let f = STARTM.load(Relaxed);
        let work = !(*pp).runq.is_empty() || !(*s).runq.is_empty() || (*pp).timer0.load(Acquire) != 0;
        if !f.is_null() && work {
            (*s).lock.unlock();
            let startm: unsafe fn(*mut P, bool) = core::mem::transmute(f);
            startm(pp, false);
            return;
        }
        pidleput(pp);
        (*s).lock.unlock();
    }
}

/// exitsyscall found no idle P: on g0, under sched.lock, the M takes one that went idle since,
/// or queues the goroutine globally and sleeps until it is given a P (Go: exitsyscall0). The
/// lock pairs with handoffp's check, so a P handed off meanwhile cannot go idle unseen.
pub extern "C" fn exitsyscall_stop(gp: *mut G) -> ! {
    let mp = getm();
    // SAFETY: on g0 after mcall saved gp; gp is ours until queued; the idle list and the
    // queueing are under sched.lock (then the global queue's own, in lock order).
    unsafe {
        (*gp).status.store(G_RUNNABLE, Release);
        (*mp).curg = null_mut();
        let s = sched();
        (*s).lock.lock();
        let pp = pidleget();
        if pp.is_null() {
            (*s).runq.put(gp);
        }
        (*s).lock.unlock();
        if !pp.is_null() {
            acquirep(mp, pp);
            crate::proc::execute(mp, gp, false);
        }
        // A locked M waits for its own goroutine instead (lockosthread.rs, from schedule).
        if (*mp).lockedg.is_null() {
            stopm(mp);
        }
        runtime_schedule()
    }
}

/// Whether any run queue (global, or any P's) holds a G.
fn any_runnable() -> bool {
    // SAFETY: allp_made has nallp live Ps, never freed; the queues are read atomically.
    unsafe {
        let s = sched();
        let (n, all) = allp_made();
        !(*s).runq.is_empty() || (0..n).any(|i| !(**all.add(i)).runq.is_empty())
    }
}

/// Go's checkdead, with sched.lock held by an M about to sleep (or exit): if no M is left
/// running or starting, no goroutine can ever become runnable again.
pub unsafe fn checkdead() {
    // SAFETY: under sched.lock, the counts are stable.
    let running = unsafe {
        let s = &*sched();
        s.mnext - s.nmidle - s.nmsys - s.nmidlelocked - s.nmfreed
    };
    if running > 0 || any_runnable() || crate::time::next_when() != 0 {
        return;
    }
    throw("all goroutines are asleep - deadlock!")
}

/// A system M running `f` on its own thread, with no P (Go: newm(sysmon, nil)).
pub fn newm_sys(f: extern "C" fn() -> !) {
    // SAFETY: nmsys changes under sched.lock.
    unsafe {
        let s = sched();
        (*s).lock.lock();
        (*s).nmsys += 1;
        (*s).lock.unlock();
    }
    newm_with(null_mut(), false, Some(f));
}

/// Go's newm: a new M, on its own thread, that will run `pp` (spinning if `spinning`).
fn newm(pp: *mut P, spinning: bool) {
    newm_with(pp, spinning, None);
}

fn newm_with(pp: *mut P, spinning: bool, mstartfn: Option<extern "C" fn() -> !>) {
    // SAFETY: freem is under sched.lock; an M taken off it has no thread any more.
    let reused = unsafe {
        let s = sched();
        (*s).lock.lock();
        let mp = crate::lockosthread::mget_freed();
        (*s).lock.unlock();
        mp
    };
    let mp = if reused.is_null() {
        let mp = persistentalloc::persistentalloc(core::mem::size_of::<M>(), 64) as *mut M;
        let g0 = persistentalloc::persistentalloc(core::mem::size_of::<G>(), 16) as *mut G;
        // SAFETY: mp and g0 are fresh zeroed memory no other thread knows of.
        unsafe {
            (*g0).stack = stackalloc(G0_STACK);
            (*g0).m = mp;
            (*mp).g0 = g0;
            (*mp).tls = tls::new_block();
        }
        mp
    } else {
        // SAFETY: the M's thread has exited: nothing uses the M, its g0 or its stacks; it keeps
        // its g0 (and stack), signal stack and TLS block, which is reset to the template.
        unsafe {
            let (g0, tp, gsignal) = ((*reused).g0, (*reused).tls, (*reused).gsignal);
            reused.write(M::zeroed());
            (*reused).g0 = g0;
            (*reused).gsignal = gsignal;
            (*reused).tls = tp;
            tls::reset_block(tp);
        }
        reused
    };
    mcommoninit(mp);
    // SAFETY: mnext and nmfreed change under sched.lock; a racy read only delays the throw.
    if unsafe { (*sched()).mnext - (*sched()).nmfreed } > MAX_MCOUNT {
        throw("thread exhaustion");
    }
    // SAFETY: mp is not running yet; no other thread knows of it until the clone.
    unsafe {
        let g0 = (*mp).g0;
        (*g0).stackguard0 = (*g0).stack.lo + STACK_GUARD;
        (*g0).stackguard1 = (*g0).stackguard0;
        (*mp).nextp = pp;
        (*mp).spinning = spinning;
        (*mp).mstartfn = mstartfn;
        (*mp).sigmask = (*runtime_m0.get()).sigmask;
        newosproc(mp);
    }
}

/// Go's newosproc: clones the thread for `mp`, with every signal blocked until the new thread
/// has its signal stack (it restores the mask in runtime_mstart_m).
///
/// # Safety
/// `mp` must be fully set up (g0 with its stack, tls, nextp) and not yet running.
unsafe fn newosproc(mp: *mut M) {
    let all = u64::MAX;
    let mut old = 0u64;
    let flags = CLONE_VM
        | CLONE_FS
        | CLONE_FILES
        | CLONE_SIGHAND
        | CLONE_THREAD
        | CLONE_SYSVSEM
        | CLONE_SETTLS
        | CLONE_PARENT_SETTID
        | CLONE_CHILD_CLEARTID;
    // SAFETY: rt_sigprocmask reads `all` and writes `old`; the clone's stack is g0's, which
    // nothing else uses, and its TLS block was built for this M alone.
    unsafe {
        sys_linux::syscall4(
            SYS_RT_SIGPROCMASK,
            SIG_SETMASK,
            &all as *const u64 as usize,
            &mut old as *mut u64 as usize,
            8,
        );
        let r = runtime_clone(flags, (*(*mp).g0).stack.hi, mp, (*mp).g0, (*mp).tls);
        sys_linux::syscall4(SYS_RT_SIGPROCMASK, SIG_SETMASK, &old as *const u64 as usize, 0, 8);
        if r < 0 {
            throw("newosproc: cannot create a thread (clone failed)");
        }
    }
}

/// The first Rust code on a new M's thread (from runtime_clone, on g0's stack): its signal
/// stack and mask, then a system M's loop, or its P and the scheduler.
#[no_mangle]
pub extern "C" fn runtime_mstart_m(mp: *mut M) -> ! {
    signal::minit(mp);
    let sp: usize;
    // SAFETY: reads the stack pointer only; then mp is this thread's M: its sigmask is the
    // process's initial mask, and nextp was handed to it by startm/newm.
    unsafe {
        asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags));
        (*(*mp).g0).sched.sp = sp & !15;
        sys_linux::syscall4(
            SYS_RT_SIGPROCMASK,
            SIG_SETMASK,
            &(*mp).sigmask as *const u64 as usize,
            0,
            8,
        );
        if let Some(f) = (*mp).mstartfn {
            f();
        }
        let pp = (*mp).nextp;
        (*mp).nextp = null_mut();
        acquirep(mp, pp);
        runtime_schedule()
    }
}

/// Takes `pp` off the idle list if it is there. Sched.lock must be held.
unsafe fn pidle_remove(pp: *mut P) -> bool {
    // SAFETY: under sched.lock, the idle list's Ps are live and linked through `link`.
    unsafe {
        let s = sched();
        let mut link: *mut *mut P = &mut (*s).pidle;
        while !(*link).is_null() {
            if *link == pp {
                *link = (*pp).link;
                (*s).npidle.fetch_sub(1, Release);
                return true;
            }
            link = &mut (**link).link;
        }
        false
    }
}

/// C API: sets GOMAXPROCS to `n` (clamped to 1..=1024) while the program runs and returns the
/// previous value; `n` < 1 only reports it. Growing makes (or brings back) Ps and wakes Ms for
/// them. Shrinking takes idle Ps out of service at once and marks running ones, whose Ms retire
/// them at their next schedule (at the latest when sysmon preempts the goroutine): their queued
/// goroutines go to the global queue and their timers to P0.
#[no_mangle]
pub extern "C" fn rt_setmaxprocs(n: i32) -> i32 {
    if n < 1 {
        // SAFETY: SCHED's count is an atomic.
        return unsafe { (*sched()).gomaxprocs.load(Acquire) } as i32;
    }
    PROCS_SET_BY_USER.store(true, Relaxed);
    setmaxprocs((n as u32).min(MAX_PROCS)) as i32
}

/// Set once the program chose GOMAXPROCS itself: sysmon stops following the CPU count and the
/// cgroup quota (Go 1.25).
pub static PROCS_SET_BY_USER: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Sets the number of Ps to `n` (1..=MAX_PROCS); returns the previous number.
pub fn setmaxprocs(n: u32) -> u32 {
    enable_ms();
    crate::time::enable();
    // SAFETY: allp, nallp and the idle list change under sched.lock, held throughout; Ps are
    // never freed; a grown array is published before the count, a shrunk count before retiring.
    unsafe {
        let s = sched();
        (*s).lock.lock();
        let old = (*s).gomaxprocs.load(Relaxed);
        let mut all = (*s).allp.load(Relaxed);
        let made = (*s).nallp.load(Relaxed);
        if n > made {
            let bigger = persistentalloc::persistentalloc(n as usize * 8, 8) as *mut *mut P;
            crate::mem::copy_forward(bigger.cast(), all.cast(), made as usize * 8);
            for i in made..n {
                let p = persistentalloc::persistentalloc(core::mem::size_of::<P>(), 64) as *mut P;
                (*p).id = i as i32;
                (*p).status.store(P_RETIRED, Release);
                *bigger.add(i as usize) = p;
            }
            (*s).allp.store(bigger, Release);
            (*s).nallp.store(n, Release);
            all = bigger;
        }
        for i in n.min(old)..n.max(old) {
            let p = *all.add(i as usize);
            if n > old {
                // Back in service: a P still running (marked to retire) just keeps running.
                (*p).retire.store(false, Release);
                if (*p).status.load(Relaxed) == P_RETIRED {
                    pidleput(p);
                }
            } else if (*p).status.load(Relaxed) == P_IDLE && pidle_remove(p) {
                (*p).status.store(P_RETIRED, Release);
                crate::time::move_timers(p, *all);
                crate::malloc::flush_cache(p);
            } else {
                (*p).retire.store(true, Release);
                (*p).timer0.store(1, Release);
            }
        }
        (*s).gomaxprocs.store(n, Release);
        (*s).lock.unlock();
        for _ in old..n {
            wakep();
        }
        old
    }
}

/// Retires the current M's P (rt_setmaxprocs marked it): its queue goes to the global queue,
/// its timers to P0, and the M carries on with an idle P or sleeps until given one.
pub fn retire_p(mp: *mut M) {
    // SAFETY: mp is the current M and holds pp; the list and the status change under
    // sched.lock; P0 never retires.
    unsafe {
        let pp = (*mp).p;
        loop {
            let (gp, _) = (*pp).runq.get();
            if gp.is_null() {
                break;
            }
            (*sched()).runq.put(gp);
        }
        let s = sched();
        (*s).lock.lock();
        if !(*pp).retire.swap(false, AcqRel) {
            (*s).lock.unlock();
            return;
        }
        crate::malloc::flush_cache(pp);
        (*pp).status.store(P_RETIRED, Release);
        (*pp).m = null_mut();
        (*mp).p = null_mut();
        (*s).lock.unlock();
        crate::time::move_timers(pp, *(*s).allp.load(Acquire));
        if (*mp).spinning {
            stop_spinning(mp);
        }
        if !pidleget_locked(mp) {
            stopm(mp);
        }
    }
}
