//! What `--check` demands of a file: the bootstrap layout, hardening items, or both.
//!
//! Invariants: `--check` alone demands the bootstrap layout and nothing else (its meaning
//! before hardening existed); `--require` replaces that default with exactly what it lists,
//! so `--check --require all` demands the four hardening items but not a layout, and works on
//! any program, rtlink's or not; listing `bootstrap` adds the layout back. An item a file
//! cannot have (a relocatable object's anything, a shared library's `pie`) is unmet, with the
//! reason, never silently passed.
use super::hardening::{Hardening, Item};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Requirement {
    /// The bootstrap layout rules (what --check alone checks).
    Bootstrap,
    /// PT_GNU_STACK without PF_X, and no segment both writable and executable.
    NxStack,
    /// PT_GNU_RELRO, with BIND_NOW where a dynamic linker could bind lazily.
    Relro,
    /// A position-independent executable (dynamic or static-PIE).
    Pie,
    /// Something calls __stack_chk_fail (the stack protector is in use).
    Canary,
    /// nx-stack, relro, pie and canary.
    All,
}

pub struct Demands {
    pub bootstrap: bool,
    pub items: Vec<Item>,
}

impl Demands {
    pub fn new(required: &[Requirement]) -> Self {
        if required.is_empty() {
            return Demands {
                bootstrap: true,
                items: Vec::new(),
            };
        }
        let items = Item::ALL
            .into_iter()
            .filter(|item| {
                required.iter().any(|r| match r {
                    Requirement::All => true,
                    Requirement::Bootstrap => false,
                    Requirement::NxStack => *item == Item::NxStack,
                    Requirement::Relro => *item == Item::Relro,
                    Requirement::Pie => *item == Item::Pie,
                    Requirement::Canary => *item == Item::Canary,
                })
            })
            .collect();
        Demands {
            bootstrap: required.contains(&Requirement::Bootstrap),
            items,
        }
    }

    /// Every demanded item the file does not meet, with one reason per entry.
    pub fn unmet(&self, hardening: &Result<Hardening, String>) -> Vec<(Item, String)> {
        (self.items.iter())
            .flat_map(|&item| {
                let why = match hardening {
                    Ok(h) => h.unmet(item),
                    Err(none) => vec![format!("no hardening state: {none}")],
                };
                why.into_iter().map(move |w| (item, w))
            })
            .collect()
    }
}
