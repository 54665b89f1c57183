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

/// FUTEX_WAIT (sleep while `key` holds `val`, at most `timeout`) or FUTEX_WAKE (`val`
/// sleepers) on `key`. Spurious returns are the callers' to handle: each re-checks its word.
#[inline(always)]
fn futex(key: &AtomicU32, op: usize, val: u32, timeout: Option<&[i64; 2]>) {
    let ts = timeout.map_or(0, |t| t.as_ptr() as usize);
    // SAFETY: the futex word is a live AtomicU32 and `ts` is null or a valid relative timespec;
    // FUTEX_WAIT/WAKE read nothing else and write nothing.
    unsafe { sys_linux::syscall4(sys_linux::SYS_FUTEX, key.as_ptr() as usize, op, val as usize, ts) };
}

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
            futex(&self.key, FUTEX_WAIT_PRIVATE, 2, None);
        }
    }

    pub fn unlock(&self) {
        if self.key.swap(0, Ordering::Release) == 2 {
            futex(&self.key, FUTEX_WAKE_PRIVATE, 1, None);
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
        futex(&self.key, FUTEX_WAKE_PRIVATE, 1, None);
    }

    /// Sleeps until woken or until `ns` nanoseconds have passed; returns whether it was woken.
    pub fn sleep_for(&self, ns: i64) -> bool {
        if self.key.load(Ordering::Acquire) == 0 && ns > 0 {
            let ts = [ns / 1_000_000_000, ns % 1_000_000_000];
            futex(&self.key, FUTEX_WAIT_PRIVATE, 0, Some(&ts));
        }
        self.key.load(Ordering::Acquire) != 0
    }

    pub fn sleep(&self) {
        while self.key.load(Ordering::Acquire) == 0 {
            futex(&self.key, FUTEX_WAIT_PRIVATE, 0, None);
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
