//! Central free objects of one size class (Go: mcentral.go): the spans of a class that have
//! free objects, and the span bitmaps that say which.
//!
//! Invariants:
//! - A small span's `bits` has bit i set exactly while object i is free in the span: neither
//!   handed to a program nor sitting in any mcache list. `nfree` counts the set bits. So a
//!   second free of an object that reached its span finds the bit set: a double free, always
//!   caught here (and at once when GODEBUG=mallocdebug=1 sends every free here).
//! - A span is on its class's `partial` list exactly while 0 < nfree < nelems; a span whose
//!   last object comes back goes back to the heap at once (an mcache, not the span, keeps
//!   objects warm), and one with none free is on no list: frees find it through the page map.
//!   Under GODEBUG=mallocdebug=1 (`poison`) an all-free span stays on the list instead, so its
//!   poisoned objects are checked when reused: the heap would hand the pages to a new span,
//!   poisoned afresh, and a write to a freed object would go unseen.
//! - Everything here runs under the class's lock; the heap's lock nests inside it.
//! - Objects handed out are linked through their first word, lowest address first.
use core::ptr::null_mut;

use crate::global::Global;
use crate::lock_futex::Mutex;
use crate::mheap::{self, Span, SpanList, SPAN_SMALL};
use crate::sizeclasses::{class_objects, CLASS_NPAGES, CLASS_SIZE, NUM_CLASSES, PAGE_SIZE};

/// What a freed object's bytes become under GODEBUG=mallocdebug=1.
pub const POISON: u8 = 0xa5;

/// Why an object cannot go back to its span.
#[derive(Debug, PartialEq, Eq)]
pub enum BadFree {
    /// Not the start of an object of the span.
    NotAnObject,
    /// Already free.
    DoubleFree,
}

impl Span {
    /// Makes a fresh span of class `c` with every object free.
    pub fn init_small(&mut self, c: usize) {
        let n = class_objects(c);
        self.state = SPAN_SMALL;
        self.class = c as u8;
        self.nelems = n as u16;
        self.nfree = n as u16;
        self.partial = false;
        self.bits = [0; 8];
        for (w, word) in self.bits.iter_mut().enumerate().take(n.div_ceil(64)) {
            let left = n - w * 64;
            *word = if left >= 64 { u64::MAX } else { (1 << left) - 1 };
        }
    }

    /// Takes up to `max` free objects, linking them through their first words in address
    /// order (the last one's link is null); returns the first and how many.
    ///
    /// # Safety
    /// The span's memory is the heap's, of class `self.class`, and its free objects unused.
    pub unsafe fn take_objects(&mut self, max: u32) -> (*mut usize, u32) {
        let size = CLASS_SIZE[self.class as usize] as usize;
        let (mut head, mut tail): (*mut usize, *mut usize) = (null_mut(), null_mut());
        let mut got = 0;
        for w in 0..self.bits.len() {
            while self.bits[w] != 0 && got < max {
                let i = w * 64 + self.bits[w].trailing_zeros() as usize;
                self.bits[w] &= self.bits[w] - 1;
                let obj = (self.base + i * size) as *mut usize;
                // SAFETY: object i is free, so its first word is ours to write.
                unsafe {
                    *obj = 0;
                    if tail.is_null() {
                        head = obj;
                    } else {
                        *tail = obj as usize;
                    }
                }
                tail = obj;
                got += 1;
            }
        }
        self.nfree -= got as u16;
        (head, got)
    }

    /// Marks the object at `addr` free again.
    pub fn put_object(&mut self, addr: usize) -> Result<(), BadFree> {
        let size = CLASS_SIZE[self.class as usize] as usize;
        let off = addr.wrapping_sub(self.base);
        if !off.is_multiple_of(size) || off / size >= self.nelems as usize {
            return Err(BadFree::NotAnObject);
        }
        let (w, bit) = (off / size / 64, 1u64 << (off / size % 64));
        if self.bits[w] & bit != 0 {
            return Err(BadFree::DoubleFree);
        }
        self.bits[w] |= bit;
        self.nfree += 1;
        Ok(())
    }
}

#[repr(C, align(64))]
pub struct MCentral {
    lock: Mutex,
    partial: Global<SpanList>,
}

pub static CENTRAL: [MCentral; NUM_CLASSES] = [const {
    MCentral {
        lock: Mutex::new(),
        partial: Global::new(SpanList::new()),
    }
}; NUM_CLASSES];

impl MCentral {
    /// Up to `max` objects of class `c` (at least one unless the heap is out of memory), linked
    /// as `take_objects` links them; under `poison`, a new span's memory is filled with POISON.
    pub fn take(&self, c: usize, max: u32, poison: bool, now: i64) -> (*mut usize, u32) {
        self.lock.lock();
        // SAFETY: the class lock is held, so the list is ours; spans on it are live small
        // spans of class c.
        let r = unsafe {
            let list = &mut *self.partial.get();
            let mut s = list.first();
            if s.is_null() {
                s = mheap::with_heap(|h| {
                    let s = h.alloc(CLASS_NPAGES[c] as usize, now);
                    if !s.is_null() {
                        (*s).init_small(c);
                        mheap::set_class(s);
                    }
                    s
                });
                if !s.is_null() {
                    if poison {
                        core::ptr::write_bytes((*s).base as *mut u8, POISON, (*s).npages * PAGE_SIZE);
                    }
                    list.push(s);
                    (*s).partial = true;
                }
            }
            if s.is_null() {
                (null_mut(), 0)
            } else {
                let r = (*s).take_objects(max);
                if (*s).nfree == 0 {
                    list.remove(s);
                    (*s).partial = false;
                }
                r
            }
        };
        self.lock.unlock();
        r
    }

    /// Gives back `n` objects of class `c` linked through their first words (filled with
    /// POISON once accepted, under `poison`); a span that gets all its objects back returns to
    /// the heap. On a bad object, returns it and why (the objects before it went back; the
    /// rest did not).
    ///
    /// # Safety
    /// The objects are no longer used; the first `n` links of the list are valid.
    pub unsafe fn give(
        &self,
        c: usize,
        mut obj: *mut usize,
        n: u32,
        poison: bool,
        now: i64,
    ) -> Result<(), (usize, BadFree)> {
        self.lock.lock();
        let mut r = Ok(());
        for _ in 0..n {
            // SAFETY: the caller's guarantee for the link; the class lock covers the spans.
            let next = unsafe { *obj } as *mut usize;
            if let Err(e) = unsafe { self.put_locked(c, obj as usize, poison, now) } {
                r = Err((obj as usize, e));
                break;
            }
            obj = next;
        }
        self.lock.unlock();
        r
    }

    /// Puts one object back into its span (class lock held).
    unsafe fn put_locked(&self, c: usize, addr: usize, poison: bool, now: i64) -> Result<(), BadFree> {
        let s = mheap::span_of(addr);
        // SAFETY: span_of returns a live in-use span; small spans of class c are guarded by
        // this class's lock, which is held.
        unsafe {
            if s.is_null() || (*s).state != SPAN_SMALL || (*s).class as usize != c {
                return Err(BadFree::NotAnObject);
            }
            let sp = &mut *s;
            sp.put_object(addr)?;
            if poison {
                core::ptr::write_bytes(addr as *mut u8, POISON, CLASS_SIZE[c] as usize);
            }
            let list = &mut *self.partial.get();
            if sp.nfree == sp.nelems && !poison {
                if sp.partial {
                    list.remove(s);
                }
                mheap::with_heap(|h| h.free(s, now));
            } else if !sp.partial {
                list.push(s);
                sp.partial = true;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sizeclasses::size_to_class;

    fn span_over(mem: &mut [u64], c: usize) -> Span {
        // SAFETY: all-zero is a valid Span.
        let mut s: Span = unsafe { core::mem::zeroed() };
        s.base = mem.as_mut_ptr() as usize;
        s.npages = CLASS_NPAGES[c] as usize;
        s.init_small(c);
        s
    }

    #[test]
    fn bitmap_hands_out_each_object_once_and_catches_double_and_wild_frees() {
        for c in [
            1,
            size_to_class(48),
            size_to_class(1000),
            size_to_class(6000),
            NUM_CLASSES - 1,
        ] {
            let mut mem = vec![0u64; CLASS_NPAGES[c] as usize * PAGE_SIZE / 8];
            let mut s = span_over(&mut mem, c);
            let n = class_objects(c);
            let size = CLASS_SIZE[c] as usize;
            assert_eq!(s.nfree as usize, n);
            let mut seen = Vec::new();
            loop {
                // SAFETY: the span's memory is mem.
                let (mut p, got) = unsafe { s.take_objects(7) };
                if got == 0 {
                    break;
                }
                for _ in 0..got {
                    seen.push(p as usize);
                    // SAFETY: taken objects are linked through their first words.
                    p = unsafe { *p } as *mut usize;
                }
                assert!(p.is_null());
            }
            assert_eq!(seen.len(), n, "class {c}");
            let want: Vec<usize> = (0..n).map(|i| s.base + i * size).collect();
            assert_eq!(seen, want, "class {c}: every object once, in address order");
            assert_eq!(s.nfree, 0);
            assert_eq!(s.put_object(s.base + 8 + size * (n / 2)), Err(BadFree::NotAnObject));
            assert_eq!(s.put_object(s.base + size * n), Err(BadFree::NotAnObject));
            for (k, &o) in seen.iter().rev().enumerate() {
                assert_eq!(s.put_object(o), Ok(()));
                assert_eq!(s.nfree as usize, k + 1);
            }
            assert_eq!(s.put_object(seen[n / 3]), Err(BadFree::DoubleFree));
            // SAFETY: as above.
            let (p, got) = unsafe { s.take_objects(u32::MAX) };
            assert_eq!((p as usize, got as usize), (s.base, n));
        }
    }

    #[test]
    fn central_spans_return_to_the_heap_when_all_objects_come_back() {
        static INIT: std::sync::Once = std::sync::Once::new();
        INIT.call_once(|| {
            crate::persistentalloc::mallocinit();
        });
        let c = size_to_class(4000);
        let central = &CENTRAL[c];
        let before = mheap::with_heap(|h| h.stats);
        let mut objs = Vec::new();
        for _ in 0..40 {
            let (mut p, got) = central.take(c, 3, false, 0);
            assert!(got >= 1);
            for _ in 0..got {
                objs.push(p);
                // SAFETY: linked through first words.
                p = unsafe { *p } as *mut usize;
            }
        }
        let mid = mheap::with_heap(|h| h.stats);
        assert!(mid.inuse > before.inuse);
        for &o in objs.iter().rev() {
            assert_eq!(mheap::class_of(o as usize), Some(c as u8));
            // SAFETY: one object, unused.
            assert!(unsafe { central.give(c, o, 1, false, 0) }.is_ok());
        }
        let after = mheap::with_heap(|h| h.stats);
        assert_eq!(after.inuse, before.inuse, "every span went back");
        assert_eq!(mheap::class_of(objs[0] as usize), Some(0));
        // SAFETY: as above; it is already free.
        assert_eq!(
            unsafe { central.give(c, objs[0], 1, false, 0) },
            Err((objs[0] as usize, BadFree::NotAnObject))
        );
    }
}
