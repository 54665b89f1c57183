//! An ELF file read into memory and parsed by goblin, with the few views the inspector needs:
//! what kind of file it is, and the bytes a virtual address maps to.
//!
//! Anything that is not a well-formed ELF file is turned into an error naming the file and
//! what is wrong with it before any other part of the inspector sees it.
use std::path::Path;

use anyhow::{bail, Context, Result};
use goblin::elf::header::{self, ET_CORE, ET_DYN, ET_EXEC, ET_REL};
use goblin::elf::program_header::{PT_DYNAMIC, PT_LOAD};
use goblin::elf::Elf;

pub struct Image<'a> {
    pub data: &'a [u8],
    pub elf: Elf<'a>,
}

/// The whole file; the parsed image borrows from it.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
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
        let elf = Elf::parse(bytes).map_err(|e| anyhow::anyhow!("{p}: truncated or malformed ELF file: {e}"))?;
        Ok(Image { data: bytes, elf })
    }

    /// `ELF64 x86-64 executable, statically linked` and the like.
    pub fn describe(&self) -> String {
        let h = &self.elf.header;
        let class = if self.elf.is_64 { "ELF64" } else { "ELF32" };
        let machine = match h.e_machine {
            header::EM_X86_64 => "x86-64".to_string(),
            header::EM_386 => "i386".to_string(),
            header::EM_AARCH64 => "AArch64".to_string(),
            header::EM_RISCV => "RISC-V".to_string(),
            m => format!("machine {m}"),
        };
        let dynamic = self.elf.program_headers.iter().any(|p| p.p_type == PT_DYNAMIC);
        let kind = match h.e_type {
            ET_REL => "relocatable object".to_string(),
            ET_EXEC => "executable".to_string(),
            ET_DYN if self.elf.interpreter.is_some() || self.pie_flag() => "position-independent executable".into(),
            ET_DYN => "shared object".to_string(),
            ET_CORE => "core file".to_string(),
            t => format!("ELF type {t:#x}"),
        };
        let linking = match (h.e_type, self.elf.interpreter, dynamic) {
            (ET_REL | ET_CORE, _, _) => String::new(),
            (_, Some(interp), _) => format!(", dynamically linked (interpreter {interp})"),
            (ET_DYN, None, _) if !self.pie_flag() => String::new(),
            (_, None, true) => ", static-pie linked".to_string(),
            (_, None, false) => ", statically linked".to_string(),
        };
        format!("{class} {machine} {kind}{linking}")
    }

    /// DF_1_PIE in the dynamic section: a PIE whose interpreter is not named (static-pie).
    fn pie_flag(&self) -> bool {
        const DF_1_PIE: u64 = 0x0800_0000;
        self.elf
            .dynamic
            .as_ref()
            .is_some_and(|d| d.info.flags_1 & DF_1_PIE != 0)
    }

    /// The little-endian 8-byte word at virtual address `addr`, through the PT_LOAD segments.
    /// Bytes beyond a segment's file size read as zero, as the loader maps them.
    pub fn read_u64(&self, addr: u64) -> Result<u64, String> {
        let seg = self
            .elf
            .program_headers
            .iter()
            .find(|p| {
                p.p_type == PT_LOAD
                    && addr >= p.p_vaddr
                    && addr.saturating_add(8) <= p.p_vaddr.saturating_add(p.p_memsz)
            })
            .ok_or_else(|| format!("{addr:#x} is not in any loadable segment"))?;
        let rel = addr - seg.p_vaddr;
        if rel >= seg.p_filesz {
            return Ok(0);
        }
        let bytes = self.bytes_at(seg.p_offset.saturating_add(rel), 8.min(seg.p_filesz - rel))?;
        let mut word = [0u8; 8];
        word[..bytes.len()].copy_from_slice(bytes);
        Ok(u64::from_le_bytes(word))
    }

    fn bytes_at(&self, off: u64, len: u64) -> Result<&'a [u8], String> {
        let past_end = || format!("file offset {off:#x} is past the end of the file");
        let start = usize::try_from(off).map_err(|_| past_end())?;
        self.data
            .get(start..start.saturating_add(len as usize))
            .ok_or_else(past_end)
    }
}
