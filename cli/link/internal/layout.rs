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
//! - Program headers, in GNU ld's order: the LOADs, PT_DYNAMIC, PT_NOTE, PT_TLS, PT_GNU_STACK
//!   (RW), PT_GNU_RELRO.
//! - A static-PIE (linked at 0) splits RW in two PT_LOADs, as lld does: the RELRO part (TLS
//!   image, arrays, `.data.rel.ro`, `.dynamic`, GOT), which PT_GNU_RELRO covers to the end of its
//!   last page, and data + bss on the next page; no file padding is needed for RELRO.
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
pub fn phdr_count(secs: &Sections, pie: bool) -> usize {
    let has = |f: &dyn Fn(Class) -> bool| secs.outs.iter().any(|o| f(o.class));
    let notes = has(&|c| matches!(c, Class::BuildId | Class::Note));
    // LOADs, PT_NOTE, PT_TLS, PT_GNU_STACK; a static-PIE adds a LOAD, PT_DYNAMIC, PT_GNU_RELRO.
    3 + usize::from(notes) + usize::from(has(&Class::tls)) + 1 + 3 * usize::from(pie)
}

/// Assigns every output section its offset and address, and builds the program headers.
pub fn assign(secs: &mut Sections, base: u64, pie: bool) -> Layout {
    let nphdr = phdr_count(secs, pie) as u64;
    let mut off = 64 + nphdr * 56;
    let mut addr = base + off;
    let mut segment = 0;
    let tls_align = (secs.outs.iter()).filter(|o| o.class.tls()).map(|o| o.align).max();
    // Per PT_LOAD: (first offset, first address, file end, memory end).
    let mut bounds: [Option<(u64, u64, u64, u64)>; 4] = [Some((0, base, off, addr)), None, None, None];
    for out in secs.outs.iter_mut() {
        let Some(seg) = out.class.segment(pie) else { continue };
        if seg != segment {
            addr = addr.next_multiple_of(PAGE) + (addr & (PAGE - 1));
            segment = seg;
        }
        let align = if out.class.tls() {
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
            // Outside PT_TLS, .tbss takes no room: the next section starts where it starts.
            continue;
        }
        addr += out.size;
        if !out.nobits() {
            off += out.size;
            b.2 = off;
        }
        b.3 = b.3.max(addr);
    }
    let mut segments = Vec::new();
    let rw = elf::PF_R.0 | elf::PF_W.0;
    for (seg, b) in bounds.iter().enumerate() {
        let Some((offset, vaddr, fend, mend)) = *b else {
            continue;
        };
        segments.push(Segment {
            p_type: elf::PT_LOAD.0,
            flags: [elf::PF_R.0, elf::PF_R.0 | elf::PF_X.0, rw, rw][seg],
            offset,
            vaddr,
            filesz: fend.max(offset) - offset,
            memsz: mend.max(vaddr) - vaddr,
            align: PAGE,
        });
    }
    let span = |secs: &[&super::sections::OutSec], p_type: elf::ProgramType, flags: u32| {
        let (first, last) = (secs.first()?, secs.last()?);
        Some(Segment {
            p_type: p_type.0,
            flags,
            offset: first.offset,
            vaddr: first.addr,
            filesz: last.offset + if last.nobits() { 0 } else { last.size } - first.offset,
            memsz: last.addr + last.size - first.addr,
            align: secs.iter().map(|n| n.align).max().unwrap_or(1),
        })
    };
    let of = |f: &dyn Fn(Class) -> bool| secs.outs.iter().filter(|o| f(o.class)).collect::<Vec<_>>();
    segments.extend(span(&of(&|c| c == Class::Dynamic), elf::PT_DYNAMIC, rw));
    segments.extend(span(
        &of(&|c| matches!(c, Class::BuildId | Class::Note)),
        elf::PT_NOTE,
        elf::PF_R.0,
    ));
    let tls = span(&of(&Class::tls), elf::PT_TLS, elf::PF_R.0).map(|mut t| {
        // .tbss may end past the last section in address order.
        t.memsz = of(&Class::tls).iter().map(|o| o.addr + o.size).max().unwrap_or(t.vaddr) - t.vaddr;
        let tls = Tls {
            start: t.vaddr,
            memsz: t.memsz,
            align: tls_align.unwrap_or(1),
        };
        segments.push(t);
        tls
    });
    segments.push(Segment {
        p_type: elf::PT_GNU_STACK.0,
        flags: rw,
        offset: 0,
        vaddr: 0,
        filesz: 0,
        memsz: 0,
        align: 16,
    });
    if pie {
        // The RELRO LOAD, to its page's end: the runtime rounds the end down before mprotect.
        if let Some((offset, vaddr, _, mend)) = bounds[2] {
            let memsz = mend.next_multiple_of(PAGE) - vaddr;
            segments.push(Segment {
                p_type: elf::PT_GNU_RELRO.0,
                flags: elf::PF_R.0,
                offset,
                vaddr,
                filesz: memsz,
                memsz,
                align: 1,
            });
        }
    }
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
