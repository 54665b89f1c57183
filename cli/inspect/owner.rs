//! Who a symbol belongs to: the runtime, the user's code, or a library linked in.
//!
//! In an rtlink binary the runtime's symbols are exactly those the embedded runtime object
//! defines (rtlink carries that object, so the set is known without any naming convention);
//! everything else came from the user's inputs. In a Go binary the runtime is the `runtime`
//! package and its `internal/` helpers, the user's code is package `main`, and the rest is the
//! standard library or modules. In any other file nothing is attributed to a runtime: it is
//! all the program's.
use std::collections::HashSet;
use std::sync::OnceLock;

use super::bootstrap::{Layout, GO, RTLINK};
use super::image::Image;
use super::symbols::{self, Symbol};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    Runtime,
    User,
    Library,
}

impl Owner {
    pub fn name(self) -> &'static str {
        match self {
            Owner::Runtime => "runtime",
            Owner::User => "user",
            Owner::Library => "library",
        }
    }
}

/// The names the embedded runtime objects (the ET_EXEC and the static-PIE builds) define.
fn runtime_names() -> &'static HashSet<String> {
    static NAMES: OnceLock<HashSet<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let path = std::path::Path::new("runtime.o");
        [crate::embedded::RUNTIME_O, crate::embedded::RUNTIME_PIE_O]
            .into_iter()
            .filter_map(|data| Image::parse(path, data).ok())
            .flat_map(|img| {
                (symbols::table(&img, false).into_iter())
                    .filter(|s| !s.undefined())
                    .map(|s| s.name.to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    })
}

/// The owner of a defined symbol in a file with `layout` (None: not self-bootstrapping).
pub fn of(layout: Option<&Layout>, sym: &Symbol) -> Owner {
    match layout {
        Some(l) if l.family == RTLINK.family => {
            if runtime_names().contains(sym.name) {
                Owner::Runtime
            } else {
                Owner::User
            }
        }
        Some(l) if l.family == GO.family => {
            let pkg = sym.name.split(['.', '(']).next().unwrap_or("");
            if pkg == "runtime" || sym.name.starts_with("internal/") || sym.name.starts_with("runtime/") {
                Owner::Runtime
            } else if pkg == "main" {
                Owner::User
            } else {
                Owner::Library
            }
        }
        _ => Owner::User,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(name: &str) -> Symbol<'_> {
        Symbol {
            name,
            value: 0,
            size: 0,
            letter: 'T',
            kind: 2,
            bind: 1,
            shndx: 1,
        }
    }

    #[test]
    fn rtlink_runtime_names_come_from_the_embedded_object() {
        assert_eq!(of(Some(&RTLINK), &sym("runtime_main")), Owner::Runtime);
        assert_eq!(of(Some(&RTLINK), &sym("_rt0_amd64_linux")), Owner::Runtime);
        assert_eq!(of(Some(&RTLINK), &sym("memcpy")), Owner::Runtime);
        assert_eq!(of(Some(&RTLINK), &sym("main")), Owner::User);
        assert_eq!(of(Some(&RTLINK), &sym("runtime_my_own_helper")), Owner::User);
    }

    #[test]
    fn go_packages() {
        assert_eq!(of(Some(&GO), &sym("runtime.main")), Owner::Runtime);
        assert_eq!(of(Some(&GO), &sym("internal/bytealg.IndexByte")), Owner::Runtime);
        assert_eq!(of(Some(&GO), &sym("main.main")), Owner::User);
        assert_eq!(of(Some(&GO), &sym("os.(*File).Write")), Owner::Library);
        assert_eq!(of(None, &sym("printf")), Owner::User);
    }
}
