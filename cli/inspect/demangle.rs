//! Symbol demangling as binutils' `bfd_demangle` does it: leading dots are set aside, a
//! `@VERSION` suffix is kept out of the demangler and put back afterwards, Rust names (v0
//! `_R…` and legacy `_ZN…17h<hash>E`) are shown without hashes, crate disambiguators or an
//! LLVM `.suffix`, and everything else starting with `_Z` goes to the C++ (Itanium) demangler.
//! A name no demangler accepts is returned unchanged.
//!
//! cpp_demangle and libiberty spell a few special names differently; those are rewritten to
//! libiberty's words (`vtable for`, `VTT for`, `non-virtual thunk to`, …), and the comdat
//! group names of constructors and destructors (`C5`/`D5`), which cpp_demangle rejects, are
//! shown as the constructor or destructor they group, as libiberty shows them.
use std::borrow::Cow;

pub fn demangle(name: &str) -> Cow<'_, str> {
    let body = name.trim_start_matches(['.', '$']);
    let lead = &name[..name.len() - body.len()];
    let (body, version) = body.split_at(body.find('@').unwrap_or(body.len()));
    match rust(body).or_else(|| cpp(body)) {
        Some(d) => Cow::Owned(format!("{lead}{d}{version}")),
        None => Cow::Borrowed(name),
    }
}

fn rust(name: &str) -> Option<String> {
    rustc_demangle::try_demangle(rust_core(name)?)
        .ok()
        .map(|d| format!("{d:#}"))
}

/// The mangled part of a Rust name, without an LLVM `.suffix`: v0 names (`_R…`) have no dots;
/// a legacy name is an Itanium nested name whose last component is the hash `h<16 hex>`, and
/// ends at the `E` after it. Anything else is not Rust (a C++ `_ZN…E` name in particular).
fn rust_core(name: &str) -> Option<&str> {
    if name.starts_with("_R") {
        return name.split('.').next();
    }
    let mut rest = name.strip_prefix("_ZN")?;
    let mut last = "";
    while !rest.starts_with('E') {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let len: usize = rest[..digits].parse().ok()?;
        last = rest.get(digits..digits + len)?;
        rest = &rest[digits + len..];
    }
    let hash = last.strip_prefix('h')?;
    (hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then(|| &name[..name.len() - rest.len() + 1])
}

fn cpp(name: &str) -> Option<String> {
    let rest = name.strip_prefix("_Z")?;
    let special = |tag: &str, words: &str| {
        rest.strip_prefix(tag)
            .and_then(|ty| itanium(&format!("_ZTI{ty}")))
            .and_then(|d| d.strip_prefix("typeinfo for ").map(|t| format!("{words}{t}")))
    };
    let thunk = |tag: &str, offsets: usize, words: &str| {
        let mut enc = rest.strip_prefix(tag)?;
        for _ in 0..offsets {
            enc = skip_call_offset(enc)?;
        }
        itanium(&format!("_Z{enc}")).map(|d| format!("{words}{d}"))
    };
    special("TV", "vtable for ")
        .or_else(|| special("TT", "VTT for "))
        .or_else(|| {
            thunk(
                "T",
                1,
                if rest.starts_with("Th") {
                    "non-virtual thunk to "
                } else {
                    "virtual thunk to "
                },
            )
        })
        .or_else(|| thunk("Tc", 2, "covariant return thunk to "))
        .or_else(|| itanium(name))
        .or_else(|| {
            ["C5", "D5"].iter().find_map(|code| {
                let at = name.find(code)?;
                itanium(&format!("{}{}1{}", &name[..at], &code[..1], &name[at + 2..]))
            })
        })
}

/// An Itanium `<call-offset>`: `h<number>_` or `v<number>_<number>_`, numbers with an
/// optional `n` for negative.
fn skip_call_offset(s: &str) -> Option<&str> {
    fn number(s: &str) -> Option<&str> {
        let s = s.strip_prefix('n').unwrap_or(s);
        let rest = s.trim_start_matches(|c: char| c.is_ascii_digit());
        (rest.len() < s.len()).then_some(rest)?.strip_prefix('_')
    }
    match s.as_bytes().first()? {
        b'h' => number(&s[1..]),
        b'v' => number(&s[1..]).and_then(number),
        _ => None,
    }
}

fn itanium(name: &str) -> Option<String> {
    let text = cpp_demangle::Symbol::new(name).ok()?.demangle().ok()?;
    Some(anonymous_namespaces(&text))
}

/// libiberty shows GCC's anonymous namespace names (`_GLOBAL__N_1`) as `(anonymous namespace)`.
fn anonymous_namespaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("_GLOBAL__N") {
        out.push_str(&rest[..at]);
        out.push_str("(anonymous namespace)");
        rest = rest[at..].trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::demangle;

    #[test]
    fn rust_cpp_and_plain_names() {
        assert_eq!(
            demangle("_ZN14rtlink_runtime5print5throw17hb4b9a1a44204f004E"),
            "rtlink_runtime::print::throw"
        );
        assert_eq!(
            demangle("_RNvCsfLfy6EI15iL_7___rustc17rust_begin_unwind"),
            "__rustc::rust_begin_unwind"
        );
        assert_eq!(demangle("_Z3inlv"), "inl()");
        assert_eq!(demangle("_Z3inlv@@V1"), "inl()@@V1");
        assert_eq!(demangle(".L_Z3inlv"), ".L_Z3inlv");
        assert_eq!(demangle("main"), "main");
        assert_eq!(demangle("_Zfoo"), "_Zfoo");
        assert_eq!(
            demangle("_ZN14rtlink_runtime4rand4SEED17h0123456789abcdefE.0"),
            "rtlink_runtime::rand::SEED"
        );
        assert_eq!(
            demangle("_ZN10__cxxabiv111__terminateEPFvvE"),
            "__cxxabiv1::__terminate(void (*)())"
        );
        assert_eq!(
            demangle("_ZN12_GLOBAL__N_14poolD2Ev"),
            "(anonymous namespace)::pool::~pool()"
        );
        assert_eq!(demangle("_ZTV1S"), "vtable for S");
        assert_eq!(demangle("_ZTT1S"), "VTT for S");
        assert_eq!(demangle("_ZThn16_N1D1fEv"), "non-virtual thunk to D::f()");
        assert_eq!(demangle("_ZTv0_n24_N1D1fEv"), "virtual thunk to D::f()");
        assert_eq!(demangle("_ZN1SD5Ev"), "S::~S()");
        assert_eq!(demangle("_ZN1SC5Ev"), "S::S()");
    }
}
