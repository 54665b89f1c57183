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
//!
//! `Doze` is a timed sleep another thread may cut short, costing the waker a system call only
//! while someone actually dozes (sysmon's).
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

/// A timed sleep that one other thread may cut short (sysmon's doze, Go: sysmonwait and
/// sysmonnote): the key is 1 only while the sleeper dozes, so `wake` costs a system call only
/// then, and a wake that comes before the FUTEX_WAIT makes it return at once (the key is no
/// longer 1).
#[repr(transparent)]
pub struct Doze {
    key: AtomicU32,
}

impl Default for Doze {
    fn default() -> Self {
        Self::new()
    }
}

impl Doze {
    pub const fn new() -> Doze {
        Doze { key: AtomicU32::new(0) }
    }

    /// Sleeps for `ns` nanoseconds, or until `wake`; returns whether it was woken. Only one
    /// thread may doze on a Doze.
    pub fn sleep_for(&self, ns: i64) -> bool {
        self.key.store(1, Ordering::SeqCst);
        let ts = [ns / 1_000_000_000, ns % 1_000_000_000];
        futex(&self.key, FUTEX_WAIT_PRIVATE, 1, Some(&ts));
        self.key.swap(0, Ordering::Relaxed) == 0
    }

    /// Ends the current doze, if there is one.
    #[inline(always)]
    pub fn wake(&self) {
        if self.key.load(Ordering::Relaxed) != 0 && self.key.swap(0, Ordering::SeqCst) == 1 {
            futex(&self.key, FUTEX_WAKE_PRIVATE, 1, None);
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
    fn a_doze_ends_early_when_woken_and_on_time_when_not() {
        static D: Doze = Doze::new();
        let t = std::time::Instant::now();
        assert!(!D.sleep_for(20_000_000));
        assert!(t.elapsed() >= std::time::Duration::from_millis(20));
        let waker = std::thread::spawn(|| {
            while D.key.load(Ordering::SeqCst) == 0 {
                std::hint::spin_loop();
            }
            D.wake();
        });
        let t = std::time::Instant::now();
        assert!(D.sleep_for(10_000_000_000));
        waker.join().unwrap();
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
        D.wake();
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
