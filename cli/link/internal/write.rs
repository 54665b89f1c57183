//! Pass 4, write: the ELF and program headers, the symbol table, the section headers and the
//! build ID, around the relocated image. A small writer of its own over object's ELF structures
//! rather than object's `write::elf::Writer`: the linker has already placed every byte of the
//! image (it had to, to relocate), so only headers and tables remain, which the Writer's
//! reserve-then-write protocol would lay out a second time.
//!
//! Invariants:
//! - Section header 0 is null; output sections follow in layout order, then `.symtab`,
//!   `.strtab` (unless stripped) and `.shstrtab`; the section header table ends the file.
//! - `.symtab` has the null symbol, then every object's local symbols (file, function and
//!   object symbols; no section symbols) in output order, then hidden globals as locals (as
//!   GNU ld makes them), then the globals; `sh_info` is the first global's index.
//! - Symbols in sections that did not reach the output are left out, and so are `.L` labels
//!   in merged sections (GNU ld's default, `--discard-locals` for those).
//! - The build ID is a hash of the whole file with the ID's own bytes zero, so equal inputs
//!   give equal IDs (GNU ld's `--build-id=sha1` and `md5`).
use anyhow::{anyhow, Result};
use object::elf::{self, FileHeader64, ProgramHeader64, SectionHeader64, Sym64};
use object::pod::bytes_of;
use object::read::elf::Sym as _;
use object::write::StringTable;
use object::{LittleEndian as LE, U16, U32, U64};

use super::layout::Layout;
use super::sections::{Content, Sections};
use super::symbols::{Strength, Symbols};

/// How the program is written: its entry point, its kind, its base and what to leave out.
pub struct Options<'o> {
    pub entry: u64,
    pub e_type: u16,
    pub strip_all: bool,
    pub build_id: &'o str,
}

/// One symbol for `.symtab`.
struct OutSym<'a> {
    name: &'a [u8],
    info: u8,
    other: u8,
    shndx: u16,
    value: u64,
    size: u64,
}

/// The symbols of the output, locals first; returns them and the number of locals.
fn symbols<'a>(
    s: &Symbols<'a>,
    secs: &Sections,
    order: &[usize],
    value: &dyn Fn(usize) -> Option<(u64, u16)>,
) -> (Vec<OutSym<'a>>, usize) {
    let shndx = |o: usize, sec: usize| secs.place[o].get(sec).copied().flatten().map(|(n, _)| n as u16 + 1);
    let mut out = Vec::new();
    for &o in order {
        let obj = &s.objs[o];
        for (i, sym) in obj.syms.iter().enumerate().skip(1) {
            if !obj.is_local(i) || sym.st_type() == elf::STT_SECTION {
                continue;
            }
            let (value, shndx) = if sym.st_type() == elf::STT_FILE || sym.st_shndx(LE) == elf::SHN_ABS {
                (sym.st_value(LE), elf::SHN_ABS.0)
            } else {
                let Some(sec) = obj.sym_section(i) else { continue };
                // GNU ld's default: the compiler's own labels in merged sections go.
                if obj.sym_names[i].starts_with(b".L") && obj.flags(sec) & elf::SHF_MERGE.0 != 0 {
                    continue;
                }
                let (Some(n), Some(addr)) = (shndx(o, sec), secs.addr(o, sec, sym.st_value(LE))) else {
                    continue;
                };
                (addr, n)
            };
            out.push(OutSym {
                name: obj.sym_names[i],
                info: sym.st_info.0,
                other: sym.st_other.0,
                shndx,
                value,
                size: sym.st_size(LE),
            });
        }
    }
    let mut globals = Vec::new();
    for (g, glob) in s.globals.iter().enumerate() {
        let (bind, ty, size, other) = match glob.def {
            Some((d, di)) if glob.strength != Strength::Undefined => {
                let sym = &s.objs[d].syms[di];
                let size = if glob.strength == Strength::Common {
                    glob.common_size
                } else {
                    sym.st_size(LE)
                };
                let ty = if glob.strength == Strength::Common {
                    elf::STT_OBJECT.0
                } else {
                    sym.st_type().0
                };
                (sym.st_bind().0, ty, size, sym.st_other.0)
            }
            _ if glob.synthetic.is_some() => (elf::STB_GLOBAL.0, elf::STT_NOTYPE.0, 0, elf::STV_HIDDEN.0),
            _ if glob.strong_ref => continue,
            _ => {
                globals.push(OutSym {
                    name: glob.name,
                    info: (elf::STB_WEAK.0 << 4),
                    other: 0,
                    shndx: 0,
                    value: 0,
                    size: 0,
                });
                continue;
            }
        };
        let Some((value, shndx)) = value(g) else { continue };
        let sym = OutSym {
            name: glob.name,
            info: (bind << 4) | ty,
            other,
            shndx,
            value,
            size,
        };
        if glob.hidden || glob.synthetic.is_some() {
            out.push(OutSym {
                info: (elf::STB_LOCAL.0 << 4) | ty,
                ..sym
            });
        } else {
            globals.push(sym);
        }
    }
    let locals = out.len() + 1;
    out.extend(globals);
    (out, locals)
}

/// Writes headers, tables and the build ID around `image` (the laid-out, relocated sections).
pub fn finish(
    mut image: Vec<u8>,
    s: &Symbols,
    secs: &Sections,
    layout: &Layout,
    order: &[usize],
    value: &dyn Fn(usize) -> Option<(u64, u16)>,
    opts: &Options,
) -> Result<Vec<u8>> {
    let mut shstr = StringTable::default();
    let names: Vec<_> = secs.outs.iter().map(|o| shstr.add(&o.name)).collect();
    let (symtab_name, strtab_name, shstrtab_name) =
        (shstr.add(b".symtab"), shstr.add(b".strtab"), shstr.add(b".shstrtab"));
    let mut headers: Vec<SectionHeader64<LE>> = vec![section(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)];
    for o in &secs.outs {
        headers.push(section(
            0, o.sh_type, o.flags, o.addr, o.offset, o.size, 0, 0, o.align, o.entsize,
        ));
    }
    if !opts.strip_all {
        let (syms, locals) = symbols(s, secs, order, value);
        let mut strtab = StringTable::default();
        let ids: Vec<_> = syms
            .iter()
            .map(|sym| (!sym.name.is_empty()).then(|| strtab.add(sym.name)))
            .collect();
        let mut strbytes = vec![0u8];
        strtab
            .write(&mut strbytes, 1)
            .map_err(|e| anyhow!("symbol table: {e}"))?;
        let symoff = (image.len() as u64).next_multiple_of(8);
        image.resize(symoff as usize, 0);
        image.extend_from_slice(&[0; 24]);
        for (sym, id) in syms.iter().zip(&ids) {
            let out = Sym64::<LE> {
                st_name: U32::new(LE, id.map_or(0, |id| strtab.get_offset(id))),
                st_info: elf::SymbolInfo(sym.info),
                st_other: elf::SymbolOther(sym.other),
                st_shndx: U16::new(LE, elf::SymbolSection(sym.shndx)),
                st_value: U64::new(LE, sym.value),
                st_size: U64::new(LE, sym.size),
            };
            image.extend_from_slice(bytes_of(&out));
        }
        let symsize = image.len() as u64 - symoff;
        let stroff = image.len() as u64;
        image.extend_from_slice(&strbytes);
        let strndx = headers.len() as u32 + 1;
        headers.push(section(
            0,
            elf::SHT_SYMTAB.0,
            0,
            0,
            symoff,
            symsize,
            strndx,
            locals as u32,
            8,
            24,
        ));
        headers.push(section(
            0,
            elf::SHT_STRTAB.0,
            0,
            0,
            stroff,
            strbytes.len() as u64,
            0,
            0,
            1,
            0,
        ));
    }
    let mut shbytes = vec![0u8];
    shstr
        .write(&mut shbytes, 1)
        .map_err(|e| anyhow!("section names: {e}"))?;
    let shstroff = image.len() as u64;
    image.extend_from_slice(&shbytes);
    headers.push(section(
        0,
        elf::SHT_STRTAB.0,
        0,
        0,
        shstroff,
        shbytes.len() as u64,
        0,
        0,
        1,
        0,
    ));
    // Names, now that the string table has its offsets.
    let mut name_ids = names;
    if !opts.strip_all {
        name_ids.extend([symtab_name, strtab_name]);
    }
    name_ids.push(shstrtab_name);
    for (h, id) in headers.iter_mut().skip(1).zip(name_ids) {
        h.sh_name = U32::new(LE, shstr.get_offset(id));
    }
    let shoff = (image.len() as u64).next_multiple_of(8);
    image.resize(shoff as usize, 0);
    for h in &headers {
        image.extend_from_slice(bytes_of(h));
    }
    let header = FileHeader64::<LE> {
        e_ident: elf::Ident {
            magic: elf::ELFMAG,
            class: elf::ELFCLASS64,
            data: elf::ELFDATA2LSB,
            version: elf::EV_CURRENT,
            os_abi: elf::ELFOSABI_NONE,
            abi_version: 0,
            padding: [0; 7],
        },
        e_type: U16::new(LE, elf::FileType(opts.e_type)),
        e_machine: U16::new(LE, elf::EM_X86_64),
        e_version: U32::new(LE, u32::from(elf::EV_CURRENT.0)),
        e_entry: U64::new(LE, opts.entry),
        e_phoff: U64::new(LE, 64),
        e_shoff: U64::new(LE, shoff),
        e_flags: U32::new(LE, elf::FileFlags(0)),
        e_ehsize: U16::new(LE, 64),
        e_phentsize: U16::new(LE, 56),
        e_phnum: U16::new(LE, layout.segments.len() as u16),
        e_shentsize: U16::new(LE, 64),
        e_shnum: U16::new(LE, headers.len() as u16),
        e_shstrndx: U16::new(LE, elf::SymbolSection(headers.len() as u16 - 1)),
    };
    image[..64].copy_from_slice(bytes_of(&header));
    for (i, seg) in layout.segments.iter().enumerate() {
        let ph = ProgramHeader64::<LE> {
            p_type: U32::new(LE, elf::ProgramType(seg.p_type)),
            p_flags: U32::new(LE, elf::ProgramFlags(seg.flags)),
            p_offset: U64::new(LE, seg.offset),
            p_vaddr: U64::new(LE, seg.vaddr),
            p_paddr: U64::new(LE, seg.vaddr),
            p_filesz: U64::new(LE, seg.filesz),
            p_memsz: U64::new(LE, seg.memsz),
            p_align: U64::new(LE, seg.align),
        };
        let at = 64 + i * 56;
        image[at..at + 56].copy_from_slice(bytes_of(&ph));
    }
    build_id(&mut image, secs, opts.build_id);
    Ok(image)
}

#[allow(clippy::too_many_arguments)]
fn section(
    name: u32,
    ty: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    align: u64,
    entsize: u64,
) -> SectionHeader64<LE> {
    SectionHeader64 {
        sh_name: U32::new(LE, name),
        sh_type: U32::new(LE, elf::SectionType(ty)),
        sh_flags: U64::new(LE, elf::SectionFlags(flags)),
        sh_addr: U64::new(LE, addr),
        sh_offset: U64::new(LE, offset),
        sh_size: U64::new(LE, size),
        sh_link: U32::new(LE, link),
        sh_info: U32::new(LE, info),
        sh_addralign: U64::new(LE, align),
        sh_entsize: U64::new(LE, entsize),
    }
}

/// The size of the build-ID note for a `--build-id` style, if there is one.
pub fn build_id_size(style: &str) -> Option<u64> {
    match style {
        "sha1" => Some(16 + 20),
        "md5" => Some(16 + 16),
        _ => None,
    }
}

/// Writes the note's header, then the hash of the file into its descriptor.
fn build_id(image: &mut [u8], secs: &Sections, style: &str) {
    let Some(at) = (secs.outs.iter()).find_map(|o| {
        o.members
            .iter()
            .find(|m| m.content == Content::BuildId)
            .map(|m| (o.offset + m.off) as usize)
    }) else {
        return;
    };
    let Some(size) = build_id_size(style) else { return };
    let desc = (size - 16) as u32;
    image[at..at + 4].copy_from_slice(&4u32.to_le_bytes());
    image[at + 4..at + 8].copy_from_slice(&desc.to_le_bytes());
    image[at + 8..at + 12].copy_from_slice(&elf::NT_GNU_BUILD_ID.0.to_le_bytes());
    image[at + 12..at + 16].copy_from_slice(b"GNU\0");
    let hash: Vec<u8> = match style {
        "md5" => {
            use md5::Digest as _;
            md5::Md5::digest(&*image).to_vec()
        }
        _ => {
            use sha1::Digest as _;
            sha1::Sha1::digest(&*image).to_vec()
        }
    };
    image[at + 16..at + 16 + desc as usize].copy_from_slice(&hash);
}
