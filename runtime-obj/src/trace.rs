//! `GODEBUG=inittrace=1`: one line per bootstrap stage on stderr, in the style of Go's
//! inittrace: `init <stage> @<ms since entry> ms, <ms the stage took> ms clock, <values>`.
//!
//! Without the setting, `start` returns 0 without reading any clock and `done` returns at
//! once, so the trace costs a load and a branch per stage. The entry time is taken when rt0_go
//! learns that tracing is on, before its first step.
use core::sync::atomic::{AtomicI64, Ordering};

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

/// Prints the stage's line when tracing; `values` appends what the stage found.
pub fn done(stage: &str, t0: i64, values: impl FnOnce(&mut Buf)) {
    if !inittrace() {
        return;
    }
    let t1 = nanotime();
    let mut b = Buf::new();
    b.str("init ")
        .str(stage)
        .str(" @")
        .ms(t0 - ENTRY.load(Ordering::Relaxed))
        .str(" ms, ");
    b.ms(t1 - t0).str(" ms clock, ");
    values(&mut b);
    b.byte(b'\n').flush(2);
}
