//! The default view of `rtlink inspect FILE`: what kind of file it is, where it starts, where
//! mainPC leads, where `main` is, where the runtime's code lies next to the user's, and the
//! bootstrap verdict.
//!
//! The last line, `hardening:`, is the hardening state (`hardening.rs`) of a linked file; object
//! and core files have none and no such line.
//!
//! `Summary::new` gathers everything once; `write_text` and `to_json` only present it, so the
//! two forms can never disagree. In text, every line is `label:` padded to 11 columns and a
//! value, so scripts can pick lines by label.
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use goblin::elf::header::ET_REL;
use goblin::elf::sym::STT_FUNC;
use serde_json::{json, Value};

use super::bootstrap::{self, Layout, MainPc, Verdict};
use super::disasm;
use super::dwarf::Debug;
use super::hardening::Hardening;
use super::image::Image;
use super::owner::{self, Owner};
use super::symbols::{self, Symbol};

/// Where one owner's functions lie in the text.
pub struct Span {
    pub owner: Owner,
    pub start: u64,
    pub end: u64,
    pub bytes: u64,
    pub functions: usize,
}

pub struct Summary<'a> {
    pub file: String,
    pub img: &'a Image<'a>,
    pub syms: Vec<Symbol<'a>>,
    pub verdict: Verdict,
    pub main_pc: Option<(&'static Layout, MainPc)>,
    pub spans: Vec<Span>,
    /// file:line of the entry point and of main, from DWARF.
    pub entry_line: Option<String>,
    pub main_line: Option<String>,
    /// The functions the entry point jumps through (`_rt0_amd64_linux -> _rt0_amd64 -> ...`).
    pub chain: Vec<String>,
    /// The hardening state, or why the file has none.
    pub hardening: Result<Hardening, String>,
}

impl<'a> Summary<'a> {
    pub fn new(path: &Path, img: &'a Image<'a>, debug: Option<&Debug>) -> Self {
        let syms = symbols::sorted(img);
        let (verdict, main_pc) = bootstrap::check(img, &syms);
        let spans = main_pc
            .as_ref()
            .map_or_else(Vec::new, |(layout, _)| spans(layout, &syms));
        let user_main = main_pc.as_ref().map_or("main", |(l, _)| l.user_main);
        let line = |addr: u64| debug.and_then(|d| d.location(addr, true));
        let entry_line = (img.header.e_type != ET_REL)
            .then(|| line(img.header.e_entry))
            .flatten();
        let main_line = bootstrap::defined(&syms, user_main).and_then(|m| line(m.value));
        let chain = if img.header.e_type == ET_REL {
            Vec::new()
        } else {
            disasm::chain(img, &syms, 8)
        };
        Summary {
            chain,
            hardening: Hardening::of(img),
            file: path.display().to_string(),
            img,
            syms,
            verdict,
            main_pc,
            spans,
            entry_line,
            main_line,
        }
    }

    fn layout(&self) -> Option<&'static Layout> {
        self.main_pc.as_ref().map(|(l, _)| *l)
    }

    fn user_main(&self) -> &'static str {
        self.layout().map_or("main", |l| l.user_main)
    }

    fn is_object(&self) -> bool {
        self.img.header.e_type == ET_REL
    }

    fn has_debug_info(&self) -> bool {
        (0..self.img.shdrs.len()).any(|i| self.img.section_name(i) == ".debug_info")
    }

    /// The C start code's chain, when the entry is glibc's or musl's `_start`.
    fn start_code(&self) -> Option<&'static str> {
        let entry = bootstrap::describe(&self.syms, self.img.header.e_entry);
        let libc = (self.syms.iter()).any(|s| s.name.split('@').next() == Some("__libc_start_main"));
        (self.main_pc.is_none() && entry == "_start" && libc)
            .then_some("C start code: _start -> __libc_start_main -> main")
    }

    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut line = |label: &str, value: &str| writeln!(out, "{:<11}{value}", format!("{label}:"));
        line("file", &format!("{} ({} bytes)", self.file, self.img.data.len()))?;
        line("type", &self.img.describe())?;
        line("build-id", &self.img.build_id().unwrap_or_else(|| "none".into()))?;
        let debug = if self.has_debug_info() {
            ", DWARF debug info"
        } else {
            ", no debug info"
        };
        let count = if self.syms.is_empty() {
            "none (no .symtab; the file is stripped)".to_string()
        } else {
            format!("{} (.symtab, as nm lists them){debug}", self.syms.len())
        };
        line("symbols", &count)?;
        let entry = self.img.header.e_entry;
        if self.is_object() {
            line("entry", "none (relocatable object)")?;
        } else {
            let mut text = format!("{entry:#x} {}", bootstrap::describe(&self.syms, entry));
            if let Some(l) = &self.entry_line {
                text += &format!(" at {l}");
            }
            if let Some(start) = self.start_code() {
                text += &format!(" ({start})");
            }
            line("entry", &text)?;
        }
        if self.chain.len() > 1 {
            line("chain", &self.chain.join(" -> "))?;
        }
        if let Some((layout, pc)) = &self.main_pc {
            let target = match &pc.target {
                Ok(t) => format!("{t:#x} {}", bootstrap::describe(&self.syms, *t)),
                Err(e) => format!("unreadable: {e}"),
            };
            line("mainPC", &format!("{:#x} {} -> {target}", pc.addr, layout.main_pc))?;
        }
        let user_main = self.user_main();
        match bootstrap::defined(&self.syms, user_main) {
            Some(m) => {
                let at = self.main_line.as_ref().map_or_else(String::new, |l| format!(" at {l}"));
                line("main", &format!("{:#x} {user_main}{at}", m.value))?
            }
            None if self.syms.is_empty() => line("main", "unknown (no symbols)")?,
            None => line("main", &format!("{user_main} is not defined"))?,
        }
        for s in &self.spans {
            line(
                "text",
                &format!(
                    "{:<8}[{:#x}, {:#x}) {} bytes in {} functions",
                    s.owner.name(),
                    s.start,
                    s.end,
                    s.bytes,
                    s.functions
                ),
            )?;
        }
        match &self.verdict {
            Verdict::Ok(l) => line(
                "bootstrap",
                &format!(
                    "ok ({} layout: {} -> ... -> {} -> {})",
                    l.family, l.entry, l.runtime_main, l.user_main
                ),
            )?,
            Verdict::Failed(l, broken) => {
                line("bootstrap", &format!("FAILED ({} layout)", l.family))?;
                broken.iter().try_for_each(|b| writeln!(out, "  - {b}"))?
            }
            Verdict::NotApplicable(why) => line("bootstrap", &format!("none ({why})"))?,
        }
        match &self.hardening {
            Ok(h) => writeln!(out, "{:<11}{}", "hardening:", h.tokens()),
            Err(_) => Ok(()),
        }
    }

    pub fn to_json(&self) -> Value {
        let sym = |addr: u64| json!({ "Address": addr, "Symbol": bootstrap::describe(&self.syms, addr) });
        let main =
            bootstrap::defined(&self.syms, self.user_main()).map(|m| json!({ "Name": m.name, "Address": m.value }));
        let main_pc = self.main_pc.as_ref().map(|(layout, pc)| {
            json!({
                "Symbol": layout.main_pc,
                "Address": pc.addr,
                "Target": pc.target.as_ref().map(|t| sym(*t)).unwrap_or_else(|e| json!({ "Error": e })),
            })
        });
        let (verdict, broken, layout) = match &self.verdict {
            Verdict::Ok(l) => ("ok", vec![], Some(l.family)),
            Verdict::Failed(l, b) => ("failed", b.clone(), Some(l.family)),
            Verdict::NotApplicable(why) => ("none", vec![why.clone()], None),
        };
        json!({
            "File": self.file,
            "Size": self.img.data.len(),
            "Type": self.img.describe(),
            "BuildID": self.img.build_id(),
            "Symbols": self.syms.len(),
            "DebugInfo": self.has_debug_info(),
            "Entry": (!self.is_object()).then(|| sym(self.img.header.e_entry)),
            "EntryLine": self.entry_line,
            "Chain": self.chain,
            "StartCode": self.start_code(),
            "MainPC": main_pc,
            "Main": main,
            "Text": self.spans.iter().map(|s| json!({
                "Owner": s.owner.name(), "Start": s.start, "End": s.end, "Bytes": s.bytes, "Functions": s.functions,
            })).collect::<Vec<_>>(),
            "Bootstrap": { "Verdict": verdict, "Layout": layout, "Details": broken },
            "Hardening": self.hardening.as_ref().ok().map(Hardening::to_json),
        })
    }
}

/// The extent of each owner's function symbols, runtime first.
fn spans(layout: &Layout, syms: &[Symbol]) -> Vec<Span> {
    let mut by_owner: BTreeMap<Owner, Span> = BTreeMap::new();
    for s in syms
        .iter()
        .filter(|s| s.kind == STT_FUNC && s.size > 0 && !s.undefined())
    {
        let owner = owner::of(Some(layout), s);
        let span = by_owner.entry(owner).or_insert(Span {
            owner,
            start: u64::MAX,
            end: 0,
            bytes: 0,
            functions: 0,
        });
        span.start = span.start.min(s.value);
        span.end = span.end.max(s.value.saturating_add(s.size));
        span.bytes = span.bytes.saturating_add(s.size);
        span.functions += 1;
    }
    by_owner.into_values().collect()
}
