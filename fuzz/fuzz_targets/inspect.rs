//! Fuzz target: every `rtlink inspect` view over arbitrary bytes must return, never panic.
//! Run: bash scripts/fuzz.sh [SECONDS] (cargo-fuzz on stable with `-s none`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rtlink::inspect::fuzz::run_all(data);
});
