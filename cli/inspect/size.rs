//! `rtlink inspect --size FILE`: where the bytes go, by section and by owner (runtime, user,
//! library), like bloaty's summary.
//!
//! A section's bytes are attributed through the sized symbols defined in it: each address
//! range counts once (aliases such as a symbol and its weak twin share one range), to the owner
//! of the first symbol that starts there. What no symbol covers (alignment padding, string
//! literals, unwind tables) is "unattributed". File bytes outside every section are the ELF
//! and program headers and the section header table.
use std::collections::BTreeMap;
use std::io::{self, Write};

use goblin::elf::section_header::{SHF_ALLOC, SHT_NOBITS};
use serde_json::{json, Value};

use super::bootstrap::Layout;
use super::image::Image;
use super::owner::{self, Owner};
use super::symbols::Symbol;

pub struct Row {
    pub name: String,
    pub file: u64,
    pub memory: u64,
    pub owners: BTreeMap<Owner, u64>,
}

impl Row {
    fn unattributed(&self) -> u64 {
        self.memory.saturating_sub(total(self.owners.values().copied()))
    }
}

/// A sum that saturates: a damaged file's sizes may add up past u64.
fn total(values: impl Iterator<Item = u64>) -> u64 {
    values.fold(0, u64::saturating_add)
}

pub struct Sizes {
    pub rows: Vec<Row>,
    pub file_size: u64,
}

impl Sizes {
    pub fn new(img: &Image, syms: &[Symbol], layout: Option<&Layout>) -> Self {
        let rows = (1..img.shdrs.len())
            .map(|i| {
                let sh = &img.shdrs[i];
                let alloc = sh.sh_flags & u64::from(SHF_ALLOC) != 0;
                let in_file = if sh.sh_type == SHT_NOBITS { 0 } else { sh.sh_size };
                let mut owners = BTreeMap::new();
                let mut covered_to = 0;
                let mut mine: Vec<&Symbol> = syms.iter().filter(|s| s.shndx == i && s.size > 0).collect();
                mine.sort_by_key(|s| s.value);
                for s in mine {
                    let start = s.value.max(covered_to);
                    let end = s.value.saturating_add(s.size);
                    if alloc && end > start {
                        let bytes = owners.entry(owner::of(layout, s)).or_insert(0u64);
                        *bytes = bytes.saturating_add(end - start);
                        covered_to = end;
                    }
                }
                Row {
                    name: img.section_name(i).to_string(),
                    file: in_file,
                    memory: if alloc { sh.sh_size } else { 0 },
                    owners,
                }
            })
            .collect();
        Sizes {
            rows,
            file_size: img.data.len() as u64,
        }
    }

    fn owners(&self) -> Vec<Owner> {
        let mut all: Vec<Owner> = self.rows.iter().flat_map(|r| r.owners.keys().copied()).collect();
        all.sort();
        all.dedup();
        all
    }

    fn headers(&self) -> u64 {
        self.file_size.saturating_sub(total(self.rows.iter().map(|r| r.file)))
    }

    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        let owners = self.owners();
        let headers = Row {
            name: "[ELF headers, tables]".into(),
            file: self.headers(),
            memory: 0,
            owners: BTreeMap::new(),
        };
        let total = Row {
            name: "total".into(),
            file: self.file_size,
            memory: total(self.rows.iter().map(|r| r.memory)),
            owners: (owners.iter())
                .map(|o| (*o, total(self.rows.iter().filter_map(|r| r.owners.get(o).copied()))))
                .collect(),
        };
        write!(out, "{:<24}{:>12}{:>12}", "section", "file", "memory")?;
        for o in &owners {
            write!(out, "{:>12}", o.name())?;
        }
        writeln!(out, "{:>14}", "unattributed")?;
        for r in self.rows.iter().chain([&headers, &total]) {
            write!(out, "{:<24}{:>12}{:>12}", r.name, r.file, r.memory)?;
            for o in &owners {
                write!(out, "{:>12}", r.owners.get(o).copied().unwrap_or(0))?;
            }
            writeln!(out, "{:>14}", r.unattributed())?;
        }
        writeln!(out)?;
        for (o, bytes) in &total.owners {
            let share = 100.0 * *bytes as f64 / total.memory.max(1) as f64;
            writeln!(out, "{:<13}{bytes:>10} bytes  {share:5.1}% of loaded memory", o.name())?;
        }
        Ok(())
    }

    pub fn to_json(&self) -> Value {
        let rows: Vec<Value> = (self.rows.iter())
            .map(|r| {
                let owners: BTreeMap<&str, u64> = r.owners.iter().map(|(o, b)| (o.name(), *b)).collect();
                json!({ "Name": r.name, "File": r.file, "Memory": r.memory, "Owners": owners, "Unattributed": r.unattributed() })
            })
            .collect();
        json!({ "FileSize": self.file_size, "Headers": self.headers(), "Sections": rows })
    }
}
