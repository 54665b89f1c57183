//! Signals (Go: signal_unix.go): the initial mask (`sigsave`), the alternate signal stack
//! (`minit`), and handlers for the synchronous fatal signals (`initsig`).
//!
//! Invariants:
//! - Handlers run on the alternate stack (SA_ONSTACK), so a fault on an exhausted goroutine
//!   stack can still be reported.
//! - A fatal signal prints `fatal error: unexpected signal SIGSEGV: segmentation violation`,
//!   `addr=0x0 pc=0x401234 sigcode=1` and the traceback (traceback.rs), and exits 2, as Go
//!   does; nothing returns into faulting code. A SIGSEGV with the stack pointer and the address
//!   just below the running goroutine's stack (its guard page, or the OS stack's limit for
//!   main's) is reported as `fatal error: stack overflow in goroutine N (stack [lo, hi))`
//!   instead, or `stack overflow on g0` for an M's own stack, once the program has started a
//!   goroutine (before that, hello's budget has no room for it).
//! - Every handler is installed with `runtime_sigreturn` as its restorer and all signals
//!   blocked while it runs.
use core::sync::atomic::AtomicPtr;
use core::sync::atomic::Ordering::Relaxed;

use crate::print::Buf;
use crate::runtime2::M;
use crate::sys_linux::{self, SYS_RT_SIGACTION, SYS_RT_SIGPROCMASK, SYS_SIGALTSTACK};

const SIGILL: usize = 4;
const SIGBUS: usize = 7;
const SIGFPE: usize = 8;
const SIGSEGV: usize = 11;
const SA_SIGINFO: u64 = 4;
const SA_ONSTACK: u64 = 0x0800_0000;
const SA_RESTORER: u64 = 0x0400_0000;
const SIG_SETMASK: usize = 2;
pub const SIGSTACK: usize = 32 << 10;

/// The fatal signals the runtime reports, with their names and what they mean.
pub const FATAL: [(usize, &str, &str); 4] = [
    (SIGSEGV, "SIGSEGV", "segmentation violation"),
    (SIGBUS, "SIGBUS", "bus error"),
    (SIGFPE, "SIGFPE", "floating-point exception"),
    (SIGILL, "SIGILL", "illegal instruction"),
];

#[repr(C)]
struct Sigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

extern "C" {
    fn runtime_sigreturn();
}

/// Saves the signal mask the process started with (Go: sigsave).
pub fn sigsave(mp: *mut M) -> u64 {
    let mut old = 0u64;
    // SAFETY: with a null new set, rt_sigprocmask only writes the current mask into `old`.
    unsafe { sys_linux::syscall4(SYS_RT_SIGPROCMASK, SIG_SETMASK, 0, &mut old as *mut u64 as usize, 8) };
    // SAFETY: mp is m0, touched only by this thread during the bootstrap.
    unsafe { (*mp).sigmask = old };
    old
}

/// Gives the M its alternate signal stack (Go: minit's minitSignalStack).
#[inline(always)]
pub fn minit(mp: *mut M) {
    // SAFETY: mp is the current M; an M reused after its thread exited keeps its signal stack.
    let lo = match unsafe { (*mp).gsignal.lo } {
        0 => crate::persistentalloc::persistentalloc(SIGSTACK, 16) as usize,
        lo => lo,
    };
    let ss: [u64; 3] = [lo as u64, 0, SIGSTACK as u64]; // ss_sp, ss_flags, ss_size
                                                        // SAFETY: ss is a valid stack_t describing memory reserved for this M only.
    if unsafe { sys_linux::syscall3(SYS_SIGALTSTACK, ss.as_ptr() as usize, 0, 0) } != 0 {
        crate::print::throw("minit: sigaltstack failed");
    }
    // SAFETY: mp is the current M, touched only by its own thread here.
    unsafe { (*mp).gsignal = crate::runtime2::Stack { lo, hi: lo + SIGSTACK } };
}

/// Installs `handler` for `sig` (SA_SIGINFO, on the signal stack, every signal blocked while
/// it runs, `runtime_sigreturn` as the restorer), with `extra` flags; returns whether the
/// kernel took it.
#[inline(always)]
pub fn sigaction(sig: usize, handler: usize, extra: u64) -> bool {
    let sa = Sigaction {
        handler,
        flags: SA_SIGINFO | SA_ONSTACK | SA_RESTORER | extra,
        restorer: runtime_sigreturn as *const () as usize,
        mask: u64::MAX,
    };
    // SAFETY: sa is a complete kernel sigaction; handlers and the restorer live forever.
    unsafe { sys_linux::syscall4(SYS_RT_SIGACTION, sig, &sa as *const _ as usize, 0, 8) == 0 }
}

/// Installs the fatal-signal handlers (Go: initsig); returns how many.
pub fn initsig() -> usize {
    for &(sig, _, _) in &FATAL {
        if !sigaction(sig, sighandler as *const () as usize, 0) {
            crate::print::throw("initsig: rt_sigaction failed");
        }
    }
    FATAL.len()
}

/// `report_overflow` once the program has started a goroutine (`enable_ms` sets it): a
/// pointer, so that programs with one goroutine, whose main stack is the OS stack without a guard
/// page of ours, do not link it.
pub static OVERFLOW_CHECK: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

/// If a SIGSEGV at `addr`, with the stack pointer at `sp`, is the running goroutine (or the
/// M's g0) going off the bottom of its stack (both below its lowest byte, within the reach of
/// one large frame: past a guard page a fault may land in whatever lies below), reports it
/// with the traceback from `pc`/`bp` and exits 2.
pub extern "C" fn report_overflow(addr: usize, sp: usize, pc: usize, bp: usize) {
    const REACH: usize = 64 << 10;
    let gp = crate::tls::getg();
    if gp.is_null() {
        return;
    }
    // SAFETY: %fs is this thread's TCB and its g slot the running G or g0, whose stack bounds
    // are set before it runs.
    let (id, st) = unsafe { ((*gp).goid, (*gp).stack) };
    if sp < st.lo + 256 && addr < st.lo && addr >= st.lo.saturating_sub(REACH) {
        let mut b = Buf::new();
        if id == 0 {
            b.str("fatal error: stack overflow on g0 (the runtime's stack");
        } else {
            b.kv("fatal error: stack overflow in goroutine ", id).str(" (stack");
        }
        b.byte(b' ').range(st.lo, st.hi).str(")\n").flush(2);
        crate::traceback::fatal(pc, bp, sp);
        sys_linux::exit_group(2)
    }
}

/// The handler for fatal signals: report as Go does, with the traceback, and exit 2.
extern "C" fn sighandler(sig: i32, info: *const u8, ctx: *const u8) {
    // SAFETY: the kernel passes a siginfo (si_code at 8, si_addr at 16) and a ucontext
    // (gregs at offset 40: RBP is gregs[10], RSP gregs[15], RIP gregs[16]) for SA_SIGINFO
    // handlers.
    let (code, addr, bp, sp, pc) = unsafe {
        let gregs = ctx.add(40) as *const usize;
        (
            *(info.add(8) as *const i32),
            *(info.add(16) as *const usize),
            *gregs.add(10),
            *gregs.add(15),
            *gregs.add(16),
        )
    };
    let check = OVERFLOW_CHECK.load(Relaxed);
    if sig as usize == SIGSEGV && !check.is_null() {
        // SAFETY: OVERFLOW_CHECK holds report_overflow (enable_ms).
        let f: extern "C" fn(usize, usize, usize, usize) = unsafe { core::mem::transmute(check) };
        f(addr, sp, pc, bp);
    }
    let (_, name, what) = FATAL
        .iter()
        .find(|(s, _, _)| *s == sig as usize)
        .unwrap_or(&(0, "signal", "fatal signal"));
    Buf::new()
        .str("fatal error: unexpected signal ")
        .str(name)
        .str(": ")
        .str(what)
        .kx("\naddr=", addr as u64)
        .kx(" pc=", pc as u64)
        .kv(" sigcode=", code as u64)
        .byte(b'\n')
        .flush(2);
    crate::traceback::fatal(pc, bp, sp);
    sys_linux::exit_group(2)
}
