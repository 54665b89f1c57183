//! Writing outputs without ever leaving a half-written file in place.
//!
//! A `Pending` output is a temporary file in the destination's own directory (so the final
//! rename is atomic and never crosses file systems); `commit` renames it over the destination.
//! Dropped without `commit` (any error), the temporary file is removed and the destination is
//! exactly as it was.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tempfile::TempPath;

pub struct Pending {
    temp: TempPath,
    dest: PathBuf,
}

impl Pending {
    pub fn new(dest: &Path) -> Result<Pending> {
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".rtlink-")
            .tempfile_in(dir)
            .with_context(|| format!("{}: cannot create a file in {}", dest.display(), dir.display()))?
            .into_temp_path();
        Ok(Pending {
            temp,
            dest: dest.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.temp
    }

    pub fn commit(self) -> Result<()> {
        self.temp
            .persist(&self.dest)
            .with_context(|| format!("{}: cannot write", self.dest.display()))?;
        Ok(())
    }
}

/// Writes `data` to `dest` atomically.
pub fn write_atomically(dest: &Path, data: &[u8]) -> Result<()> {
    let out = Pending::new(dest)?;
    std::fs::write(out.path(), data).with_context(|| format!("{}: cannot write", dest.display()))?;
    out.commit()
}
