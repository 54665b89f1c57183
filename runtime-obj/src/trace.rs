//! `GODEBUG=inittrace=1`: one line per bootstrap stage on stderr, in the style of Go's
//! inittrace: `init <stage> @<ms since entry> ms, <ms the stage took> ms clock, <values>`.
//!
//! Without the setting, `start` returns 0 without reading any clock and `done` returns at
//! once, so the trace costs a load and a branch per stage. Lines are built in one static
//! buffer: the bootstrap is single-threaded and emits one line at a time. The entry time is taken when rt0_go
//! learns that tracing is on, before its first step.
use core::sync::atomic::{AtomicI64, Ordering};

use crate::global::Global;
use crate::print::Buf;
use crate::runtime1::inittrace;
use crate::vdso::nanotime;

static ENTRY: AtomicI64 = AtomicI64::new(0);

/// Records the entry time when tracing.
pub fn mark_entry() {
    if inittrace() {
        ENTRY.store(nanotime(), Ordering::Relaxed);
    }
}

/// A stage's start time (0 when not tracing).
pub fn start() -> i64 {
    if inittrace() {
        nanotime()
    } else {
        0
    }
}

/// Prints the stage's line when tracing; `values` appends what the stage found. Only the
/// closure's own calls are emitted at each call site: the line's head and tail are shared.
#[inline(always)]
pub fn done(stage: &str, t0: i64, values: impl FnOnce(&mut Buf)) {
    if inittrace() {
        values(head(stage, t0));
        tail();
    }
}

/// The line buffer: tracing happens only on m0 during the bootstrap, one line at a time.
static LINE: Global<Buf> = Global::new(Buf::new());

#[cold]
#[inline(never)]
fn head(stage: &str, t0: i64) -> &'static mut Buf {
    let t1 = nanotime();
    // SAFETY: one line is built at a time, on m0 (see LINE); the previous line was flushed.
    let b = unsafe { &mut *LINE.get() };
    b.str("init ")
        .str(stage)
        .str(" @")
        .ms(t0 - ENTRY.load(Ordering::Relaxed))
        .str(" ms, ");
    b.ms(t1 - t0).str(" ms clock, ")
}

/// Ends the line and writes it: a call without arguments at each stage, as LINE is static.
#[cold]
#[inline(never)]
fn tail() {
    // SAFETY: as in head: the line being built is this thread's, and only it.
    unsafe { (*LINE.get()).byte(b'\n').flush(2) };
}
