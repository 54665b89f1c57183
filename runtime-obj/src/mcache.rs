//! Per-P caches of small free objects (Go: mcache.go; the lists are tcmalloc's): malloc and
//! free of a small object touch only the current P's cache, with no lock and no atomic
//! read-modify-write.
//!
//! Invariants:
//! - Only the M holding the P uses its cache, and only with `M.mallocing` set: the runtime's
//!   code is never preempted, so nothing else runs on this P meanwhile, and a signal handler
//!   that interrupts it sees the flag and keeps off (malloc.rs).
//! - A list holds free objects of one class linked through their first words, `n` of them.
//!   They are counted as taken in their spans' bitmaps (mcentral.rs), so they can belong to
//!   any span of the class, including spans other Ps allocate from.
//! - An empty list refills with a batch from mcentral (64 KiB worth, 2 to 32 objects); a list
//!   grown past two batches gives one batch back, so a P holds at most ~2 batches per class and
//!   objects freed on one P are not stranded there.
//! - A listed object's second word holds the address of its list (a key no other list or
//!   P shares); malloc clears it. A free that finds its list's key there looks through the list
//!   (at most 64 objects) and reports a double free if the object is on it, the way glibc's
//!   tcache does; otherwise (the program stored that address there) it goes on. A double free through another P's list is
//!   caught later, by the span bitmap, or not at all if the block is handed out twice first;
//!   GODEBUG=mallocdebug=1 catches every one.
//! - A P leaving service (rt_setmaxprocs shrinking, or sysmon following fewer CPUs) gives its
//!   whole cache back, so its objects do not pin their spans while it waits to return.
//! - The cache lives inside its P (zeroed memory is an empty cache), so malloc reaches it with
//!   no pointer to follow and no test for a missing one.
//! - The counters are written only by the owner (a load and a store, no RMW) and read by
//!   rt_memstats from any thread. malloc counts nothing: its count follows from the others
//!   (`mallocs`).
use core::ptr::null_mut;
use core::sync::atomic::Ordering::Relaxed;
use core::sync::atomic::{AtomicU32, AtomicU64};

use crate::mcentral::{BadFree, CENTRAL};
use crate::sizeclasses::{batch, CLASS_BATCH, NUM_CLASSES};
use crate::vdso::nanotime;

#[repr(C)]
struct FreeList {
    head: *mut usize,
    /// Objects on the list (an atomic only so rt_memstats may read it racily).
    n: AtomicU32,
}

impl FreeList {
    /// Whether `p` is on the list (a walk: at most 2 batches).
    #[cold]
    fn holds(&self, p: *mut usize) -> bool {
        let mut q = self.head;
        for _ in 0..self.n.load(Relaxed) {
            if q == p {
                return true;
            }
            // SAFETY: the list's n objects are linked through their first words.
            q = unsafe { *q } as *mut usize;
        }
        false
    }
}

#[repr(C)]
pub struct MCache {
    lists: [FreeList; NUM_CLASSES],
    /// Objects taken from mcentral, given back to it, and freed into the lists.
    taken: AtomicU64,
    returned: AtomicU64,
    pub nfree: AtomicU64,
}

/// Adds `n` to a counter only its owner writes.
#[inline(always)]
fn add(c: &AtomicU64, n: u64) {
    c.store(c.load(Relaxed) + n, Relaxed);
}

impl MCache {
    /// Mallocs served by this cache so far: every object it took from mcentral or had freed
    /// into it, less those it gave back or still holds.
    /// Read from another thread while the owner works, the counters may disagree by a batch:
    /// the result is clamped at 0.
    pub fn mallocs(&self) -> u64 {
        let held: u64 = self.lists.iter().map(|l| u64::from(l.n.load(Relaxed))).sum();
        let got = self.taken.load(Relaxed) + self.nfree.load(Relaxed);
        got.saturating_sub(self.returned.load(Relaxed) + held)
    }

    /// Gives every list back to mcentral (a P leaving service).
    pub fn flush_all(&mut self) -> Result<(), (usize, BadFree)> {
        for c in 1..NUM_CLASSES {
            let n = self.lists[c].n.load(Relaxed);
            if n > 0 {
                self.give_back(c, n)?;
            }
        }
        Ok(())
    }

    /// An object of class `c` from the list, or null if the list is empty (then `refill`).
    ///
    /// # Safety
    /// `c` < NUM_CLASSES (size_to_class and the page map's class bytes give only such).
    #[inline(always)]
    pub unsafe fn alloc(&mut self, c: usize) -> *mut u8 {
        // SAFETY: the caller's guarantee.
        let l = unsafe { self.lists.get_unchecked_mut(c) };
        let p = l.head;
        if p.is_null() {
            return p as *mut u8;
        }
        // SAFETY: list objects are free, at least 16 bytes, linked through their first words
        // and keyed in their second.
        unsafe {
            l.head = *p as *mut usize;
            *p.add(1) = 0;
        }
        l.n.store(l.n.load(Relaxed) - 1, Relaxed);
        p as *mut u8
    }

    /// An object of class `c` from the list, refilled first with a batch from mcentral if it is
    /// empty (it may not be: frees deferred from signal handlers are done just before); null if
    /// the heap is out of memory.
    ///
    /// # Safety
    /// As for `alloc`.
    pub unsafe fn refill(&mut self, c: usize) -> *mut u8 {
        // SAFETY: the caller's guarantee.
        let p = unsafe { self.alloc(c) };
        if !p.is_null() {
            return p;
        }
        let (p, n) = CENTRAL[c].take(c, batch(c), false, nanotime());
        if n == 0 {
            return null_mut();
        }
        // SAFETY: take links n objects of at least 16 bytes; the first is handed out (its key
        // word cleared), the rest become the list.
        unsafe {
            self.lists[c].head = *p as *mut usize;
            self.lists[c].n.store(n - 1, Relaxed);
            *p.add(1) = 0;
        }
        add(&self.taken, u64::from(n));
        p as *mut u8
    }

    /// Takes back object `p` of class `c`. Fails if `p` is already on the list (freed twice;
    /// see the module comment) or if giving a batch back to mcentral finds a bad object.
    ///
    /// # Safety
    /// `p` is the start of an object of class `c` (< NUM_CLASSES) that the program no longer
    /// uses.
    #[inline(always)]
    pub unsafe fn free(&mut self, c: usize, p: *mut u8) -> Result<(), (usize, BadFree)> {
        // SAFETY: the caller's guarantee.
        let l = unsafe { self.lists.get_unchecked_mut(c) };
        let key = l as *mut FreeList as usize;
        let obj = p as *mut usize;
        // SAFETY: the caller's guarantee: p's first two words are ours.
        unsafe {
            if *obj.add(1) == key && l.holds(obj) {
                return Err((p as usize, BadFree::DoubleFree));
            }
            *obj = l.head as usize;
            *obj.add(1) = key;
        }
        l.head = p as *mut usize;
        let n = l.n.load(Relaxed) + 1;
        l.n.store(n, Relaxed);
        add(&self.nfree, 1);
        // SAFETY: as above.
        if n > 2 * u32::from(unsafe { *CLASS_BATCH.get_unchecked(c) }) {
            return self.flush(c);
        }
        Ok(())
    }

    /// Gives a batch of class `c`'s list back to mcentral.
    #[inline(never)]
    fn flush(&mut self, c: usize) -> Result<(), (usize, BadFree)> {
        self.give_back(c, batch(c))
    }

    /// Gives the first `k` objects of class `c`'s list (which has at least `k`) to mcentral.
    fn give_back(&mut self, c: usize, k: u32) -> Result<(), (usize, BadFree)> {
        let l = &mut self.lists[c];
        let first = l.head;
        let mut last = first;
        // SAFETY: the list has at least k linked objects.
        unsafe {
            for _ in 1..k {
                last = *last as *mut usize;
            }
            l.head = *last as *mut usize;
        }
        l.n.store(l.n.load(Relaxed) - k, Relaxed);
        add(&self.returned, u64::from(k));
        // SAFETY: the k objects are free and linked; a bad one is a double free or a wild
        // pointer that slipped past the mcache, which give reports.
        unsafe { CENTRAL[c].give(c, first, k, false, nanotime()) }
    }
}
