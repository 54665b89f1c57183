//! A `#![no_std]` Rust object (built as samples/rust_nostd.rs is: `--crate-type lib --emit obj
//! -C panic=abort -C opt-level=2 -C relocation-model=static`) with statics of its own (a
//! table, a table of references, a string, a mutable counter) and functions called from C
//! (rust_main.c). It calls back into C for output. Nothing in it can panic, so the object needs
//! nothing from libcore.
#![no_std]

use core::sync::atomic::{AtomicU64, Ordering};

extern "C" {
    fn rt_write(fd: i32, buf: *const u8, n: usize) -> isize;
    fn rt_exit(code: i32) -> !;
    fn c_scale() -> u64;
}

static PRIMES: [u64; 8] = [2, 3, 5, 7, 11, 13, 17, 19];
static PICKS: [&u64; 3] = [&PRIMES[1], &PRIMES[4], &PRIMES[7]];
static GREETING: &str = "rust statics ok\n";
static CALLS: AtomicU64 = AtomicU64::new(100);

/// The sum of the first `n` primes chosen through `PICKS` times C's scale, counting the call.
/// `n` comes from C, so the tables are read at run time, not folded into constants.
#[no_mangle]
pub extern "C" fn rust_weighted_sum(n: usize) -> u64 {
    CALLS.fetch_add(1, Ordering::Relaxed);
    // SAFETY: c_scale is a plain C function without arguments.
    let scale = unsafe { c_scale() };
    // black_box: read the table of references from memory (R_X86_64_64 relocations), as the
    // compiler would otherwise fold it.
    let picks: &[&u64; 3] = core::hint::black_box(&PICKS);
    picks.iter().take(n).map(|p| **p).sum::<u64>() * scale
}

/// The `i`th prime, 0 past the table.
#[no_mangle]
pub extern "C" fn rust_prime(i: usize) -> u64 {
    PRIMES.get(i).copied().unwrap_or(0)
}

/// Calls so far (starting from 100).
#[no_mangle]
pub extern "C" fn rust_calls() -> u64 {
    CALLS.load(Ordering::Relaxed)
}

/// Writes the first `n` bytes of GREETING (at most all of it) to stdout.
#[no_mangle]
pub extern "C" fn rust_greet(n: usize) {
    let bytes = GREETING.as_bytes();
    let part = bytes.get(..n).unwrap_or(bytes);
    // SAFETY: part is a live slice; rt_write only reads it.
    unsafe { rt_write(1, part.as_ptr(), part.len()) };
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // SAFETY: ends the process; nothing returns.
    unsafe { rt_exit(101) }
}
