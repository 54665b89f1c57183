//! The members of an `ar` archive, shared by `build` (which checks them) and `inspect` (which
//! shows them). Members come back in archive order, duplicates included, each with its bytes
//! borrowed from the archive; the symbol index and name tables are not members.
use std::path::Path;

use anyhow::{Context, Result};
use object::read::archive::ArchiveFile;

/// Whether `data` starts like an archive (GNU or BSD `ar`, or a thin archive).
pub fn is_archive(data: &[u8]) -> bool {
    data.starts_with(b"!<arch>\n") || data.starts_with(b"!<thin>\n")
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
