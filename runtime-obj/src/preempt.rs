//! Asynchronous preemption (Go 1.14's, preempt.go and signal_unix.go): C code has no safe
//! points, so a goroutine that runs for 10 ms without scheduling is interrupted by a signal.
//!
//! - sysmon (`check`) watches each P's schedtick; a P whose tick has not moved for 10 ms gets
//!   its M's `preempt` flag set and a SIGURG sent to that thread (tgkill).
//! - The handler (`sigurg`, on the M's signal stack) preempts only when it is safe: the flag was
//!   set for this M, the thread is running its current goroutine (not g0, not the signal
//!   stack), holds a P, the interrupted pc is user code (at or above `runtime_text_end`, inside
//!   the text segment: runtime code, which holds locks and edits run queues, is never
//!   interrupted), and the goroutine's stack has room for the saved state. It then makes the
//!   goroutine "call" `runtime_async_preempt` (asm_amd64.S) at the interrupted instruction,
//!   below the 128-byte red zone, which saves every register and the XSAVE state and yields
//!   (`runtime_async_preempt2`); resumed, it restores them all and jumps back.
//! - `GODEBUG=asyncpreemptoff=1` turns it off, as in Go; without XSAVE (or with an XSAVE area
//!   too large to be sure of) it stays off.
use core::sync::atomic::AtomicUsize;
use core::sync::atomic::Ordering::Relaxed;

use crate::os_linux::OS;
use crate::proc_m::allp_made;
use crate::runtime2::P_RUNNING;
use crate::sys_linux;
use crate::tls::getg;

extern "C" {
    fn runtime_async_preempt();
    fn runtime_mcall(f: extern "C" fn(*mut crate::runtime2::G) -> !);
    static runtime_text_end: u8;
}

const SIGURG: usize = 23;
const SA_RESTART: u64 = 0x1000_0000;
/// Stack the yield itself needs below the saved state (mcall switches to g0 at once).
const YIELD_STACK: usize = 1024;
/// A goroutine is preempted after this long without its P scheduling (Go: forcePreemptNS).
pub const FORCE_PREEMPT_NS: i64 = 10_000_000;
/// The XSAVE area's size, read by runtime_async_preempt (0 until `init`).
#[no_mangle]
pub static runtime_xsave_size: AtomicUsize = AtomicUsize::new(0);
/// [start, end) of the user's code: from runtime_text_end to the end of the text segment.
static USER_TEXT: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];

/// Enables preemption: XSAVE size, the user text range, the SIGURG handler. Returns false if
/// it cannot be (no XSAVE).
pub fn init() -> bool {
    let ebx = crate::cpu::cpuid(0xd)[1];
    let ecx1 = crate::cpu::cpuid(1)[2];
    let osxsave = ecx1 & (1 << 27) != 0;
    if !osxsave || ebx == 0 || ebx > 16 << 10 {
        return false;
    }
    runtime_xsave_size.store(ebx as usize, Relaxed);
    let end = core::ptr::addr_of!(runtime_text_end) as usize;
    // SAFETY: OS.auxv holds the kernel's AT_PHDR/AT_PHNUM (scan_env, in rt0_go).
    let seg_end = unsafe {
        let a = &(*OS.get()).auxv;
        let bias = crate::elf::load_bias();
        (0..a.phnum)
            .map(|i| &*(a.phdr as *const crate::elf::Phdr).add(i))
            .filter(|p| p.p_type == crate::elf::PT_LOAD && p.p_vaddr as usize + bias <= end)
            .map(|p| (p.p_vaddr + p.p_memsz) as usize + bias)
            .find(|&e| e > end)
            .unwrap_or(end)
    };
    USER_TEXT[0].store(end, Relaxed);
    USER_TEXT[1].store(seg_end, Relaxed);
    crate::signal::sigaction(SIGURG, sigurg as *const () as usize, SA_RESTART)
}

/// Go's retake, for preemption: signals the M of every P whose goroutine has run for
/// FORCE_PREEMPT_NS without a schedule.
pub fn check(now: i64) {
    // SAFETY: allp_made has nallp live Ps (never freed); sysmontick is sysmon's alone; p.m and the M's
    // fields are read racily on purpose: a stale read only sends a signal the handler then
    // ignores (its M's flag is not set).
    unsafe {
        let (n, all) = allp_made();
        for i in 0..n {
            let p = &mut **all.add(i);
            let tick = core::ptr::read_volatile(&p.schedtick);
            let mp = core::ptr::read_volatile(&p.m);
            let w = &mut p.sysmontick;
            if p.status.load(Relaxed) != P_RUNNING || mp.is_null() || tick != w.schedtick {
                w.schedtick = tick;
                w.schedwhen = now;
                continue;
            }
            if now - w.schedwhen < FORCE_PREEMPT_NS {
                continue;
            }
            w.schedwhen = now;
            (*mp).preempt.store(true, Relaxed);
            let pid = sys_linux::getpid();
            let tid = match (*mp).procid {
                0 => pid,
                t => t as usize,
            };
            sys_linux::syscall3(sys_linux::SYS_TGKILL, pid, tid, SIGURG);
        }
    }
}

/// The SIGURG handler: redirects a preemptible goroutine into runtime_async_preempt.
extern "C" fn sigurg(_sig: i32, _info: *const u8, ctx: *mut u8) {
    let gp = getg();
    if gp.is_null() {
        return;
    }
    // SAFETY: %fs is this thread's TCB and its g slot the current G (or g0), whose m is set;
    // the kernel passes a ucontext whose gregs (offset 40) hold RSP (15) and RIP (16), which it
    // restores on sigreturn. The stack write stays inside the goroutine's own stack, below its
    // red zone.
    unsafe {
        let mp = (*gp).m;
        if mp.is_null() || !(*mp).preempt.swap(false, Relaxed) {
            return;
        }
        if gp == (*mp).g0 || (*mp).curg != gp || (*mp).p.is_null() {
            return;
        }
        let rip = ctx.add(40 + 16 * 8) as *mut usize;
        let rsp = ctx.add(40 + 15 * 8) as *mut usize;
        let pc = *rip;
        if pc < USER_TEXT[0].load(Relaxed) || pc >= USER_TEXT[1].load(Relaxed) {
            return;
        }
        let sp = *rsp;
        let need = 136 + 128 + 64 + runtime_xsave_size.load(Relaxed) + YIELD_STACK;
        if sp < (*gp).stack.lo + need || sp > (*gp).stack.hi {
            return;
        }
        let new_sp = sp - 136;
        *(new_sp as *mut usize) = pc;
        *rsp = new_sp;
        *rip = runtime_async_preempt as *const () as usize;
    }
}

/// Called by runtime_async_preempt with every register saved: yield, as rt_gosched does.
#[no_mangle]
pub extern "C" fn runtime_async_preempt2() {
    // SAFETY: on the preempted goroutine's own stack (never g0: the handler checked).
    unsafe { runtime_mcall(crate::proc::gosched_m) }
}
