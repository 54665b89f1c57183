//! A channel's ring buffer (Go: the buffer half of chan.go): `cap` slots of `elemsize` bytes
//! each at `buf`, used as a FIFO by chan.rs.
//!
//! Invariants:
//! - `buf` holds `cap * elemsize` bytes; it is null when that is 0 (an unbuffered channel, or
//!   one of zero-size elements), so every copy into or out of a slot tolerates null pointers.
//! - `count <= cap` elements are buffered, the oldest at slot `recvx`; the next one goes to slot
//!   `sendx`, and `sendx == (recvx + count) % cap` whenever `cap > 0`.
//! - A slot not holding an element is zeroed: the storage starts zeroed (persistentalloc's),
//!   and `take` clears the slot it empties.
//! - The buffer has no lock of its own: its owner (the channel) serialises every operation.
#[repr(C)]
pub struct RingBuf {
    pub elemsize: usize,
    pub cap: usize,
    pub count: usize,
    pub sendx: usize,
    pub recvx: usize,
    pub buf: *mut u8,
}

impl RingBuf {
    /// An empty buffer of `cap` slots of `elemsize` bytes at `buf` (see the module invariants).
    pub fn new(elemsize: usize, cap: usize, buf: *mut u8) -> RingBuf {
        RingBuf {
            elemsize,
            cap,
            count: 0,
            sendx: 0,
            recvx: 0,
            buf,
        }
    }

    fn slot(&self, i: usize) -> *mut u8 {
        // SAFETY: callers pass i < cap, and buf holds cap slots (or is null with 0-byte slots).
        unsafe { self.buf.add(i * self.elemsize) }
    }

    /// Appends the element at `src` to the buffer.
    ///
    /// # Safety
    /// The owner's lock is held and the buffer has room; `src` null or valid for elemsize.
    pub unsafe fn put(&mut self, src: *const u8) {
        // SAFETY: the caller's guarantee.
        unsafe { copy(self.slot(self.sendx), src, self.elemsize) };
        self.sendx = (self.sendx + 1) % self.cap;
        self.count += 1;
    }

    /// Takes the oldest buffered element into `dst` (if not null).
    ///
    /// # Safety
    /// The owner's lock is held and the buffer holds an element; `dst` null or valid for
    /// elemsize.
    pub unsafe fn get(&mut self, dst: *mut u8) {
        // SAFETY: forwarded.
        unsafe { self.take(dst) };
        self.count -= 1;
    }

    /// On a full buffer, takes the oldest element into `dst` (if not null) and appends the
    /// element at `src` in its place (the tail is the same slot), so `count` stays `cap`: a
    /// receive that lets a waiting sender in.
    ///
    /// # Safety
    /// The owner's lock is held and the buffer is full (`count == cap > 0`); `dst` and `src`
    /// null or valid for elemsize.
    pub unsafe fn recv_and_replace(&mut self, dst: *mut u8, src: *const u8) {
        // SAFETY: the caller's guarantee; take leaves recvx past the emptied slot, which is
        // sendx since the buffer was full.
        unsafe {
            self.take(dst);
            copy(self.slot(self.sendx), src, self.elemsize);
        }
        self.sendx = self.recvx;
    }

    /// Copies the element at recvx into `dst` (if not null) and clears the slot.
    ///
    /// # Safety
    /// The owner's lock is held and the buffer holds an element; `dst` null or valid for
    /// elemsize.
    unsafe fn take(&mut self, dst: *mut u8) {
        let slot = self.slot(self.recvx);
        // SAFETY: the caller's guarantee.
        unsafe {
            copy(dst, slot, self.elemsize);
            zero(slot, self.elemsize);
        }
        self.recvx = (self.recvx + 1) % self.cap;
    }
}

/// Copies `n` bytes unless `dst` or `src` is null (a receive that discards, a zero-size element).
///
/// # Safety
/// Non-null pointers valid for `n` bytes, not overlapping.
pub unsafe fn copy(dst: *mut u8, src: *const u8, n: usize) {
    if !dst.is_null() && !src.is_null() {
        // SAFETY: the caller's guarantee.
        unsafe { crate::mem::copy_forward(dst, src, n) }
    }
}

/// Zeroes `n` bytes at `dst` unless it is null.
///
/// # Safety
/// `dst` null or valid for `n` bytes.
pub unsafe fn zero(dst: *mut u8, n: usize) {
    if !dst.is_null() {
        // SAFETY: the caller's guarantee.
        unsafe { crate::mem::memset(dst, 0, n) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock_futex::Mutex;
    use crate::rand::wyrand;
    use core::ptr::{null, null_mut};
    use std::cell::UnsafeCell;
    use std::collections::VecDeque;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A buffer over zeroed storage (as persistentalloc's), which must outlive every use of it.
    fn ring(elemsize: usize, cap: usize, storage: &mut Vec<u8>) -> RingBuf {
        *storage = vec![0; elemsize * cap];
        let buf = if storage.is_empty() {
            null_mut()
        } else {
            storage.as_mut_ptr()
        };
        RingBuf::new(elemsize, cap, buf)
    }

    /// Element number `k` of `elemsize` bytes, distinct from its neighbours and never zero.
    fn elem(k: usize, elemsize: usize) -> Vec<u8> {
        (0..elemsize).map(|j| (k * 7 + j + 1) as u8 | 1).collect()
    }

    /// Checks the index bookkeeping, and that every slot not holding an element is zeroed.
    fn check(r: &RingBuf, want_len: usize) {
        assert_eq!(r.count, want_len);
        assert!(r.count <= r.cap && r.sendx < r.cap && r.recvx < r.cap);
        assert_eq!(r.sendx, (r.recvx + r.count) % r.cap);
        if r.elemsize == 0 {
            return;
        }
        for i in (0..r.cap).filter(|i| (i + r.cap - r.recvx) % r.cap >= r.count) {
            // SAFETY: slot i < cap holds elemsize bytes of the test's storage.
            let slot = unsafe { core::slice::from_raw_parts(r.slot(i), r.elemsize) };
            assert!(slot.iter().all(|&b| b == 0), "free slot {i} not zeroed");
        }
    }

    /// Receives the oldest element and checks it is the reference's oldest.
    fn get_checked(r: &mut RingBuf, reference: &mut VecDeque<Vec<u8>>) {
        let mut got = vec![0xff; r.elemsize];
        // SAFETY: callers get only from a non-empty buffer; got holds elemsize bytes.
        unsafe { r.get(got.as_mut_ptr()) };
        assert_eq!(Some(got), reference.pop_front(), "cap {} size {}", r.cap, r.elemsize);
        check(r, reference.len());
    }

    /// Sends element number `k` and records it in the reference.
    fn put_checked(r: &mut RingBuf, reference: &mut VecDeque<Vec<u8>>, k: usize) {
        let e = elem(k, r.elemsize);
        // SAFETY: callers put only into a buffer with room; e holds elemsize bytes.
        unsafe { r.put(e.as_ptr()) };
        reference.push_back(e);
        check(r, reference.len());
    }

    const CAPS: [usize; 4] = [1, 2, 3, 7];
    const SIZES: [usize; 4] = [0, 1, 8, 24];

    #[test]
    fn fifo_across_wraparound() {
        for cap in CAPS {
            for size in SIZES {
                let mut storage = Vec::new();
                let mut r = ring(size, cap, &mut storage);
                let mut reference = VecDeque::new();
                let (mut seed, mut next) = ((cap * 100 + size) as u64, 0);
                for _ in 0..1000 {
                    if r.count < cap && (r.count == 0 || wyrand(&mut seed).is_multiple_of(2)) {
                        put_checked(&mut r, &mut reference, next);
                        next += 1;
                    } else {
                        get_checked(&mut r, &mut reference);
                    }
                }
                assert!(next > 3 * cap, "the test never wrapped around");
            }
        }
    }

    #[test]
    fn null_pointers_discard_and_send_zeroes() {
        let mut storage = Vec::new();
        let mut r = ring(8, 3, &mut storage);
        let e = elem(1, 8);
        // SAFETY: room for two; e holds 8 bytes; null is allowed for src and dst.
        unsafe {
            r.put(e.as_ptr());
            r.put(null());
            r.get(null_mut());
        }
        check(&r, 1);
        let mut got = vec![0xff; 8];
        // SAFETY: one element is buffered; got holds 8 bytes.
        unsafe { r.get(got.as_mut_ptr()) };
        assert_eq!(got, [0; 8], "a null source leaves the slot zeroed");
        check(&r, 0);
    }

    #[test]
    fn recv_and_replace_keeps_fifo() {
        for cap in CAPS {
            for size in SIZES {
                let mut storage = Vec::new();
                let mut r = ring(size, cap, &mut storage);
                let mut reference = VecDeque::new();
                let mut next = 0;
                for shift in 0..2 * cap {
                    // Fill, from wherever the previous round left recvx.
                    while r.count < cap {
                        put_checked(&mut r, &mut reference, next);
                        next += 1;
                    }
                    for _ in 0..=cap {
                        let (e, mut got) = (elem(next, size), vec![0xff; size]);
                        next += 1;
                        // SAFETY: the buffer is full; e and got hold elemsize bytes.
                        unsafe { r.recv_and_replace(got.as_mut_ptr(), e.as_ptr()) };
                        assert_eq!(Some(got), reference.pop_front(), "cap {cap} size {size} shift {shift}");
                        reference.push_back(e);
                        check(&r, cap);
                    }
                    // Leave `shift % cap` elements, so the next round starts elsewhere.
                    while r.count > shift % cap {
                        get_checked(&mut r, &mut reference);
                    }
                }
                while r.count > 0 {
                    get_checked(&mut r, &mut reference);
                }
            }
        }
    }

    /// A buffer shared by threads, every operation under one lock (as a channel's).
    struct Shared {
        lock: Mutex,
        ring: UnsafeCell<RingBuf>,
        /// Every value received, in the order received.
        log: UnsafeCell<Vec<u64>>,
    }

    // SAFETY: ring and log are touched only under lock; the ring's storage outlives every
    // thread that uses it.
    unsafe impl Sync for Shared {}

    impl Shared {
        fn locked<R>(&self, f: impl FnOnce(&mut RingBuf, &mut Vec<u64>) -> R) -> R {
            self.lock.lock();
            // SAFETY: the lock is held, so no other reference to ring or log exists.
            let r = unsafe { f(&mut *self.ring.get(), &mut *self.log.get()) };
            self.lock.unlock();
            r
        }
    }

    #[test]
    fn concurrent_producers_and_consumers_under_a_lock() {
        const TOTAL: usize = 100_000;
        const PRODUCERS: usize = 3;
        const CONSUMERS: usize = 3;
        let mut storage = Vec::new();
        let shared = Shared {
            lock: Mutex::new(),
            ring: UnsafeCell::new(ring(8, 5, &mut storage)),
            log: UnsafeCell::new(Vec::with_capacity(TOTAL)),
        };
        // Producer p sends (p << 32) | k for k in 0..count(p).
        let count = |p: usize| TOTAL / PRODUCERS + usize::from(p < TOTAL % PRODUCERS);
        let value = |p: usize, k: usize| (p as u64) << 32 | k as u64;
        let taken = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for p in 0..PRODUCERS {
                let shared = &shared;
                s.spawn(move || {
                    for k in 0..count(p) {
                        let v = value(p, k).to_ne_bytes();
                        let put = || {
                            shared.locked(|r, _| {
                                if r.count == r.cap {
                                    return false;
                                }
                                // SAFETY: there is room; v holds 8 bytes.
                                unsafe { r.put(v.as_ptr()) };
                                true
                            })
                        };
                        while !put() {
                            std::thread::yield_now();
                        }
                    }
                });
            }
            for _ in 0..CONSUMERS {
                let (shared, taken) = (&shared, &taken);
                s.spawn(move || {
                    while taken.load(Ordering::Relaxed) < TOTAL {
                        let got = shared.locked(|r, log| {
                            if r.count == 0 {
                                return false;
                            }
                            let mut v = [0u8; 8];
                            // SAFETY: an element is buffered; v holds 8 bytes.
                            unsafe { r.get(v.as_mut_ptr()) };
                            log.push(u64::from_ne_bytes(v));
                            true
                        });
                        if got {
                            taken.fetch_add(1, Ordering::Relaxed);
                        } else {
                            std::thread::yield_now();
                        }
                    }
                });
            }
        });
        let log = shared.log.into_inner();
        check(&shared.ring.into_inner(), 0);
        let mut sent: Vec<u64> = (0..PRODUCERS)
            .flat_map(|p| (0..count(p)).map(move |k| value(p, k)))
            .collect();
        let mut received = log.clone();
        sent.sort_unstable();
        received.sort_unstable();
        assert_eq!(received, sent, "the values received are not the values sent");
        for p in 0..PRODUCERS {
            let from_p = log.iter().filter(|&&v| v >> 32 == p as u64);
            assert!(
                from_p.copied().eq((0..count(p)).map(|k| value(p, k))),
                "producer {p}'s values out of order"
            );
        }
    }
}
