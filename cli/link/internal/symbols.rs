//! Pass 1, resolve: which objects take part and what every global name means.
//!
//! Objects given directly, and every member of an archive inside --whole-archive, are loaded
//! in link-line order. An archive contributes its symbol index only: a member is loaded when a
//! strong reference to a name it defines exists, whether that reference came before the archive
//! on the line or after it (lld's rule, so archive order never matters), and loading it may add
//! references that load further members until nothing changes.
//!
//! Invariants:
//! - One `Global` per non-local name; its `def` is the definition that wins: a strong one over a
//!   common one over a weak one; among equals the first loaded; two strong ones are an error in
//!   lld's layout. Common symbols merge (largest size, largest alignment).
//! - A COMDAT group is kept in the first object that has it; the other copies' sections are
//!   marked not `kept`, and their symbols defined there count as references only.
//! - Sections the output never has (SHF_EXCLUDE, .note.GNU-stack, .note.gnu.property,
//!   .gnu_debuglink, .gnu.lto_*, groups, symbol and relocation tables) are not `kept` either.
use std::collections::HashMap;

use anyhow::{bail, Result};
use object::elf;
use object::read::archive::ArchiveFile;
use object::read::elf::{SectionHeader as _, Sym as _};
use object::LittleEndian as LE;

use super::input::Obj;

/// How strongly a name is defined; a higher one replaces a lower one.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Strength {
    Undefined,
    Weak,
    Common,
    Strong,
}

/// A symbol the linker itself defines, with what its address is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Synthetic<'a> {
    /// `__ehdr_start`, `__executable_start`: the ELF header.
    Ehdr,
    /// `_GLOBAL_OFFSET_TABLE_`: the GOT.
    Got,
    /// `__start_SEC` / `__stop_SEC`, `__init_array_start` and the like: an output section's
    /// start or end.
    Start(&'a [u8]),
    Stop(&'a [u8]),
}

impl<'a> Synthetic<'a> {
    /// What the linker defines `name` as, if it is one of its names.
    pub fn of(name: &'a [u8]) -> Option<Synthetic<'a>> {
        let array = |n: &'a [u8]| -> Option<&'a [u8]> {
            [&b".preinit_array"[..], b".init_array", b".fini_array"]
                .into_iter()
                .find(|a| a.strip_prefix(b".") == Some(n))
        };
        Some(match name {
            b"__ehdr_start" | b"__executable_start" => Synthetic::Ehdr,
            b"_GLOBAL_OFFSET_TABLE_" => Synthetic::Got,
            _ => {
                if let Some(sec) = name.strip_prefix(b"__start_") {
                    Synthetic::Start(sec)
                } else if let Some(sec) = name.strip_prefix(b"__stop_") {
                    Synthetic::Stop(sec)
                } else if let Some(a) = name
                    .strip_prefix(b"__")
                    .and_then(|n| n.strip_suffix(b"_start"))
                    .and_then(array)
                {
                    Synthetic::Start(a)
                } else if let Some(a) = name
                    .strip_prefix(b"__")
                    .and_then(|n| n.strip_suffix(b"_end"))
                    .and_then(array)
                {
                    Synthetic::Stop(a)
                } else {
                    return None;
                }
            }
        })
    }
}

pub struct Global<'a> {
    pub name: &'a [u8],
    pub strength: Strength,
    /// The winning definition: (object, symbol index).
    pub def: Option<(usize, usize)>,
    pub common_size: u64,
    pub common_align: u64,
    /// Some object refers to it without STB_WEAK (an undefined strong reference loads archive
    /// members and is an error if nothing defines it).
    pub strong_ref: bool,
    /// Some object declares it STV_HIDDEN (or internal, or protected): it is local in the output.
    pub hidden: bool,
    pub synthetic: Option<Synthetic<'a>>,
}

/// Archives' lazy symbols: name -> (archive, member offset).
struct Lazy<'a> {
    /// Each archive, parsed once: (label, bytes, its member table).
    archives: Vec<(String, &'a [u8], ArchiveFile<'a>)>,
    index: HashMap<&'a [u8], (usize, u64)>,
    loaded: std::collections::HashSet<(usize, u64)>,
}

pub struct Symbols<'a> {
    pub objs: Vec<Obj<'a>>,
    pub globals: Vec<Global<'a>>,
    pub by_name: HashMap<&'a [u8], usize>,
    /// Per object, per symbol index: the global's index (usize::MAX for locals).
    pub sym_global: Vec<Vec<usize>>,
    groups: HashMap<&'a [u8], usize>,
    lazy: Lazy<'a>,
    errors: Vec<String>,
}

/// One input as the resolver takes it: an object or an archive, its label, and whether it is
/// inside --whole-archive.
pub struct Input<'a> {
    pub label: String,
    pub data: &'a [u8],
    pub whole: bool,
}

const NONE: usize = usize::MAX;

/// Loads `inputs` and the archive members they need; `roots` are names referenced from the
/// command line (the entry, `-u`).
pub fn resolve<'a>(inputs: &[Input<'a>], roots: &[&'a [u8]]) -> Result<Symbols<'a>> {
    let mut s = Symbols {
        objs: Vec::new(),
        globals: Vec::new(),
        by_name: HashMap::new(),
        sym_global: Vec::new(),
        groups: HashMap::new(),
        lazy: Lazy {
            archives: Vec::new(),
            index: HashMap::new(),
            loaded: Default::default(),
        },
        errors: Vec::new(),
    };
    for name in roots {
        let g = s.global(name);
        s.globals[g].strong_ref = true;
    }
    for input in inputs {
        if !crate::archive::is_archive(input.data) {
            s.add_object(Obj::parse(input.label.clone(), input.data)?)?;
        } else if input.whole {
            let path = std::path::Path::new(&input.label);
            for (m, bytes) in crate::archive::members(path, input.data)? {
                let label = format!("{}({m})", input.label);
                s.add_object(Obj::parse(label, bytes)?)?;
            }
        } else {
            s.add_archive(input)?;
        }
    }
    super::super::resolve::report(std::mem::take(&mut s.errors))?;
    for g in s.globals.iter_mut().filter(|g| g.strength == Strength::Undefined) {
        g.synthetic = Synthetic::of(g.name);
    }
    Ok(s)
}

impl<'a> Symbols<'a> {
    /// The input section a relocation against symbol `sym` of object `o` points into: the
    /// symbol's own section for a local, the winning definition's for a global.
    pub fn target_section(&self, o: usize, sym: usize) -> Option<(usize, usize)> {
        match self.sym_global[o].get(sym) {
            Some(&g) if g != NONE => {
                let glob = &self.globals[g];
                match glob.def {
                    Some((d, di)) if glob.strength != Strength::Common => {
                        self.objs[d].sym_section(di).map(|sec| (d, sec))
                    }
                    _ => None,
                }
            }
            _ => self.objs[o].sym_section(sym).map(|sec| (o, sec)),
        }
    }

    fn global(&mut self, name: &'a [u8]) -> usize {
        if let Some(&g) = self.by_name.get(name) {
            return g;
        }
        self.globals.push(Global {
            name,
            strength: Strength::Undefined,
            def: None,
            common_size: 0,
            common_align: 1,
            strong_ref: false,
            hidden: false,
            synthetic: None,
        });
        self.by_name.insert(name, self.globals.len() - 1);
        self.globals.len() - 1
    }

    /// Registers an archive's index; loads at once the members that define names already
    /// referenced.
    fn add_archive(&mut self, input: &Input<'a>) -> Result<()> {
        let ar =
            ArchiveFile::parse(input.data).map_err(|e| anyhow::anyhow!("{}: malformed archive ({e})", input.label))?;
        let a = self.lazy.archives.len();
        let symbols = ar.symbols().ok().flatten();
        self.lazy.archives.push((input.label.clone(), input.data, ar));
        let Some(symbols) = symbols else {
            return Ok(());
        };
        let mut wanted = Vec::new();
        for sym in symbols {
            let sym = sym.map_err(|e| anyhow::anyhow!("{}: malformed symbol index ({e})", input.label))?;
            let name = sym.name();
            if self.lazy.index.contains_key(name) {
                continue;
            }
            self.lazy.index.insert(name, (a, sym.offset().0));
            if self.by_name.get(name).is_some_and(|&g| self.wants(g)) {
                wanted.push(name);
            }
        }
        for name in wanted {
            self.load_lazy(name)?;
        }
        Ok(())
    }

    /// Whether global `g` is strongly referenced and not yet defined.
    fn wants(&self, g: usize) -> bool {
        let g = &self.globals[g];
        g.strong_ref && g.strength == Strength::Undefined
    }

    /// Loads the archive member defining `name`, if any and not loaded yet.
    fn load_lazy(&mut self, name: &[u8]) -> Result<()> {
        let Some(&(a, offset)) = self.lazy.index.get(name) else {
            return Ok(());
        };
        if !self.lazy.loaded.insert((a, offset)) {
            return Ok(());
        }
        let (label, data, ar) = &self.lazy.archives[a];
        let member = (ar.member(object::read::archive::ArchiveOffset(offset)))
            .map_err(|e| anyhow::anyhow!("{label}: symbol index names a bad member ({e})"))?;
        let mname = String::from_utf8_lossy(member.name()).into_owned();
        let bytes = (member.data(*data)).map_err(|e| anyhow::anyhow!("{label}({mname}): cannot read member ({e})"))?;
        let label = format!("{label}({mname})");
        self.add_object(Obj::parse(label, bytes)?)
    }

    fn add_object(&mut self, mut obj: Obj<'a>) -> Result<()> {
        self.select_sections(&mut obj)?;
        let o = self.objs.len();
        let mut map = vec![NONE; obj.syms.len()];
        let mut wanted = Vec::new();
        for (i, sym) in obj.syms.iter().enumerate().skip(1) {
            if obj.is_local(i) {
                continue;
            }
            let name = obj.sym_names[i];
            let g = self.global(name);
            map[i] = g;
            // Hidden and internal names are local to the program (GNU ld's output shows them
            // so); protected ones stay global.
            if matches!(sym.st_visibility(), elf::STV_HIDDEN | elf::STV_INTERNAL) {
                self.globals[g].hidden = true;
            }
            // g++'s STB_GNU_UNIQUE (function-local statics of inline functions) is one
            // definition shared by all: the first wins, as for weak ones.
            let weak = matches!(sym.st_bind(), elf::STB_WEAK | elf::STB_GNU_UNIQUE);
            let shndx = sym.st_shndx(LE);
            let strength = if shndx == elf::SHN_COMMON {
                Strength::Common
            } else if shndx == elf::SHN_UNDEF || obj.sym_section(i).is_some_and(|s| !obj.kept[s]) {
                Strength::Undefined
            } else if weak {
                Strength::Weak
            } else {
                Strength::Strong
            };
            let glob = &mut self.globals[g];
            match strength {
                Strength::Undefined if !weak && !glob.strong_ref => {
                    glob.strong_ref = true;
                    if glob.strength == Strength::Undefined {
                        wanted.push(name);
                    }
                }
                Strength::Undefined => {}
                Strength::Common
                    if sym.st_size(LE) > 1 << 40
                        || !sym.st_value(LE).is_power_of_two()
                        || sym.st_value(LE) > 1 << 21 =>
                {
                    bail!(
                        "{}: common symbol {} has size {:#x} and alignment {:#x}; the internal linker takes up to 1 TiB aligned to a power of two up to 2 MiB (rebuild it)",
                        obj.label,
                        String::from_utf8_lossy(name),
                        sym.st_size(LE),
                        sym.st_value(LE)
                    );
                }
                Strength::Common => {
                    glob.common_size = glob.common_size.max(sym.st_size(LE));
                    glob.common_align = glob.common_align.max(sym.st_value(LE));
                    if glob.strength < Strength::Common {
                        glob.strength = Strength::Common;
                        glob.def = Some((o, i));
                    }
                }
                Strength::Strong if glob.strength == Strength::Strong => {
                    let (first, _) = glob.def.unwrap_or((o, i));
                    let first = if first == o {
                        &obj.label
                    } else {
                        &self.objs[first].label
                    };
                    self.errors.push(format!(
                        "error: duplicate symbol: {}\n>>> defined in {first}\n>>> defined in {}",
                        String::from_utf8_lossy(name),
                        obj.label
                    ));
                }
                s if s > glob.strength => {
                    glob.strength = s;
                    glob.def = Some((o, i));
                }
                _ => {}
            }
        }
        self.objs.push(obj);
        self.sym_global.push(map);
        for name in wanted {
            self.load_lazy(name)?;
        }
        Ok(())
    }

    /// Marks the sections of `obj` the output does not take: losing COMDAT copies and the
    /// kinds listed in the module comment.
    fn select_sections(&mut self, obj: &mut Obj<'a>) -> Result<()> {
        let o = self.objs.len();
        for i in 0..obj.shdrs.len() {
            let s = &obj.shdrs[i];
            let name = obj.names[i];
            let drop = matches!(
                s.sh_type(LE),
                elf::SHT_NULL
                    | elf::SHT_SYMTAB
                    | elf::SHT_STRTAB
                    | elf::SHT_RELA
                    | elf::SHT_GROUP
                    | elf::SHT_SYMTAB_SHNDX
            ) || s.sh_type(LE).0 == SHT_LLVM_ADDRSIG
                || obj.flags(i) & elf::SHF_EXCLUDE.0 != 0
                || matches!(name, b".note.GNU-stack" | b".note.gnu.property" | b".gnu_debuglink")
                || name.starts_with(b".gnu.lto_");
            if drop {
                obj.kept[i] = false;
            }
            let Some((flags, members)) = s.group(LE, obj.data).ok().flatten() else {
                continue;
            };
            if flags.0 & elf::GRP_COMDAT.0 == 0 {
                continue;
            }
            let sig = s.sh_info(LE) as usize;
            let Some(&signature) = obj.sym_names.get(sig) else {
                bail!(
                    "{}: COMDAT group {} has no signature symbol (rebuild it)",
                    obj.label,
                    obj.section_name(i)
                );
            };
            let winner = *self.groups.entry(signature).or_insert(o);
            if winner != o {
                for m in members {
                    if let Some(k) = obj.kept.get_mut(m.get(LE) as usize) {
                        *k = false;
                    }
                }
            }
        }
        Ok(())
    }
}

/// SHT_LLVM_ADDRSIG: clang's address-significance table, which only matters to ICF.
const SHT_LLVM_ADDRSIG: u32 = 0x6fff_4c03;
