//! `Global<T>`: a mutable global with an address, for runtime state shared with asm and C.
//!
//! The runtime, like Go's, keeps its state in globals (g0, m0, the scheduler). During the
//! bootstrap and while only m0 exists, exactly one thread runs runtime code, and the runtime
//! never holds a reference across a context switch; fields that other threads will read later
//! are atomics. `get` hands out a raw pointer so callers decide, at each use, which of those
//! invariants makes the access sound.
use core::cell::UnsafeCell;

#[repr(transparent)]
pub struct Global<T>(UnsafeCell<T>);

// SAFETY: access is coordinated by the runtime's own rules described above (one bootstrap
// thread; atomics for cross-thread fields); `Global` only provides the address.
unsafe impl<T> Sync for Global<T> {}

impl<T> Global<T> {
    pub const fn new(v: T) -> Self {
        Global(UnsafeCell::new(v))
    }

    #[inline(always)]
    pub const fn get(&self) -> *mut T {
        self.0.get()
    }
}
