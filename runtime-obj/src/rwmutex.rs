//! `rt_rwmutex` (Go: sync.RWMutex): any number of readers or one writer, parking goroutines,
//! never threads, while they wait.
//!
//! Invariants:
//! - 64 bytes of C storage, valid when zeroed; every field changes under `lock`, and a waiter
//!   is on exactly one of the two FIFO lists, put there under `lock`, which is released only
//!   once it is parked (gopark), so a waker always finds it parked.
//! - The lock is handed over, never re-contended: a goroutine readied from a list already holds
//!   what it waited for (the waker counted it in `readers` or set `writer`).
//! - Writers are not starved (Go's rule): once a writer waits, new readers wait too. A writer's
//!   unlock admits every waiting reader at once; the last reader out hands the lock to the
//!   first waiting writer.
use crate::lock_futex::Mutex;
use crate::print::throw;
use crate::proc::goready;
use crate::runq::GQueue;
use crate::sync::wait_on;

#[repr(C)]
pub struct RwMutex {
    lock: Mutex,
    /// Readers holding the lock.
    readers: u32,
    /// 1 while a writer holds it.
    writer: u32,
    /// Writers on `wwait` (readers arriving now wait behind them).
    waiting_writers: u32,
    rwait: GQueue,
    wwait: GQueue,
}

const _: () = assert!(core::mem::size_of::<RwMutex>() <= 64);

/// Readies every G on `q`.
///
/// # Safety
/// The Gs on `q` are parked and the caller took them off their object's list.
unsafe fn ready_all(mut q: GQueue) {
    loop {
        let gp = q.pop();
        if gp.is_null() {
            return;
        }
        // SAFETY: the caller's guarantee.
        unsafe { goready(gp, true) };
    }
}

/// Takes a read lock, parking while a writer holds or waits for the lock.
///
/// # Safety
/// `rw` must point to a live rt_rwmutex; called on a goroutine.
#[no_mangle]
pub unsafe extern "C" fn rt_rwmutex_rlock(rw: *mut RwMutex) {
    // SAFETY: the caller's guarantee; the fields change only under rw.lock, which wait_on
    // releases once this goroutine is parked; woken, it has been counted as a reader.
    unsafe {
        let rw = &mut *rw;
        rw.lock.lock();
        if rw.writer == 0 && rw.waiting_writers == 0 {
            rw.readers += 1;
            rw.lock.unlock();
            return;
        }
        wait_on(&rw.lock, &mut rw.rwait);
    }
}

/// Drops a read lock; the last reader out hands the lock to the first waiting writer.
///
/// # Safety
/// `rw` must point to a live rt_rwmutex the caller holds a read lock on.
#[no_mangle]
pub unsafe extern "C" fn rt_rwmutex_runlock(rw: *mut RwMutex) {
    // SAFETY: the caller's guarantee; a G popped from a list is parked and ours to ready.
    unsafe {
        let rw = &mut *rw;
        rw.lock.lock();
        if rw.readers == 0 {
            rw.lock.unlock();
            throw("sync: RUnlock of unlocked RWMutex");
        }
        rw.readers -= 1;
        let mut next = core::ptr::null_mut();
        if rw.readers == 0 && rw.waiting_writers > 0 {
            next = rw.wwait.pop();
            rw.waiting_writers -= 1;
            rw.writer = 1;
        }
        rw.lock.unlock();
        if !next.is_null() {
            goready(next, true);
        }
    }
}

/// Takes the write lock, parking while readers or a writer hold it.
///
/// # Safety
/// As for `rt_rwmutex_rlock`.
#[no_mangle]
pub unsafe extern "C" fn rt_rwmutex_lock(rw: *mut RwMutex) {
    // SAFETY: as in rt_rwmutex_rlock; woken, this goroutine holds the write lock.
    unsafe {
        let rw = &mut *rw;
        rw.lock.lock();
        if rw.writer == 0 && rw.readers == 0 {
            rw.writer = 1;
            rw.lock.unlock();
            return;
        }
        rw.waiting_writers += 1;
        wait_on(&rw.lock, &mut rw.wwait);
    }
}

/// Drops the write lock: every waiting reader gets in; with none, the next writer does.
///
/// # Safety
/// `rw` must point to a live rt_rwmutex the caller holds the write lock on.
#[no_mangle]
pub unsafe extern "C" fn rt_rwmutex_unlock(rw: *mut RwMutex) {
    // SAFETY: the caller's guarantee; the Gs taken off the lists are parked and ours to ready.
    unsafe {
        let rw = &mut *rw;
        rw.lock.lock();
        if rw.writer == 0 {
            rw.lock.unlock();
            throw("sync: Unlock of unlocked RWMutex");
        }
        let readers = core::mem::take(&mut rw.rwait);
        let mut next = core::ptr::null_mut();
        if !readers.is_empty() {
            rw.writer = 0;
            rw.readers += readers.len();
        } else if rw.waiting_writers > 0 {
            next = rw.wwait.pop();
            rw.waiting_writers -= 1;
        } else {
            rw.writer = 0;
        }
        rw.lock.unlock();
        ready_all(readers);
        if !next.is_null() {
            goready(next, true);
        }
    }
}
