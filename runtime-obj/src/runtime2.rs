//! The runtime's core structures (Go: runtime2.go): G, M, P, the scheduler, and the globals
//! g0, m0 and sched.
//!
//! Invariants:
//! - `G`, `Gobuf` and `M` are `repr(C)` and the asm (asm_amd64.S) addresses some of their
//!   fields by constant offsets; `runtime_check` compares `AsmOffsets::rust()` with the table
//!   the asm publishes and throws on any difference.
//! - `G.stack` is at offset 0 and `stackguard0/1` at 16 and 24, as in Go.
//! - A G is in at most one queue at a time (`schedlink`: a run queue, the free list, or the
//!   waiters of one `rt_waitgroup`/`rt_mutex`/`rt_rwmutex`), and owned by it while there.
//! - `Sched`'s plain fields are guarded by `Sched.lock`; its atomics may be read without it
//!   (wakep's fast checks) but change only under it, except `nmspinning` (see proc.rs).
use core::ptr::null_mut;
use core::sync::atomic::{AtomicBool, AtomicI64, AtomicPtr, AtomicU32};

use crate::global::Global;
use crate::lock_futex::{Mutex, Note};
use crate::runq::{GlobalQueue, RunQ};

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct Stack {
    pub lo: usize,
    pub hi: usize,
}

impl Stack {
    pub fn size(&self) -> usize {
        self.hi - self.lo
    }
}

/// A saved goroutine context: the System V callee-saved state plus the resume pc.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct Gobuf {
    pub sp: usize,
    pub pc: usize,
    pub bp: usize,
    pub rbx: usize,
    pub r12: usize,
    pub r13: usize,
    pub r14: usize,
    pub r15: usize,
    pub mxcsr: u32,
    pub fcw: u16,
    pub pad: u16,
}

/// MXCSR and x87 control word a new goroutine starts with (the ABI's initial values).
pub const MXCSR_DEFAULT: u32 = 0x1f80;
pub const FCW_DEFAULT: u16 = 0x037f;

/// Goroutine states (Go's numbering).
pub const G_IDLE: u32 = 0;
pub const G_RUNNABLE: u32 = 1;
pub const G_RUNNING: u32 = 2;
pub const G_SYSCALL: u32 = 3;
pub const G_WAITING: u32 = 4;
pub const G_DEAD: u32 = 6;

#[repr(C)]
pub struct G {
    pub stack: Stack,
    pub stackguard0: usize,
    pub stackguard1: usize,
    pub m: *mut M,
    pub sched: Gobuf,
    pub goid: u64,
    pub status: AtomicU32,
    pub entry: usize,
    pub arg: usize,
    pub schedlink: *mut G,
    /// What woke a parked G: the channel operation (sudog) that completed, for chan.rs.
    pub param: *mut u8,
    /// 0 while a select waits; the first waker to CAS it to 1 completes one of its cases.
    pub selectdone: AtomicU32,
    /// C's errno for code running on this goroutine (rt_errno): per goroutine, not per
    /// thread, since a goroutine may resume on another thread. (Here it fills what would be
    /// padding.)
    pub errno: i32,
    /// The M this goroutine is wired to (rt_lockosthread), or null.
    pub lockedm: *mut M,
    /// The next G on `ALLG`, set once before the G is published there.
    pub alllink: *mut G,
}

/// Every G ever made (Go: allgs), newest first: Gs are never freed, only reused, so the list
/// only grows, by lock-free pushes (`proc::malg`). Tracebacks under GOTRACEBACK=all walk it.
pub static ALLG: AtomicPtr<G> = AtomicPtr::new(null_mut());

impl G {
    pub const fn zeroed() -> G {
        // SAFETY: every field is an integer, a pointer or an atomic integer; all-zero is valid.
        unsafe { core::mem::zeroed() }
    }
}

#[repr(C)]
pub struct M {
    pub g0: *mut G,
    pub curg: *mut G,
    pub p: *mut P,
    /// The P a waking M is to take (startm hands it over).
    pub nextp: *mut P,
    pub id: i64,
    /// The kernel's thread id (clone's parent tid; cleared by the kernel when the thread ends).
    pub procid: u32,
    /// Set while this thread is inside malloc or free (Go: m.mallocing): a free from a signal
    /// handler that interrupted them must not touch the mcache or take a lock (malloc.rs).
    /// (Here it fills what would be padding.)
    pub mallocing: u32,
    /// The static TLS block's thread pointer (the TCB address `%fs` holds).
    pub tls: usize,
    /// Where the M sleeps when it has no work (stopm), woken by startm.
    pub park: Note,
    /// Looking for work to steal, counted in `Sched.nmspinning`.
    pub spinning: bool,
    pub alllink: *mut M,
    /// The next idle M (`Sched.midle`).
    pub schedlink: *mut M,
    /// The signal mask the thread started with (sigsave).
    pub sigmask: u64,
    /// The alternate signal stack (minit).
    pub gsignal: Stack,
    pub rand: u64,
    /// What park_m calls once the parking G's context is saved (see gopark).
    pub waitunlockf: Option<extern "C" fn(usize)>,
    pub waitlock: usize,
    /// A system M's loop (sysmon), run instead of the scheduler; it never holds a P.
    pub mstartfn: Option<extern "C" fn() -> !>,
    /// Set by sysmon before it sends SIGURG: the handler preempts only when this is set.
    pub preempt: AtomicBool,
    /// The P this M left in P_SYSCALL (entersyscall), to take back in exitsyscall.
    pub oldp: *mut P,
    /// The goroutine wired to this M (rt_lockosthread), or null, and the lock's nesting depth.
    pub lockedg: *mut G,
    pub lockedext: u32,
    /// The next M on `Sched.freem` once this M's thread has exited.
    pub freelink: *mut M,
}

impl M {
    pub const fn zeroed() -> M {
        // SAFETY: as for G::zeroed.
        unsafe { core::mem::zeroed() }
    }
}

/// P states (Go's numbering).
pub const P_IDLE: u32 = 0;
pub const P_RUNNING: u32 = 1;
/// Its M is in a system call (entersyscall); sysmon may take it (retake) or the M take it back.
pub const P_SYSCALL: u32 = 2;
/// Out of service after rt_setmaxprocs shrank the count (Go's _Pdead; kept for reuse).
pub const P_RETIRED: u32 = 4;

/// sysmon's record of a P (Go: sysmontick): the ticks it last saw and when it first saw them.
#[repr(C)]
pub struct SysmonTick {
    pub schedtick: u32,
    pub syscalltick: u32,
    pub schedwhen: i64,
    pub syscallwhen: i64,
}

/// A timer (time.rs): at `when`, ready `g` (rt_sleep) or send `when` on the channel `c`
/// (rt_after).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Timer {
    pub when: i64,
    pub g: *mut G,
    pub c: *mut u8,
}

/// A P's timers: a min-heap by deadline in persistentalloc storage (timerheap.rs; used by time.rs).
#[repr(C)]
pub struct Timers {
    pub lock: Mutex,
    pub len: u32,
    pub cap: u32,
    pub heap: *mut Timer,
}

#[repr(C)]
pub struct P {
    pub id: i32,
    /// P_IDLE, P_RUNNING, P_SYSCALL or P_RETIRED; only the CAS out of P_SYSCALL races.
    pub status: AtomicU32,
    pub schedtick: u32,
    /// Counts entersyscalls, so sysmon can tell one long call from several short ones.
    pub syscalltick: u32,
    /// What sysmon last saw of this P (only sysmon touches it).
    pub sysmontick: SysmonTick,
    pub m: *mut M,
    pub link: *mut P,
    /// The earliest timer deadline on this P (0: none), readable without the timers' lock.
    pub timer0: AtomicI64,
    pub timers: Timers,
    /// Set by rt_setmaxprocs on a running P beyond the new count: its M retires it when it
    /// next schedules (time.rs, through the timer check).
    pub retire: AtomicBool,
    pub runq: RunQ,
    /// This P's small-object cache (mcache.rs); only the M holding the P uses it.
    pub mcache: crate::mcache::MCache,
}

/// Global scheduler state (Go: schedt).
pub struct Sched {
    pub lock: Mutex,
    pub goidgen: u64,
    /// Goroutines that have ended (rt_numgoroutine is goidgen - nexited).
    pub nexited: u64,
    /// Ms created so far (ids are 0..mnext).
    pub mnext: i64,
    pub allm: *mut M,
    /// Idle Ms, parked on their notes, and how many.
    pub midle: *mut M,
    pub nmidle: i64,
    /// System Ms (sysmon): never idle, never running goroutines.
    pub nmsys: i64,
    /// Ms asleep until their locked goroutine is runnable (lockosthread.rs).
    pub nmidlelocked: i64,
    /// Ms whose thread has exited (a locked goroutine ended), ever: `mnext - nmfreed` threads
    /// exist (a reused M gets a new id, so it counts in `mnext` again). Exited Ms wait on
    /// `freem` for reuse.
    pub nmfreed: i64,
    pub freem: *mut M,
    pub pidle: *mut P,
    pub npidle: AtomicU32,
    /// Ms looking for work to steal; at most one more starts spinning while any does.
    pub nmspinning: AtomicU32,
    /// Set by runtime_main: from then on new work wakes idle Ps (Go: mainStarted).
    pub main_started: AtomicBool,
    /// The global run queue (its own lock).
    pub runq: GlobalQueue,
    /// Dead Gs kept with their stacks for reuse (Go: gFree), by how long they have been dead:
    /// since the scavenger's last pass, before it (`gfree_aging`), and for two passes or more,
    /// their stacks' pages released (`gfree_cold`: mgcscavenge.rs). gfget takes the warmest.
    pub gfree: *mut G,
    pub gfree_aging: *mut G,
    pub gfree_cold: *mut G,
    /// Every P ever made, `gomaxprocs` of them in service (rt_setmaxprocs changes both: a
    /// grown array is published before the count, a shrunk count before Ps retire; arrays are
    /// never freed, so a reader that loads the count, then the array, always reads live Ps).
    pub allp: AtomicPtr<*mut P>,
    pub gomaxprocs: AtomicU32,
    /// The length of `allp` (Ps made so far): changes under `lock`, stored after a grown array
    /// is published, so a reader that loads it and then the array never reads past the end.
    pub nallp: AtomicU32,
}

#[no_mangle]
pub static runtime_g0: Global<G> = Global::new(G::zeroed());
#[no_mangle]
pub static runtime_m0: Global<M> = Global::new(M::zeroed());
pub static SCHED: Global<Sched> = Global::new(Sched {
    lock: Mutex::new(),
    goidgen: 0,
    nexited: 0,
    mnext: 0,
    allm: null_mut(),
    midle: null_mut(),
    nmidle: 0,
    nmsys: 0,
    nmidlelocked: 0,
    nmfreed: 0,
    freem: null_mut(),
    pidle: null_mut(),
    npidle: AtomicU32::new(0),
    nmspinning: AtomicU32::new(0),
    main_started: AtomicBool::new(false),
    runq: GlobalQueue::new(),
    gfree: null_mut(),
    gfree_aging: null_mut(),
    gfree_cold: null_mut(),
    allp: AtomicPtr::new(null_mut()),
    gomaxprocs: AtomicU32::new(0),
    nallp: AtomicU32::new(0),
});

/// The struct offsets asm_amd64.S uses, in the order of its `runtime_asm_offsets` table.
#[repr(C)]
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct AsmOffsets(pub [u8; 17]);

impl AsmOffsets {
    /// The same offsets computed from the Rust definitions.
    pub const fn rust() -> AsmOffsets {
        use core::mem::offset_of;
        let s = offset_of!(G, sched);
        let o = [
            crate::tls::TCB_G,
            offset_of!(G, stack) + offset_of!(Stack, lo),
            offset_of!(G, stack) + offset_of!(Stack, hi),
            offset_of!(G, m),
            s,
            offset_of!(Gobuf, sp),
            offset_of!(Gobuf, pc),
            offset_of!(Gobuf, bp),
            offset_of!(Gobuf, rbx),
            offset_of!(Gobuf, r12),
            offset_of!(Gobuf, r13),
            offset_of!(Gobuf, r14),
            offset_of!(Gobuf, r15),
            offset_of!(Gobuf, mxcsr),
            offset_of!(Gobuf, fcw),
            offset_of!(M, g0),
            offset_of!(M, procid),
        ];
        let mut b = [0u8; 17];
        let mut i = 0;
        while i < 17 {
            assert!(o[i] < 256);
            b[i] = o[i] as u8;
            i += 1;
        }
        AsmOffsets(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_layout_of_g() {
        let o = AsmOffsets::rust().0;
        assert_eq!(&o[1..5], &[0, 8, 32, 40]);
        assert_eq!(core::mem::offset_of!(G, stackguard0), 16);
        assert_eq!(core::mem::offset_of!(G, stackguard1), 24);
    }
}
