//! rtlink's cache directory: the embedded files (runtime object, linker script, header, level
//! objects) written once per content, where compilers and linkers can read them.
//!
//! The directory is `$XDG_CACHE_HOME` (or `~/.cache`) `/rtlink-<version>-<content hash>`, the
//! hash computed at build time over everything embedded, so two rtlink builds never share a
//! directory unless their files are identical. A file is written atomically (temporary file,
//! then rename) the first time it is needed and trusted afterwards when its size matches, so
//! concurrent builds in a Makefile see either no file or a whole one.
use std::path::PathBuf;

use anyhow::{anyhow, bail, Result};

use crate::link::output;

/// The cache directory for this rtlink's embedded files (not created here).
pub fn dir() -> Result<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
            Some(h) => PathBuf::from(h).join(".cache"),
            None => bail!("neither XDG_CACHE_HOME nor HOME is set, so rtlink has no cache directory"),
        },
    };
    Ok(base.join(format!(
        "rtlink-{}-{}",
        env!("CARGO_PKG_VERSION"),
        env!("RTLINK_CONTENT_HASH")
    )))
}

/// `relative` inside the cache directory, holding `bytes`; written if it is missing or has
/// another size.
pub fn file(relative: &str, bytes: &[u8]) -> Result<PathBuf> {
    let path = dir()?.join(relative);
    if std::fs::metadata(&path).is_ok_and(|m| m.len() == bytes.len() as u64) {
        return Ok(path);
    }
    let parent = path
        .parent()
        .ok_or_else(|| anyhow!("{}: no parent directory", path.display()))?;
    std::fs::create_dir_all(parent).map_err(|e| anyhow!("{}: cannot create: {e}", parent.display()))?;
    output::write_atomically(&path, bytes)?;
    Ok(path)
}
