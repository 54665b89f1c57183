//! The scheduler and the last bootstrap stages (Go: proc.go): schedinit, procresize, newproc,
//! mstart, schedule, goexit, and runtime_main, which runs the program.
//!
//! Invariants:
//! - GOMAXPROCS Ps, each run by at most one M (thread) at a time; Ms are started when work
//!   appears and an idle P exists (proc_m.rs). On a P, a G runs until it returns, yields
//!   (`rt_gosched`), blocks (`gopark`) or is preempted after 10 ms (preempt.rs).
//! - `schedule` runs on g0's stack and never returns: it picks a G and `gogo`s into it.
//!   `mcall` is the only way from a G back to g0, and it saves the G's context first, so once
//!   on g0 the G may be queued (and run by another M) at once.
//! - A P's local run queue is written only by the M holding the P; other Ms only steal from it.
//!   The global queue has its own lock; the free G list, goid counter and idle lists are under
//!   `Sched.lock`. Lock order: a user sync object's lock, then `Sched.lock`, then the global
//!   queue's; nothing is held across a context switch except what `gopark` hands to `park_m`.
//! - A dead G keeps its stack on the free list if it has rt_go's size (else it is freed), for
//!   the next `rt_go` or `rt_go_stack` (gfget).
//! - The first goroutine starts at `*mainPC` (runtime_main), never at `main`; new work wakes
//!   idle Ps only once `runtime_main` runs (so the bootstrap starts no thread).
use core::arch::asm;
use core::ptr::null_mut;
use core::sync::atomic::AtomicPtr;
use core::sync::atomic::Ordering::{Relaxed, Release};

use crate::os_linux::{ncpu, OS};
use crate::print::{throw, Buf};
use crate::proc_m::{enable_ms, getm, mcommoninit, resetspinning, sched, steal_or_stop, wakep, MAX_PROCS};
use crate::runtime1::{cstr_bytes, parse_procs, ARGS, ENV};
use crate::runtime2::*;
use crate::stack::{stackalloc, stackalloc_goroutine, stackfree, DEFAULT_STACK, STACKS};
use crate::sys_linux;
use crate::tls::{getg, setg};
use crate::{cgroup, persistentalloc, rand, signal, stack, trace};

extern "C" {
    fn main(argc: i32, argv: *const *const u8, envp: *const *const u8) -> i32;
    fn runtime_gogo(buf: *const Gobuf) -> !;
    fn runtime_mcall(f: extern "C" fn(*mut G) -> !);
    fn runtime_goexit();
    static runtime_preinit_array_start: u8;
    static runtime_preinit_array_end: u8;
    static runtime_init_array_start: u8;
    static runtime_init_array_end: u8;
    static runtime_fini_array_start: u8;
    static runtime_fini_array_end: u8;
}

/// The address of a linker-placed marker, as a plain integer. Taken in asm so the compiler
/// attaches no object (and no object size) to it: the arrays lie *between* two markers, which
/// no Rust pointer to either marker could legally reach.
macro_rules! marker {
    ($sym:ident) => {{
        let a: usize;
        // SAFETY: lea only computes the symbol's address.
        unsafe { asm!("lea {}, [rip + {}]", out(reg) a, sym $sym, options(nomem, nostack, preserves_flags)) };
        a
    }};
}

/// Go's schedinit, with each step traced.
#[no_mangle]
pub extern "C" fn runtime_schedinit() {
    let all = trace::start();
    let m0 = runtime_m0.get();

    let t = trace::start();
    // SAFETY: g0's stack and OS.auxv were set by rt0_go.
    let (main_stack, carved) = unsafe { stack::stackinit((*runtime_g0.get()).stack.lo, (*OS.get()).auxv.execfn) };
    trace::done("stackinit", t, |b| {
        b.str("main stack=")
            .kib(main_stack)
            .str(if carved {
                " (RLIMIT_STACK, OS stack)"
            } else {
                " (RLIMIT_STACK)"
            })
            .str(" goroutine stack=")
            .kib(DEFAULT_STACK);
    });

    let t = trace::start();
    // SAFETY: AT_RANDOM points to 16 kernel-provided bytes (args checked it is present).
    let seed = unsafe { rand::randinit(checked_random()) };
    trace::done("randinit", t, |b| {
        b.kx("seed=", seed).str(" (AT_RANDOM)");
    });

    let t = trace::start();
    let arena = persistentalloc::mallocinit();
    trace::done("mallocinit", t, |b| {
        b.str("arena=")
            .range(arena, arena + persistentalloc::ARENA_RESERVE)
            .str(" reserved ")
            .kib(persistentalloc::ARENA_RESERVE);
    });

    let t = trace::start();
    mcommoninit(m0);
    trace::done("mcommoninit", t, |b| {
        // SAFETY: m0 and sched were just initialised on this thread.
        let (id, mcount) = unsafe { ((*m0).id, (*sched()).mnext) };
        b.kv("m0 id=", id as u64).kv(" mcount=", mcount as u64);
    });

    let t = trace::start();
    let mask = signal::sigsave(m0);
    trace::done("sigsave", t, |b| {
        b.kx("sigmask=", mask);
    });

    let t = trace::start();
    let reopened = checkfds();
    trace::done("checkfds", t, |b| {
        b.str("closed=");
        if reopened == 0 {
            b.str("none");
        }
        for fd in 0..3 {
            if reopened & (1 << fd) != 0 {
                b.u64(fd).str(" ");
            }
        }
        if reopened != 0 {
            b.str("(reopened on /dev/null)");
        }
    });

    let t = trace::start();
    let (procs, why) = decide_procs();
    procresize(procs);
    trace::done("procresize", t, |b| {
        b.kv("procs=", procs.into()).str(" (");
        why.describe(b);
        b.str(")");
    });

    trace::done("schedinit", all, |b| {
        b.kv("gomaxprocs=", procs.into());
    });
}

fn checked_random() -> usize {
    // SAFETY: OS.auxv was filled by rt0_go (scan_env).
    let r = unsafe { (*OS.get()).auxv.random };
    if r == 0 {
        throw("args: no AT_RANDOM in auxv");
    }
    r
}

/// Go's checkfds: fds 0, 1 and 2 that are closed are opened on /dev/null, so the program's
/// first open() cannot become its stdout. One poll() finds the closed ones (POLLNVAL).
/// Returns a bit set of the fds reopened.
fn checkfds() -> u32 {
    const POLLNVAL: u16 = 0x20;
    #[repr(C)]
    struct PollFd {
        fd: i32,
        events: u16,
        revents: u16,
    }
    let mut fds = [
        PollFd {
            fd: 0,
            events: 0,
            revents: 0,
        },
        PollFd {
            fd: 1,
            events: 0,
            revents: 0,
        },
        PollFd {
            fd: 2,
            events: 0,
            revents: 0,
        },
    ];
    // SAFETY: fds is an array of 3 pollfd structs the kernel may update.
    let r = unsafe { sys_linux::syscall3(sys_linux::SYS_POLL, fds.as_mut_ptr() as usize, 3, 0) };
    if r < 0 {
        throw("checkfds: poll failed");
    }
    let mut reopened = 0;
    for p in &fds {
        if p.revents & POLLNVAL != 0 {
            // SAFETY: a NUL-terminated path.
            let fd = unsafe { sys_linux::open(c"/dev/null".as_ptr().cast(), sys_linux::O_RDWR) };
            if fd != p.fd as isize {
                throw("checkfds: cannot open /dev/null");
            }
            reopened |= 1 << p.fd;
        }
    }
    reopened
}

/// Why procresize got the count it got, for the trace.
enum ProcsSource {
    Env,
    /// The CPU count and the cgroup's quota: None when it was not read (at most 2 CPUs),
    /// Some(None) when there is none.
    Cpus(u32, Option<Option<u64>>),
}

impl ProcsSource {
    fn describe(&self, b: &mut Buf) {
        let ProcsSource::Cpus(n, cgroup) = *self else {
            b.str("GOMAXPROCS");
            return;
        };
        b.kv("ncpu=", n.into());
        match cgroup {
            None => b.str(", cgroup not read: ncpu <= 2"),
            Some(None) => b.str(", no cgroup quota"),
            Some(Some(m)) => b.str(", cgroup quota ").milli(m).kv(" -> ", m.div_ceil(1000).max(2)),
        };
    }
}

/// GOMAXPROCS when it is a positive integer; otherwise Go 1.25's default,
/// min(ncpu, max(2, ceil(quota))). With at most 2 CPUs no quota can change that answer, so the
/// cgroup files are not read at all then (saving ~5 us of start-up).
fn decide_procs() -> (u32, ProcsSource) {
    // SAFETY: ENV is bootstrap state; its strings are the process's environment.
    let env = unsafe { (*ENV.get()).gomaxprocs };
    // SAFETY: a non-null env value is a NUL-terminated environment string.
    if let Some(n) = (!env.is_null())
        .then(|| parse_procs(unsafe { cstr_bytes(env) }))
        .flatten()
    {
        return (n.min(MAX_PROCS), ProcsSource::Env);
    }
    let n = ncpu();
    if n <= 2 {
        return (n, ProcsSource::Cpus(n, None));
    }
    let limit = cgroup::cpu_limit_milli();
    (
        cgroup::default_procs(n, limit).min(MAX_PROCS),
        ProcsSource::Cpus(n, Some(limit)),
    )
}

/// Go's procresize for the bootstrap: creates `n` Ps, gives P0 to m0 and puts the rest on the
/// idle list. No G exists yet, and fresh Ps have empty run queues.
fn procresize(n: u32) {
    // SAFETY: on m0 during the bootstrap; the Ps are fresh zeroed memory, so their run queues
    // are empty.
    unsafe {
        let s = &mut *sched();
        let allp = persistentalloc::persistentalloc(n as usize * 8, 8) as *mut *mut P;
        for i in 0..n {
            let p = persistentalloc::persistentalloc(core::mem::size_of::<P>(), 64) as *mut P;
            (*p).id = i as i32;
            (*p).status.store(P_IDLE, Release);
            *allp.add(i as usize) = p;
        }
        s.allp.store(allp, Relaxed);
        s.gomaxprocs.store(n, Relaxed);
        s.nallp.store(n, Relaxed);
        let m0 = runtime_m0.get();
        let p0 = *allp;
        (*m0).p = p0;
        (*p0).m = m0;
        (*p0).status.store(P_RUNNING, Release);
        for i in (1..n as usize).rev() {
            let p = *allp.add(i);
            (*p).link = s.pidle;
            s.pidle = p;
            s.npidle.fetch_add(1, Relaxed);
        }
    }
}

/// A new G, published on ALLG (Go: malg's allocation and allgadd).
fn malg() -> *mut G {
    let gp = persistentalloc::persistentalloc(core::mem::size_of::<G>(), 16) as *mut G;
    let mut head = ALLG.load(Relaxed);
    loop {
        // SAFETY: gp is new and not yet visible to any other thread.
        unsafe { (*gp).alllink = head };
        match ALLG.compare_exchange_weak(head, gp, Release, Relaxed) {
            Ok(_) => return gp,
            Err(h) => head = h,
        }
    }
}

/// Bootstrap entry: create the main goroutine, to run `f` (= *mainPC) on a stack sized like a
/// C main thread's.
#[no_mangle]
pub extern "C" fn runtime_newproc(f: usize, arg: usize) {
    let t = trace::start();
    // SAFETY: STACKS was sized by stackinit.
    let size = unsafe { (*STACKS.get()).main_size };
    let gp = malg();
    // SAFETY: a fresh G, referenced by nothing else, given its stack; goidgen is under
    // sched.lock.
    unsafe {
        (*gp).stack = stackalloc(size);
        let s = sched();
        (*s).lock.lock();
        let goid = next_goid(s);
        (*s).lock.unlock();
        newproc1(f, arg, gp, goid);
    }
    trace::done("newproc", t, |b| {
        // SAFETY: gp was just created and is not running.
        let g = unsafe { &*gp };
        b.kv("goid=", g.goid)
            .kx(" fn=*mainPC=", f as u64)
            .str(" stack=")
            .range(g.stack.lo, g.stack.hi);
        b.str(" ").kib(g.stack.size()).str(", runqput(p0, next=true)");
    });
}

/// The next goroutine id. Sched.lock must be held.
#[inline(always)]
unsafe fn next_goid(s: *mut Sched) -> u64 {
    // SAFETY: the caller holds sched.lock, which guards goidgen.
    unsafe {
        (*s).goidgen += 1;
        (*s).goidgen
    }
}

/// Makes `gp` (with its stack) the runnable goroutine `goid` that will call `f(arg)` and queues
/// it in the current P's runnext, as Go's newproc does; once main has started, an idle P gets
/// an M.
///
/// # Safety
/// `gp` is a new or dead G, referenced by nothing else, with a stack; `goid` from next_goid.
#[inline(always)]
unsafe fn newproc1(f: usize, arg: usize, gp: *mut G, goid: u64) {
    // SAFETY: the caller's guarantee; the current M holds its P, whose queue it may write.
    unsafe {
        let s = sched();
        let g = &mut *gp;
        g.stackguard0 = g.stack.lo + stack::STACK_GUARD;
        g.stackguard1 = g.stackguard0;
        g.sched = Gobuf {
            sp: g.stack.hi,
            pc: runtime_goexit as *const () as usize,
            r12: arg,
            r13: f,
            mxcsr: MXCSR_DEFAULT,
            fcw: FCW_DEFAULT,
            ..Gobuf::default()
        };
        g.entry = f;
        g.arg = arg;
        g.m = null_mut();
        g.schedlink = null_mut();
        g.goid = goid;
        g.status.store(G_RUNNABLE, Release);
        let pp = (*getm()).p;
        (*pp).runq.put(gp, true, &(*s).runq);
        if (*s).main_started.load(Relaxed) {
            wakep();
        }
    }
}

/// Go's gfget: a dead G from the free list (or a new one) with a stack of `size` bytes: its
/// own if it has that size, else a fresh one (its old one goes back); and, under the same
/// lock, the new goroutine's id.
fn gfget(size: usize) -> (*mut G, u64) {
    // SAFETY: the free list and goidgen are under sched.lock; a G taken off the list is dead
    // and ours.
    unsafe {
        let s = sched();
        (*s).lock.lock();
        let list = [&mut (*s).gfree, &mut (*s).gfree_aging, &mut (*s).gfree_cold]
            .into_iter()
            .find(|l| !l.is_null());
        let mut gp = null_mut();
        if let Some(l) = list {
            gp = *l;
            *l = (*gp).schedlink;
        }
        let goid = next_goid(s);
        (*s).lock.unlock();
        if gp.is_null() {
            gp = malg();
        }
        if (*gp).stack.size() != size {
            if (*gp).stack.lo != 0 {
                stackfree((*gp).stack);
            }
            (*gp).stack = stackalloc_goroutine(size);
        }
        (gp, goid)
    }
}

/// Go's mstart for m0: signal stack and handlers (mstartm0), then the scheduler on g0.
#[no_mangle]
pub extern "C" fn runtime_mstart() -> ! {
    let mp = getm();
    let t = trace::start();
    signal::minit(mp);
    trace::done("minit", t, |b| {
        // SAFETY: minit just set it.
        let s = unsafe { (*mp).gsignal };
        b.str("sigaltstack=").range(s.lo, s.hi).str(" ").kib(s.size());
    });
    let t = trace::start();
    let n = signal::initsig();
    trace::done("initsig", t, |b| {
        b.kv("handlers=", n as u64).str(" (");
        for (i, (_, name, _)) in signal::FATAL.iter().enumerate() {
            b.str(if i > 0 { " " } else { "" }).str(name);
        }
        b.str(") on the signal stack");
    });
    let sp: usize;
    // SAFETY: reads the stack pointer only.
    unsafe { asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    // SAFETY: g0 is this M's g0; frames above sp are mstart's, which never resumes once
    // schedule runs, so mcall may reuse everything below.
    unsafe { (*(*mp).g0).sched.sp = sp & !15 };
    runtime_schedule()
}

/// Go's schedule: find a runnable G and run it. Never returns. Through `SCHEDULE`: `schedule`,
/// until the first rt_lockosthread switches it to lockosthread.rs's form (a pointer, so that
/// form is linked only into programs that lock).
#[no_mangle]
pub extern "C" fn runtime_schedule() -> ! {
    // SAFETY: SCHEDULE holds `schedule` or `lockosthread::schedule_locked`, both of this type.
    let f: extern "C" fn() -> ! = unsafe { core::mem::transmute(SCHEDULE.load(Relaxed)) };
    f()
}

pub static SCHEDULE: AtomicPtr<()> = AtomicPtr::new(schedule as *mut ());

/// `lockosthread::handoff_locked`, set with SCHEDULE: an M that entered `schedule` before the
/// switch (asleep in find_runnable, say) may still find a goroutine locked to another M.
pub static HANDOFF_LOCKED: AtomicPtr<()> = AtomicPtr::new(null_mut());

extern "C" fn schedule() -> ! {
    let mp = getm();
    let (gp, inherit) = find_runnable(mp);
    // SAFETY: gp came off a run queue and is ours; a non-null lockedm means rt_lockosthread
    // ran, and it sets HANDOFF_LOCKED before any goroutine can be locked.
    unsafe {
        let lm = (*gp).lockedm;
        if !lm.is_null() && lm != mp {
            let f: extern "C" fn(*mut M, *mut M) -> ! = core::mem::transmute(HANDOFF_LOCKED.load(Relaxed));
            f(mp, lm);
        }
    }
    execute(mp, gp, inherit)
}

/// Go's execute: runs `gp` on the current M (which holds a P); `inherit`: it takes over the
/// rest of the previous G's time slice (runnext), so the P's schedtick does not move.
#[inline(always)]
pub fn execute(mp: *mut M, gp: *mut G, inherit: bool) -> ! {
    // SAFETY: the current M holds a P; gp came off a run queue (or was handed to this locked
    // M), so it is runnable and ours now.
    unsafe {
        if (*mp).spinning {
            resetspinning(mp);
        }
        let pp = (*mp).p;
        if !inherit {
            (*pp).schedtick = (*pp).schedtick.wrapping_add(1);
        }
        (*gp).status.store(G_RUNNING, Relaxed);
        (*gp).m = mp;
        (*mp).curg = gp;
        setg(gp);
        runtime_gogo(&(*gp).sched)
    }
}

/// Go's findRunnable, in Go's order: due timers first, the global queue every 61st tick
/// (fairness), then runnext and the local ring, then the global queue; then other Ms' work
/// (proc_m.rs: `steal_or_stop`: stealing as a spinning M, else giving up the P and sleeping
/// until woken with one, then looking again). In a program that never started a goroutine or
/// a timer there is no other work anywhere, so finding none is a deadlock. Tick 0 does not
/// count: the main goroutine inherits the P's first tick, and in Go runtime.main has parked and
/// rescheduled several times before user code runs, so user code never sees it.
#[inline(always)]
pub fn find_runnable(mp: *mut M) -> (*mut G, bool) {
    loop {
        // SAFETY: mp holds pp.
        unsafe {
            crate::time::run_timers((*mp).p);
            let s = sched();
            let p = &*(*mp).p;
            let procs = (*s).gomaxprocs.load(Relaxed);
            if p.schedtick != 0 && p.schedtick.is_multiple_of(61) && !(*s).runq.is_empty() {
                let gp = (*s).runq.get(&p.runq, procs, 1);
                if !gp.is_null() {
                    return (gp, false);
                }
            }
            let (gp, inherit) = p.runq.get();
            if !gp.is_null() {
                return (gp, inherit);
            }
            let gp = (*s).runq.get(&p.runq, procs, 0);
            if !gp.is_null() {
                return (gp, false);
            }
            let gp = steal_or_stop(mp);
            if !gp.is_null() {
                return (gp, false);
            }
        }
    }
}

/// On g0 after mcall: the goroutine goes behind every other (global queue) and the M
/// schedules (rt_gosched, and preemption).
pub extern "C" fn gosched_m(gp: *mut G) -> ! {
    // SAFETY: on g0 after mcall saved gp; gp is ours until queued.
    unsafe {
        (*gp).status.store(G_RUNNABLE, Relaxed);
        (*getm()).curg = null_mut();
        (*sched()).runq.put(gp);
    }
    runtime_schedule()
}

/// Go's gopark: the current goroutine stops running until `goready` makes it runnable. Once
/// its context is saved (on g0, in park_m), `unlock(arg)` runs: the caller holds the lock that
/// guards the wait list it put itself on, so no waker can ready it before it is parked.
pub fn gopark(unlock: extern "C" fn(usize), arg: usize) {
    let mp = getm();
    // SAFETY: called on a goroutine (never g0); the M's wait fields are read by park_m alone.
    unsafe {
        (*mp).waitunlockf = Some(unlock);
        (*mp).waitlock = arg;
        runtime_mcall(park_m);
    }
}

extern "C" fn park_m(gp: *mut G) -> ! {
    let mp = getm();
    // SAFETY: on g0 after mcall saved gp's context; from the unlock on, a waker may queue gp.
    unsafe {
        (*gp).status.store(G_WAITING, Release);
        (*mp).curg = null_mut();
        if let Some(f) = (*mp).waitunlockf.take() {
            f((*mp).waitlock);
        }
    }
    runtime_schedule()
}

/// Go's goready: `gp`, parked, becomes runnable on the current P (in runnext when `next`, so
/// it runs next, as a woken communication partner should; else at the ring's tail), and an idle
/// P gets an M.
///
/// # Safety
/// `gp` must be parked (gopark) and taken off whatever wait list held it, by the caller.
pub unsafe fn goready(gp: *mut G, next: bool) {
    // SAFETY: the caller's guarantee; the current M holds its P, whose queue it may write.
    unsafe {
        (*gp).status.store(G_RUNNABLE, Release);
        let pp = (*getm()).p;
        (*pp).runq.put(gp, next, &(*sched()).runq);
    }
    wakep();
}

extern "C" fn goexit0(gp: *mut G) -> ! {
    // SAFETY: on g0 after mcall; gp has finished, nothing runs on its stack any more.
    unsafe {
        (*gp).status.store(G_DEAD, Relaxed);
        (*gp).m = null_mut();
        (*getm()).curg = null_mut();
        // A goroutine that ends locked ends its thread: lockosthread.rs frees it then.
        if (*gp).lockedm.is_null() {
            gfput(gp);
        }
    }
    runtime_schedule()
}

/// Go's gfput: a dead goroutine goes on the free list, with its stack if that has rt_go's
/// size.
///
/// # Safety
/// `gp` is dead (goexit0) and on no list.
#[inline(always)]
pub unsafe fn gfput(gp: *mut G) {
    // SAFETY: the caller's guarantee; the free list is under sched.lock.
    unsafe {
        if (*gp).stack.size() != stack::goroutine_size() {
            stackfree((*gp).stack);
            (*gp).stack = Stack::default();
        }
        let s = sched();
        (*s).lock.lock();
        (*gp).schedlink = (*s).gfree;
        (*s).gfree = gp;
        (*s).nexited += 1;
        (*s).lock.unlock();
    }
}

/// Reached from `runtime_goexit` when a goroutine's function returns.
#[no_mangle]
pub extern "C" fn runtime_goexit1() -> ! {
    // SAFETY: called on a goroutine's own stack, never on g0.
    unsafe { runtime_mcall(goexit0) };
    throw("goexit: dead G resumed")
}

#[no_mangle]
pub extern "C" fn runtime_badmcall() -> ! {
    throw("runtime: mcall called on m->g0 stack")
}

/// Calls each function of an init/fini array in order (or in reverse).
///
/// # Safety
/// `[start, end)` must be one of the linker-built arrays of function addresses.
unsafe fn run_array(start: usize, end: usize, reverse: bool) -> usize {
    // SAFETY: the array lies between the runtime's marker symbols (linker script), so each
    // 8-byte slot in [start, end) is a mapped function address (or a 0/-1 terminator).
    unsafe {
        let n = (end - start) / 8;
        let a = &*ARGS.get();
        for i in 0..n {
            let slot = start + 8 * if reverse { n - 1 - i } else { i };
            let f = core::ptr::read_volatile(core::ptr::with_exposed_provenance::<usize>(slot));
            if f != 0 && f != usize::MAX {
                let f: extern "C" fn(i32, *const *const u8, *const *const u8) = core::mem::transmute(f);
                f(a.argc, a.argv, a.envp);
            }
        }
        n
    }
}

static FINI_DONE: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Runs `.fini_array` (once) and exits the process.
fn exit(code: i32) -> ! {
    if !FINI_DONE.swap(true, Relaxed) {
        let (start, end) = (marker!(runtime_fini_array_start), marker!(runtime_fini_array_end));
        // SAFETY: the marker symbols bracket .fini_array.
        unsafe { run_array(start, end, true) };
    }
    sys_linux::exit_group(code)
}

/// The main goroutine (Go: runtime.main): runs the program's initialisers, `main`, then its
/// finalisers, and exits with main's status. Other goroutines are not waited for.
#[no_mangle]
pub extern "C" fn runtime_main(_arg: usize) -> ! {
    // SAFETY: main_started is an atomic; from here on, new goroutines may start Ms.
    unsafe { (*sched()).main_started.store(true, Relaxed) };
    let t = trace::start();
    // SAFETY: the marker symbols bracket each array (linker script).
    let pre = (marker!(runtime_preinit_array_start), marker!(runtime_preinit_array_end));
    let init = (marker!(runtime_init_array_start), marker!(runtime_init_array_end));
    // SAFETY: the marker symbols bracket each array (linker script).
    let (pre, init) = unsafe { (run_array(pre.0, pre.1, false), run_array(init.0, init.1, false)) };
    trace::done("runtime_main", t, |b| {
        // SAFETY: the current G is the main goroutine.
        let g = unsafe { &*getg() };
        b.kv("goid=", g.goid)
            .kv(" on m0, preinit_array=", pre as u64)
            .kv(" init_array=", init as u64);
        b.str(", calling main");
    });
    // SAFETY: ARGS is the kernel's argv/envp; main is the user's C entry point.
    let code = unsafe {
        let a = &*ARGS.get();
        main(a.argc, a.argv, a.envp)
    };
    exit(code)
}

/// C API: runs the `.fini_array` functions (once) and exits with `code`.
#[no_mangle]
pub extern "C" fn rt_exit(code: i32) -> ! {
    exit(code)
}

/// C API: starts a goroutine running `f(arg)`. It runs when the current goroutine yields.
#[no_mangle]
pub extern "C" fn rt_go(f: extern "C" fn(*mut u8), arg: *mut u8) {
    enable_ms();
    let (gp, goid) = gfget(stack::goroutine_size());
    // SAFETY: gfget's G is dead or new, ours alone, with a stack.
    unsafe { newproc1(f as usize, arg as usize, gp, goid) };
}

/// C API: rt_go with a stack of `size` bytes (rounded up to whole pages, within 16 KiB and
/// 1 GiB) instead of rt_go's size.
#[no_mangle]
pub extern "C" fn rt_go_stack(f: extern "C" fn(*mut u8), arg: *mut u8, size: usize) {
    enable_ms();
    let (gp, goid) = gfget(stack::round_size(size));
    // SAFETY: as in rt_go.
    unsafe { newproc1(f as usize, arg as usize, gp, goid) };
}

/// Starts a goroutine the runtime runs for itself (Go's system goroutines, such as bgscavenge):
/// it has goid 0 and is not counted by rt_numgoroutine, so programs see the same goroutine ids
/// and counts with or without it. It must never return.
pub fn go_system(f: extern "C" fn(*mut u8)) {
    let gp = malg();
    // SAFETY: a new G, ours alone, given a stack before it is queued.
    unsafe {
        (*gp).stack = stackalloc_goroutine(stack::goroutine_size());
        newproc1(f as usize, 0, gp, 0);
    }
}

/// C API: yields the processor; the goroutine is requeued behind the others.
#[no_mangle]
pub extern "C" fn rt_gosched() {
    // SAFETY: called from a goroutine (C code runs on goroutines, never on g0).
    unsafe { runtime_mcall(gosched_m) }
}

/// C API: ends the calling goroutine (its function does not return). From main's goroutine the
/// program goes on with the others, as Go's runtime.Goexit.
#[no_mangle]
pub extern "C" fn rt_goexit() -> ! {
    runtime_goexit1()
}

/// C API: the calling goroutine, as a handle for `rt_ready`.
#[no_mangle]
pub extern "C" fn rt_self() -> *mut G {
    getg()
}

/// C API: parks the calling goroutine; once it is parked, `unlock(arg)` runs (on the scheduler's
/// stack), so a waker that must first take the lock `unlock` releases always finds it parked.
/// It resumes after someone calls `rt_ready` on it.
///
/// # Safety
/// `unlock` must not block or park; called on a goroutine.
#[no_mangle]
pub unsafe extern "C" fn rt_park(unlock: extern "C" fn(usize), arg: usize) {
    enable_ms();
    gopark(unlock, arg);
}

/// C API: makes a goroutine parked by `rt_park` runnable again.
///
/// # Safety
/// `gp` must be a goroutine parked by `rt_park`, readied once.
#[no_mangle]
pub unsafe extern "C" fn rt_ready(gp: *mut G) {
    // SAFETY: the caller's guarantee.
    unsafe { goready(gp, true) }
}

/// C API: the number of goroutines that exist (started and not yet ended), main's included;
/// the runtime's own (go_system) are not counted.
#[no_mangle]
pub extern "C" fn rt_numgoroutine() -> i64 {
    // SAFETY: goidgen counts every goroutine ever started, nexited every one that ended; both
    // change under sched.lock.
    unsafe {
        let s = sched();
        (*s).lock.lock();
        let n = (*s).goidgen - (*s).nexited;
        (*s).lock.unlock();
        n as i64
    }
}

/// C API: the calling goroutine's errno (C's `errno`, which rtlink.h defines through this).
#[no_mangle]
pub extern "C" fn rt_errno() -> *mut i32 {
    // SAFETY: getg() is the running G, which outlives the code running on it.
    unsafe { core::ptr::addr_of_mut!((*getg()).errno) }
}

/// C API: the current goroutine's id (the main goroutine is 1).
#[no_mangle]
pub extern "C" fn rt_goid() -> i64 {
    // SAFETY: getg() is the running G.
    unsafe { (*getg()).goid as i64 }
}

/// C API: the number of Ps.
#[no_mangle]
pub extern "C" fn rt_gomaxprocs() -> i32 {
    // SAFETY: set once by procresize.
    unsafe { (*sched()).gomaxprocs.load(Relaxed) as i32 }
}

/// C API: monotonic time in nanoseconds (vDSO clock_gettime, syscall fallback).
#[no_mangle]
pub extern "C" fn rt_nanotime() -> i64 {
    crate::vdso::nanotime()
}
