//! What the fuzz targets over `rtlink build` run on each input: the checks every input file
//! goes through before the linker and the internal linker (`fuzz/fuzz_targets/build_inputs.rs`), and the response-file
//! and link-line readers (`fuzz/fuzz_targets/rsp.rs`). Errors are expected and ignored; a
//! panic, a hang or an allocation the bytes do not justify is a bug. Nothing here reads or
//! writes a file.
use std::ffi::OsString;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context, Result};

use super::{check, internal, line, resolve};

/// `data` as one input file of `rtlink build`: the kind and machine check, then, as in
/// `build`, the symbol check against the runtime's definitions when the first one passed.
pub fn build_input(data: &[u8]) {
    static RUNTIME: OnceLock<resolve::Defs> = OnceLock::new();
    let path = Path::new("input.o");
    if check::input(path, data, false).is_err() {
        return;
    }
    let defs = RUNTIME.get_or_init(|| resolve::runtime_defs().expect("the embedded runtime parses"));
    if let Ok(units) = resolve::units_of(path, path, data.to_vec()) {
        let _ = resolve::check_units(defs.clone(), &units);
    }
    // And the internal linker, on what the checks let through: both layouts, no GC (so
    // every section of the input is laid out and relocated).
    for pie in [false, true] {
        let opts = internal::Options {
            pie,
            gc: false,
            strip_debug: false,
            strip_all: false,
            build_id: "sha1",
            undefined: &[],
        };
        let _ = internal::link_in_memory(data, &opts);
    }
}

/// `text` as a set of response files separated by NUL bytes, named `0`, `1`, ... in order:
/// expands `@0` and splits the result into rtlink's options and the link line. Then the
/// property the `--save-temps` response file relies on: every word, quoted as `link.rsp`
/// quotes it, reads back as itself.
pub fn response_files(text: &str) {
    let files: Vec<&str> = text.split('\0').collect();
    let mut read = |name: &str| -> Result<String> {
        let file = files.get(name.parse::<usize>()?).context("no such file")?;
        Ok(file.to_string())
    };
    if let Ok(words) = line::expand_response_files(vec![OsString::from("@0")], &mut read) {
        let _ = line::split(words);
    }
    let quoted: String = files.iter().map(|w| line::quote_word(w) + "\n").collect();
    let back = line::split_words(&quoted).expect("quoted words have no open quote");
    assert_eq!(back, files, "quoted as {quoted:?}");
}
