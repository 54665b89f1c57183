//! The bootstrap verdict: does the program start in the runtime, and will the runtime find
//! the user's code?
//!
//! Two layouts are recognised by the data symbol that holds the first goroutine's PC:
//! rtlink's (`mainPC` -> `runtime_main`, user `main`) and Go's (`runtime.mainPC` ->
//! `runtime.main`, `main.main`). Both start at `_rt0_amd64_linux`. A file with neither symbol
//! is not a self-bootstrapping program, which is not an error; a file that has one but breaks
//! a rule gets every broken rule listed.
use super::image::Image;
use super::symbols::Symbol;

/// The names one runtime family uses for the bootstrap chain.
pub struct Layout {
    pub family: &'static str,
    pub entry: &'static str,
    pub main_pc: &'static str,
    pub runtime_main: &'static str,
    pub user_main: &'static str,
}

pub const RTLINK: Layout = Layout {
    family: "rtlink",
    entry: "_rt0_amd64_linux",
    main_pc: "mainPC",
    runtime_main: "runtime_main",
    user_main: "main",
};

pub const GO: Layout = Layout {
    family: "Go",
    entry: "_rt0_amd64_linux",
    main_pc: "runtime.mainPC",
    runtime_main: "runtime.main",
    user_main: "main.main",
};

/// Where the file's mainPC word points.
pub struct MainPc {
    pub addr: u64,
    /// The 8 bytes at `addr`, or why they could not be read.
    pub target: Result<u64, String>,
}

pub enum Verdict {
    Ok(&'static Layout),
    Failed(&'static Layout, Vec<String>),
    /// Not checked, and why.
    NotApplicable(String),
}

/// Finds the layout the file claims and checks its rules.
pub fn check(img: &Image, syms: &[Symbol]) -> (Verdict, Option<(&'static Layout, MainPc)>) {
    if img.header.e_type == goblin::elf::header::ET_REL {
        let why = "relocatable object: addresses are fixed when it is linked".to_string();
        return (Verdict::NotApplicable(why), None);
    }
    if syms.is_empty() {
        let why = "no symbol table (the file is stripped), so mainPC cannot be found".to_string();
        return (Verdict::NotApplicable(why), None);
    }
    let Some((layout, pc_sym)) = [&RTLINK, &GO]
        .into_iter()
        .find_map(|l| defined(syms, l.main_pc).map(|s| (l, s)))
    else {
        let why = "no mainPC or runtime.mainPC symbol: not a self-bootstrapping program".to_string();
        return (Verdict::NotApplicable(why), None);
    };
    let pc = MainPc {
        addr: pc_sym.value,
        target: img.read_pointer(pc_sym.value),
    };
    let mut broken = Vec::new();
    let entry = img.header.e_entry;
    match defined(syms, layout.entry) {
        Some(s) if s.value == entry => {}
        Some(s) => broken.push(format!(
            "the entry point is {entry:#x} ({}), not {} at {:#x}",
            describe(syms, entry),
            layout.entry,
            s.value
        )),
        None => broken.push(format!("{} is not defined", layout.entry)),
    }
    match (&pc.target, defined(syms, layout.runtime_main)) {
        (Err(e), _) => broken.push(format!("{} at {:#x} cannot be read: {e}", layout.main_pc, pc.addr)),
        (Ok(_), None) => broken.push(format!("{} is not defined", layout.runtime_main)),
        (Ok(t), Some(rm)) if *t != rm.value => broken.push(format!(
            "{} holds {t:#x} ({}), not {} at {:#x}",
            layout.main_pc,
            describe(syms, *t),
            layout.runtime_main,
            rm.value
        )),
        (Ok(_), Some(_)) => {}
    }
    if defined(syms, layout.user_main).is_none() {
        broken.push(format!("{} is not defined", layout.user_main));
    }
    let verdict = if broken.is_empty() {
        Verdict::Ok(layout)
    } else {
        Verdict::Failed(layout, broken)
    };
    (verdict, Some((layout, pc)))
}

/// The defined symbol called `name`, preferring a global one.
pub fn defined<'s, 'a>(syms: &'s [Symbol<'a>], name: &str) -> Option<&'s Symbol<'a>> {
    let mut found = syms.iter().filter(|s| s.name == name && !s.undefined());
    let first = found.next()?;
    Some(if first.global() {
        first
    } else {
        found.find(|s| s.global()).unwrap_or(first)
    })
}

/// `addr` as `symbol` or `symbol+0xoff`: the symbol at that address (a global function
/// first), else the nearest function or untyped label below it; `?` when there is none.
pub fn describe(syms: &[Symbol], addr: u64) -> String {
    use goblin::elf::sym::{STT_FUNC, STT_NOTYPE, STT_OBJECT};
    let rank = |s: &Symbol| (s.global(), s.kind == STT_FUNC, s.kind == STT_OBJECT);
    let labels = || {
        syms.iter()
            .filter(|s| !s.undefined() && s.letter != 'a' && !s.name.is_empty())
    };
    if let Some(s) = labels().filter(|s| s.value == addr).max_by_key(|s| rank(s)) {
        return s.name.to_string();
    }
    labels()
        .filter(|s| s.value < addr && matches!(s.kind, STT_FUNC | STT_NOTYPE))
        .max_by_key(|s| (s.value, rank(s)))
        .map_or_else(|| "?".to_string(), |s| format!("{}+{:#x}", s.name, addr - s.value))
}
