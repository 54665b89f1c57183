//! Fuzz target: the checks `rtlink build` runs on each input file's bytes (ELF64 x86-64
//! relocatable or archive of them, then the symbol check against the runtime) must return an
//! answer or an error, never panic. Run: bash scripts/fuzz.sh [SECONDS].
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rtlink::link::fuzz::build_input(data);
});
