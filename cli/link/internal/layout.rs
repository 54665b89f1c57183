//! Pass 2b, lay out (addresses): file offsets, virtual addresses and program headers.
//!
//! Invariants (the embedded script's, see linker-scripts/rtlink_amd64_linux.ld):
//! - Three PT_LOAD segments, R (ELF and program headers, notes, read-only data) / RX (text) /
//!   RW (TLS image, arrays, GOT, data, bss); none is both writable and executable.
//! - Each segment starts on a fresh virtual page but continues the file where the previous one
//!   ended, so `vaddr ≡ offset (mod 4096)` for every allocated section and a small program is
//!   not padded to pages.
//! - `.tbss` takes no address space outside PT_TLS: the section after it starts where `.tdata`
//!   ended, as in GNU ld; the TLS block starts aligned to the larger of the two alignments.
//! - Non-allocated sections follow in the file, at address 0.
//! - Program headers, in GNU ld's order: the LOADs, PT_NOTE, PT_TLS, PT_GNU_STACK (RW).
use object::elf;

use super::sections::{Class, Sections};

pub const PAGE: u64 = 0x1000;

pub struct Segment {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

pub struct Tls {
    pub start: u64,
    pub memsz: u64,
    pub align: u64,
}

impl Tls {
    /// Where the thread pointer points relative to the block: the end of the block rounded up
    /// to its alignment (x86-64's variant II; the runtime's tls.rs makes the same choice).
    pub fn tp(&self) -> u64 {
        self.start + self.memsz.next_multiple_of(self.align)
    }
}

pub struct Layout {
    pub segments: Vec<Segment>,
    pub tls: Option<Tls>,
    /// The end of the file's contents before the section headers.
    pub file_end: u64,
}

/// The number of program headers the sections need.
pub fn phdr_count(secs: &Sections) -> usize {
    let has = |f: &dyn Fn(Class) -> bool| secs.outs.iter().any(|o| f(o.class));
    3 + usize::from(has(&|c| matches!(c, Class::BuildId | Class::Note))) + usize::from(has(&Class::tls)) + 1
}

/// Assigns every output section its offset and address, and builds the program headers.
pub fn assign(secs: &mut Sections, base: u64) -> Layout {
    let nphdr = phdr_count(secs) as u64;
    let mut off = 64 + nphdr * 56;
    let mut addr = base + off;
    let mut segment = 0;
    let tls_align = (secs.outs.iter()).filter(|o| o.class.tls()).map(|o| o.align).max();
    let mut after_tbss = None;
    // Per segment: (first offset, first address, file end, memory end).
    let mut bounds: [Option<(u64, u64, u64, u64)>; 3] = [Some((0, base, off, addr)), None, None];
    for out in secs.outs.iter_mut().filter(|o| o.alloc()) {
        let seg = out.class.segment();
        if seg != segment {
            addr = addr.next_multiple_of(PAGE) + (addr & (PAGE - 1));
            segment = seg;
        }
        if let Some(resume) = after_tbss.take() {
            addr = resume;
        }
        let align = if out.class == Class::Tdata || (out.class == Class::Tbss && tls_align.is_some()) {
            out.align.max(tls_align.unwrap_or(1))
        } else {
            out.align
        };
        let aligned = addr.next_multiple_of(align);
        off += aligned - addr;
        addr = aligned;
        out.addr = addr;
        out.offset = off;
        let b = bounds[seg].get_or_insert((off, addr, off, addr));
        if out.class == Class::Tbss {
            after_tbss = Some(addr);
        }
        addr += out.size;
        if !out.nobits() {
            off += out.size;
            b.2 = off;
        }
        b.3 = b.3.max(addr);
    }
    let mut segments = Vec::new();
    for (seg, b) in bounds.iter().enumerate() {
        let Some((offset, vaddr, fend, mend)) = *b else {
            continue;
        };
        let flags = [elf::PF_R.0, elf::PF_R.0 | elf::PF_X.0, elf::PF_R.0 | elf::PF_W.0][seg];
        segments.push(Segment {
            p_type: elf::PT_LOAD.0,
            flags,
            offset,
            vaddr,
            filesz: fend.max(offset) - offset,
            memsz: mend.max(vaddr) - vaddr,
            align: PAGE,
        });
    }
    let notes: Vec<_> = (secs.outs.iter())
        .filter(|o| matches!(o.class, Class::BuildId | Class::Note))
        .collect();
    if let (Some(first), Some(last)) = (notes.first(), notes.last()) {
        segments.push(Segment {
            p_type: elf::PT_NOTE.0,
            flags: elf::PF_R.0,
            offset: first.offset,
            vaddr: first.addr,
            filesz: last.offset + last.size - first.offset,
            memsz: last.addr + last.size - first.addr,
            align: notes.iter().map(|n| n.align).max().unwrap_or(4),
        });
    }
    let tls_secs: Vec<_> = secs.outs.iter().filter(|o| o.class.tls()).collect();
    let tls = tls_secs.first().map(|first| {
        let end = tls_secs.iter().map(|o| o.addr + o.size).max().unwrap_or(first.addr);
        let tdata = tls_secs.iter().filter(|o| !o.nobits()).map(|o| o.size).sum::<u64>();
        let t = Tls {
            start: first.addr,
            memsz: end - first.addr,
            align: tls_align.unwrap_or(1),
        };
        segments.push(Segment {
            p_type: elf::PT_TLS.0,
            flags: elf::PF_R.0,
            offset: first.offset,
            vaddr: t.start,
            filesz: tdata,
            memsz: t.memsz,
            align: t.align,
        });
        t
    });
    segments.push(Segment {
        p_type: elf::PT_GNU_STACK.0,
        flags: elf::PF_R.0 | elf::PF_W.0,
        offset: 0,
        vaddr: 0,
        filesz: 0,
        memsz: 0,
        align: 16,
    });
    debug_assert_eq!(segments.len() as u64, nphdr);
    for out in secs.outs.iter_mut().filter(|o| !o.alloc()) {
        off = off.next_multiple_of(out.align);
        out.offset = off;
        out.addr = 0;
        off += out.size;
    }
    Layout {
        segments,
        tls,
        file_end: off,
    }
}
