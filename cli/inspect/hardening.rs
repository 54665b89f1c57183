//! The hardening state of a linked program, judged as checksec and `readelf -lW`/`-d`/`-s`
//! would: a non-executable stack, RELRO, position independence and the stack protector.
//!
//! Invariants:
//! - only linked files have a state: an object file or a core file gets the reason it has none,
//!   and a shared library has no `pie` item (it is not an executable);
//! - every item is judged from the program headers, the dynamic section and the symbol tables,
//!   never from who linked the file, so rtlink's, gcc's and Go's output are judged alike;
//! - `unmet(item)` is empty exactly when the item's token is its bare name, so the summary
//!   line and `--check --require` can never disagree;
//! - tokens come in a fixed order (`nx-stack`, then `rwx-segment` when a loadable segment is
//!   writable and executable, `relro`, `pie`, `canary`), each either the item's name, `no-NAME`,
//!   `partial-relro` (RELRO without BIND_NOW where lazy binding exists) or `canary?` (stripped:
//!   the symbol tables that would tell are gone).
use goblin::elf::dynamic::{DF_1_NOW, DF_BIND_NOW, DT_BIND_NOW, DT_FLAGS, DT_FLAGS_1};
use goblin::elf::header::{ET_CORE, ET_REL};
use goblin::elf::program_header::{PF_W, PF_X, PT_GNU_RELRO, PT_GNU_STACK, PT_LOAD};
use serde_json::{json, Value};

use super::image::{Image, SymbolTable};
use super::linkage::{self, Linkage};

/// What `--check --require` can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    NxStack,
    Relro,
    Pie,
    Canary,
}

impl Item {
    pub const ALL: [Item; 4] = [Item::NxStack, Item::Relro, Item::Pie, Item::Canary];

    pub fn name(self) -> &'static str {
        match self {
            Item::NxStack => "nx-stack",
            Item::Relro => "relro",
            Item::Pie => "pie",
            Item::Canary => "canary",
        }
    }
}

/// What PT_GNU_STACK says about the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stack {
    NonExecutable,
    Executable,
    /// No PT_GNU_STACK: checksec (and x86-64 kernels before 5.8) take the stack as executable.
    Unmarked,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relro {
    /// PT_GNU_RELRO, and no lazy binding can leave the GOT writable.
    Full,
    /// PT_GNU_RELRO, but the dynamic linker may bind lazily (no BIND_NOW).
    Partial,
    None,
}

pub struct Hardening {
    pub linkage: Linkage,
    pub stack: Stack,
    /// The index and address of every PT_LOAD that is both writable and executable.
    pub rwx: Vec<(usize, u64)>,
    pub relro: Relro,
    /// Whether something calls `__stack_chk_fail`; `None` when no symbol table can tell.
    pub canary: Option<bool>,
}

/// The symbols whose presence means the stack protector is in use (checksec's rule), before
/// any `@VERSION` suffix.
const CANARY_SYMBOLS: [&str; 2] = ["__stack_chk_fail", "__stack_chk_fail_local"];

impl Hardening {
    /// The state of a linked file, or why it has none.
    pub fn of(img: &Image) -> Result<Self, String> {
        let Some(linkage) = linkage::of(img) else {
            let what = match img.header.e_type {
                ET_REL => "a relocatable object: hardening is decided when it is linked",
                ET_CORE => "a core file, not a program",
                _ => "not an executable or a shared library",
            };
            return Err(what.to_string());
        };
        let stack = match img.phdrs.iter().rfind(|p| p.p_type == PT_GNU_STACK) {
            Some(p) if p.p_flags & PF_X != 0 => Stack::Executable,
            Some(_) => Stack::NonExecutable,
            None => Stack::Unmarked,
        };
        let rwx = (img.phdrs.iter().enumerate())
            .filter(|(_, p)| p.p_type == PT_LOAD && p.p_flags & (PF_W | PF_X) == PF_W | PF_X)
            .map(|(i, p)| (i, p.p_vaddr))
            .collect();
        let relro = if !img.phdrs.iter().any(|p| p.p_type == PT_GNU_RELRO) {
            Relro::None
        } else if lazy_binding(img, linkage) {
            Relro::Partial
        } else {
            Relro::Full
        };
        Ok(Hardening {
            linkage,
            stack,
            rwx,
            relro,
            canary: canary(img, linkage),
        })
    }

    /// The summary's value: one token per item, in the fixed order.
    pub fn tokens(&self) -> String {
        let mark = |item: Item, present: bool| {
            if present {
                item.name().to_string()
            } else {
                format!("no-{}", item.name())
            }
        };
        let mut tokens = vec![mark(Item::NxStack, self.stack == Stack::NonExecutable)];
        if !self.rwx.is_empty() {
            tokens.push("rwx-segment".to_string());
        }
        tokens.push(match self.relro {
            Relro::Partial => "partial-relro".to_string(),
            r => mark(Item::Relro, r == Relro::Full),
        });
        if self.linkage != Linkage::SharedLibrary {
            tokens.push(mark(Item::Pie, self.linkage.is_pie()));
        }
        tokens.push(match self.canary {
            None => "canary?".to_string(),
            Some(c) => mark(Item::Canary, c),
        });
        tokens.join(" ")
    }

    /// Why `item` is not met, and how to get it, one sentence each; empty when it is met.
    pub fn unmet(&self, item: Item) -> Vec<String> {
        let mut why = Vec::new();
        match item {
            Item::NxStack => {
                match self.stack {
                    Stack::NonExecutable => {}
                    Stack::Executable => why.push(
                        "PT_GNU_STACK asks for an executable stack (RWE): link with -z noexecstack, and find \
                         the object that asks for it (assembly without a .note.GNU-stack section)"
                            .to_string(),
                    ),
                    Stack::Unmarked => why.push(
                        "no PT_GNU_STACK header, so the stack may be executable: link with -z noexecstack".to_string(),
                    ),
                }
                why.extend(self.rwx.iter().map(|(i, addr)| {
                    format!(
                        "segment {i} (LOAD at {addr:#x}) is writable and executable, which defeats NX: keep \
                         code and data in separate segments (no -N/--omagic; check the linker script)"
                    )
                }));
            }
            Item::Relro => match self.relro {
                Relro::Full => {}
                Relro::Partial => why.push(
                    "PT_GNU_RELRO without BIND_NOW: lazy binding keeps the GOT writable; link with -z now".to_string(),
                ),
                Relro::None => why.push(
                    "no PT_GNU_RELRO segment: link with -z relro (gcc, ld), or with an rtlink build that emits it"
                        .to_string(),
                ),
            },
            Item::Pie => match self.linkage {
                Linkage::Pie | Linkage::StaticPie => {}
                Linkage::Fixed => why.push(
                    "not position-independent (ET_EXEC, loaded at fixed addresses): link with -pie, or \
                     -static-pie for a static executable"
                        .to_string(),
                ),
                Linkage::SharedLibrary => {
                    why.push("a shared library, not an executable: pie does not apply".to_string())
                }
            },
            Item::Canary => match self.canary {
                Some(true) => {}
                Some(false) => why.push(
                    "no __stack_chk_fail symbol, so no function checks a canary: compile with \
                     -fstack-protector-strong (rtlink's runtime provides __stack_chk_fail and the canary)"
                        .to_string(),
                ),
                None => why.push(
                    "cannot tell: the file has no symbol table (it is stripped); check the unstripped build"
                        .to_string(),
                ),
            },
        }
        why
    }

    pub fn to_json(&self) -> Value {
        let relro = match self.relro {
            Relro::Full => "full",
            Relro::Partial => "partial",
            Relro::None => "none",
        };
        let stack = match self.stack {
            Stack::NonExecutable => "non-executable",
            Stack::Executable => "executable",
            Stack::Unmarked => "unmarked",
        };
        json!({
            "Line": self.tokens(),
            "Stack": stack,
            "RwxSegments": self.rwx.iter().map(|(i, _)| i).collect::<Vec<_>>(),
            "Relro": relro,
            "Pie": (self.linkage != Linkage::SharedLibrary).then(|| self.linkage.is_pie()),
            "StaticPie": self.linkage == Linkage::StaticPie,
            "Canary": self.canary,
            "Unmet": Item::ALL.iter().filter(|i| !self.unmet(**i).is_empty()).map(|i| i.name()).collect::<Vec<_>>(),
        })
    }
}

/// Whether a dynamic linker loads the file and may bind its functions lazily: it names an
/// interpreter or is a shared library, and asks for none of DT_BIND_NOW, DF_BIND_NOW, DF_1_NOW.
fn lazy_binding(img: &Image, linkage: Linkage) -> bool {
    if img.interpreter.is_none() && linkage != Linkage::SharedLibrary {
        return false;
    }
    let now = img.dynamic().iter().any(|d| match d.d_tag {
        DT_BIND_NOW => true,
        DT_FLAGS => d.d_val & DF_BIND_NOW != 0,
        DT_FLAGS_1 => d.d_val & DF_1_NOW != 0,
        _ => false,
    });
    !now
}

/// Whether `__stack_chk_fail` is in .symtab or .dynsym. Without .symtab (or with only its null
/// symbol) only a dynamically
/// loaded file's .dynsym can tell (the call goes through it); otherwise `None`.
fn canary(img: &Image, linkage: Linkage) -> Option<bool> {
    let named = |t: &SymbolTable| {
        (t.syms.iter().filter_map(|s| t.name(s))).any(|n| CANARY_SYMBOLS.contains(&n.split('@').next().unwrap_or(n)))
    };
    let dynamic = img.interpreter.is_some() || linkage == Linkage::SharedLibrary;
    match (&img.symtab, &img.dynsym) {
        (Some(t), d) if t.syms.len() > 1 => Some(named(t) || d.as_ref().is_some_and(named)),
        (_, Some(d)) if dynamic => Some(named(d)),
        _ => None,
    }
}
