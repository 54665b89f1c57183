//! Channels and select for C goroutines (Go: chan.go and select.go).
//!
//! A channel carries fixed-size elements (`elemsize` bytes, 0 allowed) through a ring buffer of
//! `cap` slots (none when unbuffered; chanbuf.rs's `RingBuf`). Blocked goroutines wait in FIFO
//! queues of *sudogs* (`Sudog`: the goroutine, where its element is, and whether the operation
//! succeeded), which live on the waiting goroutine's own stack: it cannot return while parked.
//!
//! Invariants (Go's):
//! - Every field of a channel is guarded by its lock. A waiter is queued and parked under that
//!   lock (gopark releases it once the goroutine is parked), and a waker dequeues, completes the
//!   operation (copies the element, sets `success`) and only then readies the goroutine, so a
//!   woken goroutine finds its operation done and never touches the channel again.
//! - `recvq` and `sendq` are never both non-empty; with a buffer, `recvq` is non-empty only when
//!   the buffer is empty and `sendq` only when it is full.
//! - Closing wakes every waiter with `success = false`: receivers get a zeroed element and
//!   `ok = 0`; a sender that was waiting reports the fatal error Go panics with.
//! - `rt_select` queues one sudog per case on every channel (the channels locked together, in
//!   address order, each once). The first waker to win the goroutine's `selectdone` CAS
//!   completes that case; the others skip its sudogs. Woken, the goroutine locks the channels
//!   again and takes its remaining sudogs off their queues.
//! - Channels are allocated from the runtime's persistent memory and never freed (there is no
//!   heap allocator yet: the memory issue).
use core::ptr::null_mut;
use core::sync::atomic::Ordering::{AcqRel, Relaxed};

use crate::chanbuf::{copy, zero, RingBuf};
use crate::lock_futex::Mutex;
use crate::print::throw;
use crate::proc::{gopark, goready};
use crate::runtime2::G;
use crate::tls::getg;

/// A waiting goroutine's entry in a channel queue.
#[repr(C)]
pub struct Sudog {
    g: *mut G,
    /// Where the element comes from (send) or goes to (receive); may be null for a receive.
    elem: *mut u8,
    next: *mut Sudog,
    prev: *mut Sudog,
    c: *mut Chan,
    /// Set by the waker: the operation completed (false: the channel was closed).
    success: bool,
    /// Part of an rt_select: the waker must first win the goroutine's `selectdone`.
    is_select: bool,
    /// Which select case this is.
    case: u32,
}

impl Sudog {
    fn new(g: *mut G, elem: *mut u8, c: *mut Chan) -> Sudog {
        Sudog {
            g,
            elem,
            next: null_mut(),
            prev: null_mut(),
            c,
            success: false,
            is_select: false,
            case: 0,
        }
    }
}

/// A FIFO of sudogs.
#[repr(C)]
struct WaitQ {
    first: *mut Sudog,
    last: *mut Sudog,
}

impl WaitQ {
    /// # Safety
    /// `sg` must be live until dequeued and in no queue.
    unsafe fn enqueue(&mut self, sg: *mut Sudog) {
        // SAFETY: the caller's guarantee; queued sudogs are live.
        unsafe {
            (*sg).next = null_mut();
            (*sg).prev = self.last;
            if self.last.is_null() {
                self.first = sg;
            } else {
                (*self.last).next = sg;
            }
        }
        self.last = sg;
    }

    /// Takes `sg` out of the queue.
    ///
    /// # Safety
    /// `sg` must be in this queue.
    unsafe fn remove(&mut self, sg: *mut Sudog) {
        // SAFETY: the caller's guarantee; its neighbours are queued, hence live.
        unsafe {
            let (prev, next) = ((*sg).prev, (*sg).next);
            if prev.is_null() {
                self.first = next;
            } else {
                (*prev).next = next;
            }
            if next.is_null() {
                self.last = prev;
            } else {
                (*next).prev = prev;
            }
            (*sg).next = null_mut();
            (*sg).prev = null_mut();
        }
    }

    /// The first waiter whose goroutine can still take it: a select's sudog only if this
    /// waker wins its goroutine's `selectdone` (Go: dequeue).
    fn dequeue(&mut self) -> *mut Sudog {
        loop {
            let sg = self.first;
            if sg.is_null() {
                return sg;
            }
            // SAFETY: queued sudogs are live; their goroutines are parked (or parking under
            // this channel's lock, which the caller holds).
            unsafe {
                self.remove(sg);
                if (*sg).is_select && (*(*sg).g).selectdone.compare_exchange(0, 1, AcqRel, Relaxed).is_err() {
                    continue;
                }
            }
            return sg;
        }
    }
}

#[repr(C)]
pub struct Chan {
    lock: Mutex,
    closed: u32,
    buf: RingBuf,
    recvq: WaitQ,
    sendq: WaitQ,
}

extern "C" fn unlock_chan(c: usize) {
    // SAFETY: gopark passes back the channel whose lock the parking goroutine holds.
    unsafe { (*(c as *const Chan)).lock.unlock() }
}

/// Go's makechan: a channel of `cap` elements of `elemsize` bytes.
#[no_mangle]
pub extern "C" fn rt_chan_make(elemsize: usize, cap: usize) -> *mut Chan {
    if elemsize > 1 << 16 {
        throw("makechan: invalid channel element type (over 64 KiB)");
    }
    let Some(bytes) = elemsize.checked_mul(cap).filter(|&b| b <= 1 << 40) else {
        throw("makechan: size out of range");
    };
    let c = crate::persistentalloc::persistentalloc(core::mem::size_of::<Chan>(), 64) as *mut Chan;
    let buf = if bytes > 0 {
        crate::persistentalloc::persistentalloc(bytes, 16)
    } else {
        null_mut()
    };
    // SAFETY: fresh zeroed memory (a zeroed Chan is an empty, open, unbuffered channel), and
    // buf holds cap elements of elemsize bytes (null when that is 0 bytes).
    unsafe { (*c).buf = RingBuf::new(elemsize, cap, buf) };
    c
}

/// Completes a send to the waiting receiver `sg`. The channel lock is held; it is released.
///
/// # Safety
/// `sg` was just dequeued from `c.recvq`; `elem` valid for elemsize.
unsafe fn send_direct(c: &mut Chan, sg: *mut Sudog, elem: *const u8) {
    // SAFETY: the caller's guarantee; sg's goroutine is parked and its elem is its own.
    unsafe {
        // Receivers wait only on an empty buffer: the element goes straight to this one.
        copy((*sg).elem, elem, c.buf.elemsize);
        (*sg).success = true;
        let gp = (*sg).g;
        (*gp).param = sg.cast();
        c.lock.unlock();
        goready(gp, true);
    }
}

/// Completes a receive from the waiting sender `sg`. The channel lock is held; it is released.
///
/// # Safety
/// `sg` was just dequeued from `c.sendq`; `elem` null or valid for elemsize.
unsafe fn recv_direct(c: &mut Chan, sg: *mut Sudog, elem: *mut u8) {
    // SAFETY: the caller's guarantee.
    unsafe {
        if c.buf.cap == 0 {
            copy(elem, (*sg).elem, c.buf.elemsize);
        } else {
            // Senders wait only on a full buffer: take its head; the sender's element goes to
            // its tail.
            c.buf.recv_and_replace(elem, (*sg).elem);
        }
        (*sg).success = true;
        let gp = (*sg).g;
        (*gp).param = sg.cast();
        c.lock.unlock();
        goready(gp, true);
    }
}

/// Sends without blocking if `block` is false; returns whether it sent.
///
/// # Safety
/// `c` a channel from rt_chan_make; `elem` valid for its elemsize (null if 0).
unsafe fn chansend(c: *mut Chan, elem: *const u8, block: bool) -> bool {
    // SAFETY: the caller's guarantee; every field is touched under c.lock.
    unsafe {
        let c = &mut *c;
        c.lock.lock();
        if c.closed != 0 {
            c.lock.unlock();
            throw("send on closed channel");
        }
        let sg = c.recvq.dequeue();
        if !sg.is_null() {
            send_direct(c, sg, elem);
            return true;
        }
        if c.buf.count < c.buf.cap {
            c.buf.put(elem);
            c.lock.unlock();
            return true;
        }
        if !block {
            c.lock.unlock();
            return false;
        }
        let gp = getg();
        let mut me = Sudog::new(gp, elem as *mut u8, c);
        (*gp).param = null_mut();
        c.sendq.enqueue(&mut me);
        gopark(unlock_chan, c as *mut Chan as usize);
        if !me.success {
            throw("send on closed channel");
        }
        true
    }
}

/// Receives, without blocking if `block` is false; returns (received, ok): ok is false when
/// the channel is closed and drained (the element is then zeroed).
///
/// # Safety
/// `c` a channel from rt_chan_make; `elem` null or valid for its elemsize.
unsafe fn chanrecv(c: *mut Chan, elem: *mut u8, block: bool) -> (bool, bool) {
    // SAFETY: the caller's guarantee; every field is touched under c.lock.
    unsafe {
        let c = &mut *c;
        c.lock.lock();
        if c.closed != 0 && c.buf.count == 0 {
            c.lock.unlock();
            zero(elem, c.buf.elemsize);
            return (true, false);
        }
        let sg = c.sendq.dequeue();
        if !sg.is_null() {
            recv_direct(c, sg, elem);
            return (true, true);
        }
        if c.buf.count > 0 {
            c.buf.get(elem);
            c.lock.unlock();
            return (true, true);
        }
        if !block {
            c.lock.unlock();
            return (false, false);
        }
        let gp = getg();
        let mut me = Sudog::new(gp, elem, c);
        (*gp).param = null_mut();
        c.recvq.enqueue(&mut me);
        gopark(unlock_chan, c as *mut Chan as usize);
        (true, me.success)
    }
}

/// Sends if a receiver or buffer space is ready (a timer's send, from the scheduler).
///
/// # Safety
/// As for chansend.
pub unsafe fn send_nonblocking(c: *mut Chan, elem: *const u8) -> bool {
    // SAFETY: forwarded.
    unsafe { chansend(c, elem, false) }
}

/// Sends the element at `elem`, blocking until a receiver or buffer space takes it.
///
/// # Safety
/// `c` from rt_chan_make; `elem` valid for its element size (may be null if that is 0).
#[no_mangle]
pub unsafe extern "C" fn rt_chan_send(c: *mut Chan, elem: *const u8) {
    // SAFETY: forwarded.
    unsafe { chansend(c, elem, true) };
}

/// Receives into `elem` (may be null to discard); returns 1, or 0 if the channel is closed
/// and drained (the element is then zeroed).
///
/// # Safety
/// `c` from rt_chan_make; `elem` null or valid for its element size.
#[no_mangle]
pub unsafe extern "C" fn rt_chan_recv(c: *mut Chan, elem: *mut u8) -> i32 {
    // SAFETY: forwarded.
    i32::from(unsafe { chanrecv(c, elem, true) }.1)
}

/// Closes the channel: receivers drain the buffer, then get ok = 0; waiting senders fail.
///
/// # Safety
/// `c` from rt_chan_make.
#[no_mangle]
pub unsafe extern "C" fn rt_chan_close(c: *mut Chan) {
    // SAFETY: the caller's guarantee; the queues are taken under c.lock, and each dequeued
    // sudog's goroutine is parked until readied here.
    unsafe {
        let c = &mut *c;
        c.lock.lock();
        if c.closed != 0 {
            c.lock.unlock();
            throw("close of closed channel");
        }
        c.closed = 1;
        let mut woken: *mut Sudog = null_mut();
        for (q, receivers) in [(&mut c.recvq as *mut WaitQ, true), (&mut c.sendq as *mut WaitQ, false)] {
            loop {
                let sg = (*q).dequeue();
                if sg.is_null() {
                    break;
                }
                if receivers {
                    zero((*sg).elem, c.buf.elemsize);
                }
                (*sg).success = false;
                (*(*sg).g).param = sg.cast();
                (*sg).next = woken;
                woken = sg;
            }
        }
        c.lock.unlock();
        while !woken.is_null() {
            let next = (*woken).next;
            goready((*woken).g, true);
            woken = next;
        }
    }
}

/// The number of elements buffered.
///
/// # Safety
/// `c` from rt_chan_make.
#[no_mangle]
pub unsafe extern "C" fn rt_chan_len(c: *mut Chan) -> usize {
    // SAFETY: the caller's guarantee; count is read under the lock.
    unsafe {
        (*c).lock.lock();
        let n = (*c).buf.count;
        (*c).lock.unlock();
        n
    }
}

/// One case of an rt_select (rtlink.h's `rt_select_case`).
#[repr(C)]
pub struct SelectCase {
    c: *mut Chan,
    /// RT_SEND (1) or RT_RECV (2).
    dir: i32,
    /// A receive's ok: 1, or 0 when the channel is closed and drained.
    ok: i32,
    elem: *mut u8,
}

const SEND: i32 = 1;
const RECV: i32 = 2;
/// The most cases one select takes (its sudogs live on the caller's stack).
const MAX_CASES: usize = 64;

/// Locks each distinct channel of the cases once, in address order (no deadlock between two
/// selects over the same channels); `order` lists case indices sorted by channel.
///
/// # Safety
/// Every case's channel is valid.
unsafe fn lock_all(cases: &[SelectCase], order: &[usize]) {
    let mut last: *mut Chan = null_mut();
    for &i in order {
        let c = cases[i].c;
        if c != last {
            // SAFETY: the caller's guarantee.
            unsafe { (*c).lock.lock() };
            last = c;
        }
    }
}

/// # Safety
/// As for lock_all, with those locks held.
unsafe fn unlock_all(cases: &[SelectCase], order: &[usize]) {
    // SAFETY: forwarded; no channel is kept locked.
    unsafe { unlock_others(cases, order, null_mut()) }
}

extern "C" fn unlock_select(arg: usize) {
    // SAFETY: selectgo passes the address of its (cases, order) pair, alive while it parks.
    unsafe {
        let (cases, order) = &*(arg as *const (&[SelectCase], &[usize]));
        unlock_all(cases, order);
    }
}

/// Go's select: performs one ready case, chosen at random among the ready ones; with none
/// ready, returns -1 if `block` is 0, else waits for one. Returns the case's index. Cases with
/// a null channel never proceed (as a nil channel in Go).
///
/// # Safety
/// `cases` points to `n` cases whose channels are null or from rt_chan_make, with elements
/// valid for their element size.
#[no_mangle]
pub unsafe extern "C" fn rt_select(cases: *mut SelectCase, n: i32, block: i32) -> i32 {
    let n = n.max(0) as usize;
    if n > MAX_CASES {
        throw("select: more than 64 cases");
    }
    // SAFETY: the caller's guarantee; the goroutine's sudogs live in this frame until it
    // returns, and it returns only after taking them off every queue.
    unsafe {
        let cases = core::slice::from_raw_parts_mut(cases, n);
        // Poll in a random order (fairness), lock in channel-address order.
        let mut poll = [0usize; MAX_CASES];
        let mut order = [0usize; MAX_CASES];
        let mut k = 0;
        for (i, case) in cases.iter().enumerate() {
            if !case.c.is_null() && (case.dir == SEND || case.dir == RECV) {
                poll[k] = i;
                order[k] = i;
                k += 1;
            }
        }
        let (poll, order) = (&mut poll[..k], &mut order[..k]);
        let mp = crate::proc_m::getm();
        for i in (1..k).rev() {
            let j = crate::rand::wyrand(&mut (*mp).rand) as usize % (i + 1);
            poll.swap(i, j);
        }
        order.sort_unstable_by_key(|&i| cases[i].c as usize);
        if k == 0 {
            if block == 0 {
                return -1;
            }
            // A select with no usable case blocks forever (Go: select {}).
            gopark(unlock_nothing, 0);
            throw("select: woken with no case");
        }
        lock_all(cases, order);
        for &i in poll.iter() {
            let c = &mut *cases[i].c;
            if cases[i].dir == SEND {
                if c.closed != 0 {
                    unlock_all(cases, order);
                    throw("send on closed channel");
                }
                let sg = c.recvq.dequeue();
                if !sg.is_null() {
                    // send_direct unlocks c only; release the others first.
                    unlock_others(cases, order, c);
                    send_direct(c, sg, cases[i].elem);
                    return i as i32;
                }
                if c.buf.count < c.buf.cap {
                    c.buf.put(cases[i].elem);
                    unlock_all(cases, order);
                    return i as i32;
                }
            } else {
                let sg = c.sendq.dequeue();
                if !sg.is_null() {
                    unlock_others(cases, order, c);
                    recv_direct(c, sg, cases[i].elem);
                    cases[i].ok = 1;
                    return i as i32;
                }
                if c.buf.count > 0 {
                    c.buf.get(cases[i].elem);
                    unlock_all(cases, order);
                    cases[i].ok = 1;
                    return i as i32;
                }
                if c.closed != 0 {
                    unlock_all(cases, order);
                    zero(cases[i].elem, c.buf.elemsize);
                    cases[i].ok = 0;
                    return i as i32;
                }
            }
        }
        if block == 0 {
            unlock_all(cases, order);
            return -1;
        }
        // Wait on every channel at once.
        let gp = getg();
        (*gp).selectdone.store(0, Relaxed);
        (*gp).param = null_mut();
        let mut sgs: [core::mem::MaybeUninit<Sudog>; MAX_CASES] =
            [const { core::mem::MaybeUninit::uninit() }; MAX_CASES];
        for &i in order.iter() {
            let sg = sgs[i].as_mut_ptr();
            sg.write(Sudog::new(gp, cases[i].elem, cases[i].c));
            (*sg).is_select = true;
            (*sg).case = i as u32;
            let c = &mut *cases[i].c;
            if cases[i].dir == SEND {
                c.sendq.enqueue(sg);
            } else {
                c.recvq.enqueue(sg);
            }
        }
        let held: (&[SelectCase], &[usize]) = (cases, order);
        gopark(unlock_select, &held as *const _ as usize);
        // Woken: the winner's sudog is in param, already off its queue; take the rest off.
        let won = (*gp).param.cast::<Sudog>();
        if won.is_null() {
            throw("select: woken without a case");
        }
        lock_all(cases, order);
        for &i in order.iter() {
            let sg = sgs[i].as_mut_ptr();
            if sg == won {
                continue;
            }
            let c = &mut *cases[i].c;
            let q = if cases[i].dir == SEND {
                &mut c.sendq
            } else {
                &mut c.recvq
            };
            q.remove_if_queued(sg);
        }
        unlock_all(cases, order);
        let i = (*won).case as usize;
        if cases[i].dir == SEND {
            if !(*won).success {
                throw("send on closed channel");
            }
        } else {
            cases[i].ok = i32::from((*won).success);
        }
        i as i32
    }
}

/// Unlocks every channel of the select but `keep`.
///
/// # Safety
/// As for unlock_all.
unsafe fn unlock_others(cases: &[SelectCase], order: &[usize], keep: *mut Chan) {
    let mut last: *mut Chan = null_mut();
    for &i in order.iter().rev() {
        let c = cases[i].c;
        if c != last && c != keep {
            // SAFETY: the caller's guarantee.
            unsafe { (*c).lock.unlock() };
        }
        last = c;
    }
}

extern "C" fn unlock_nothing(_: usize) {}

impl WaitQ {
    /// Removes `sg` if it is still queued here (a select's losing case).
    ///
    /// # Safety
    /// `sg` is live; if queued, then in this queue.
    unsafe fn remove_if_queued(&mut self, sg: *mut Sudog) {
        // SAFETY: the caller's guarantee: a queued sudog has a predecessor or is first.
        unsafe {
            if !(*sg).prev.is_null() || self.first == sg {
                self.remove(sg);
            }
        }
    }
}
