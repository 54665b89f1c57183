//! The readelf-compatible views: `-h`, `-S`, `-l`, `-s`, `-n`, printed exactly as GNU readelf
//! 2.40 prints them with `-W`, in readelf's order whatever order they were asked in, with
//! readelf's small interplays (no file-type intro under `-l` and no section count under `-S`
//! when `-h` already showed them).
mod header;
mod names;
mod notes;
mod sections;
mod segments;
mod symtab;

use std::io::{self, Write};

use serde_json::{Map, Value};

use super::image::Image;

/// Which views were asked for.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Views {
    pub header: bool,
    pub sections: bool,
    pub segments: bool,
    pub symbols: bool,
    pub notes: bool,
}

impl Views {
    pub fn any(&self) -> bool {
        *self != Views::default()
    }
}

pub fn write(img: &Image, v: Views, out: &mut dyn Write) -> io::Result<()> {
    if v.header {
        header::write(img, out)?;
    }
    if v.sections {
        sections::write(img, out, v.header)?;
    }
    if v.segments {
        segments::write(img, out, v.header)?;
    }
    if v.symbols {
        symtab::write(img, out)?;
    }
    if v.notes {
        notes::write(img, out)?;
    }
    Ok(())
}

/// The views as llvm-readobj-style JSON keys.
pub fn json(img: &Image, v: Views) -> Map<String, Value> {
    let mut m = Map::new();
    if v.header {
        m.insert("ElfHeader".into(), header::json(img));
    }
    if v.sections {
        m.insert("Sections".into(), sections::json(img));
    }
    if v.segments {
        m.insert("ProgramHeaders".into(), segments::json(img));
    }
    if v.symbols {
        m.insert("Symbols".into(), symtab::json(img));
    }
    if v.notes {
        m.insert("Notes".into(), notes::json(img));
    }
    m
}
