//! Tracebacks for fatal errors (Go: traceback.go): the goroutine header and one line per frame,
//! `name+0xoff pc=0x...`, walked along the frame-pointer chain and named from the program's
//! own symbol table (symtab.rs).
//!
//! Invariants:
//! - Runs only on the way to exit 2 (a fatal signal or a throw), possibly in a signal handler:
//!   it allocates nothing and takes no lock. A frame pointer is followed only while it lies,
//!   8-byte aligned, inside the goroutine's own stack and strictly above the previous one, so a
//!   corrupt chain ends the walk instead of faulting again; at most `MAX_FRAMES` are printed.
//! - The chain ends at the goroutine's first frame: newproc starts every goroutine with a zero
//!   frame pointer under `runtime_goexit`, which is the last frame printed, as Go prints
//!   `runtime.goexit`. C code built with `rtlink cflags` keeps frame pointers
//!   (`-fno-omit-frame-pointer`), as the runtime does (`-Cforce-frame-pointers`); a frame of
//!   code built without them is skipped.
//! - The first frame's pc is where the fault or throw happened; a caller's pc is its return
//!   address minus one, inside the call instruction, so `rtlink inspect --addr` gives the
//!   line of the call.
//! - `GOTRACEBACK` (read at the crash, not at start) picks how much: `none`/0 prints no
//!   goroutine, `single`/1 (the default) the failing one, `all`/2 (and `system`, `crash`)
//!   every user goroutine. Under AT_SECURE it is `none`, as in Go's secure mode.
use core::sync::atomic::AtomicPtr;
use core::sync::atomic::Ordering::{Acquire, Relaxed};

use crate::print::Buf;
use crate::runtime2::{Stack, ALLG, G, G_DEAD, G_IDLE, G_RUNNABLE, G_RUNNING, G_SYSCALL};

const MAX_FRAMES: usize = 100;

/// How much to print: 0 none, 1 the failing goroutine, 2 every goroutine.
pub fn level() -> u8 {
    // SAFETY: OS.auxv and the environment were set by scan_env before any code that can fail
    // ran; both are only read from here on.
    unsafe {
        if (*crate::os_linux::OS.get()).auxv.secure != 0 {
            return 0;
        }
        let v = crate::runtime1::getenv(c"GOTRACEBACK".as_ptr() as *const u8);
        crate::runtime1::parse_traceback(if v.is_null() {
            b""
        } else {
            crate::runtime1::cstr_bytes(v)
        })
    }
}

/// Prints the traceback a fatal error ends with: the running goroutine (g0 shows as goroutine
/// 0) from `pc`, frame pointer `bp` and stack pointer `sp` (a fault's registers, or a
/// throw's own frame with `pc` 0), then under GOTRACEBACK=all the others (`OTHERS`).
pub fn fatal(pc: usize, bp: usize, sp: usize) {
    let level = level();
    let gp = crate::tls::getg();
    if level == 0 || gp.is_null() {
        return;
    }
    let exe = crate::symtab::exe();
    goroutine(exe, gp, G_RUNNING, pc, bp, sp);
    let others = OTHERS.load(Relaxed);
    if level == 2 && !others.is_null() {
        // SAFETY: OTHERS holds `others` (enable_ms).
        let f: fn(Option<&[u8]>, *mut G) = unsafe { core::mem::transmute(others) };
        f(exe, gp);
    }
}

/// `others` once the program has started a goroutine (`enable_ms` sets it): a pointer, so a
/// program with one goroutine, which has no other to show, does not link it.
pub static OTHERS: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

/// Every user goroutine but `failing`, from the context it saved when it last stopped (one
/// running on another thread, in user code or in a system call, saved none that is current:
/// it is only named).
pub fn others(exe: Option<&[u8]>, failing: *mut G) {
    let mut g = ALLG.load(Acquire);
    while !g.is_null() {
        // SAFETY: Gs on ALLG are never freed and alllink is written once, before publication;
        // the other fields may be changing on another thread, and `frames` trusts no frame
        // pointer outside the stack read here.
        let (goid, status, pc, bp, next) = unsafe {
            let o = &*g;
            (o.goid, o.status.load(Relaxed), o.sched.pc, o.sched.bp, o.alllink)
        };
        if g != failing && goid != 0 && status != G_DEAD && status != G_IDLE {
            let elsewhere = status == G_RUNNING || status == G_SYSCALL;
            goroutine(exe, g, status, if elsewhere { 0 } else { pc }, bp, 0);
        }
        g = next;
    }
}

/// `goroutine N [state]:` and its frames from `pc`/`bp`/`sp` (a running goroutine other than the
/// failing one is given `pc` 0 and gets a line saying its stack is unavailable).
fn goroutine(exe: Option<&[u8]>, gp: *mut G, status: u32, pc: usize, bp: usize, sp: usize) {
    // SAFETY: goid and stack are set before a G first runs and do not change while it exists.
    let (goid, st) = unsafe { ((*gp).goid, (*gp).stack) };
    let state = match status {
        G_RUNNABLE => "runnable",
        G_RUNNING => "running",
        G_SYSCALL => "syscall",
        _ => "waiting",
    };
    let mut b = Buf::new();
    b.kv("\ngoroutine ", goid).str(" [").str(state).str("]:\n");
    if pc == 0 && gp != crate::tls::getg() {
        b.str("goroutine running on other thread; stack unavailable\n").flush(2);
        return;
    }
    b.flush(2);
    frames(exe, pc, bp, sp, st);
}

/// One line per frame: `pc` itself (unless 0), then each return address up the chain. A
/// fault in a function that has not (or never) set up its frame (the first instruction is not
/// `push %rbp`, or has not run yet: a leaf function, which GCC builds without a frame even
/// with -fno-omit-frame-pointer) leaves its caller's return address at the stack pointer
/// `sp`, not in the chain; that one is printed from there.
fn frames(exe: Option<&[u8]>, pc: usize, mut bp: usize, sp: usize, st: Stack) {
    if pc != 0 {
        let sym = frame(exe, pc);
        let at_sp = match sym {
            // SAFETY: the function's first byte is mapped text (its symbol covers pc).
            Some(off) if off == 0 || unsafe { *((pc - off) as *const u8) } != 0x55 => Some(sp),
            Some(1) => Some(sp + 8),
            _ => None,
        };
        if let Some(at) = at_sp.filter(|&a| a >= st.lo && a + 8 <= st.hi) {
            // SAFETY: within the goroutine's stack (checked just above).
            let ret = unsafe { *(at as *const usize) };
            if ret != 0 {
                frame(exe, ret - 1);
            }
        }
    }
    for _ in 0..MAX_FRAMES {
        if bp < st.lo || bp > st.hi - 16 || !bp.is_multiple_of(8) {
            return;
        }
        // SAFETY: [bp, bp + 16) lies within the goroutine's stack (checked above), which is
        // mapped while the goroutine exists.
        let (next, ret) = unsafe { (*(bp as *const usize), *((bp + 8) as *const usize)) };
        if ret == 0 {
            return;
        }
        frame(exe, ret - 1);
        if next <= bp {
            return;
        }
        bp = next;
    }
    crate::print::write_all(2, b"...additional frames elided...\n");
}

/// `name+0xoff pc=0x...`, or `?? pc=0x...` when the program has no symbol for it; returns
/// the offset in the function when there is one.
fn frame(exe: Option<&[u8]>, pc: usize) -> Option<usize> {
    let mut b = Buf::new();
    let sym = exe.and_then(|f| crate::symtab::find(f, pc));
    match sym {
        Some((name, off)) => b.bytes(name).kx("+", off as u64),
        None => b.str("??"),
    };
    b.kx(" pc=", pc as u64).byte(b'\n').flush(2);
    sym.map(|(_, off)| off)
}
