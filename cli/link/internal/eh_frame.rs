//! `.eh_frame`: the unwind records of the functions that reach the output, and no others.
//!
//! An input `.eh_frame` is a sequence of records, each a CIE (common information) or an FDE
//! (one function's unwind table) that names its CIE by the distance back to it. An FDE whose
//! function (the target of the relocation at its `pc_begin`, 8 bytes in) is in a dead or
//! discarded section is dropped, as GNU ld does; CIEs are kept. The kept records are copied in
//! order and each FDE's CIE pointer is rewritten for its new distance.
//!
//! Invariants:
//! - The result's `Pieces` map every kept record's input offset to its output offset, so the
//!   section's relocations land in the rewritten bytes; relocations in dropped records are
//!   skipped.
//! - Anything that does not parse (a length past the end, a 64-bit length, a CIE pointer that
//!   names no CIE) leaves the section as it is: every record kept, nothing rewritten.
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
        if cie.is_some_and(|c| !out.iter().any(|r: &Record| r.at == c && r.cie.is_none())) {
            return None;
        }
        out.push(Record { at, len: len + 4, cie });
        at += len + 4;
    }
    Some(out)
}

/// The section's kept bytes and where each kept record went. `live_target(i)` says whether
/// relocation `i` (an FDE's pc_begin) points into a live section.
pub fn prune(
    data: &[u8],
    relocs: &[object::elf::Rela64<LE>],
    live_target: impl Fn(usize) -> bool,
) -> (Vec<u8>, Pieces) {
    let Some(recs) = records(data) else {
        return (data.to_vec(), Pieces(vec![(0, 0)]));
    };
    let mut out = Vec::with_capacity(data.len());
    let mut map: Vec<(u64, u64)> = Vec::with_capacity(recs.len());
    for r in &recs {
        if r.cie.is_some() {
            let pc_begin = (r.at + 8) as u64;
            let live = (relocs.iter())
                .position(|x| x.r_offset(LE) == pc_begin)
                .is_some_and(&live_target);
            if !live {
                map.push((r.at as u64, DROPPED));
                continue;
            }
        }
        let new_at = out.len();
        out.extend_from_slice(&data[r.at..r.at + r.len]);
        if let Some(cie) = r.cie {
            let Ok(i) = map.binary_search_by_key(&(cie as u64), |&(from, _)| from) else {
                return (data.to_vec(), Pieces(vec![(0, 0)]));
            };
            let ptr = (new_at + 4) as u64 - map[i].1;
            out[new_at + 4..new_at + 8].copy_from_slice(&(ptr as u32).to_le_bytes());
        }
        map.push((r.at as u64, new_at as u64));
    }
    // Offsets past the last record (a terminator) map nowhere.
    map.push((data.len() as u64, DROPPED));
    (out, Pieces(map))
}
