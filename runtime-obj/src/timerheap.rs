//! A P's timer heap (Go: the heap half of time.go): a binary min-heap of `Timer`s keyed by
//! `when`, stored in `Timers.heap` (the structs live in runtime2.rs; time.rs drives them).
//!
//! Invariants:
//! - Slots `0..len` of `heap` are live timers and `len <= cap`; `heap` holds `cap` slots (null
//!   while `cap` is 0). Slots from `len` on hold nothing live and are never read.
//! - Heap order: every slot's `when` is no earlier than its parent's (slot `i`'s parent is
//!   `(i - 1) / 2`), so slot 0 is an earliest timer. Timers with equal deadlines come out in no
//!   particular order among themselves.
//! - The storage grows by doubling (16 slots first) into fresh `persistentalloc` memory and is
//!   never freed: the old array is abandoned, as the arena never frees. So `mallocinit` must
//!   have run before the first push.
//! - Every change happens under the owner's `Timers.lock`; these functions do not take it.
use crate::runtime2::{Timer, Timers};

impl Timers {
    fn at(&self, i: u32) -> *mut Timer {
        // SAFETY: callers pass i < len <= cap, inside the heap's storage.
        unsafe { self.heap.add(i as usize) }
    }

    /// Adds `t`, growing the storage when it is full.
    ///
    /// # Safety
    /// The lock is held.
    pub unsafe fn push(&mut self, t: Timer) {
        if self.len == self.cap {
            let cap = (self.cap * 2).max(16);
            let bigger =
                crate::persistentalloc::persistentalloc(cap as usize * core::mem::size_of::<Timer>(), 8) as *mut Timer;
            // SAFETY: both arrays hold at least len timers.
            unsafe {
                crate::mem::copy_forward(
                    bigger.cast(),
                    self.heap.cast(),
                    self.len as usize * core::mem::size_of::<Timer>(),
                )
            };
            self.heap = bigger;
            self.cap = cap;
        }
        let mut i = self.len;
        self.len += 1;
        // SAFETY: i < len; the parent of a slot is a live slot.
        unsafe {
            while i > 0 {
                let parent = (i - 1) / 2;
                if (*self.at(parent)).when <= t.when {
                    break;
                }
                *self.at(i) = *self.at(parent);
                i = parent;
            }
            *self.at(i) = t;
        }
    }

    /// Takes the earliest timer if it is due at `now`.
    ///
    /// # Safety
    /// The lock is held.
    pub unsafe fn pop_due(&mut self, now: i64) -> Option<Timer> {
        // SAFETY: slots below len are live.
        unsafe {
            if self.len == 0 || (*self.at(0)).when > now {
                return None;
            }
            let top = *self.at(0);
            self.len -= 1;
            let last = *self.at(self.len);
            let mut i = 0;
            loop {
                let mut child = 2 * i + 1;
                if child >= self.len {
                    break;
                }
                if child + 1 < self.len && (*self.at(child + 1)).when < (*self.at(child)).when {
                    child += 1;
                }
                if last.when <= (*self.at(child)).when {
                    break;
                }
                *self.at(i) = *self.at(child);
                i = child;
            }
            if self.len > 0 {
                *self.at(i) = last;
            }
            Some(top)
        }
    }

    /// The earliest deadline (0: no timer).
    pub fn earliest(&self) -> i64 {
        if self.len == 0 {
            0
        } else {
            // SAFETY: slot 0 is live when len > 0.
            unsafe { (*self.at(0)).when }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock_futex::Mutex;
    use crate::rand::wyrand;
    use crate::runtime2::G;
    use core::ptr::null_mut;
    use std::cell::UnsafeCell;
    use std::collections::BTreeSet;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Once;

    /// An empty heap, after making sure the arena it grows into exists.
    fn heap() -> Timers {
        static ARENA: Once = Once::new();
        ARENA.call_once(|| {
            crate::persistentalloc::mallocinit();
        });
        Timers {
            lock: Mutex::new(),
            len: 0,
            cap: 0,
            heap: null_mut(),
        }
    }

    /// A timer whose `g` carries the identity `id` (never dereferenced).
    fn timer(when: i64, id: usize) -> Timer {
        Timer {
            when,
            g: id as *mut G,
            c: null_mut(),
        }
    }

    /// The heap checked against a reference ordered set of (when, id).
    struct Checked {
        ts: Timers,
        reference: BTreeSet<(i64, usize)>,
        next_id: usize,
    }

    impl Checked {
        fn new() -> Checked {
            Checked {
                ts: heap(),
                reference: BTreeSet::new(),
                next_id: 0,
            }
        }

        fn push(&mut self, when: i64) {
            let id = self.next_id;
            self.next_id += 1;
            // SAFETY: the heap is this test's own, touched by one thread (the lock's role).
            unsafe { self.ts.push(timer(when, id)) };
            self.reference.insert((when, id));
            self.check_earliest();
        }

        /// Pops everything due at `now`; returns how many came out.
        fn drain(&mut self, now: i64) -> usize {
            let mut last = i64::MIN;
            let mut n = 0;
            // SAFETY: as in push.
            while let Some(t) = unsafe { self.ts.pop_due(now) } {
                let &(min, _) = self
                    .reference
                    .first()
                    .expect("popped from a heap the reference says is empty");
                assert_eq!(t.when, min, "pop_due did not return the earliest timer");
                assert!(t.when <= now, "popped a timer due at {} at {now}", t.when);
                assert!(t.when >= last, "pops out of order");
                assert!(
                    self.reference.remove(&(t.when, t.g as usize)),
                    "popped an unknown or repeated timer"
                );
                last = t.when;
                n += 1;
                self.check_earliest();
            }
            if let Some(&(min, _)) = self.reference.first() {
                assert!(min > now, "pop_due returned None with a timer due at {min} <= {now}");
            }
            n
        }

        fn check_earliest(&self) {
            let want = self.reference.first().map_or(0, |&(w, _)| w);
            assert_eq!(self.ts.earliest(), want);
            assert_eq!(self.ts.len as usize, self.reference.len());
            assert!(self.ts.len <= self.ts.cap);
        }
    }

    #[test]
    fn empty_heap_has_nothing_due() {
        let mut ts = heap();
        assert_eq!(ts.earliest(), 0);
        // SAFETY: a heap of this test's own.
        assert!(unsafe { ts.pop_due(i64::MAX) }.is_none());
    }

    #[test]
    fn grows_past_16_32_and_1000_and_drains_in_order() {
        let mut h = Checked::new();
        let mut seed = 7;
        let mut caps = Vec::new();
        for _ in 0..2500 {
            h.push(1 + (wyrand(&mut seed) % 1_000_000) as i64);
            if caps.last() != Some(&h.ts.cap) {
                caps.push(h.ts.cap);
            }
        }
        assert_eq!(caps, [16, 32, 64, 128, 256, 512, 1024, 2048, 4096]);
        assert_eq!(h.drain(0), 0);
        assert_eq!(h.drain(500_000) + h.drain(i64::MAX), 2500);
        assert_eq!(h.ts.earliest(), 0);
    }

    #[test]
    fn equal_deadlines() {
        let mut h = Checked::new();
        let mut seed = 11;
        for round in 0..20 {
            for _ in 0..50 {
                h.push(1 + (wyrand(&mut seed) % 4) as i64);
            }
            h.drain(round % 5);
        }
        h.drain(i64::MAX);
        for _ in 0..100 {
            h.push(42);
        }
        assert_eq!(h.drain(41), 0);
        assert_eq!(h.drain(42), 100);
    }

    #[test]
    fn random_pushes_and_pops_match_reference() {
        let mut seed = 0x5eed;
        for _ in 0..20 {
            let mut h = Checked::new();
            let spread = 1 + wyrand(&mut seed) % 10_000;
            let mut now = 0;
            for _ in 0..3000 {
                if !wyrand(&mut seed).is_multiple_of(3) {
                    h.push(now + 1 + (wyrand(&mut seed) % spread) as i64);
                } else {
                    now += (wyrand(&mut seed) % (spread / 4 + 1)) as i64;
                    h.drain(now);
                }
            }
            h.drain(i64::MAX);
            assert!(h.reference.is_empty());
        }
    }

    /// One heap shared by threads, each change under the heap's own lock (as a P's).
    struct Shared(UnsafeCell<Timers>);

    // SAFETY: the Timers inside is changed only under its lock; the raw pointers in its timers
    // are identities, never dereferenced.
    unsafe impl Sync for Shared {}

    impl Shared {
        /// Runs `f` on the heap with its lock held.
        fn locked<R>(&self, f: impl FnOnce(&mut Timers) -> R) -> R {
            let ts = self.0.get();
            // SAFETY: the lock serialises every &mut to the heap; the Mutex is atomics only,
            // so touching it while another thread holds the heap is the runtime's own pattern.
            unsafe {
                (*ts).lock.lock();
                let r = f(&mut *ts);
                (*ts).lock.unlock();
                r
            }
        }
    }

    #[test]
    fn concurrent_pushes_and_pops_under_the_lock() {
        const PUSHERS: usize = 4;
        const EACH: usize = 10_000;
        const SPAN: i64 = 1_000_000;
        let shared = Shared(UnsafeCell::new(heap()));
        let done = AtomicUsize::new(0);
        let popped = std::thread::scope(|s| {
            for p in 0..PUSHERS {
                let (shared, done) = (&shared, &done);
                s.spawn(move || {
                    let mut seed = p as u64 + 1;
                    for k in 0..EACH {
                        let when = 1 + (wyrand(&mut seed) % SPAN as u64) as i64;
                        // SAFETY: the lock is held.
                        shared.locked(|ts| unsafe { ts.push(timer(when, p * EACH + k)) });
                    }
                    done.fetch_add(1, Ordering::Release);
                });
            }
            let popper = s.spawn(|| {
                let mut popped = Vec::with_capacity(PUSHERS * EACH);
                let mut now = 0;
                loop {
                    let finished = done.load(Ordering::Acquire) == PUSHERS;
                    now = if finished { i64::MAX } else { (now + 997) % SPAN };
                    let drained = shared.locked(|ts| {
                        let mut drained = Vec::new();
                        // SAFETY: the lock is held.
                        while let Some(t) = unsafe { ts.pop_due(now) } {
                            drained.push(t);
                        }
                        let e = ts.earliest();
                        assert!(e == 0 || e > now, "timer due at {e} left behind at {now}");
                        drained
                    });
                    assert!(
                        drained.windows(2).all(|w| w[0].when <= w[1].when),
                        "one drain out of order"
                    );
                    assert!(drained.iter().all(|t| t.when <= now));
                    popped.extend(drained.iter().map(|t| t.g as usize));
                    if finished {
                        return popped;
                    }
                    std::thread::yield_now();
                }
            });
            popper.join().unwrap()
        });
        let mut seen = vec![0u32; PUSHERS * EACH];
        for id in popped {
            seen[id] += 1;
        }
        assert!(seen.iter().all(|&n| n == 1), "a timer was lost or popped twice");
    }
}
