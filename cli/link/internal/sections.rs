//! Pass 2a, lay out (sections): which output section each live input section goes to, and in
//! what order — the embedded linker script's SECTIONS, as code.
//!
//! Output sections, in order, by class: the build-ID note, other notes, `.rodata`, `.eh_frame`,
//! `.gcc_except_table`, read-only orphans | `.text` (`.text.rt0` first, then unlikely, hot, the
//! rest), executable orphans | `.tdata`, `.tbss`, `.preinit_array`, `.init_array`,
//! `.fini_array` (each bracketed by the runtime's marker sections, the numbered ones sorted by
//! priority), `.data.rel.ro`, `.got`, `.data`, writable orphans, `.bss` with the common symbols,
//! writable NOBITS orphans | `.comment`, then the other non-allocated sections (debug
//! information) in the order first seen. An orphan (a section no rule names) keeps its own
//! name and goes with the sections of its kind, as GNU ld places orphans.
//!
//! Invariants:
//! - Within an output section, inputs keep link-line order (archive members at their
//!   archive's place), then section order within an object, after the script's sub-order.
//! - Every live input section is placed exactly once; mergeable ones share their group's place
//!   and reach it through `pieces`, as do the records `.eh_frame` keeps.
//! - Member offsets are aligned to each member's alignment; an output section's alignment is
//!   the largest of its members'.
use std::collections::HashMap;

use object::elf;
use object::read::elf::SectionHeader as _;
use object::LittleEndian as LE;

use super::eh_frame;
use super::merge::{Group, Pieces};
use super::symbols::Symbols;

/// What a member of an output section holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// An input section's bytes, relocated: (object, section).
    Input(usize, usize),
    /// A group of merged sections (index into `merged`).
    Merged(usize),
    /// An input `.eh_frame` with the dead functions' records dropped (index into `eh`).
    EhFrame(usize, usize, usize),
    /// The GOT, filled by the relocation pass.
    Got,
    /// The `.note.gnu.build-id` note, its hash written last.
    BuildId,
    /// A static-PIE's R_X86_64_RELATIVE relocations, and its dynamic section.
    RelaDyn,
    Dynamic,
    /// Common symbols, in `.bss`.
    Commons,
}

pub struct Member {
    pub content: Content,
    pub off: u64,
    pub size: u64,
    pub align: u64,
}

pub struct OutSec {
    pub name: Vec<u8>,
    pub class: Class,
    pub sh_type: u32,
    pub flags: u64,
    pub entsize: u64,
    pub align: u64,
    pub members: Vec<Member>,
    pub size: u64,
    pub addr: u64,
    pub offset: u64,
}

impl OutSec {
    pub fn nobits(&self) -> bool {
        self.sh_type == elf::SHT_NOBITS.0
    }

    pub fn alloc(&self) -> bool {
        self.flags & elf::SHF_ALLOC.0 != 0
    }
}

/// Output section classes, in output order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Class {
    BuildId,
    Note,
    RelaDyn,
    Rodata,
    EhFrame,
    ExceptTable,
    ReadOnlyOrphan,
    Text,
    ExecOrphan,
    Tdata,
    Tbss,
    Preinit,
    Init,
    Fini,
    RelRo,
    Dynamic,
    Got,
    Data,
    WritableOrphan,
    Bss,
    NobitsOrphan,
    Comment,
    NonAlloc,
}

impl Class {
    /// The PT_LOAD a class belongs to: 0 R, 1 RX, 2 RW (in a static-PIE, the RELRO part: TLS
    /// image, arrays, `.data.rel.ro`, `.dynamic`, GOT), 3 RW (a static-PIE's data and bss);
    /// None for non-allocated sections.
    pub fn segment(self, pie: bool) -> Option<usize> {
        Some(match self {
            c if c < Class::Text => 0,
            Class::Text | Class::ExecOrphan => 1,
            c if c <= Class::Got => 2,
            c if c < Class::Comment => 2 + usize::from(pie),
            _ => return None,
        })
    }

    pub fn tls(self) -> bool {
        matches!(self, Class::Tdata | Class::Tbss)
    }
}

pub struct Sections<'a> {
    pub outs: Vec<OutSec>,
    /// Per object, per section: (output section, member), for live placed sections.
    pub place: Vec<Vec<Option<(usize, usize)>>>,
    pub merged: Vec<Group<'a>>,
    pub pieces: HashMap<(usize, usize), Pieces>,
    pub eh: Vec<eh_frame::Pruned>,
    /// Common symbols: global index -> offset in the `Commons` member.
    pub commons: HashMap<usize, u64>,
}

/// The rule for one input section: output name, class, and (sub-order, priority) within it.
fn rule(name: &[u8], sh_type: u32, flags: u64) -> (Vec<u8>, Class, (u8, u64)) {
    let has = |p: &[u8]| name == p || name.strip_prefix(p).is_some_and(|r| r.starts_with(b"."));
    let prio = |rest: &[u8]| std::str::from_utf8(rest).ok().and_then(|r| r.parse::<u64>().ok());
    let array = |out: &[u8], old: &[u8], class: Class| -> (Vec<u8>, Class, (u8, u64)) {
        let key = if name.ends_with(b".rtlink_begin.0") {
            (0, 0)
        } else if name.ends_with(b".rtlink_end.100000") || name.ends_with(b".rtlink_end") {
            (3, 0)
        } else if let Some(p) = name.strip_prefix(out).and_then(|r| r.strip_prefix(b".")).and_then(prio) {
            (1, p)
        } else if let Some(p) = name.strip_prefix(old).and_then(|r| r.strip_prefix(b".")).and_then(prio) {
            (1, 65535u64.saturating_sub(p))
        } else {
            (2, 0)
        };
        (out.to_vec(), class, key)
    };
    let alloc = flags & elf::SHF_ALLOC.0 != 0;
    if !alloc {
        let class = if name == b".comment" {
            Class::Comment
        } else {
            Class::NonAlloc
        };
        return (name.to_vec(), class, (0, 0));
    }
    if has(b".preinit_array") {
        return array(b".preinit_array", b"\0", Class::Preinit);
    }
    if has(b".init_array") || has(b".ctors") {
        return array(b".init_array", b".ctors", Class::Init);
    }
    if has(b".fini_array") || has(b".dtors") {
        return array(b".fini_array", b".dtors", Class::Fini);
    }
    let simple = |out: &[u8], class| (out.to_vec(), class, (0, 0));
    if name == b".text.rt0" {
        return (b".text".to_vec(), Class::Text, (0, 0));
    }
    if has(b".text") || name.starts_with(b".gnu.linkonce.t.") {
        let sub = if has(b".text.unlikely") || (name.starts_with(b".text.") && name.ends_with(b"_unlikely")) {
            1
        } else if has(b".text.hot") {
            2
        } else {
            3
        };
        return (b".text".to_vec(), Class::Text, (sub, 0));
    }
    if has(b".rodata") || name.starts_with(b".gnu.linkonce.r.") {
        return simple(b".rodata", Class::Rodata);
    }
    if name == b".eh_frame" {
        return simple(b".eh_frame", Class::EhFrame);
    }
    if has(b".gcc_except_table") {
        return simple(b".gcc_except_table", Class::ExceptTable);
    }
    if has(b".tdata") || name.starts_with(b".gnu.linkonce.td.") {
        return simple(b".tdata", Class::Tdata);
    }
    if has(b".tbss") || name == b".tcommon" || name.starts_with(b".gnu.linkonce.tb.") {
        return simple(b".tbss", Class::Tbss);
    }
    if has(b".data.rel.ro") || name.starts_with(b".gnu.linkonce.d.rel.ro.") {
        return simple(b".data.rel.ro", Class::RelRo);
    }
    if has(b".data") || name.starts_with(b".gnu.linkonce.d.") {
        return simple(b".data", Class::Data);
    }
    if has(b".bss") || name.starts_with(b".gnu.linkonce.b.") {
        return simple(b".bss", Class::Bss);
    }
    let class = if sh_type == elf::SHT_NOTE.0 {
        Class::Note
    } else if flags & elf::SHF_EXECINSTR.0 != 0 {
        Class::ExecOrphan
    } else if flags & elf::SHF_WRITE.0 == 0 {
        Class::ReadOnlyOrphan
    } else if sh_type == elf::SHT_NOBITS.0 {
        Class::NobitsOrphan
    } else {
        Class::WritableOrphan
    };
    simple(name, class)
}

/// An input section waiting for its place: (sub-order key, object, section). Objects are
/// numbered in load order, GNU ld's and lld's order for archive members too.
type Entry = ((u8, u64), usize, usize);

const RW: u64 = elf::SHF_ALLOC.0 | elf::SHF_WRITE.0;

/// Output sections being collected, each with its input sections waiting for their place.
#[derive(Default)]
struct Builder {
    outs: Vec<OutSec>,
    lists: Vec<Vec<Entry>>,
    by_name: HashMap<Vec<u8>, usize>,
}

impl Builder {
    /// The output section named `name`, made with these attributes if new.
    fn out_for(&mut self, name: Vec<u8>, class: Class, sh_type: u32, flags: u64) -> usize {
        if let Some(&n) = self.by_name.get(&name) {
            return n;
        }
        self.by_name.insert(name.clone(), self.outs.len());
        self.outs.push(OutSec {
            name,
            class,
            sh_type,
            flags,
            entsize: 0,
            align: 1,
            members: Vec::new(),
            size: 0,
            addr: 0,
            offset: 0,
        });
        self.lists.push(Vec::new());
        self.outs.len() - 1
    }

    /// A section only the linker makes: (content, size, entsize).
    fn synthetic(
        &mut self,
        name: &str,
        class: Class,
        ty: elf::SectionType,
        flags: u64,
        (content, size, entsize): (Content, u64, u64),
    ) {
        let n = self.out_for(name.as_bytes().to_vec(), class, ty.0, flags);
        self.outs[n].entsize = entsize;
        let align = if content == Content::BuildId { 4 } else { 8 };
        self.outs[n].members.push(Member {
            content,
            off: 0,
            size,
            align,
        });
    }
}

/// The sizes of the sections only the linker makes.
pub struct Synthesized {
    /// The GOT, if there is one.
    pub got: Option<u64>,
    /// The build-ID note, if any.
    pub build_id: Option<u64>,
    /// A static-PIE's `.rela.dyn` and `.dynamic`.
    pub dynamic: Option<(u64, u64)>,
}

/// Places every live section.
pub fn place<'a>(s: &Symbols<'a>, live: &[Vec<bool>], syn: &Synthesized) -> anyhow::Result<Sections<'a>> {
    let mut b = Builder::default();
    if let Some(size) = syn.build_id {
        b.synthetic(
            ".note.gnu.build-id",
            Class::BuildId,
            elf::SHT_NOTE,
            elf::SHF_ALLOC.0,
            (Content::BuildId, size, 0),
        );
    }
    if let Some((rela, dynamic)) = syn.dynamic {
        b.synthetic(
            ".rela.dyn",
            Class::RelaDyn,
            elf::SHT_RELA,
            elf::SHF_ALLOC.0,
            (Content::RelaDyn, rela, 24),
        );
        b.synthetic(
            ".dynamic",
            Class::Dynamic,
            elf::SHT_DYNAMIC,
            RW,
            (Content::Dynamic, dynamic, 16),
        );
    }
    for (o, obj) in s.objs.iter().enumerate() {
        for i in (1..obj.shdrs.len()).filter(|&i| live[o][i]) {
            let sh_type = obj.shdrs[i].sh_type(LE).0;
            let (name, class, key) = rule(obj.names[i], sh_type, obj.flags(i));
            let n = b.out_for(name, class, sh_type, 0);
            b.lists[n].push((key, o, i));
        }
    }
    if let Some(size) = syn.got {
        b.synthetic(".got", Class::Got, elf::SHT_PROGBITS, RW, (Content::Got, size, 8));
    }
    let commons: Vec<usize> = (0..s.globals.len())
        .filter(|&g| s.globals[g].strength == super::symbols::Strength::Common)
        .collect();
    if !commons.is_empty() {
        b.out_for(b".bss".to_vec(), Class::Bss, elf::SHT_NOBITS.0, RW);
    }
    let Builder {
        mut outs, mut lists, ..
    } = b;
    let mut place: Vec<Vec<Option<(usize, usize)>>> = s.objs.iter().map(|o| vec![None; o.shdrs.len()]).collect();
    let mut merged: Vec<Group> = Vec::new();
    let mut pieces = HashMap::new();
    let mut eh = Vec::new();
    let mut cies = eh_frame::Cies::new();
    // Merged sections' pieces, numbered until their group is laid out.
    let mut numbered = Vec::new();
    for (n, list) in lists.iter_mut().enumerate() {
        list.sort_unstable();
        let mut groups: HashMap<(u64, bool, u64), (usize, usize)> = HashMap::new();
        let mut first = true;
        for &(_, o, i) in list.iter() {
            let obj = &s.objs[o];
            let (flags, align) = (obj.flags(i), obj.align(i));
            let out = &mut outs[n];
            if first {
                out.sh_type = obj.shdrs[i].sh_type(LE).0;
                out.flags = flags & !elf::SHF_GROUP.0;
                out.entsize = obj.shdrs[i].sh_entsize(LE);
                first = false;
            } else {
                if out.sh_type == elf::SHT_NOBITS.0 && obj.shdrs[i].sh_type(LE) != elf::SHT_NOBITS {
                    out.sh_type = elf::SHT_PROGBITS.0;
                }
                out.flags |= flags & (elf::SHF_WRITE.0 | elf::SHF_EXECINSTR.0 | elf::SHF_ALLOC.0 | elf::SHF_TLS.0);
                if flags & elf::SHF_MERGE.0 == 0 || obj.shdrs[i].sh_entsize(LE) != out.entsize {
                    out.flags &= !(elf::SHF_MERGE.0 | elf::SHF_STRINGS.0);
                }
            }
            let entsize = obj.shdrs[i].sh_entsize(LE);
            if flags & elf::SHF_MERGE.0 != 0 && obj.rela[i].is_empty() {
                let strings = flags & elf::SHF_STRINGS.0 != 0;
                let key = (entsize, strings, align);
                let (g, m) = *groups.entry(key).or_insert_with(|| {
                    merged.push(Group::new(align, strings));
                    out.members.push(Member {
                        content: Content::Merged(merged.len() - 1),
                        off: 0,
                        size: 0,
                        align,
                    });
                    (merged.len() - 1, out.members.len() - 1)
                });
                if let Some(p) = merged[g].add(obj.section_data(i)?, entsize) {
                    pieces.insert((o, i), p);
                    numbered.push(((o, i), g));
                    place[o][i] = Some((n, m));
                    continue;
                }
            }
            let (content, size) = if obj.names[i] == b".eh_frame" && obj.is_alloc(i) {
                let member = out.members.len();
                let mut pruned = eh_frame::prune(obj.section_data(i)?, obj.rela[i], member, &mut cies, |r| {
                    let target = s.target_section(o, obj.rela[i][r].r_sym(LE, false) as usize);
                    target.is_some_and(|(d, sec)| live[d][sec])
                });
                pieces.insert((o, i), std::mem::take(&mut pruned.pieces));
                let size = pruned.bytes.len() as u64;
                eh.push(pruned);
                (Content::EhFrame(eh.len() - 1, o, i), size)
            } else {
                (Content::Input(o, i), obj.size(i))
            };
            out.members.push(Member {
                content,
                off: 0,
                size,
                align,
            });
            place[o][i] = Some((n, out.members.len() - 1));
        }
        if outs[n].name == b".bss" && !commons.is_empty() {
            outs[n].members.push(Member {
                content: Content::Commons,
                off: 0,
                size: 0,
                align: 1,
            });
        }
    }
    let offsets: Vec<Vec<u64>> = merged.iter_mut().map(Group::finish).collect();
    for (key, g) in numbered {
        if let Some(p) = pieces.get_mut(&key) {
            p.number_to_offset(&offsets[g]);
        }
    }
    for out in &mut outs {
        for m in &mut out.members {
            if let Content::Merged(g) = m.content {
                m.size = merged[g].data.len() as u64;
            }
        }
    }
    let mut sections = Sections {
        outs,
        place,
        merged,
        pieces,
        eh,
        commons: HashMap::new(),
    };
    sections.size_commons(s, &commons);
    // Output order: by class, then first seen.
    let mut idx: Vec<usize> = (0..sections.outs.len()).collect();
    idx.sort_by_key(|&i| (sections.outs[i].class, i));
    let mut new_of = vec![0; idx.len()];
    for (new, &old) in idx.iter().enumerate() {
        new_of[old] = new;
    }
    let mut outs: Vec<Option<OutSec>> = std::mem::take(&mut sections.outs).into_iter().map(Some).collect();
    sections.outs = idx
        .iter()
        .map(|&i| outs[i].take().expect("each section once"))
        .collect();
    for p in sections.place.iter_mut().flatten().flatten() {
        p.0 = new_of[p.0];
    }
    for out in &mut sections.outs {
        let mut off = 0u64;
        for m in &mut out.members {
            off = off.next_multiple_of(m.align);
            m.off = off;
            off += m.size;
            out.align = out.align.max(m.align);
        }
        out.size = off;
    }
    Ok(sections)
}

impl Sections<'_> {
    /// Lays the common symbols out in the `Commons` member.
    fn size_commons(&mut self, s: &Symbols, commons: &[usize]) {
        let mut off = 0u64;
        let mut align = 1;
        for &g in commons {
            let glob = &s.globals[g];
            let a = glob.common_align.max(1);
            off = off.next_multiple_of(a);
            self.commons.insert(g, off);
            off += glob.common_size;
            align = align.max(a);
        }
        if let Some(m) = (self.outs.iter_mut())
            .flat_map(|o| o.members.iter_mut())
            .find(|m| m.content == Content::Commons)
        {
            m.size = off;
            m.align = align;
        }
    }

    /// The address of offset `off` in input section `sec` of object `o`, if that section and
    /// the piece holding `off` reach the output. `off` may be "negative" (a section symbol with
    /// a negative addend, PC-relative), so the sum wraps.
    pub fn addr(&self, o: usize, sec: usize, off: u64) -> Option<u64> {
        let (n, m) = self.place[o].get(sec).copied().flatten()?;
        let out = &self.outs[n];
        let inner = match self.pieces.get(&(o, sec)) {
            Some(p) => p.map(off)?,
            None => off,
        };
        Some(out.addr.wrapping_add(out.members[m].off).wrapping_add(inner))
    }

    pub fn find(&self, name: &[u8]) -> Option<&OutSec> {
        self.outs.iter().find(|o| o.name == name)
    }
}
