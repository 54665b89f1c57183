//! Futex-based runtime locks and notes (Go: lock_futex.go).
//!
//! `Mutex` states: 0 unlocked, 1 locked, 2 locked with possible sleepers. `lock` spins briefly,
//! then marks the word 2 and sleeps in FUTEX_WAIT; `unlock` wakes one sleeper only if the word
//! was 2, so an uncontended lock/unlock pair is two atomic instructions and no system call.
//!
//! `Note` is a one-shot wakeup for exactly one sleeper and one waker (an idle M parks on its
//! own note): `wakeup` sets the word before waking, and `sleep` re-checks the word after every
//! return from FUTEX_WAIT, so a wakeup that comes before the sleep is never lost. `clear`
//! re-arms it; only the sleeper clears, and only once it has been woken.
use core::sync::atomic::{AtomicU32, Ordering};

use crate::sys_linux;

const FUTEX_WAIT_PRIVATE: usize = 128;
const FUTEX_WAKE_PRIVATE: usize = 129;
const SYS_FUTEX: usize = 202;

#[repr(transparent)]
pub struct Mutex {
    key: AtomicU32,
}

impl Default for Mutex {
    fn default() -> Self {
        Self::new()
    }
}

impl Mutex {
    pub const fn new() -> Mutex {
        Mutex { key: AtomicU32::new(0) }
    }

    pub fn lock(&self) {
        if self
            .key
            .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            return;
        }
        for _ in 0..64 {
            core::hint::spin_loop();
            if self
                .key
                .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
        while self.key.swap(2, Ordering::Acquire) != 0 {
            // SAFETY: the futex word is a live AtomicU32 owned by self.
            unsafe {
                sys_linux::syscall4(SYS_FUTEX, self.key.as_ptr() as usize, FUTEX_WAIT_PRIVATE, 2, 0);
            }
        }
    }

    pub fn unlock(&self) {
        if self.key.swap(0, Ordering::Release) == 2 {
            // SAFETY: as in lock.
            unsafe {
                sys_linux::syscall4(SYS_FUTEX, self.key.as_ptr() as usize, FUTEX_WAKE_PRIVATE, 1, 0);
            }
        }
    }
}

/// A one-shot wakeup (Go: note).
#[repr(transparent)]
pub struct Note {
    key: AtomicU32,
}

impl Default for Note {
    fn default() -> Self {
        Self::new()
    }
}

impl Note {
    pub const fn new() -> Note {
        Note { key: AtomicU32::new(0) }
    }

    pub fn clear(&self) {
        self.key.store(0, Ordering::Relaxed);
    }

    pub fn wakeup(&self) {
        if self.key.swap(1, Ordering::Release) != 0 {
            crate::print::throw("notewakeup - double wakeup");
        }
        // SAFETY: the futex word is a live AtomicU32 owned by self.
        unsafe {
            sys_linux::syscall4(SYS_FUTEX, self.key.as_ptr() as usize, FUTEX_WAKE_PRIVATE, 1, 0);
        }
    }

    /// Sleeps until woken or until `ns` nanoseconds have passed; returns whether it was woken.
    pub fn sleep_for(&self, ns: i64) -> bool {
        if self.key.load(Ordering::Acquire) == 0 && ns > 0 {
            let ts = [ns / 1_000_000_000, ns % 1_000_000_000];
            // SAFETY: as in wakeup; ts is a valid relative timespec.
            unsafe {
                sys_linux::syscall4(
                    SYS_FUTEX,
                    self.key.as_ptr() as usize,
                    FUTEX_WAIT_PRIVATE,
                    0,
                    ts.as_ptr() as usize,
                );
            }
        }
        self.key.load(Ordering::Acquire) != 0
    }

    pub fn sleep(&self) {
        while self.key.load(Ordering::Acquire) == 0 {
            // SAFETY: as in wakeup; FUTEX_WAIT returns at once if the word is no longer 0.
            unsafe {
                sys_linux::syscall4(SYS_FUTEX, self.key.as_ptr() as usize, FUTEX_WAIT_PRIVATE, 0, 0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contended_counter() {
        static M: Mutex = Mutex::new();
        static mut N: u64 = 0;
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    for _ in 0..10_000 {
                        M.lock();
                        // SAFETY: N is only touched while M is held.
                        unsafe { N += 1 };
                        M.unlock();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        M.lock();
        // SAFETY: M is held.
        assert_eq!(unsafe { N }, 40_000);
        M.unlock();
    }

    #[test]
    fn a_note_wakes_its_sleeper_whichever_comes_first() {
        for early in [false, true] {
            static N: Note = Note::new();
            N.clear();
            if early {
                N.wakeup();
            }
            let waker = std::thread::spawn(move || {
                if !early {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    N.wakeup();
                }
            });
            N.sleep();
            waker.join().unwrap();
        }
    }
}
