//! Source locations from DWARF, through gimli and addr2line: the file:line of an address and
//! the chain of inlined calls there.
//!
//! DWARF sections are read in place from the (mapped) file; only SHF_COMPRESSED ones (Go
//! compresses its DWARF with zlib) are inflated, into an `Inflated` the caller owns, with the
//! inflated size capped by what the compressed bytes can justify. A file without `.debug_info` simply has no source locations;
//! DWARF that gimli rejects, zstd-compressed DWARF and the unrelocated DWARF of an object file
//! are errors with a reason, never a panic.
//!
//! addr2line looks an address up as the range [addr, addr + 1), which overflows for u64::MAX;
//! no code can start there, so that address has no location and no frames without asking it.
use std::cell::OnceCell;
use std::path::Path;

use addr2line::Context;
use gimli::{EndianSlice, RunTimeEndian, SectionId};
use goblin::elf::header::ET_REL;
use goblin::elf::section_header::SHF_COMPRESSED;

use super::image::Image;

type Reader<'a> = EndianSlice<'a, RunTimeEndian>;

/// One frame at an address, innermost first: the function and the source position in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub function: Option<String>,
    /// Whether BFD would take `function` as the name to show: a mangled linkage name, or a
    /// plain name in a language that does not mangle (C, assembly, Fortran, ...).
    pub final_name: bool,
    pub file: Option<String>,
    pub line: Option<u32>,
}

pub struct Debug<'a> {
    /// The DWARF sections (compressed ones already inflated), by name.
    sections: Vec<(&'static str, &'a [u8])>,
    endian: RunTimeEndian,
    dwarf: gimli::Dwarf<Reader<'a>>,
    /// addr2line's context, built on first use: building it walks every unit, which the
    /// summary's one lookup through .debug_aranges does not need.
    ctx: OnceCell<Result<Context<Reader<'a>>, String>>,
}

/// The compressed DWARF sections of a file, inflated: (section name, contents).
#[derive(Default)]
pub struct Inflated(Vec<(String, Vec<u8>)>);

impl Inflated {
    /// Section contents supplied by the caller (an object file's DWARF with its relocations
    /// applied), used in place of the file's own.
    pub fn from_sections(sections: Vec<(String, Vec<u8>)>) -> Self {
        Inflated(sections)
    }

    /// Inflates every compressed `.debug_*` section of `img`.
    pub fn new(img: &Image) -> Result<Self, String> {
        let compressed = (1..img.shdrs.len())
            .filter(|&i| img.shdrs[i].sh_flags & u64::from(SHF_COMPRESSED) != 0)
            .map(|i| img.section_name(i))
            .filter(|n| n.starts_with(".debug_"));
        compressed
            .map(|n| Ok((n.to_string(), inflate(img, n)?)))
            .collect::<Result<_, String>>()
            .map(Inflated)
    }
}

/// A compressed section's contents, inflated.
fn inflate(img: &Image, name: &str) -> Result<Vec<u8>, String> {
    let Some((_, data)) = img.section_by_name(name) else {
        return Ok(Vec::new());
    };
    // Elf64_Chdr { type u32, reserved u32, size u64, addralign u64 } or Elf32_Chdr (3 x u32).
    let word = |off: usize, len: usize| -> Option<u64> {
        let b = data.get(off..off + len)?;
        let mut w = [0u8; 8];
        w[..len].copy_from_slice(b);
        Some(if img.ctx.le.is_little() {
            u64::from_le_bytes(w)
        } else {
            u64::from_be_bytes(w) >> (64 - 8 * len)
        })
    };
    let (kind, size, header) = if img.is_64 {
        (word(0, 4), word(8, 8), 24)
    } else {
        (word(0, 4), word(4, 4), 12)
    };
    let (Some(kind), Some(size)) = (kind, size) else {
        return Err(format!("{name}: truncated compression header"));
    };
    if kind != 1 {
        return Err(format!("{name}: compression type {kind} is not supported (only zlib)"));
    }
    let packed = &data[header.min(data.len())..];
    let limit = usize::try_from(size)
        .unwrap_or(usize::MAX)
        .min(packed.len().saturating_mul(1100));
    miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(packed, limit)
        .map_err(|e| format!("{name}: cannot inflate: {e:?}"))
}

/// The languages whose DWARF names BFD takes as final (its `mangle_style` is 0 for them).
fn unmangled(lang: gimli::DwLang) -> bool {
    use gimli::constants::*;
    [
        DW_LANG_C89,
        DW_LANG_C,
        DW_LANG_C99,
        DW_LANG_C11,
        DW_LANG_Cobol74,
        DW_LANG_Cobol85,
        DW_LANG_Fortran77,
        DW_LANG_Pascal83,
        DW_LANG_PLI,
        DW_LANG_UPC,
        DW_LANG_Mips_Assembler,
    ]
    .contains(&lang)
}

impl<'a> Debug<'a> {
    /// The file's DWARF, reading compressed sections from `inflated`: Ok(None) when it has none.
    pub fn load(img: &Image<'a>, inflated: &'a Inflated) -> Result<Option<Self>, String> {
        if img
            .section_by_name(".debug_info")
            .is_none_or(|(i, d)| d.is_empty() && img.shdrs[i].sh_size == 0)
        {
            return Ok(None);
        }
        if img.header.e_type == ET_REL {
            return Err("an object file's DWARF is not relocated yet; link it first".into());
        }
        Self::load_relocated(img, inflated)
    }

    /// Like `load`, for DWARF whose relocations the caller has applied (in `inflated`), as
    /// `rtlink build` does for the objects it reports errors in.
    pub fn load_relocated(img: &Image<'a>, inflated: &'a Inflated) -> Result<Option<Self>, String> {
        let endian = if img.ctx.le.is_little() {
            RunTimeEndian::Little
        } else {
            RunTimeEndian::Big
        };
        let mut sections = Vec::new();
        let _ = gimli::Dwarf::load(|id: SectionId| -> Result<(), String> {
            let name = id.name();
            let data = match inflated.0.iter().find(|(n, _)| n == name) {
                Some((_, d)) => d.as_slice(),
                None => img.section_by_name(name).map_or(&[][..], |(_, d)| d),
            };
            sections.push((name, data));
            Ok(())
        });
        let mut debug = Debug {
            sections,
            endian,
            dwarf: Default::default(),
            ctx: OnceCell::new(),
        };
        debug.dwarf = debug.load_dwarf();
        Ok(Some(debug))
    }

    fn load_dwarf(&self) -> gimli::Dwarf<Reader<'a>> {
        let load = |id: SectionId| -> Result<Reader<'a>, ()> {
            let data = self
                .sections
                .iter()
                .find(|(n, _)| *n == id.name())
                .map_or(&[][..], |(_, d)| *d);
            Ok(EndianSlice::new(data, self.endian))
        };
        gimli::Dwarf::load(load).unwrap_or_default()
    }

    fn ctx(&self) -> Result<&Context<Reader<'a>>, String> {
        let ctx = self
            .ctx
            .get_or_init(|| Context::from_dwarf(self.load_dwarf()).map_err(|e| format!("unreadable DWARF: {e}")));
        ctx.as_ref().map_err(Clone::clone)
    }

    /// The line-table row covering `addr`, found through .debug_aranges without building the
    /// whole context: (file, line).
    fn row(&self, addr: u64) -> Option<(String, u64)> {
        let mut headers = self.dwarf.debug_aranges.headers();
        let mut unit_at = None;
        while let Ok(Some(h)) = headers.next() {
            let mut entries = h.entries();
            while let Ok(Some(e)) = entries.next() {
                let r = e.range();
                if r.begin <= addr && addr < r.end {
                    unit_at = Some(h.debug_info_offset());
                }
            }
        }
        let header = self.dwarf.debug_info.header_from_offset(unit_at?).ok()?;
        let unit = self.dwarf.unit(header).ok()?;
        let mut rows = unit.line_program.clone()?.rows();
        let mut prev: Option<(u64, u64, u64)> = None;
        while let Ok(Some((_, row))) = rows.next_row() {
            if let Some((at, file, line)) = prev {
                if at <= addr && addr < row.address() && line != 0 {
                    return Some((self.file_name(&unit, file)?, line));
                }
            }
            prev = (!row.end_sequence()).then(|| (row.address(), row.file_index(), row.line().map_or(0, |l| l.get())));
        }
        None
    }

    /// The frames at `addr`, innermost first; empty when DWARF does not cover it.
    pub fn frames(&self, addr: u64) -> Result<Vec<Frame>, String> {
        if addr == u64::MAX {
            return Ok(Vec::new());
        }
        let mut it = self
            .ctx()?
            .find_frames(addr)
            .skip_all_loads()
            .map_err(|e| format!("DWARF at {addr:#x}: {e}"))?;
        let mut out = Vec::new();
        while let Some(f) = it.next().map_err(|e| format!("DWARF at {addr:#x}: {e}"))? {
            let lang = f.function.as_ref().and_then(|n| n.language);
            let function = f.function.and_then(|n| n.raw_name().ok().map(|s| s.into_owned()));
            let mangled = function
                .as_deref()
                .is_some_and(|n| n.starts_with("_Z") || n.starts_with("_R"));
            let final_name = mangled || lang.is_some_and(unmangled);
            let (file, line) = f
                .location
                .map_or((None, None), |l| (l.file.map(str::to_string), l.line));
            out.push(Frame {
                function,
                final_name,
                file,
                line,
            });
        }
        Ok(out)
    }

    /// `file:line` of `addr`, the file shortened to its name when `short`. When the file has
    /// .debug_aranges, an address they do not cover has no line (no unit walk, which is what
    /// keeps a large binary's summary fast); without them, addr2line's context decides.
    pub fn location(&self, addr: u64, short: bool) -> Option<String> {
        let has_aranges = self
            .sections
            .iter()
            .any(|(n, d)| *n == ".debug_aranges" && !d.is_empty());
        let (file, line) = match self.row(addr) {
            Some(found) => found,
            None if has_aranges || addr == u64::MAX => return None,
            None => {
                let loc = self.ctx().ok()?.find_location(addr).ok()??;
                (loc.file?.to_string(), u64::from(loc.line?))
            }
        };
        let shown = if short {
            Path::new(&file).file_name().and_then(|f| f.to_str()).unwrap_or(&file)
        } else {
            &file
        };
        Some(format!("{shown}:{line}"))
    }

    /// Where each function was declared: (address ranges, `file:line` of its DW_AT_decl_file
    /// and DW_AT_decl_line), from every DW_TAG_subprogram with code, following
    /// DW_AT_abstract_origin and DW_AT_specification for the declaration. This is what
    /// `nm -l` reports for a function symbol; malformed entries are skipped.
    pub fn declarations(&self) -> Vec<(gimli::Range, String)> {
        let mut out = Vec::new();
        let mut units = self.dwarf.units();
        while let Ok(Some(header)) = units.next() {
            let Ok(unit) = self.dwarf.unit(header) else { continue };
            let mut entries = unit.entries();
            while let Ok(Some(die)) = entries.next_dfs() {
                if die.tag() != gimli::DW_TAG_subprogram {
                    continue;
                }
                let Some(decl) = self.decl(&unit, die) else { continue };
                let Ok(mut ranges) = self.dwarf.die_ranges(&unit, die) else {
                    continue;
                };
                while let Ok(Some(r)) = ranges.next() {
                    if r.begin < r.end {
                        out.push((r, decl.clone()));
                    }
                }
            }
        }
        out
    }

    /// `file:line` of a subprogram's declaration, looking through its origin or specification.
    fn decl(
        &self,
        unit: &gimli::Unit<Reader<'a>>,
        die: &gimli::DebuggingInformationEntry<Reader<'a>>,
    ) -> Option<String> {
        let mut current = die.clone();
        for _ in 0..4 {
            let line = current.attr_value(gimli::DW_AT_decl_line).and_then(|v| v.udata_value());
            let file = match current.attr_value(gimli::DW_AT_decl_file) {
                Some(gimli::AttributeValue::FileIndex(i)) => Some(i),
                v => v.and_then(|v| v.udata_value()),
            };
            if let (Some(line), Some(file)) = (line, file) {
                return Some(format!("{}:{line}", self.file_name(unit, file)?));
            }
            let next = [gimli::DW_AT_abstract_origin, gimli::DW_AT_specification]
                .iter()
                .find_map(|a| match current.attr_value(*a) {
                    Some(gimli::AttributeValue::UnitRef(off)) => Some(off),
                    _ => None,
                })?;
            current = unit.entry(next).ok()?;
        }
        None
    }

    /// A line-table file entry as a path: joined to its directory and the unit's directory.
    fn file_name(&self, unit: &gimli::Unit<Reader<'a>>, index: u64) -> Option<String> {
        let header = unit.line_program.as_ref()?.header();
        let file = header.file(index)?;
        let text = |v| {
            self.dwarf
                .attr_string(unit, v)
                .ok()
                .map(|s| s.to_string_lossy().into_owned())
        };
        let name = text(file.path_name())?;
        if name.starts_with('/') {
            return Some(name);
        }
        let mut path = unit
            .comp_dir
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(dir) = file.directory(header).and_then(text) {
            path = if dir.starts_with('/') || path.is_empty() {
                dir
            } else {
                format!("{path}/{dir}")
            };
        }
        Some(if path.is_empty() {
            name
        } else {
            format!("{path}/{name}")
        })
    }
}
