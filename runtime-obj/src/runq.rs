//! Run queues (Go: runqput/runqget/runqgrab/runqsteal and the global queue in proc.go).
//!
//! Each P owns a 256-slot ring plus a one-G `runnext` slot. Invariants:
//! - Only the owner P writes `tail` and the slots between `tail` and `head + 256`; anyone may
//!   advance `head` with a CAS (consumers: the owner's `get`, thieves' `grab`).
//! - `tail - head` is the ring's length, at most 256 (u32 arithmetic wraps).
//! - A slot is published by a release store of `tail` and consumed only after a CAS of `head`
//!   confirms the reader took it, so a G is never run twice nor lost.
//! - When the ring is full, half of it plus the new G move to the global queue in one batch,
//!   so a busy P sheds work to the others at O(1) amortised cost.
//!
//! The global queue is a singly linked list through `G.schedlink` under its own lock.
use core::cell::UnsafeCell;
use core::ptr::null_mut;
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering::*};

use crate::lock_futex::Mutex;
use crate::runtime2::G;

pub const RUNQ_LEN: u32 = 256;

#[repr(C)]
pub struct RunQ {
    head: AtomicU32,
    tail: AtomicU32,
    runnext: AtomicPtr<G>,
    buf: [AtomicPtr<G>; RUNQ_LEN as usize],
}

impl Default for RunQ {
    fn default() -> Self {
        Self::new()
    }
}

impl RunQ {
    pub const fn new() -> RunQ {
        // SAFETY: atomics of integers and pointers are valid when zeroed (empty queue).
        unsafe { core::mem::zeroed() }
    }

    fn slot(&self, i: u32) -> &AtomicPtr<G> {
        &self.buf[(i % RUNQ_LEN) as usize]
    }

    /// Number of Gs queued, runnext included.
    pub fn len(&self) -> u32 {
        let n = self.tail.load(Acquire).wrapping_sub(self.head.load(Acquire));
        n + u32::from(!self.runnext.load(Acquire).is_null())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Queues `gp`; with `next` it goes to runnext and the previous runnext to the ring.
    /// Overflow moves half the ring and `gp` to `global`. Owner only.
    pub fn put(&self, mut gp: *mut G, next: bool, global: &GlobalQueue) {
        if next {
            let old = self.runnext.swap(gp, AcqRel);
            if old.is_null() {
                return;
            }
            gp = old;
        }
        loop {
            let h = self.head.load(Acquire);
            let t = self.tail.load(Relaxed);
            if t.wrapping_sub(h) < RUNQ_LEN {
                self.slot(t).store(gp, Relaxed);
                self.tail.store(t.wrapping_add(1), Release);
                return;
            }
            if self.put_slow(gp, h, global) {
                return;
            }
        }
    }

    /// Moves the older half of a full ring plus `gp` to the global queue. Fails (and the
    /// caller retries) when a thief moved `head` meanwhile.
    fn put_slow(&self, gp: *mut G, h: u32, global: &GlobalQueue) -> bool {
        let n = RUNQ_LEN / 2;
        let mut batch = [null_mut::<G>(); RUNQ_LEN as usize / 2 + 1];
        for (i, b) in batch.iter_mut().take(n as usize).enumerate() {
            *b = self.slot(h.wrapping_add(i as u32)).load(Relaxed);
        }
        if self
            .head
            .compare_exchange(h, h.wrapping_add(n), Release, Relaxed)
            .is_err()
        {
            return false;
        }
        batch[n as usize] = gp;
        for w in batch.windows(2) {
            // SAFETY: the batch's Gs were just removed from the ring; we own them until they
            // are on the global queue.
            unsafe { (*w[0]).schedlink = w[1] };
        }
        // SAFETY: the batch was just taken off the ring (the CAS succeeded), so we own it.
        unsafe { global.put_batch(batch[0], gp, n + 1) };
        true
    }

    /// Takes the next G: runnext first, then the ring's head. Owner only. The bool says the
    /// G came from runnext and so inherits the current time slice.
    #[inline(always)]
    pub fn get(&self) -> (*mut G, bool) {
        let next = self.runnext.load(Acquire);
        if !next.is_null() && self.runnext.compare_exchange(next, null_mut(), AcqRel, Relaxed).is_ok() {
            return (next, true);
        }
        loop {
            let h = self.head.load(Acquire);
            let t = self.tail.load(Relaxed);
            if t == h {
                return (null_mut(), false);
            }
            let gp = self.slot(h).load(Relaxed);
            if self
                .head
                .compare_exchange(h, h.wrapping_add(1), Release, Relaxed)
                .is_ok()
            {
                return (gp, false);
            }
        }
    }

    /// Copies half of this (victim) queue into `dst`'s ring starting at `dst_tail`, and
    /// returns how many it took; with `steal_next` it may take runnext when the ring is empty.
    fn grab(&self, dst: &RunQ, dst_tail: u32, steal_next: bool) -> u32 {
        loop {
            let h = self.head.load(Acquire);
            let t = self.tail.load(Acquire);
            let len = t.wrapping_sub(h);
            let n = len - len / 2;
            if n == 0 {
                if steal_next {
                    let next = self.runnext.load(Acquire);
                    if !next.is_null() {
                        if self
                            .runnext
                            .compare_exchange(next, null_mut(), AcqRel, Relaxed)
                            .is_err()
                        {
                            continue;
                        }
                        dst.slot(dst_tail).store(next, Relaxed);
                        return 1;
                    }
                }
                return 0;
            }
            if n > RUNQ_LEN / 2 {
                continue; // head and tail read at different times; try again
            }
            for i in 0..n {
                let gp = self.slot(h.wrapping_add(i)).load(Relaxed);
                dst.slot(dst_tail.wrapping_add(i)).store(gp, Relaxed);
            }
            if self
                .head
                .compare_exchange(h, h.wrapping_add(n), Release, Relaxed)
                .is_ok()
            {
                return n;
            }
        }
    }

    /// Steals half of `victim`'s Gs into this (empty-ish) queue and returns one to run.
    pub fn steal(&self, victim: &RunQ, steal_next: bool) -> *mut G {
        let t = self.tail.load(Relaxed);
        let n = victim.grab(self, t, steal_next);
        if n == 0 {
            return null_mut();
        }
        let gp = self.slot(t.wrapping_add(n - 1)).load(Relaxed);
        if n > 1 {
            self.tail.store(t.wrapping_add(n - 1), Release);
        }
        gp
    }
}

/// The global run queue: FIFO through `G.schedlink`, behind a lock.
pub struct GlobalQueue {
    lock: Mutex,
    q: UnsafeCell<GQueue>,
}

// SAFETY: `q` is only touched with `lock` held.
unsafe impl Sync for GlobalQueue {}

/// A FIFO of Gs linked through `schedlink`: the global queue's, and the wait lists of the
/// synchronisation objects (sync.rs, rwmutex.rs). Valid when zeroed.
#[repr(C)]
pub struct GQueue {
    head: *mut G,
    tail: *mut G,
    size: u32,
}

impl Default for GQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl GQueue {
    pub const fn new() -> GQueue {
        GQueue {
            head: null_mut(),
            tail: null_mut(),
            size: 0,
        }
    }

    /// Appends the chain `head ..= tail` (linked through schedlink) of `n` Gs.
    ///
    /// # Safety
    /// The chain must be live Gs that the caller owns and that are in no other queue.
    pub unsafe fn push_batch(&mut self, head: *mut G, tail: *mut G, n: u32) {
        // SAFETY: the caller's guarantee; the chain's Gs pass to the queue.
        unsafe {
            (*tail).schedlink = null_mut();
            if self.tail.is_null() {
                self.head = head;
            } else {
                (*self.tail).schedlink = head;
            }
        }
        self.tail = tail;
        self.size += n;
    }

    pub fn len(&self) -> u32 {
        self.size
    }

    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    pub fn pop(&mut self) -> *mut G {
        let gp = self.head;
        if !gp.is_null() {
            // SAFETY: gp is queued, so it is a live G owned by this queue.
            self.head = unsafe { (*gp).schedlink };
            if self.head.is_null() {
                self.tail = null_mut();
            }
            self.size -= 1;
        }
        gp
    }
}

impl Default for GlobalQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl GlobalQueue {
    pub const fn new() -> GlobalQueue {
        GlobalQueue {
            lock: Mutex::new(),
            q: UnsafeCell::new(GQueue::new()),
        }
    }

    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce(&mut GQueue) -> R) -> R {
        self.lock.lock();
        // SAFETY: the lock is held, so this is the only reference to the queue.
        let r = f(unsafe { &mut *self.q.get() });
        self.lock.unlock();
        r
    }

    #[inline(always)]
    pub fn len(&self) -> u32 {
        self.with(|q| q.size)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `gp`.
    ///
    /// # Safety
    /// `gp` must be a live G that the caller owns and that is in no other queue.
    pub unsafe fn put(&self, gp: *mut G) {
        // SAFETY: forwarded.
        unsafe { self.put_batch(gp, gp, 1) };
    }

    /// Appends the chain `head ..= tail` (linked through schedlink) of `n` Gs.
    ///
    /// # Safety
    /// The chain must be live Gs that the caller owns and that are in no other queue.
    pub unsafe fn put_batch(&self, head: *mut G, tail: *mut G, n: u32) {
        // SAFETY: forwarded.
        self.with(|q| unsafe { q.push_batch(head, tail, n) })
    }

    /// Takes a fair share for one P (Go: globrunqget): one G to run now, and up to
    /// `max` - 1 more (0: no cap but 128) moved to `local` after the lock is dropped, so a
    /// full local ring can overflow back here without deadlock.
    pub fn get(&self, local: &RunQ, nprocs: u32, max: u32) -> *mut G {
        let (gp, rest) = self.with(|q| {
            if q.size == 0 {
                return (null_mut(), null_mut());
            }
            let mut n = q.size.min(q.size / nprocs.max(1) + 1).min(RUNQ_LEN / 2);
            if max > 0 {
                n = n.min(max);
            }
            let gp = q.pop();
            let rest = q.head;
            let mut last = null_mut();
            for _ in 1..n {
                last = q.pop();
            }
            if !last.is_null() {
                // SAFETY: `last` was just popped, so it is ours; cut the taken chain there.
                unsafe { (*last).schedlink = null_mut() };
            }
            (gp, if last.is_null() { null_mut() } else { rest })
        });
        let mut next = rest;
        while !next.is_null() {
            // SAFETY: the chain was detached from the queue above; we own each G on it.
            let after = unsafe { (*next).schedlink };
            local.put(next, false, self);
            next = after;
        }
        gp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gs(n: usize) -> Vec<*mut G> {
        (0..n)
            .map(|i| {
                let mut g = Box::new(G::zeroed());
                g.goid = i as u64;
                Box::into_raw(g)
            })
            .collect()
    }

    fn id(g: *mut G) -> u64 {
        // SAFETY: tests only pass Gs made by gs().
        unsafe { (*g).goid }
    }

    #[test]
    fn runnext_first_then_fifo() {
        let (q, glob, g) = (RunQ::new(), GlobalQueue::new(), gs(4));
        q.put(g[0], false, &glob);
        q.put(g[1], false, &glob);
        q.put(g[2], true, &glob);
        q.put(g[3], true, &glob); // kicks g2 to the ring's tail
        assert_eq!(q.len(), 4);
        let order: Vec<_> = (0..4).map(|_| q.get()).collect();
        assert_eq!(order.iter().map(|&(g, _)| id(g)).collect::<Vec<_>>(), [3, 0, 1, 2]);
        assert!(order[0].1 && !order[1].1);
        assert!(q.get().0.is_null());
    }

    #[test]
    fn overflow_moves_half_plus_one_to_global() {
        let (q, glob, g) = (RunQ::new(), GlobalQueue::new(), gs(257));
        for &gp in &g {
            q.put(gp, false, &glob);
        }
        assert_eq!(glob.len(), 129);
        assert_eq!(q.len(), 128);
        // The global queue keeps FIFO order: the oldest 128, then the G that overflowed.
        let local = RunQ::new();
        let first = glob.get(&local, 1, 1);
        assert_eq!(id(first), 0);
        assert_eq!(id(q.get().0), 128);
    }

    #[test]
    fn steal_takes_half_and_runnext_only_when_asked() {
        let (victim, thief, glob, g) = (RunQ::new(), RunQ::new(), GlobalQueue::new(), gs(11));
        for &gp in &g[..10] {
            victim.put(gp, false, &glob);
        }
        victim.put(g[10], true, &glob);
        let got = thief.steal(&victim, false);
        assert_eq!(id(got), 4); // took 0..=4, returns the last, keeps 0..=3 queued
        assert_eq!(thief.len(), 4);
        assert_eq!(victim.len(), 6);
        let empty = RunQ::new();
        let only_next = RunQ::new();
        only_next.put(g[0], true, &glob);
        assert!(empty.steal(&only_next, false).is_null());
        assert_eq!(id(empty.steal(&only_next, true)), 0);
    }

    #[test]
    fn global_get_shares_between_procs() {
        let (glob, local, g) = (GlobalQueue::new(), RunQ::new(), gs(10));
        for &gp in &g {
            // SAFETY: test Gs, owned here.
            unsafe { glob.put(gp) };
        }
        // 10 Gs over 2 Ps: 10/2 + 1 = 6 taken, one returned, five moved to the local ring.
        assert_eq!(id(glob.get(&local, 2, 0)), 0);
        assert_eq!(local.len(), 5);
        assert_eq!(glob.len(), 4);
    }

    #[test]
    fn an_owner_and_two_thieves_take_every_g_exactly_once() {
        use std::sync::atomic::{AtomicBool, AtomicU64};
        use std::sync::Arc;
        const N: usize = 200_000;
        struct Shared {
            victim: RunQ,
            glob: GlobalQueue,
            done: AtomicBool,
            taken: Vec<AtomicU64>,
        }
        // SAFETY: the queues are built for concurrent use (atomics and a lock); the raw G
        // pointers they hold are only test Gs, each dereferenced by the one taker of it.
        unsafe impl Sync for Shared {}
        // SAFETY: as above.
        unsafe impl Send for Shared {}
        let sh = Arc::new(Shared {
            victim: RunQ::new(),
            glob: GlobalQueue::new(),
            done: AtomicBool::new(false),
            taken: (0..N).map(|_| AtomicU64::new(0)).collect(),
        });
        let mark = |sh: &Shared, g: *mut G| {
            sh.taken[id(g) as usize].fetch_add(1, SeqCst);
        };
        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let sh = Arc::clone(&sh);
                std::thread::spawn(move || {
                    let mine = RunQ::new();
                    loop {
                        let finished = sh.done.load(SeqCst);
                        let g = mine.steal(&sh.victim, true);
                        if !g.is_null() {
                            mark(&sh, g);
                        }
                        loop {
                            let (g, _) = mine.get();
                            if g.is_null() {
                                break;
                            }
                            mark(&sh, g);
                        }
                        if finished && g.is_null() {
                            break;
                        }
                    }
                })
            })
            .collect();
        let g = gs(N);
        for (i, &gp) in g.iter().enumerate() {
            sh.victim.put(gp, i % 3 == 0, &sh.glob);
            if i % 2 == 0 {
                let (got, _) = sh.victim.get();
                if !got.is_null() {
                    mark(&sh, got);
                }
            }
        }
        sh.done.store(true, SeqCst);
        for t in thieves {
            t.join().unwrap();
        }
        loop {
            let (got, _) = sh.victim.get();
            if got.is_null() {
                break;
            }
            mark(&sh, got);
        }
        let local = RunQ::new();
        loop {
            let got = sh.glob.get(&local, 1, 1);
            if got.is_null() {
                break;
            }
            mark(&sh, got);
        }
        let counts: Vec<u64> = sh.taken.iter().map(|c| c.load(SeqCst)).collect();
        assert!(counts.iter().all(|&c| c == 1), "a G was lost or taken twice");
    }
}
