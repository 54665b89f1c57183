//! The runtime's core structures (Go: runtime2.go): G, M, P, the scheduler, and the globals
//! g0, m0 and sched.
//!
//! Invariants:
//! - `G`, `Gobuf` and `M` are `repr(C)` and the asm (asm_amd64.S) addresses some of their
//!   fields by constant offsets; `runtime_check` compares `AsmOffsets::rust()` with the table
//!   the asm publishes and throws on any difference.
//! - `G.stack` is at offset 0 and `stackguard0/1` at 16 and 24, as in Go.
//! - A G is in at most one queue at a time (`schedlink`), and owned by it while there.
use core::ptr::null_mut;
use core::sync::atomic::AtomicU32;

use crate::global::Global;
use crate::lock_futex::Mutex;
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
}

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
    pub id: i64,
    /// The static TLS block's thread pointer (the TCB address `%fs` holds).
    pub tls: usize,
    /// Futex word the M sleeps on when idle (used once there are several Ms).
    pub park: AtomicU32,
    pub spinning: bool,
    pub alllink: *mut M,
    /// The signal mask the thread started with (sigsave).
    pub sigmask: u64,
    /// The alternate signal stack (minit).
    pub gsignal: Stack,
    pub rand: u64,
}

impl M {
    pub const fn zeroed() -> M {
        // SAFETY: as for G::zeroed.
        unsafe { core::mem::zeroed() }
    }
}

pub const P_IDLE: u32 = 0;
pub const P_RUNNING: u32 = 1;

#[repr(C)]
pub struct P {
    pub id: i32,
    pub status: u32,
    pub schedtick: u32,
    pub m: *mut M,
    pub link: *mut P,
    pub runq: RunQ,
}

/// Global scheduler state (Go: schedt).
pub struct Sched {
    pub lock: Mutex,
    pub goidgen: u64,
    pub mnext: i64,
    pub allm: *mut M,
    pub pidle: *mut P,
    pub npidle: u32,
    /// The global run queue, guarded by `lock`.
    pub runq: GlobalQueue,
    /// Dead Gs kept with their stacks for reuse (Go: gFree).
    pub gfree: *mut G,
    pub allp: *mut *mut P,
    pub gomaxprocs: u32,
}

#[no_mangle]
pub static runtime_g0: Global<G> = Global::new(G::zeroed());
#[no_mangle]
pub static runtime_m0: Global<M> = Global::new(M::zeroed());
pub static SCHED: Global<Sched> = Global::new(Sched {
    lock: Mutex::new(),
    goidgen: 0,
    mnext: 0,
    allm: null_mut(),
    pidle: null_mut(),
    npidle: 0,
    runq: GlobalQueue::new(),
    gfree: null_mut(),
    allp: null_mut(),
    gomaxprocs: 0,
});

/// The struct offsets asm_amd64.S uses, in the order of its `runtime_asm_offsets` table.
#[repr(C)]
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct AsmOffsets(pub [u8; 16]);

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
        ];
        let mut b = [0u8; 16];
        let mut i = 0;
        while i < 16 {
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
