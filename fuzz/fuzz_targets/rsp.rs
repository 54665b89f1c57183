//! Fuzz target: response files (`@FILE`, GNU quoting, nested; the input is the files, NUL
//! separated) and the link-line split must return an answer or an error, never panic or blow
//! up, and quoting for `link.rsp` must read back as the same words. Non-UTF-8 inputs are
//! skipped: response files are read as UTF-8 text. Run: bash scripts/fuzz.sh [SECONDS].
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        rtlink::link::fuzz::response_files(text);
    }
});
