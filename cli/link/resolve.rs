//! Symbol resolution, checked before the linker runs, so that the errors users see are
//! rtlink's, in lld's layout, instead of the linker's:
//!
//! ```text
//! rtlink: error: undefined symbol: rt_chan_sendd
//! >>> referenced by worker.c:42
//! >>>               worker.o:(produce)
//! >>> did you mean: rt_chan_send
//! ```
//!
//! Definitions come from the runtime object, every object and every archive member (an
//! over-approximation of what the linker will pull in, so nothing is reported that the linker
//! would resolve); references are checked in the objects given directly. A strong global
//! defined twice is reported with both places, and a user definition of a name the runtime
//! defines (memcpy, main's callers) says so. Symbols the linker itself provides (the GOT
//! symbol, `__start_SECTION`/`__stop_SECTION`, `__ehdr_start`) are never undefined. At most
//! `MAX_ERRORS` are shown.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use object::{Object, ObjectSection, ObjectSymbol, RelocationTarget, SectionIndex, SymbolKind};

use crate::embedded;

const MAX_ERRORS: usize = 10;
const RUNTIME: &str = "the rtlink runtime";

/// Where a definition lives: a file label, or the runtime.
#[derive(Clone)]
pub(super) struct Place {
    label: String,
    weak: bool,
}

/// A reference to a symbol no input may define: which unit, and where in it.
struct Reference {
    unit: usize,
    section: SectionIndex,
    offset: u64,
}

/// One input unit: its label, its bytes, and whether it was given directly (not an archive
/// member).
pub(super) type Unit = (String, Vec<u8>, bool);

/// Global definitions by name, each with every place that defines it.
pub(super) type Defs = HashMap<String, Vec<Place>>;

/// Every input as units: objects, and archive members as `lib.a(m.o)`. `labels` name the
/// inputs as the user gave them (a compiled source by its source file rather than its
/// temporary object).
fn units(inputs: &[PathBuf], labels: &[PathBuf]) -> Result<Vec<Unit>> {
    let mut out = Vec::new();
    for (path, label) in inputs.iter().zip(labels) {
        out.extend(units_of(path, label, std::fs::read(path)?)?);
    }
    Ok(out)
}

/// The units of one input file's bytes.
pub(super) fn units_of(path: &Path, label: &Path, data: Vec<u8>) -> Result<Vec<Unit>> {
    if !crate::archive::is_archive(&data) {
        return Ok(vec![(label.display().to_string(), data, true)]);
    }
    let members = crate::archive::members(path, &data)?;
    Ok((members.into_iter())
        .map(|(m, bytes)| (format!("{}({m})", label.display()), bytes.to_vec(), false))
        .collect())
}

/// Names no input needs to define: the linker's own, and `__tls_get_addr`, which only the
/// TLSGD/TLSLD call sequences name and which every linker relaxes away in a static program.
fn linker_provided(name: &str) -> bool {
    matches!(
        name,
        "_GLOBAL_OFFSET_TABLE_" | "__ehdr_start" | "__executable_start" | "_TLS_MODULE_BASE_" | "__tls_get_addr"
    ) || name.starts_with("__start_")
        || name.starts_with("__stop_")
}

/// Whether a definition may occur in several objects with one winner, like a weak one:
/// g++'s STB_GNU_UNIQUE (function-local statics of inline functions, template statics).
fn shared_once(s: &object::Symbol) -> bool {
    matches!(s.flags(), object::SymbolFlags::Elf { st_info, .. } if st_info.st_bind() == object::elf::STB_GNU_UNIQUE)
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The function symbol covering `offset` in section `section` of `file`.
fn function_at(file: &object::File, section: SectionIndex, offset: u64) -> Option<String> {
    (file.symbols())
        .filter(|s| s.section_index() == Some(section) && s.kind() == SymbolKind::Text)
        .filter(|s| s.address() <= offset && (s.size() == 0 || offset < s.address() + s.size()))
        .max_by_key(|s| s.address())
        .and_then(|s| s.name().ok().map(str::to_string))
}

/// `file:line` of `offset` in an object's only code section, from its DWARF with the
/// relocations applied (in an object, every DWARF address and string offset is a relocation;
/// with one code section, addresses are then that section's offsets).
fn line_at(data: &[u8], file: &object::File, section: SectionIndex, offset: u64) -> Option<String> {
    let code = file
        .sections()
        .filter(|s| s.kind() == object::SectionKind::Text && s.size() > 0)
        .count();
    if code != 1 || file.section_by_index(section).ok()?.kind() != object::SectionKind::Text {
        return None;
    }
    let debug: Vec<(String, Vec<u8>)> = (file.sections())
        .filter(|s| s.name().is_ok_and(|n| n.starts_with(".debug_")))
        .filter_map(|s| Some((s.name().ok()?.to_string(), relocated(file, &s)?)))
        .collect();
    crate::inspect::line_in_object(data, debug, offset)
}

/// A section's bytes with its absolute relocations applied (S + A, little-endian).
fn relocated(file: &object::File, section: &object::Section) -> Option<Vec<u8>> {
    let mut bytes = section.data().ok()?.to_vec();
    for (at, r) in section.relocations() {
        let target = match r.target() {
            RelocationTarget::Symbol(i) => file.symbol_by_index(i).ok()?.address(),
            _ => 0,
        };
        let value = target.wrapping_add_signed(r.addend());
        let width = match r.size() {
            32 => 4,
            64 => 8,
            _ => continue,
        };
        let at = usize::try_from(at).ok()?;
        bytes
            .get_mut(at..at.checked_add(width)?)?
            .copy_from_slice(&value.to_le_bytes()[..width]);
    }
    Some(bytes)
}

/// lld's `>>> referenced by` lines for a reference at `offset` in `section` of the object
/// `data` (named `label`): the file, the function and, when the DWARF says, the source line.
pub(super) fn referenced_by(label: &str, data: &[u8], section: SectionIndex, offset: u64) -> Result<String> {
    let file = object::File::parse(data)?;
    let short = Path::new(label)
        .file_name()
        .map_or(label.to_string(), |n| n.to_string_lossy().into_owned());
    let place = match function_at(&file, section, offset) {
        Some(f) => format!("{short}:({f})"),
        None => short,
    };
    Ok(match line_at(data, &file, section, offset) {
        Some(line) => format!("\n>>> referenced by {line}\n>>>               {place}"),
        None => format!("\n>>> referenced by {place}"),
    })
}

/// Checks the inputs' symbols against each other and the runtime's.
pub fn check(inputs: &[PathBuf], labels: &[PathBuf]) -> Result<()> {
    check_units(runtime_defs()?, &units(inputs, labels)?)
}

/// The runtime's global definitions, which every link starts from.
pub(super) fn runtime_defs() -> Result<Defs> {
    let mut defs = Defs::new();
    let runtime = object::File::parse(embedded::RUNTIME_O)?;
    for s in runtime.symbols().filter(|s| s.is_global() && !s.is_undefined()) {
        if let Ok(n) = s.name() {
            defs.entry(n.to_string()).or_default().push(Place {
                label: RUNTIME.into(),
                weak: s.is_weak(),
            });
        }
    }
    Ok(defs)
}

/// Checks `units` given the definitions before them (the runtime's).
pub(super) fn check_units(mut defs: Defs, units: &[Unit]) -> Result<()> {
    let mut undefined: Vec<(String, Reference)> = Vec::new();
    // (unit, name) already in `undefined`: the first reference of each is the one shown.
    let mut seen: std::collections::HashSet<(usize, String)> = Default::default();
    let mut errors = Vec::new();
    for (unit, (label, data, direct)) in units.iter().enumerate() {
        let Ok(file) = object::File::parse(data.as_slice()) else {
            continue;
        };
        for s in file
            .symbols()
            .filter(|s| s.is_global() && !s.is_undefined() && !s.is_common())
        {
            let Ok(name) = s.name() else { continue };
            let places = defs.entry(name.to_string()).or_default();
            let weak = s.is_weak() || shared_once(&s);
            if !weak {
                if let Some(first) = places.iter().find(|p| !p.weak) {
                    let what = if first.label == RUNTIME {
                        format!("{label} defines {name}, which the rtlink runtime also defines (rename it, or drop it and use the runtime's)")
                    } else {
                        format!(
                            "duplicate symbol: {name}\n>>> defined in {}\n>>> defined in {label}",
                            first.label
                        )
                    };
                    errors.push(format!("error: {what}"));
                }
            }
            places.push(Place {
                label: label.clone(),
                weak,
            });
        }
        if !direct {
            continue;
        }
        for section in file.sections() {
            for (offset, reloc) in section.relocations() {
                let RelocationTarget::Symbol(idx) = reloc.target() else {
                    continue;
                };
                let Ok(sym) = file.symbol_by_index(idx) else { continue };
                let Ok(name) = sym.name() else { continue };
                if !sym.is_undefined() || sym.is_weak() || !seen.insert((unit, name.to_string())) {
                    continue;
                }
                let section = section.index();
                undefined.push((name.to_string(), Reference { unit, section, offset }));
            }
        }
    }
    // Only now, for the references nothing defines, the function and source line.
    for (name, r) in undefined
        .iter()
        .filter(|(n, _)| !defs.contains_key(n) && !linker_provided(n))
    {
        let (label, data, _) = &units[r.unit];
        let mut msg = format!(
            "error: undefined symbol: {name}{}",
            referenced_by(label, data, r.section, r.offset)?
        );
        let best = (defs.keys())
            .map(|d| (distance(name, d), d))
            .filter(|(dist, d)| *dist > 0 && *dist <= 2.max(name.len() / 5) && !d.starts_with('_'))
            .min();
        if let Some((_, d)) = best {
            msg += &format!("\n>>> did you mean: {d}");
        }
        errors.push(msg);
    }
    report(errors)
}

/// Ok if there are no errors; else all of them, at most `MAX_ERRORS` and a count of the rest
/// (lld's way), each line after the first prefixed as main.rs prefixes the first.
pub(super) fn report(mut errors: Vec<String>) -> Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    let total = errors.len();
    errors.truncate(MAX_ERRORS);
    if total > MAX_ERRORS {
        errors.push(format!(
            "error: too many errors emitted, stopping now ({} more)",
            total - MAX_ERRORS
        ));
    }
    bail!("{}", errors.join("\nrtlink: "))
}

#[cfg(test)]
mod tests {
    use object::write::{Object, Relocation, StandardSection, Symbol, SymbolSection};
    use object::{
        Architecture, BinaryFormat, Endianness, RelocationEncoding, RelocationFlags, RelocationKind, SectionKind,
        SymbolFlags, SymbolScope,
    };
    // The reading trait, which the writer's `Object` above shadows.
    use object::Object as _;

    use super::*;

    /// An object whose code calls the undefined `nowhere` and whose .debug_info has a 32-bit
    /// relocation at `debug_at`.
    fn calling_nowhere(debug_at: u64) -> Vec<u8> {
        let mut obj = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
        let text = obj.section_id(StandardSection::Text);
        obj.append_section_data(text, &[0xe8, 0, 0, 0, 0, 0xc3], 1);
        let nowhere = obj.add_symbol(Symbol {
            name: b"nowhere".to_vec(),
            value: 0,
            size: 0,
            kind: SymbolKind::Text,
            scope: SymbolScope::Dynamic,
            weak: false,
            section: SymbolSection::Undefined,
            flags: SymbolFlags::None,
        });
        let debug = obj.add_section(Vec::new(), b".debug_info".to_vec(), SectionKind::Debug);
        obj.append_section_data(debug, &[0; 8], 1);
        for (section, offset, kind) in [
            (text, 1, RelocationKind::Relative),
            (debug, debug_at, RelocationKind::Absolute),
        ] {
            let flags = RelocationFlags::Generic {
                kind,
                encoding: RelocationEncoding::Generic,
                size: 32,
            };
            let reloc = Relocation {
                offset,
                symbol: nowhere,
                addend: -4,
                flags,
            };
            obj.add_relocation(section, reloc).unwrap();
        }
        obj.write().unwrap()
    }

    #[test]
    fn a_reference_at_the_last_address_has_no_line() {
        // The build_inputs fuzz target's find: addr2line looks an address up as [addr, addr + 1),
        // which overflowed for u64::MAX. A real -g object, its .debug_aranges renamed (so
        // addr2line is asked) and its one code relocation moved to the last address.
        let mut data = include_bytes!("../../fuzz/seeds/build_inputs/undef-g.o").to_vec();
        let file = object::File::parse(data.as_slice()).unwrap();
        let rela = file.section_by_name(".rela.text").unwrap().file_range().unwrap().0 as usize;
        let name = data.windows(14).position(|w| w == b".debug_aranges").unwrap();
        data[name + 8] = b'v';
        data[rela..rela + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        let units = [("undef.o".to_string(), data, true)];
        let err = check_units(Defs::new(), &units).unwrap_err().to_string();
        assert_eq!(err, "error: undefined symbol: helper\n>>> referenced by undef.o");
    }

    #[test]
    fn debug_relocations_out_of_range_are_ignored() {
        // The second offset overflowed `at + 4` (a panic with overflow checks, as fuzzed).
        for at in [4, u64::MAX - 1] {
            let units = [("x.o".to_string(), calling_nowhere(at), true)];
            let err = check_units(Defs::new(), &units).unwrap_err().to_string();
            assert_eq!(
                err, "error: undefined symbol: nowhere\n>>> referenced by x.o",
                "at {at}"
            );
        }
    }
}
