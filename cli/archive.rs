//! The members of an `ar` archive, shared by `build` (which checks them) and `inspect` (which
//! shows them). Members come back in archive order, duplicates included, each with its bytes
//! borrowed from the archive; the symbol index and name tables are not members, and
//! `has_index` says whether there is an index.
use std::path::Path;

use anyhow::{Context, Result};
use object::read::archive::ArchiveFile;

/// Whether `data` starts like an archive (GNU or BSD `ar`, or a thin archive).
pub fn is_archive(data: &[u8]) -> bool {
    data.starts_with(b"!<arch>\n") || data.starts_with(b"!<thin>\n")
}

/// Whether the archive has a symbol index (even an empty one), which GNU ld and gold need to
/// pick its members (`ar rcs` writes it, `ar rcS` does not, `ranlib` adds it).
pub fn has_index(data: &[u8]) -> bool {
    ArchiveFile::parse(data).is_ok_and(|ar| matches!(ar.symbols(), Ok(Some(_))))
}

/// `(member name, member bytes)` for every member of the archive at `path`.
pub fn members<'a>(path: &Path, data: &'a [u8]) -> Result<Vec<(String, &'a [u8])>> {
    let name = path.display();
    let ar = ArchiveFile::parse(data).with_context(|| format!("{name}: malformed archive"))?;
    ar.members()
        .map(|member| {
            let member = member.with_context(|| format!("{name}: malformed archive member"))?;
            let mname = String::from_utf8_lossy(member.name()).into_owned();
            let mdata = member
                .data(data)
                .with_context(|| format!("{name}({mname}): cannot read member"))?;
            Ok((mname, mdata))
        })
        .collect()
}
