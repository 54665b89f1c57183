//! `rt_memstats` (Go: mstats.go's ReadMemStats, a subset): what the heap and the stacks hold.
//!
//! Frees deferred from signal handlers are completed first. The numbers come from counters kept where the memory moves (mheap's page counts under its
//! lock, each mcache's owner-written counters, the slow paths' atomics, stack.rs's bytes), so
//! reading them costs the heap lock and a walk over the Ps, never a scan of the heap. They are
//! each exact but not one snapshot: allocations on other threads may land between the reads.
use core::sync::atomic::Ordering::Relaxed;

use crate::mheap::with_heap;
use crate::proc_m::allp_made;
use crate::sizeclasses::PAGE_SIZE;

/// The C API's `struct rt_memstats` (rtlink.h); all in bytes except the counts.
#[repr(C)]
pub struct MemStats {
    /// Address space mapped for the heap.
    pub heap_sys: u64,
    /// Bytes in spans holding objects (small-object spans, whole, and large objects).
    pub heap_inuse: u64,
    /// Free heap pages still backed by memory (not yet returned to the OS).
    pub heap_idle: u64,
    /// Free heap pages returned to the OS, or never touched.
    pub heap_released: u64,
    /// Spans in use.
    pub nspans: u64,
    /// Objects allocated and freed so far (calls to the malloc and free families).
    pub mallocs: u64,
    pub frees: u64,
    /// Bytes of goroutine stacks in use (not in the stack pool).
    pub stacks_inuse: u64,
}

/// C API: fills `*out`.
///
/// # Safety
/// `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn rt_memstats(out: *mut MemStats) {
    crate::malloc::drain_remote_now();
    let st = crate::malloc::guarded(|| with_heap(|h| h.stats));
    let (mut mallocs, mut frees) = (crate::malloc::NMALLOC.load(Relaxed), crate::malloc::NFREE.load(Relaxed));
    let (n, all) = allp_made();
    for i in 0..n {
        // SAFETY: allp_made's Ps are live and never freed.
        let c = unsafe { &(**all.add(i)).mcache };
        mallocs += c.mallocs();
        frees += c.nfree.load(Relaxed);
    }
    let pages = |n: usize| (n * PAGE_SIZE) as u64;
    // SAFETY: the caller's guarantee.
    unsafe {
        *out = MemStats {
            heap_sys: st.sys as u64,
            heap_inuse: pages(st.inuse),
            heap_idle: pages(st.free - st.released),
            heap_released: pages(st.released),
            nspans: st.spans as u64,
            mallocs,
            frees,
            stacks_inuse: crate::stack::inuse() as u64,
        }
    };
}
