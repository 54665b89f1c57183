//! Writing outputs without ever leaving a half-written file in place.
//!
//! A `Pending` output is a temporary file in the destination's own directory (so the final
//! rename is atomic and never crosses file systems); `commit` renames it over the destination.
//! Dropped without `commit` (any error), the temporary file is removed and the destination is
//! exactly as it was. The temporary file is created with the mode the final file should have
//! (0777 for programs, 0666 for data, less the umask, as cc and ld leave them), since a rename
//! keeps it.
use std::fs::Permissions;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tempfile::TempPath;

pub struct Pending {
    temp: TempPath,
    dest: PathBuf,
}

impl Pending {
    /// A program's output: executable, like ld's.
    pub fn program(dest: &Path) -> Result<Pending> {
        Pending::new(dest, 0o777)
    }

    fn new(dest: &Path, mode: u32) -> Result<Pending> {
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".rtlink-")
            .permissions(Permissions::from_mode(mode))
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
    let out = Pending::new(dest, 0o666)?;
    std::fs::write(out.path(), data).with_context(|| format!("{}: cannot write", dest.display()))?;
    out.commit()
}
