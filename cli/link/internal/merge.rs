//! SHF_MERGE sections: string literals and constants that several objects (or one object
//! several times) contain once in the output, as GNU ld and lld do.
//!
//! Each mergeable input section is cut into pieces (NUL-terminated strings for SHF_STRINGS with
//! entsize 1, else `entsize`-byte constants); equal pieces of the inputs that go to the same
//! output section with the same entsize, kind and alignment share one copy in a `Group`, which
//! takes the place of its first input section. `Pieces` maps an input offset to the group.
//!
//! Invariants:
//! - A section that does not cut cleanly (a string without its NUL, a size that is not a
//!   multiple of entsize) is not merged: it stays an ordinary input section.
//! - Every piece starts at a multiple of the group's alignment, as it did in its input.
//! - An offset inside a piece maps to the same offset inside the piece's copy.
use std::collections::HashMap;

/// Input offset -> output offset, for each piece's start, sorted; `DROPPED` for a piece that
/// is not in the output.
#[derive(Default)]
pub struct Pieces(pub Vec<(u64, u64)>);

pub const DROPPED: u64 = u64::MAX;

impl Pieces {
    /// Turns the piece numbers `Group::add` gave into the offsets `Group::finish` chose.
    pub fn number_to_offset(&mut self, offsets: &[u64]) {
        for p in &mut self.0 {
            p.1 = offsets[p.1 as usize];
        }
    }

    /// Where input offset `off` went, if its piece was kept.
    pub fn map(&self, off: u64) -> Option<u64> {
        let i = self.0.partition_point(|&(start, _)| start <= off).checked_sub(1)?;
        let (start, out) = self.0[i];
        (out != DROPPED).then(|| out + (off - start))
    }
}

/// The shared copy of a set of mergeable sections. Pieces are collected first (`add`), then
/// laid out once (`finish`): strings that are the tail of a longer one point into it, as
/// GNU ld's string merging does.
pub struct Group<'a> {
    pub data: Vec<u8>,
    pub align: u64,
    strings: bool,
    unique: Vec<&'a [u8]>,
    ids: HashMap<&'a [u8], u64>,
}

impl<'a> Group<'a> {
    pub fn new(align: u64, strings: bool) -> Group<'a> {
        Group {
            data: Vec::new(),
            align,
            strings,
            unique: Vec::new(),
            ids: HashMap::new(),
        }
    }

    /// Adds one input section's bytes; returns its pieces, numbered, to be mapped to offsets
    /// by `finish`, or None if the section does not cut into pieces (see the module comment).
    pub fn add(&mut self, bytes: &'a [u8], entsize: u64) -> Option<Pieces> {
        let pieces = cut(bytes, entsize, self.strings)?;
        let mut map = Vec::with_capacity(pieces.len());
        for (start, piece) in pieces {
            let next = self.unique.len() as u64;
            let id = *self.ids.entry(piece).or_insert(next);
            if id == next {
                self.unique.push(piece);
            }
            map.push((start, id));
        }
        Some(Pieces(map))
    }

    /// Lays the pieces out; returns each piece number's offset, for `Pieces::number_to_offset`.
    pub fn finish(&mut self) -> Vec<u64> {
        let n = self.unique.len();
        // For strings (unaligned), the longer string each one is the tail of.
        let mut tail_of: Vec<Option<usize>> = vec![None; n];
        if self.strings && self.align == 1 {
            let mut by_tail: Vec<usize> = (0..n).collect();
            by_tail.sort_by(|&a, &b| self.unique[b].iter().rev().cmp(self.unique[a].iter().rev()));
            let mut holder: Option<usize> = None;
            for &id in &by_tail {
                match holder {
                    Some(h) if self.unique[h].ends_with(self.unique[id]) => tail_of[id] = Some(h),
                    _ => holder = Some(id),
                }
            }
        }
        let mut offsets = vec![0u64; n];
        for id in (0..n).filter(|&id| tail_of[id].is_none()) {
            let o = (self.data.len() as u64).next_multiple_of(self.align);
            self.data.resize(o as usize, 0);
            self.data.extend_from_slice(self.unique[id]);
            offsets[id] = o;
        }
        for id in 0..n {
            if let Some(h) = tail_of[id] {
                offsets[id] = offsets[h] + (self.unique[h].len() - self.unique[id].len()) as u64;
            }
        }
        offsets
    }
}

/// `(offset, piece)` for each piece of a mergeable section.
fn cut(bytes: &[u8], entsize: u64, strings: bool) -> Option<Vec<(u64, &[u8])>> {
    let mut out = Vec::new();
    if strings {
        if entsize != 1 || bytes.last().is_some_and(|&b| b != 0) {
            return None;
        }
        let mut at = 0;
        while at < bytes.len() {
            let end = at + bytes[at..].iter().position(|&c| c == 0)? + 1;
            out.push((at as u64, &bytes[at..end]));
            at = end;
        }
    } else {
        let n = usize::try_from(entsize)
            .ok()
            .filter(|&n| n > 0 && bytes.len().is_multiple_of(n))?;
        out.extend(bytes.chunks(n).enumerate().map(|(i, c)| ((i * n) as u64, c)));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(g: &mut Group, mut pieces: Vec<Pieces>) -> Vec<Pieces> {
        let offsets = g.finish();
        pieces.iter_mut().for_each(|p| p.number_to_offset(&offsets));
        pieces
    }

    #[test]
    fn equal_strings_and_tails_share_one_copy_and_offsets_inside_them_map() {
        let mut g = Group::new(1, true);
        let a = g.add(b"hello\0world\0", 1).unwrap();
        let b = g.add(b"world\0hi\0lo\0", 1).unwrap();
        let [a, b] = <[Pieces; 2]>::try_from(merged(&mut g, vec![a, b])).ok().unwrap();
        assert_eq!(g.data, b"hello\0world\0hi\0");
        assert_eq!(b.map(0), Some(6));
        assert_eq!(b.map(2), Some(8));
        assert_eq!(b.map(6), Some(12));
        assert_eq!(b.map(9), Some(3), "lo is hello's tail");
        assert_eq!(a.map(7), Some(7));
    }

    #[test]
    fn constants_are_cut_by_entsize_and_aligned() {
        let mut g = Group::new(8, false);
        let a = g.add(&[1, 0, 0, 0, 0, 0, 0, 0], 8).unwrap();
        let m = g.add(&[2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], 8).unwrap();
        let [_, m] = <[Pieces; 2]>::try_from(merged(&mut g, vec![a, m])).ok().unwrap();
        assert_eq!(m.map(8), Some(0));
        assert_eq!(m.map(0), Some(8));
        assert!(g.add(&[1, 2, 3], 8).is_none());
        let mut s = Group::new(1, true);
        assert!(s.add(b"no nul", 1).is_none());
    }
}
