//! Writing outputs without ever leaving a half-written file in place.
//!
//! A `Pending` output is a temporary file in the destination's own directory (so the final
//! rename is atomic and never crosses file systems); `commit` renames it over the destination.
//! Dropped without `commit` (any error), the temporary file is removed and the destination is
//! exactly as it was. The temporary file is created with the mode the final file should have
//! (0777 for programs, 0666 for data, less the umask, as cc and ld leave them), since a rename
//! keeps it.
//!
//! A destination that is a directory, or whose directory is missing or not writable, is
//! refused when the `Pending` is made, with a message naming the destination and saying what
//! to do, and never the temporary file's name.
use std::fs::Permissions;
use std::io::ErrorKind;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
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
        let name = dest.display();
        if dest.is_dir() {
            bail!("{name}: is a directory; give the path of the file to write (such as {name}/app)");
        }
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(".rtlink-")
            .permissions(Permissions::from_mode(mode))
            .tempfile_in(dir)
            .map_err(|e| cannot_create(dest, dir, e.kind()))?
            .into_temp_path();
        Ok(Pending {
            temp,
            dest: dest.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.temp
    }

    pub fn dest(&self) -> &Path {
        &self.dest
    }

    pub fn commit(self) -> Result<()> {
        self.temp
            .persist(&self.dest)
            .with_context(|| format!("{}: cannot write", self.dest.display()))?;
        Ok(())
    }
}

/// Why no file can be made in `dir`, for the destination `dest`.
fn cannot_create(dest: &Path, dir: &Path, kind: ErrorKind) -> anyhow::Error {
    let (dest, dir) = (dest.display(), dir.display());
    let why = match kind {
        ErrorKind::NotFound => format!("directory {dir} does not exist (create it first)"),
        ErrorKind::NotADirectory => format!("{dir} is not a directory"),
        ErrorKind::PermissionDenied => {
            format!("no permission to create files in {dir} (make it writable, or write somewhere else)")
        }
        ErrorKind::ReadOnlyFilesystem => format!("{dir} is on a read-only file system (write somewhere else)"),
        other => format!("cannot create a file in {dir}: {}", std::io::Error::from(other)),
    };
    anyhow::anyhow!("{dest}: cannot write: {why}")
}

/// Refuses an output that is one of the inputs (the same file, by any name), before anything
/// is written: linking would replace the input with the program.
pub fn not_an_input(dest: &Path, inputs: &[PathBuf]) -> Result<()> {
    let Ok(out) = std::fs::metadata(dest) else {
        return Ok(());
    };
    let same = |i: &&PathBuf| std::fs::metadata(i).is_ok_and(|m| (m.dev(), m.ino()) == (out.dev(), out.ino()));
    if let Some(input) = inputs.iter().find(same) {
        bail!(
            "{}: -o names the input {}; linking would overwrite it, so give the output another name",
            dest.display(),
            input.display()
        );
    }
    Ok(())
}

/// Writes `data` to `dest` atomically.
pub fn write_atomically(dest: &Path, data: &[u8]) -> Result<()> {
    let out = Pending::new(dest, 0o666)?;
    std::fs::write(out.path(), data).with_context(|| format!("{}: cannot write", dest.display()))?;
    out.commit()
}
