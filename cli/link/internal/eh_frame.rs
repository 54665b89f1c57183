//! `.eh_frame`: the unwind records of the functions that reach the output, and no others,
//! with one copy of each common CIE.
//!
//! An input `.eh_frame` is a sequence of records, each a CIE (common information) or an FDE
//! (one function's unwind table) that names its CIE by the distance back to it. An FDE whose
//! function (the target of the relocation at its `pc_begin`, 8 bytes in) is in a dead or
//! discarded section is dropped, as GNU ld does. A CIE with no relocations (no personality
//! routine) whose bytes an earlier input already has is dropped too, and its FDEs point at the
//! earlier copy: every C object brings the same CIE, and GNU ld keeps one.
//!
//! Invariants:
//! - The result's `Pieces` map every kept record's input offset to its output offset, so the
//!   section's relocations land in the rewritten bytes; relocations in dropped records are
//!   skipped.
//! - An FDE whose CIE is in its own section has its CIE pointer rewritten here; one whose CIE
//!   is another input's gets a `Fixup`, applied once the members' offsets are known.
//! - Anything that does not parse (a length past the end, a 64-bit length, a CIE pointer that
//!   names no CIE) leaves the section as it is: every record kept, nothing rewritten.
use std::collections::HashMap;

use object::read::elf::Rela as _;
use object::LittleEndian as LE;

use super::merge::{Pieces, DROPPED};

/// One record: its offset, its length including the 4-byte length field, and for an FDE the
/// offset of its CIE.
struct Record {
    at: usize,
    len: usize,
    cie: Option<usize>,
}

fn records(data: &[u8]) -> Option<Vec<Record>> {
    let mut out = Vec::new();
    let mut cies = std::collections::HashSet::new();
    let mut at = 0;
    while at + 4 <= data.len() {
        let len = u32::from_le_bytes(data[at..at + 4].try_into().ok()?) as usize;
        if len == 0 {
            break;
        }
        if len == 0xffff_ffff || len < 4 || at + 4 + len > data.len() {
            return None;
        }
        let id = u32::from_le_bytes(data[at + 4..at + 8].try_into().ok()?) as usize;
        let cie = if id == 0 { None } else { Some((at + 4).checked_sub(id)?) };
        if cie.is_some_and(|c| !cies.contains(&c)) {
            return None;
        }
        if cie.is_none() {
            cies.insert(at);
        }
        out.push(Record { at, len: len + 4, cie });
        at += len + 4;
    }
    Some(out)
}

/// An FDE's CIE pointer to set once member offsets are known: (the FDE's offset in this
/// member, the member holding the CIE, the CIE's offset there).
pub struct Fixup {
    pub fde: u64,
    pub member: usize,
    pub cie: u64,
}

/// One input `.eh_frame` as it goes out.
pub struct Pruned {
    pub bytes: Vec<u8>,
    pub pieces: Pieces,
    pub fixups: Vec<Fixup>,
}

/// The relocation-free CIEs already in the output: bytes -> (member, offset).
pub type Cies<'a> = HashMap<&'a [u8], (usize, u64)>;

/// Prunes one input `.eh_frame` that becomes member `member` of the output. `live_target(i)`
/// says whether relocation `i` (an FDE's pc_begin) points into a live section.
pub fn prune<'a>(
    data: &'a [u8],
    relocs: &[object::elf::Rela64<LE>],
    member: usize,
    cies: &mut Cies<'a>,
    live_target: impl Fn(usize) -> bool,
) -> Pruned {
    let whole = || Pruned {
        bytes: data.to_vec(),
        pieces: Pieces(vec![(0, 0)]),
        fixups: Vec::new(),
    };
    let Some(recs) = records(data) else {
        return whole();
    };
    let mut out = Vec::with_capacity(data.len());
    let mut map: Vec<(u64, u64)> = Vec::with_capacity(recs.len() + 1);
    // Where each CIE of this section went: (member, offset).
    let mut cie_at: HashMap<usize, (usize, u64)> = HashMap::new();
    let mut fixups = Vec::new();
    // Relocation offsets, sorted, each with the index of its relocation.
    let mut at: Vec<(u64, usize)> = relocs.iter().enumerate().map(|(i, x)| (x.r_offset(LE), i)).collect();
    at.sort_unstable();
    let first_at = |off: u64| at.get(at.partition_point(|&(o, _)| o < off)).copied();
    let has_reloc = |r: &Record| first_at(r.at as u64).is_some_and(|(o, _)| o < (r.at + r.len) as u64);
    for r in &recs {
        let bytes = &data[r.at..r.at + r.len];
        let Some(cie) = r.cie else {
            if !has_reloc(r) {
                if let Some(&earlier) = cies.get(bytes) {
                    cie_at.insert(r.at, earlier);
                    map.push((r.at as u64, DROPPED));
                    continue;
                }
                cies.insert(bytes, (member, out.len() as u64));
            }
            cie_at.insert(r.at, (member, out.len() as u64));
            map.push((r.at as u64, out.len() as u64));
            out.extend_from_slice(bytes);
            continue;
        };
        let pc_begin = (r.at + 8) as u64;
        let live = first_at(pc_begin)
            .filter(|&(o, _)| o == pc_begin)
            .is_some_and(|(_, i)| live_target(i));
        let Some(&(cie_member, cie_off)) = cie_at.get(&cie).filter(|_| live) else {
            map.push((r.at as u64, DROPPED));
            continue;
        };
        let new_at = out.len();
        out.extend_from_slice(bytes);
        if cie_member == member {
            let ptr = (new_at + 4) as u64 - cie_off;
            out[new_at + 4..new_at + 8].copy_from_slice(&(ptr as u32).to_le_bytes());
        } else {
            fixups.push(Fixup {
                fde: new_at as u64,
                member: cie_member,
                cie: cie_off,
            });
        }
        map.push((r.at as u64, new_at as u64));
    }
    // Offsets past the last record (a terminator) map nowhere.
    map.push((data.len() as u64, DROPPED));
    Pruned {
        bytes: out,
        pieces: Pieces(map),
        fixups,
    }
}

/// Sets the CIE pointers of `fixups` in `bytes`, the member at offset `at` of an output
/// section whose members start at `offsets`.
pub fn fix(bytes: &mut [u8], at: u64, fixups: &[Fixup], offsets: &dyn Fn(usize) -> u64) {
    for f in fixups {
        let ptr = (at + f.fde + 4) - (offsets(f.member) + f.cie);
        bytes[f.fde as usize + 4..f.fde as usize + 8].copy_from_slice(&(ptr as u32).to_le_bytes());
    }
}
