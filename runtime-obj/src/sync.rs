//! The C API's blocking synchronisation (Go: sync.WaitGroup, sync.Mutex and sync.Once over
//! sema.go's parking): `rt_waitgroup`, `rt_mutex` and `rt_once` (`rt_rwmutex` is in
//! rwmutex.rs). Blocking parks the goroutine (gopark), never the thread, so the M runs other
//! goroutines meanwhile.
//!
//! Invariants:
//! - Each object is 32 bytes of C storage, valid when zeroed (`= {0}` or static storage), and
//!   the same layout as the `repr(C)` structs here (rtlink.h's typedefs).
//! - A waiting goroutine is on exactly one object's FIFO list (`runq::GQueue`, through
//!   `G.schedlink`), put there under the object's lock, and that lock is released only after the goroutine's
//!   context is saved (gopark's unlock callback): a waker that takes it off the list always
//!   finds it parked.
//! - `rt_once` is done when `done` is 1 (stored with release after the function returned, read
//!   with acquire): the fast path is one load; callers that come while the function runs wait
//!   on the once's own `rt_mutex`.
//! - `rt_mutex` hands the lock over: unlock with waiters keeps it locked and readies the first
//!   waiter, which returns from `rt_mutex_lock` owning it (FIFO, no starvation).
use core::sync::atomic::AtomicU32;
use core::sync::atomic::Ordering::{Acquire, Release};

use crate::lock_futex::Mutex;
use crate::print::throw;
use crate::proc::{gopark, goready};
use crate::runq::GQueue;
use crate::tls::getg;

#[repr(C)]
pub struct WaitGroup {
    lock: Mutex,
    /// Go's WaitGroup counter is 32 bits too.
    count: i32,
    waiters: GQueue,
}

#[repr(C)]
pub struct RtMutex {
    lock: Mutex,
    locked: u32,
    waiters: GQueue,
}

#[repr(C)]
pub struct Once {
    done: AtomicU32,
    m: RtMutex,
}

const _: () = assert!(core::mem::size_of::<WaitGroup>() == 32 && core::mem::size_of::<RtMutex>() == 32);
const _: () = assert!(core::mem::size_of::<Once>() <= 48);

/// Queues the current goroutine on `waiters` and parks it; `lock`, held by the caller and
/// guarding the list, is released once the goroutine is parked.
///
/// # Safety
/// `lock` is held; called on a goroutine.
pub unsafe fn wait_on(lock: &Mutex, waiters: &mut GQueue) {
    let gp = getg();
    // SAFETY: the caller's guarantee; the current goroutine is in no other list.
    unsafe { waiters.push_batch(gp, gp, 1) };
    gopark(unlock_mutex, lock as *const Mutex as usize);
}

extern "C" fn unlock_mutex(lock: usize) {
    // SAFETY: gopark passes back the address of the Mutex the parking goroutine holds.
    unsafe { (*(lock as *const Mutex)).unlock() }
}

/// Adds `delta` to the counter; at zero every waiter is readied.
///
/// # Safety
/// `wg` must point to a live rt_waitgroup.
#[no_mangle]
pub unsafe extern "C" fn rt_waitgroup_add(wg: *mut WaitGroup, delta: i64) {
    // SAFETY: the caller's guarantee; the fields are touched only under wg.lock.
    unsafe {
        let wg = &mut *wg;
        wg.lock.lock();
        let count = i64::from(wg.count) + delta;
        if count < 0 {
            throw("sync: negative WaitGroup counter");
        }
        wg.count = i32::try_from(count).unwrap_or_else(|_| throw("sync: WaitGroup counter overflow"));
        let mut ready = GQueue::new();
        if count == 0 {
            ready = core::mem::take(&mut wg.waiters);
        }
        wg.lock.unlock();
        loop {
            let gp = ready.pop();
            if gp.is_null() {
                break;
            }
            goready(gp, true);
        }
    }
}

/// # Safety
/// As for `rt_waitgroup_add`.
#[no_mangle]
pub unsafe extern "C" fn rt_waitgroup_done(wg: *mut WaitGroup) {
    // SAFETY: forwarded.
    unsafe { rt_waitgroup_add(wg, -1) }
}

/// Blocks the calling goroutine until the counter is zero.
///
/// # Safety
/// As for `rt_waitgroup_add`; called on a goroutine.
#[no_mangle]
pub unsafe extern "C" fn rt_waitgroup_wait(wg: *mut WaitGroup) {
    // SAFETY: the caller's guarantee; the list is changed under wg.lock, which park_m releases
    // once this goroutine is parked.
    unsafe {
        let wg = &mut *wg;
        wg.lock.lock();
        if wg.count == 0 {
            wg.lock.unlock();
            return;
        }
        wait_on(&wg.lock, &mut wg.waiters);
    }
}

/// Locks the mutex, parking while another goroutine holds it.
///
/// # Safety
/// `m` must point to a live rt_mutex; called on a goroutine.
#[no_mangle]
pub unsafe extern "C" fn rt_mutex_lock(m: *mut RtMutex) {
    // SAFETY: the caller's guarantee; the fields are touched only under m.lock, which park_m
    // releases once this goroutine is parked. Woken, it owns the mutex (handed over).
    unsafe {
        let m = &mut *m;
        m.lock.lock();
        if m.locked == 0 {
            m.locked = 1;
            m.lock.unlock();
            return;
        }
        wait_on(&m.lock, &mut m.waiters);
    }
}

/// Unlocks the mutex, handing it to the longest waiter if there is one.
///
/// # Safety
/// `m` must point to a live rt_mutex that is locked.
#[no_mangle]
pub unsafe extern "C" fn rt_mutex_unlock(m: *mut RtMutex) {
    // SAFETY: the caller's guarantee; a G popped from the list is parked, and ours to ready.
    unsafe {
        let m = &mut *m;
        m.lock.lock();
        if m.locked == 0 {
            m.lock.unlock();
            throw("sync: unlock of unlocked mutex");
        }
        let next = m.waiters.pop();
        if next.is_null() {
            m.locked = 0;
        }
        m.lock.unlock();
        if !next.is_null() {
            goready(next, true);
        }
    }
}

/// Calls `f(arg)` if no call through this once has yet; every caller returns only after that
/// one call has returned.
///
/// # Safety
/// `o` must point to a live rt_once; called on a goroutine; `f` must not use the same once.
#[no_mangle]
pub unsafe extern "C" fn rt_once_do(o: *mut Once, f: extern "C" fn(*mut u8), arg: *mut u8) {
    // SAFETY: the caller's guarantee; `done` is set only under the once's mutex, after f.
    unsafe {
        if (*o).done.load(Acquire) != 0 {
            return;
        }
        rt_mutex_lock(&mut (*o).m);
        if (*o).done.load(Acquire) == 0 {
            f(arg);
            (*o).done.store(1, Release);
        }
        rt_mutex_unlock(&mut (*o).m);
    }
}
