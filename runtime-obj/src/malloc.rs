//! The heap arena and the runtime's own allocator (Go: mallocinit and persistentalloc).
//!
//! `mallocinit` reserves one large region with a single mmap (MAP_NORESERVE: untouched pages
//! cost neither memory nor commit charge) and fails loudly if the reservation is refused.
//! `persistentalloc` hands out zeroed, never-freed memory from it by bumping a pointer: the Ps,
//! the Gs, signal stacks. Structures that are recycled (Gs, stacks) go to free lists of their
//! own, so the arena never needs to free. The user-facing malloc family is built on this
//! arena by the memory issue; until then the runtime's structures are its only users.
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::print::throw;
use crate::sys_linux::{self, MAP_NORESERVE, PROT_READ, PROT_WRITE};

/// Bytes reserved for the arena at start-up.
pub const ARENA_RESERVE: usize = 1 << 30;

static NEXT: AtomicUsize = AtomicUsize::new(0);
static END: AtomicUsize = AtomicUsize::new(0);

/// Reserves the arena; returns its base.
pub fn mallocinit() -> usize {
    let r = sys_linux::mmap_anon(ARENA_RESERVE, PROT_READ | PROT_WRITE, MAP_NORESERVE);
    if r < 0 {
        throw("out of memory reserving heap arena");
    }
    NEXT.store(r as usize, Ordering::Relaxed);
    END.store(r as usize + ARENA_RESERVE, Ordering::Relaxed);
    r as usize
}

/// `size` zeroed bytes aligned to `align` (a power of two), for the life of the process.
pub fn persistentalloc(size: usize, align: usize) -> *mut u8 {
    let mut cur = NEXT.load(Ordering::Relaxed);
    loop {
        let p = cur.next_multiple_of(align);
        let end = p.saturating_add(size);
        if cur == 0 || end > END.load(Ordering::Relaxed) {
            throw("out of memory: runtime arena exhausted");
        }
        match NEXT.compare_exchange_weak(cur, end, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return p as *mut u8,
            Err(now) => cur = now,
        }
    }
}

/// Arena bytes handed out so far (for the trace and tests).
pub fn used(base: usize) -> usize {
    NEXT.load(Ordering::Relaxed) - base
}
