//! `--gc-sections`: which kept input sections reach the output.
//!
//! A section is live when a root reaches it through relocations. The roots are the sections
//! defining the entry and the `-u` names, and the sections the linker script KEEPs: `.text.rt0`,
//! the init/fini/preinit arrays and `.ctors`/`.dtors`, notes, `.gcc_except_table` (read through
//! `.eh_frame`, which is not followed), SHF_GNU_RETAIN sections, and sections named like C
//! identifiers whose `__start_`/`__stop_` symbol is referenced.
//!
//! Invariants:
//! - Non-allocated sections (debug information, `.comment`) of loaded objects are always live;
//!   their relocations never make anything live.
//! - `.eh_frame` is live but its relocations are not followed: a function is not kept because
//!   it has unwind information; the FDEs of dead functions are dropped later (eh_frame.rs).
//! - With `keep_all` (--no-gc-sections) every kept section is live.
use object::elf;

use super::symbols::{Strength, Symbols};

/// SHF_GNU_RETAIN: `__attribute__((retain))`.
const SHF_GNU_RETAIN: u64 = 1 << 21;

/// Per object, per section: live.
pub fn mark(s: &Symbols, roots: &[&[u8]], keep_all: bool) -> Vec<Vec<bool>> {
    let mut live: Vec<Vec<bool>> = s.objs.iter().map(|o| vec![false; o.shdrs.len()]).collect();
    let mut work = Vec::new();
    let push = |live: &mut Vec<Vec<bool>>, work: &mut Vec<(usize, usize)>, o: usize, i: usize| {
        if s.objs[o].kept[i] && !live[o][i] {
            live[o][i] = true;
            work.push((o, i));
        }
    };
    for (o, obj) in s.objs.iter().enumerate() {
        for i in 1..obj.shdrs.len() {
            let name = obj.names[i];
            let root = keep_all
                || !obj.is_alloc(i)
                || name == b".eh_frame"
                || name == b".text.rt0"
                || name.starts_with(b".gcc_except_table")
                || is_array(name)
                || obj.flags(i) & SHF_GNU_RETAIN != 0
                || section_type(obj, i) == elf::SHT_NOTE.0
                || (is_c_ident(name) && start_stop_used(s, name));
            if root {
                push(&mut live, &mut work, o, i);
            }
        }
    }
    for name in roots {
        if let Some((o, i)) = defining_section(s, name) {
            push(&mut live, &mut work, o, i);
        }
    }
    while let Some((o, i)) = work.pop() {
        let obj = &s.objs[o];
        if !obj.is_alloc(i) || obj.names[i] == b".eh_frame" {
            continue;
        }
        for r in obj.rela[i] {
            let target = s.target_section(o, r.r_sym(object::LittleEndian, false) as usize);
            if let Some((d, sec)) = target {
                if sec < live[d].len() {
                    push(&mut live, &mut work, d, sec);
                }
            }
        }
    }
    live
}

fn section_type(obj: &super::input::Obj, i: usize) -> u32 {
    use object::read::elf::SectionHeader as _;
    obj.shdrs[i].sh_type(object::LittleEndian).0
}

/// The section defining global `name`, if a section does.
fn defining_section(s: &Symbols, name: &[u8]) -> Option<(usize, usize)> {
    let g = &s.globals[*s.by_name.get(name)?];
    let (o, i) = g.def?;
    s.objs[o].sym_section(i).map(|sec| (o, sec))
}

/// The init/fini/preinit arrays and the old `.ctors`/`.dtors`, which the script KEEPs.
pub fn is_array(name: &[u8]) -> bool {
    [
        &b".init_array"[..],
        b".fini_array",
        b".preinit_array",
        b".ctors",
        b".dtors",
    ]
    .iter()
    .any(|p| {
        name.strip_prefix(*p)
            .is_some_and(|rest| rest.is_empty() || rest[0] == b'.')
    })
}

/// Whether a section name is a C identifier, for which the linker defines `__start_NAME`.
pub fn is_c_ident(name: &[u8]) -> bool {
    !name.is_empty() && !name[0].is_ascii_digit() && name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

fn start_stop_used(s: &Symbols, name: &[u8]) -> bool {
    [&b"__start_"[..], b"__stop_"].iter().any(|p| {
        let full = [*p, name].concat();
        s.by_name
            .get(full.as_slice())
            .is_some_and(|&g| s.globals[g].strength == Strength::Undefined)
    })
}
