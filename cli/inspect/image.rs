//! An ELF file read into memory, with every table checked against the file before it is used.
//!
//! goblin reads the structures; this module decides which of them can be trusted. Only an
//! unusable ELF header is fatal (`parse` returns an error naming the file). Every other broken
//! part (a table that runs past the end of the file, a wrong entry size, an index out of range)
//! is recorded in `problems` with its offsets, left empty in the model, and the views print
//! whatever is sound; the command then reports the problems and exits 1. Counts are only
//! believed after `count * entry size` has been checked against the file size, so a header with
//! absurd counts cannot make the inspector allocate more than the file justifies.
use std::path::Path;

use anyhow::{bail, Context, Result};
use goblin::container::{Container, Ctx};
use goblin::elf::dynamic::{Dyn, DF_1_PIE, DT_FLAGS_1, DT_NULL};
use goblin::elf::header::{self, Header, ET_CORE, ET_DYN, ET_EXEC, ET_REL};
use goblin::elf::program_header::{ProgramHeader, PT_DYNAMIC, PT_INTERP, PT_LOAD};
use goblin::elf::section_header::{SectionHeader, SHN_XINDEX, SHT_DYNSYM, SHT_NOBITS, SHT_SYMTAB};
use goblin::elf::sym::{Sym, Symtab};
use goblin::elf::Elf;

use super::linkage::{self, Linkage};

/// One ELF note: owner name, type and descriptor bytes.
pub struct Note<'a> {
    pub owner: &'a str,
    pub kind: u32,
    pub desc: &'a [u8],
}

/// The notes in `data`, laid out with `align`-byte padding (4, or 8 for some 64-bit notes).
/// Parsing stops at the first note that does not fit, so a damaged table yields what precedes
/// the damage.
pub fn notes(data: &[u8], align: u64, le: bool) -> Vec<Note<'_>> {
    let align = if align == 8 { 8 } else { 4 };
    let word = |b: &[u8]| {
        let w = [b[0], b[1], b[2], b[3]];
        if le {
            u32::from_le_bytes(w)
        } else {
            u32::from_be_bytes(w)
        }
    };
    let pad = |n: usize| n.checked_add(align - 1).map(|n| n / align * align);
    let mut out = Vec::new();
    let mut rest = data;
    while rest.len() >= 12 {
        let (namesz, descsz, kind) = (
            word(&rest[..4]) as usize,
            word(&rest[4..8]) as usize,
            word(&rest[8..12]),
        );
        // The descriptor starts at the first aligned offset after the name, and the next note
        // at the first aligned offset after the descriptor.
        let Some(desc_at) = namesz.checked_add(12).and_then(pad) else {
            break;
        };
        let Some(desc_end) = desc_at.checked_add(descsz).and_then(pad) else {
            break;
        };
        let (Some(name), Some(desc)) = (rest.get(12..12 + namesz), rest.get(desc_at..desc_at + descsz)) else {
            break;
        };
        let owner = std::str::from_utf8(name).unwrap_or("").trim_end_matches('\0');
        out.push(Note { owner, kind, desc });
        rest = rest.get(desc_end..).unwrap_or(&[]);
    }
    out
}

/// A symbol table section with its string table.
pub struct SymbolTable<'a> {
    pub syms: Vec<Sym>,
    /// The linked string table's bytes (empty when it is unusable).
    pub strings: &'a [u8],
}

impl<'a> SymbolTable<'a> {
    /// The symbol's name; `None` when its offset lies outside the string table.
    pub fn name(&self, sym: &Sym) -> Option<&'a str> {
        cstr(self.strings, sym.st_name)
    }
}

pub struct Image<'a> {
    pub data: &'a [u8],
    pub header: Header,
    pub ctx: Ctx,
    pub is_64: bool,
    pub phdrs: Vec<ProgramHeader>,
    pub shdrs: Vec<SectionHeader>,
    /// The section name table's index after extended numbering, if it is usable.
    pub shstrndx: Option<usize>,
    pub symtab: Option<SymbolTable<'a>>,
    pub dynsym: Option<SymbolTable<'a>>,
    pub interpreter: Option<&'a str>,
    /// What is broken, one sentence each, with offsets (`section header table at 0x12000 runs
    /// past the end of the file (size 0x11f00)`).
    pub problems: Vec<String>,
}

/// A file's bytes: mapped read-only when it is a regular non-empty file (only the pages the
/// views touch are read, which makes a large binary cheap to inspect), read otherwise.
pub enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Read(v) => v,
        }
    }
}

/// The whole file; the parsed image borrows from it.
pub fn read(path: &Path) -> Result<FileBytes> {
    if path.is_dir() {
        bail!("{}: is a directory, not an ELF file", path.display());
    }
    let cannot = || format!("cannot read {}", path.display());
    let file = std::fs::File::open(path).with_context(cannot)?;
    let meta = file.metadata().with_context(cannot)?;
    if !meta.is_file() || meta.len() == 0 {
        return Ok(FileBytes::Read(std::fs::read(path).with_context(cannot)?));
    }
    // SAFETY: the mapping is private and read-only, so rtlink never sees its own writes. The
    // invariant the caller relies on is that no other process truncates the file while
    // rtlink reads it (the kernel would raise SIGBUS on the lost pages); inspecting a file
    // that is being rewritten is not supported, as with any tool that maps its input.
    let map = unsafe { memmap2::Mmap::map(&file) }.with_context(cannot)?;
    Ok(FileBytes::Mapped(map))
}

/// The NUL-terminated string at `off`. An unterminated string ends at the end of the table;
/// bytes that are not UTF-8 give `<non-UTF-8 name>`.
pub fn cstr(table: &[u8], off: usize) -> Option<&str> {
    let rest = table.get(off..)?;
    let s = std::ffi::CStr::from_bytes_until_nul(rest).map_or(rest, |c| c.to_bytes());
    Some(std::str::from_utf8(s).unwrap_or("<non-UTF-8 name>"))
}

impl<'a> Image<'a> {
    pub fn parse(path: &Path, bytes: &'a [u8]) -> Result<Self> {
        let p = path.display();
        if bytes.is_empty() {
            bail!("{p}: the file is empty, not an ELF file");
        }
        if bytes.starts_with(b"!<arch>\n") {
            bail!("{p}: an ar archive, not an ELF file (inspect its members: ar x {p})");
        }
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]);
        if text.starts_with("/* GNU ld script") || ["GROUP", "INPUT"].iter().any(|k| text.trim_start().starts_with(k)) {
            bail!("{p}: a GNU ld script (text), not an ELF file; inspect the files it names");
        }
        if !bytes.starts_with(b"\x7fELF") {
            bail!(
                "{p}: not an ELF file (it starts with {}); rtlink inspect reads ELF executables, shared \
                 objects and object files",
                bytes
                    .iter()
                    .take(4)
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        let is_64 = match bytes.get(header::EI_CLASS) {
            Some(&header::ELFCLASS64) => true,
            Some(&header::ELFCLASS32) => false,
            other => bail!("{p}: unknown ELF class {other:?} in e_ident (expected 1 or 2)"),
        };
        let le = match bytes.get(header::EI_DATA) {
            Some(&header::ELFDATA2LSB) => true,
            Some(&header::ELFDATA2MSB) => false,
            other => bail!("{p}: unknown ELF data encoding {other:?} in e_ident (expected 1 or 2)"),
        };
        let need = if is_64 {
            header::header64::SIZEOF_EHDR
        } else {
            header::header32::SIZEOF_EHDR
        };
        if bytes.len() < need {
            bail!(
                "{p}: truncated ELF header: the file has {} bytes, the header needs {need}",
                bytes.len()
            );
        }
        let header = Elf::parse_header(bytes).with_context(|| format!("{p}: unreadable ELF header"))?;
        let ctx = Ctx::new(if is_64 { Container::Big } else { Container::Little }, le.into());
        let mut img = Image {
            data: bytes,
            header,
            ctx,
            is_64,
            phdrs: Vec::new(),
            shdrs: Vec::new(),
            shstrndx: None,
            symtab: None,
            dynsym: None,
            interpreter: None,
            problems: Vec::new(),
        };
        img.load_sections();
        img.load_segments();
        img.symtab = img.load_symbols(SHT_SYMTAB);
        img.dynsym = img.load_symbols(SHT_DYNSYM);
        Ok(img)
    }

    /// Checks that a table of `count` entries of `entsize` bytes at `off` lies in the file.
    fn table_fits(&mut self, what: &str, off: u64, count: u64, entsize: u64) -> bool {
        let end = count.checked_mul(entsize).and_then(|n| n.checked_add(off));
        match end {
            Some(end) if end <= self.data.len() as u64 => true,
            _ => {
                self.problems.push(format!(
                    "{what} at {off:#x} ({count} entries of {entsize} bytes) runs past the end of the file (size {:#x})",
                    self.data.len()
                ));
                false
            }
        }
    }

    fn load_sections(&mut self) {
        let h = self.header;
        if h.e_shoff == 0 {
            return;
        }
        let size = SectionHeader::size(self.ctx) as u64;
        if u64::from(h.e_shentsize) != size {
            self.problems.push(format!(
                "section headers have entry size {}, expected {size}",
                h.e_shentsize
            ));
            return;
        }
        if !self.table_fits("section header table", h.e_shoff, u64::from(h.e_shnum.max(1)), size) {
            return;
        }
        // With more than 0xff00 sections the count lives in section 0's sh_size.
        let first = SectionHeader::parse_from(self.data, h.e_shoff as usize, 1, self.ctx);
        let count = match (h.e_shnum, first) {
            (0, Ok(f)) => f[0].sh_size,
            (n, _) => u64::from(n),
        };
        if count == 0 || !self.table_fits("section header table", h.e_shoff, count, size) {
            return;
        }
        match SectionHeader::parse_from(self.data, h.e_shoff as usize, count as usize, self.ctx) {
            Ok(s) => self.shdrs = s,
            Err(e) => self
                .problems
                .push(format!("section header table at {:#x}: {e}", h.e_shoff)),
        }
        let idx = match u32::from(h.e_shstrndx) {
            SHN_XINDEX => self.shdrs.first().map_or(0, |s| s.sh_link as usize),
            i => i as usize,
        };
        if idx == 0 {
            return;
        }
        if idx >= self.shdrs.len() {
            self.problems.push(format!(
                "section name table index {idx} is out of range ({} sections)",
                self.shdrs.len()
            ));
        } else if self.section_data(idx).is_some() {
            self.shstrndx = Some(idx);
        } else {
            self.problems
                .push(format!("section name table (section {idx}) lies outside the file"));
        }
    }

    fn load_segments(&mut self) {
        let h = self.header;
        // With 0xffff or more segments the count lives in section 0's sh_info.
        let count = match (h.e_phnum, self.shdrs.first()) {
            (0xffff, Some(s)) => u64::from(s.sh_info),
            (n, _) => u64::from(n),
        };
        if count == 0 {
            return;
        }
        let size = ProgramHeader::size(self.ctx) as u64;
        if u64::from(h.e_phentsize) != size {
            self.problems.push(format!(
                "program headers have entry size {}, expected {size}",
                h.e_phentsize
            ));
            return;
        }
        if !self.table_fits("program header table", h.e_phoff, count, size) {
            return;
        }
        match ProgramHeader::parse(self.data, h.e_phoff as usize, count as usize, self.ctx) {
            Ok(p) => self.phdrs = p,
            Err(e) => self
                .problems
                .push(format!("program header table at {:#x}: {e}", h.e_phoff)),
        }
        let broken: Vec<String> = (self.phdrs.iter().enumerate())
            .filter(|(_, ph)| ph.p_filesz != 0 && self.segment_data(ph).is_none())
            .map(|(i, ph)| {
                format!(
                    "segment {i} at {:#x} (size {:#x}) runs past the end of the file (size {:#x})",
                    ph.p_offset,
                    ph.p_filesz,
                    self.data.len()
                )
            })
            .collect();
        self.problems.extend(broken);
        self.interpreter = self
            .phdrs
            .iter()
            .find(|p| p.p_type == PT_INTERP)
            .and_then(|p| self.segment_data(p))
            .and_then(|d| cstr(d, 0));
    }

    fn load_symbols(&mut self, kind: u32) -> Option<SymbolTable<'a>> {
        let section = self.shdrs.iter().position(|s| s.sh_type == kind)?;
        let sh = self.shdrs[section].clone();
        let what = format!("symbol table {} (section {section})", self.section_name(section));
        let size = Sym::size(self.ctx.container) as u64;
        if sh.sh_entsize != size {
            self.problems
                .push(format!("{what} has entry size {}, expected {size}", sh.sh_entsize));
            return None;
        }
        if !self.table_fits(&what, sh.sh_offset, sh.sh_size / size, size) {
            return None;
        }
        let syms = match Symtab::parse(self.data, sh.sh_offset as usize, (sh.sh_size / size) as usize, self.ctx) {
            Ok(t) => t.to_vec(),
            Err(e) => {
                self.problems.push(format!("{what}: {e}"));
                return None;
            }
        };
        let strings = match self.section_data(sh.sh_link as usize) {
            Some(s) => s,
            None => {
                self.problems.push(format!(
                    "{what} names string table section {}, which is missing or outside the file",
                    sh.sh_link
                ));
                &[]
            }
        };
        Some(SymbolTable { syms, strings })
    }

    /// The section's name, `<corrupt>` when the name table or offset is unusable (as readelf).
    pub fn section_name(&self, i: usize) -> &'a str {
        let name = self
            .shstrndx
            .and_then(|t| self.section_data(t))
            .zip(self.shdrs.get(i))
            .and_then(|(t, s)| cstr(t, s.sh_name));
        name.unwrap_or("<corrupt>")
    }

    /// The bytes of the first section called `name`, if it exists and lies in the file.
    pub fn section_by_name(&self, name: &str) -> Option<(usize, &'a [u8])> {
        let i = (1..self.shdrs.len()).find(|&i| self.section_name(i) == name)?;
        Some((i, self.section_data(i)?))
    }

    /// The section's bytes in the file; `None` for SHT_NOBITS and for ranges outside the file.
    pub fn section_data(&self, i: usize) -> Option<&'a [u8]> {
        let s = self.shdrs.get(i)?;
        if s.sh_type == SHT_NOBITS {
            return None;
        }
        self.range(s.sh_offset, s.sh_size)
    }

    /// The segment's file bytes; `None` when they lie outside the file.
    pub fn segment_data(&self, p: &ProgramHeader) -> Option<&'a [u8]> {
        self.range(p.p_offset, p.p_filesz)
    }

    fn range(&self, off: u64, len: u64) -> Option<&'a [u8]> {
        let start = usize::try_from(off).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        self.data.get(start..end)
    }

    /// Every note in the file, from the SHT_NOTE sections, or from the PT_NOTE segments when
    /// the file has no section headers (stripped of them, or a core file).
    pub fn notes(&self) -> Vec<Note<'a>> {
        use goblin::elf::program_header::PT_NOTE;
        use goblin::elf::section_header::SHT_NOTE;
        let le = self.ctx.le.is_little();
        let from_sections: Vec<Note<'a>> = (0..self.shdrs.len())
            .filter(|&i| self.shdrs[i].sh_type == SHT_NOTE)
            .filter_map(|i| self.section_data(i).map(|d| notes(d, self.shdrs[i].sh_addralign, le)))
            .flatten()
            .collect();
        if !self.shdrs.is_empty() {
            return from_sections;
        }
        (self.phdrs.iter().filter(|p| p.p_type == PT_NOTE))
            .filter_map(|p| self.segment_data(p).map(|d| notes(d, p.p_align, le)))
            .flatten()
            .collect()
    }

    /// The build ID: GNU's NT_GNU_BUILD_ID in hex, or Go's build ID string.
    pub fn build_id(&self) -> Option<String> {
        const NT_GNU_BUILD_ID: u32 = 3;
        const NT_GO_BUILDID: u32 = 4;
        self.notes().iter().find_map(|n| match (n.owner, n.kind) {
            ("GNU", NT_GNU_BUILD_ID) => Some(n.desc.iter().map(|b| format!("{b:02x}")).collect()),
            ("Go", NT_GO_BUILDID) => std::str::from_utf8(n.desc).ok().map(|s| format!("Go {s}")),
            _ => None,
        })
    }

    /// `ELF64 x86-64 executable, statically linked` and the like.
    pub fn describe(&self) -> String {
        let h = &self.header;
        let class = if self.is_64 { "ELF64" } else { "ELF32" };
        let machine = match h.e_machine {
            header::EM_X86_64 => "x86-64".to_string(),
            header::EM_386 => "i386".to_string(),
            header::EM_AARCH64 => "AArch64".to_string(),
            header::EM_RISCV => "RISC-V".to_string(),
            m => format!("machine {m}"),
        };
        let dynamic = self.phdrs.iter().any(|p| p.p_type == PT_DYNAMIC);
        let pie = linkage::of(self).is_some_and(Linkage::is_pie);
        let kind = match h.e_type {
            ET_REL => "relocatable object".to_string(),
            ET_EXEC => "executable".to_string(),
            ET_DYN if pie => "position-independent executable".into(),
            ET_DYN => "shared object".to_string(),
            ET_CORE => "core file".to_string(),
            t => format!("ELF type {t:#x}"),
        };
        let linking = match (h.e_type, self.interpreter, dynamic) {
            (ET_REL | ET_CORE, _, _) => String::new(),
            (_, Some(interp), _) => format!(", dynamically linked (interpreter {interp})"),
            (ET_DYN, None, _) if !pie => String::new(),
            (_, None, true) => ", static-pie linked".to_string(),
            (_, None, false) => ", statically linked".to_string(),
        };
        format!("{class} {machine} {kind}{linking}")
    }

    /// The dynamic section's entries before DT_NULL, read from PT_DYNAMIC; empty when there is
    /// no PT_DYNAMIC or it lies outside the file.
    pub fn dynamic(&self) -> Vec<Dyn> {
        use scroll::Pread;
        let Some(data) = (self.phdrs.iter())
            .find(|p| p.p_type == PT_DYNAMIC)
            .and_then(|p| self.segment_data(p))
        else {
            return Vec::new();
        };
        let size = if self.is_64 {
            goblin::elf::dynamic::dyn64::SIZEOF_DYN
        } else {
            goblin::elf::dynamic::dyn32::SIZEOF_DYN
        };
        data.chunks_exact(size)
            .map_while(|c| c.pread_with::<Dyn>(0, self.ctx).ok().filter(|d| d.d_tag != DT_NULL))
            .collect()
    }

    /// DF_1_PIE in the dynamic section (readelf's test for a position-independent executable).
    pub fn pie_flag(&self) -> bool {
        (self.dynamic().iter()).any(|d| d.d_tag == DT_FLAGS_1 && d.d_val & DF_1_PIE != 0)
    }

    /// The `len` file bytes the PT_LOAD segments map at virtual address `addr`; `None` when the
    /// range is not wholly within one segment's file bytes.
    pub fn mapped(&self, addr: u64, len: u64) -> Option<&'a [u8]> {
        let seg = self.phdrs.iter().find(|p| {
            p.p_type == PT_LOAD
                && addr >= p.p_vaddr
                && addr
                    .checked_add(len)
                    .is_some_and(|end| end <= p.p_vaddr.saturating_add(p.p_filesz))
        })?;
        self.range(seg.p_offset.checked_add(addr - seg.p_vaddr)?, len)
    }

    /// The pointer at virtual address `addr` as the running program sees it: in a PIE, the
    /// addend of an R_X86_64_RELATIVE dynamic relocation there (what the loader, or a
    /// static-PIE's own start, writes relative to the link base; lld leaves the word itself 0),
    /// otherwise the word in the file.
    pub fn read_pointer(&self, addr: u64) -> Result<u64, String> {
        use goblin::elf::reloc::{Reloc, R_X86_64_RELATIVE};
        use goblin::elf::section_header::{SHF_ALLOC, SHT_RELA};
        if self.header.e_type == ET_DYN && self.is_64 {
            let relative = self
                .shdrs
                .iter()
                .filter(|s| s.sh_type == SHT_RELA && s.sh_flags & u64::from(SHF_ALLOC) != 0)
                .filter_map(|s| self.range(s.sh_offset, s.sh_size))
                .flat_map(|d| d.chunks_exact(24))
                .filter_map(|c| {
                    use scroll::Pread;
                    c.pread_with::<Reloc>(0, (true, self.ctx)).ok()
                })
                .find(|r| r.r_offset == addr && r.r_type == R_X86_64_RELATIVE);
            if let Some(r) = relative {
                return Ok(r.r_addend.unwrap_or(0) as u64);
            }
        }
        self.read_u64(addr)
    }

    /// The 8-byte word at virtual address `addr`, through the PT_LOAD segments, in the file's
    /// byte order. Bytes beyond a segment's file size read as zero, as the loader maps them.
    pub fn read_u64(&self, addr: u64) -> Result<u64, String> {
        let seg = self
            .phdrs
            .iter()
            .find(|p| {
                p.p_type == PT_LOAD
                    && addr >= p.p_vaddr
                    && addr.saturating_add(8) <= p.p_vaddr.saturating_add(p.p_memsz)
            })
            .ok_or_else(|| format!("{addr:#x} is not in any loadable segment"))?;
        let rel = addr - seg.p_vaddr;
        let mut word = [0u8; 8];
        if rel < seg.p_filesz {
            let n = 8.min(seg.p_filesz - rel);
            let bytes = self
                .range(seg.p_offset.saturating_add(rel), n)
                .ok_or_else(|| format!("{addr:#x} maps to a file offset past the end of the file"))?;
            word[..bytes.len()].copy_from_slice(bytes);
        }
        Ok(if self.ctx.le.is_little() {
            u64::from_le_bytes(word)
        } else {
            u64::from_be_bytes(word)
        })
    }
}
