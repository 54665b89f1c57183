//! The runtime's own arena and allocator (Go: mallocinit and persistentalloc).
//!
//! `mallocinit` reserves one large region with a single mmap (MAP_NORESERVE: untouched pages
//! cost neither memory nor commit charge) and fails loudly if the reservation is refused.
//! `persistentalloc` hands out zeroed, never-freed memory by bumping a pointer, first through
//! a small chunk in .bss, then through the arena: the Ps (with their mcaches), the Gs, signal stacks and
//! the heap's page map, span and arena records. Structures that are recycled (Gs, stacks, span records)
//! go to free lists of their own, so this arena never needs to free. The program's objects
//! come from the heap (mheap.rs, malloc.rs), which maps its own memory as it grows.
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::print::throw;
use crate::sys_linux::{self, MAP_NORESERVE, PROT_READ, PROT_WRITE};

/// Bytes reserved for the arena at start-up.
pub const ARENA_RESERVE: usize = 1 << 30;

/// The first bytes persistentalloc hands out, in .bss: start-up's Ps, allp and the main G fit
/// here on machines with a few CPUs, and .bss pages sit in page tables the program already has,
/// while the arena's first touch would cost a fresh page-table walk (~8 us).
const FIRST_CHUNK: usize = 16 << 10;

#[repr(C, align(64))]
struct Chunk([u8; FIRST_CHUNK]);
static mut FIRST: Chunk = Chunk([0; FIRST_CHUNK]);

static FIRST_NEXT: AtomicUsize = AtomicUsize::new(0);
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
    FIRST_NEXT.store(core::ptr::addr_of_mut!(FIRST) as usize, Ordering::Relaxed);
    r as usize
}

/// `size` zeroed bytes aligned to `align` (a power of two), for the life of the process: from
/// the first chunk while it lasts, then from the arena.
pub fn persistentalloc(size: usize, align: usize) -> *mut u8 {
    let first_end = core::ptr::addr_of_mut!(FIRST) as usize + FIRST_CHUNK;
    match bump(&FIRST_NEXT, first_end, size, align).or_else(|| bump(&NEXT, END.load(Ordering::Relaxed), size, align)) {
        Some(p) => p as *mut u8,
        None => throw("out of memory: runtime arena exhausted"),
    }
}

/// Claims `size` bytes aligned to `align` below `end` from the bump pointer `next` (0: not set
/// up yet), or None when they do not fit.
fn bump(next: &AtomicUsize, end: usize, size: usize, align: usize) -> Option<usize> {
    let mut cur = next.load(Ordering::Relaxed);
    loop {
        let p = (cur + align - 1) & !(align - 1);
        if cur == 0 || p + size > end {
            return None;
        }
        match next.compare_exchange_weak(cur, p + size, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return Some(p),
            Err(now) => cur = now,
        }
    }
}
