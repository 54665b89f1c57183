//! One relocatable object as the internal linker sees it: its section headers, section names,
//! symbols and relocations, read in place from the file's bytes with object's ELF types.
//!
//! Invariants:
//! - `parse` accepts only what `check.rs` already checked for (ELF64, little-endian, x86-64,
//!   ET_REL); anything malformed beyond that is an error naming the object, never a panic.
//!   Every section's bytes lie in the file, and sizes and alignments are bounded, so layout
//!   arithmetic cannot overflow.
//! - Per-section and per-symbol vectors are indexed by the ELF section and symbol index.
//! - `rela[i]` holds the relocations that apply to section `i` (the SHT_RELA section whose
//!   sh_info is `i`); SHT_REL sections do not occur on x86-64 and are refused.
use anyhow::{anyhow, bail, Result};
use object::elf::{self, FileHeader64, Rela64, SectionHeader64, Sym64};
use object::read::elf::{FileHeader as _, SectionHeader as _, Sym as _};
use object::LittleEndian as LE;

/// The largest section the internal linker lays out (1 TiB, of .bss say): with at most 2^16
/// sections per object in practice, addresses cannot overflow.
const MAX_SECTION: u64 = 1 << 40;
/// The largest section alignment (2 MiB, a huge page).
const MAX_ALIGN: u64 = 1 << 21;

/// The first reserved section index (absolute, common and the like).
const SHN_LORESERVE: u16 = 0xff00;

/// A relocatable object, borrowed from its bytes.
pub struct Obj<'a> {
    /// The name errors use: `file.o` or `lib.a(member.o)`.
    pub label: String,
    pub data: &'a [u8],
    pub shdrs: &'a [SectionHeader64<LE>],
    pub names: Vec<&'a [u8]>,
    pub syms: &'a [Sym64<LE>],
    pub sym_names: Vec<&'a [u8]>,
    /// SHT_SYMTAB_SHNDX: the real section index of symbols whose st_shndx is SHN_XINDEX.
    shndx: &'a [object::U32<LE>],
    pub rela: Vec<&'a [Rela64<LE>]>,
    /// Sections kept after COMDAT deduplication (false: another object's copy of the group
    /// won, or the section is one the linker drops).
    pub kept: Vec<bool>,
}

impl<'a> Obj<'a> {
    pub fn parse(label: String, data: &'a [u8]) -> Result<Obj<'a>> {
        let bad = |e: object::read::Error| anyhow!("{label}: malformed ELF object ({e}); rebuild it");
        let hdr = FileHeader64::<LE>::parse(data).map_err(bad)?;
        let sections = hdr.sections(LE, data).map_err(bad)?;
        let shdrs = sections.iter().as_slice();
        let names = (shdrs.iter())
            .map(|s| sections.section_name(LE, s).map_err(bad))
            .collect::<Result<Vec<_>>>()?;
        let symtab = sections.symbols(LE, data, elf::SHT_SYMTAB).map_err(bad)?;
        let syms = symtab.symbols();
        let sym_names = (syms.iter())
            .map(|s| symtab.symbol_name(LE, s).map_err(bad))
            .collect::<Result<Vec<_>>>()?;
        let mut shndx: &[object::U32<LE>] = &[];
        let mut rela: Vec<&[Rela64<LE>]> = vec![&[]; shdrs.len()];
        for s in shdrs {
            match s.sh_type(LE) {
                elf::SHT_SYMTAB_SHNDX => {
                    shndx = s
                        .data_as_array(LE, data)
                        .map_err(|_| anyhow!("{label}: malformed SHT_SYMTAB_SHNDX"))?;
                }
                elf::SHT_RELA => {
                    let (r, _) = s.rela(LE, data).map_err(bad)?.unwrap_or((&[], object::SectionIndex(0)));
                    let target = s.sh_info(LE) as usize;
                    let slot = (rela.get_mut(target)).ok_or_else(|| {
                        anyhow!("{label}: relocation section for section {target}, which does not exist")
                    })?;
                    *slot = r;
                }
                elf::SHT_REL => bail!("{label}: SHT_REL relocations, which x86-64 objects never have (rebuild it)"),
                _ => {}
            }
        }
        for (i, s) in shdrs.iter().enumerate() {
            let (size, align) = (s.sh_size(LE), s.sh_addralign(LE));
            if size > MAX_SECTION || align > MAX_ALIGN || (align != 0 && !align.is_power_of_two()) {
                bail!(
                    "{label}: section {} has size {size:#x} and alignment {align:#x}; the internal linker takes sections up to {MAX_SECTION:#x} bytes aligned to a power of two up to {MAX_ALIGN:#x} (rebuild it)",
                    String::from_utf8_lossy(names[i])
                );
            }
            if s.sh_type(LE) != elf::SHT_NOBITS && s.data(LE, data).is_err() {
                bail!(
                    "{label}: section {} lies outside the file (rebuild it)",
                    String::from_utf8_lossy(names[i])
                );
            }
        }
        let kept = vec![true; shdrs.len()];
        let obj = Obj {
            label,
            data,
            shdrs,
            names,
            syms,
            sym_names,
            shndx,
            rela,
            kept,
        };
        obj.check_indices()?;
        Ok(obj)
    }

    /// Every symbol's section and every relocation's symbol exist, so that the passes can
    /// index by them.
    fn check_indices(&self) -> Result<()> {
        for i in 0..self.syms.len() {
            if let Some(sec) = self.sym_section(i).filter(|&sec| sec >= self.shdrs.len()) {
                bail!(
                    "{}: symbol {} is in section {sec}, which does not exist (rebuild it)",
                    self.label,
                    String::from_utf8_lossy(self.sym_names[i])
                );
            }
        }
        for (i, rels) in self.rela.iter().enumerate() {
            if let Some(r) = rels
                .iter()
                .find(|r| r.r_sym(LE, false) as usize >= self.syms.len().max(1))
            {
                bail!(
                    "{}: a relocation in {} refers to symbol {}, which does not exist (rebuild it)",
                    self.label,
                    self.section_name(i),
                    r.r_sym(LE, false)
                );
            }
        }
        Ok(())
    }

    /// The section a symbol is defined in, if it is defined in a section (not undefined,
    /// absolute or common).
    pub fn sym_section(&self, i: usize) -> Option<usize> {
        let s = self.syms.get(i)?;
        match s.st_shndx(LE) {
            elf::SHN_UNDEF | elf::SHN_ABS | elf::SHN_COMMON => None,
            elf::SHN_XINDEX => self.shndx.get(i).map(|x| x.get(LE) as usize),
            n if n.0 >= SHN_LORESERVE => None,
            n => Some(n.0 as usize),
        }
    }

    /// A section's bytes (empty for SHT_NOBITS).
    pub fn section_data(&self, i: usize) -> Result<&'a [u8]> {
        let s = &self.shdrs[i];
        if s.sh_type(LE) == elf::SHT_NOBITS {
            return Ok(&[]);
        }
        s.data(LE, self.data).map_err(|_| {
            anyhow!(
                "{}: section {} lies outside the file (rebuild it)",
                self.label,
                self.section_name(i)
            )
        })
    }

    pub fn section_name(&self, i: usize) -> String {
        String::from_utf8_lossy(self.names[i]).into_owned()
    }

    pub fn flags(&self, i: usize) -> u64 {
        self.shdrs[i].sh_flags(LE).0
    }

    pub fn size(&self, i: usize) -> u64 {
        self.shdrs[i].sh_size(LE)
    }

    pub fn align(&self, i: usize) -> u64 {
        self.shdrs[i].sh_addralign(LE).max(1)
    }

    pub fn is_alloc(&self, i: usize) -> bool {
        self.flags(i) & elf::SHF_ALLOC.0 != 0
    }

    /// Whether symbol `i` is local (its binding is STB_LOCAL; the first sh_info symbols).
    pub fn is_local(&self, i: usize) -> bool {
        self.syms[i].st_bind() == elf::STB_LOCAL
    }
}
