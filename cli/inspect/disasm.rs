//! `--disassemble [SYMBOL]`: a function's instructions in AT&T syntax, laid out like
//! `objdump -d --no-show-raw-insn --disassemble=SYMBOL`, and the bootstrap chain the entry
//! point's jumps spell out.
//!
//! Bytes come from the PT_LOAD segments through the checked image; a function's extent is its
//! symbol's size, or up to the next symbol when the size is 0, and never past its segment's
//! file bytes. Direct branch targets are printed as objdump prints them (`401b32 <_rt0_amd64>`),
//! RIP-relative operands get objdump's `# address <symbol>` comment. Decoding stops at the end
//! of the bytes; an undecodable byte is shown as `(bad)`, as objdump does. Not reproduced:
//! objdump's synthetic `name@plt` symbols for PLT stubs (shown as `_init+0x40` and the like;
//! rtlink's static programs have no PLT).
use std::io::Write;

use anyhow::{bail, Result};
use goblin::elf::program_header::PT_LOAD;
use goblin::elf::sym::{STB_LOCAL, STT_FUNC, STT_NOTYPE};
use iced_x86::{Decoder, DecoderOptions, Formatter, GasFormatter, Instruction, Mnemonic, OpKind};
use serde_json::{json, Value};

use super::bootstrap::describe;
use super::image::Image;
use super::symbols::Symbol;

/// The bytes of `[addr, addr + len)` as mapped, cut at the segment's file bytes.
fn code<'a>(img: &Image<'a>, addr: u64, len: u64) -> Option<&'a [u8]> {
    let seg = (img.phdrs.iter()).find(|p| p.p_type == PT_LOAD && addr >= p.p_vaddr && addr - p.p_vaddr < p.p_filesz)?;
    let rel = addr - seg.p_vaddr;
    let data = img.segment_data(seg)?;
    let end = rel.saturating_add(len).min(seg.p_filesz);
    data.get(rel as usize..end as usize)
}

/// A function symbol's start and length in bytes.
fn extent(syms: &[Symbol], sym: &Symbol) -> u64 {
    if sym.size > 0 {
        return sym.size;
    }
    let next = syms
        .iter()
        .filter(|s| s.value > sym.value && !s.undefined())
        .map(|s| s.value)
        .min();
    next.map_or(64, |n| n - sym.value)
}

fn decode<'a>(img: &Image<'a>, addr: u64, len: u64) -> Vec<Instruction> {
    let bits = if img.is_64 { 64 } else { 32 };
    let Some(bytes) = code(img, addr, len) else {
        return Vec::new();
    };
    Decoder::with_ip(bits, bytes, addr, DecoderOptions::NONE)
        .into_iter()
        .collect()
}

/// Direct branch or call targets.
fn branch_target(i: &Instruction) -> Option<u64> {
    matches!(
        i.op0_kind(),
        OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64
    )
    .then(|| i.near_branch_target())
}

/// One instruction's text, objdump's layout: the mnemonic padded to 6 columns, then operands.
fn text(f: &mut GasFormatter, syms: &[Symbol], i: &Instruction) -> String {
    if i.is_invalid() {
        return "(bad)".into();
    }
    let mut s = String::new();
    if let Some(t) = branch_target(i) {
        f.format_mnemonic(i, &mut s);
        let pad = s.len().max(6);
        return format!("{s:<pad$} {t:x} <{}>", objdump_name(syms, t));
    }
    f.format(i, &mut s);
    let mut s = with_unit_scales(&s);
    // objdump names the implicit segments of string instructions.
    let string_op = matches!(
        i.mnemonic(),
        Mnemonic::Movsb
            | Mnemonic::Movsw
            | Mnemonic::Movsd
            | Mnemonic::Movsq
            | Mnemonic::Stosb
            | Mnemonic::Stosw
            | Mnemonic::Stosd
            | Mnemonic::Stosq
            | Mnemonic::Lodsb
            | Mnemonic::Lodsw
            | Mnemonic::Lodsd
            | Mnemonic::Lodsq
            | Mnemonic::Cmpsb
            | Mnemonic::Cmpsw
            | Mnemonic::Cmpsd
            | Mnemonic::Cmpsq
            | Mnemonic::Scasb
            | Mnemonic::Scasw
            | Mnemonic::Scasd
            | Mnemonic::Scasq
    );
    if string_op && !s.contains("%xmm") {
        s = s.replace("(%rsi)", "%ds:(%rsi)").replace("(%esi)", "%ds:(%esi)");
        s = s.replace("(%rdi)", "%es:(%rdi)").replace("(%edi)", "%es:(%edi)");
    }
    objdump_spelling(&mut s, i);
    if i.is_ip_rel_memory_operand() {
        let t = i.ip_rel_memory_address();
        s += &format!("        # {t:x} <{}>", objdump_name(syms, t));
    }
    s
}

fn formatter() -> GasFormatter {
    let mut f = GasFormatter::new();
    let o = f.options_mut();
    o.set_first_operand_char_index(7);
    o.set_uppercase_hex(false);
    o.set_small_hex_numbers_in_decimal(false);
    o.set_rip_relative_addresses(true);
    o.set_show_branch_size(false);
    o.set_show_zero_displacements(true);
    o.set_show_useless_prefixes(true);
    f
}

/// Where objdump spells an instruction differently from iced's GAS formatter: `repz`/`repnz`
/// for `repe`/`repne`, no size suffix on indirect `call`/`jmp`, `cs nopw` padding, no count on
/// shifts by one, and the three-operand form of `imul $imm,%reg,%reg`.
fn objdump_spelling(s: &mut String, i: &Instruction) {
    for (iced, objdump) in [
        ("repe ", "repz "),
        ("repne ", "repnz "),
        ("callq", "call "),
        ("jmpq", "jmp "),
    ] {
        if let Some(rest) = s.strip_prefix(iced) {
            *s = format!("{objdump}{rest}");
        }
    }
    // A useless CS prefix on a NOP: objdump shows it as a prefix word, `cs nopw 0x0(...)`.
    if i.mnemonic() == Mnemonic::Nop && s.contains("%cs:") {
        if let Some((mnemonic, operands)) = s.split_once(' ') {
            *s = format!("cs {mnemonic} {}", operands.trim_start().replace("%cs:", ""));
        }
    }
    // Shifts and rotates by one (D0/D1 encodings): objdump leaves the count out.
    if format!("{:?}", i.code()).ends_with("_1") {
        if let Some((mnemonic, operands)) = s.split_once(' ') {
            if let Some(rest) = operands.trim_start().strip_prefix("$0x1,") {
                *s = format!("{mnemonic:<6} {rest}");
            }
        }
    }
    if i.mnemonic() == Mnemonic::Imul && i.op_count() == 3 && i.op0_register() == i.op1_register() {
        if let Some(reg) = s.rsplit(',').next().map(str::to_string) {
            if s.matches(',').count() == 1 {
                s.push(',');
                s.push_str(&reg);
            }
        }
    }
}

/// objdump writes a scale of 1 when there is an index (`(%rdi,%rsi,1)`); iced leaves it out.
fn with_unit_scales(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut rest = s;
    while let Some(open) = rest.find('(') {
        let Some(close) = rest[open..].find(')').map(|c| open + c) else {
            break;
        };
        let inner = &rest[open + 1..close];
        out.push_str(&rest[..=open]);
        out.push_str(inner);
        if inner.matches(',').count() == 1 && inner.split(',').nth(1).is_some_and(|p| p.starts_with('%')) {
            out.push_str(",1");
        }
        out.push(')');
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The symbol objdump names an address after: the closest symbol at or below it, of several
/// at one address the first in objdump's order (functions, then globals before locals, then
/// larger, then names not starting with a dot, then by name).
fn objdump_name(syms: &[Symbol], addr: u64) -> String {
    use std::cmp::Ordering;
    let rank = |a: &Symbol, b: &Symbol| -> Ordering {
        (b.kind == STT_FUNC)
            .cmp(&(a.kind == STT_FUNC))
            .then((a.bind == STB_LOCAL).cmp(&(b.bind == STB_LOCAL)))
            .then(b.size.cmp(&a.size))
            .then(a.name.starts_with('.').cmp(&b.name.starts_with('.')))
            .then(a.name.as_bytes().cmp(b.name.as_bytes()))
    };
    let best = (syms.iter())
        .filter(|s| !s.undefined() && !s.debugging() && s.value <= addr)
        .max_by(|a, b| a.value.cmp(&b.value).then(rank(b, a)));
    match best {
        Some(s) if s.value == addr => s.name.to_string(),
        Some(s) => format!("{}+{:#x}", s.name, addr - s.value),
        None => describe(syms, addr),
    }
}

/// A function's listing: its symbol, address, and (address, instruction text) lines.
pub struct Listing {
    pub symbol: String,
    pub addr: u64,
    pub lines: Vec<(u64, String)>,
}

pub fn listing(img: &Image, syms: &[Symbol], name: Option<&str>) -> Result<Listing> {
    let entry = img.header.e_entry;
    let sym = match name {
        Some(n) => syms.iter().find(|s| s.name == n && !s.undefined()),
        None => (syms.iter())
            .filter(|s| s.value == entry && matches!(s.kind, STT_FUNC | STT_NOTYPE))
            .max_by_key(|s| s.global()),
    };
    let Some(sym) = sym else {
        match name {
            Some(n) => bail!("no symbol {n:?} to disassemble (rtlink inspect --nm FILE lists them)"),
            None => {
                bail!("no symbol at the entry point {entry:#x} (the file is stripped?); name one: --disassemble SYMBOL")
            }
        }
    };
    let insns = decode(img, sym.value, extent(syms, sym));
    if insns.is_empty() {
        bail!("{}: no code at {:#x} in the file", sym.name, sym.value);
    }
    let mut f = formatter();
    Ok(Listing {
        symbol: sym.name.to_string(),
        addr: sym.value,
        lines: insns.iter().map(|i| (i.ip(), text(&mut f, syms, i))).collect(),
    })
}

pub fn write(img: &Image, l: &Listing, out: &mut dyn Write) -> Result<()> {
    let w = if img.is_64 { 16 } else { 8 };
    writeln!(out, "{:0w$x} <{}>:", l.addr, l.symbol)?;
    for (addr, text) in &l.lines {
        writeln!(out, "{addr:>8x}:\t{text}")?;
    }
    Ok(())
}

pub fn json(l: &Listing) -> Value {
    let lines: Vec<Value> = l
        .lines
        .iter()
        .map(|(a, t)| json!({ "Address": a, "Text": t }))
        .collect();
    json!({ "Symbol": l.symbol, "Address": l.addr, "Instructions": lines })
}

/// The chain of functions the entry point jumps through: from each function, its first
/// branch if that is a direct unconditional jump to the start of a named symbol; the chain
/// stops at a call, a return, an indirect branch or a loop, and after `hops` jumps.
pub fn chain(img: &Image, syms: &[Symbol], hops: usize) -> Vec<String> {
    let mut at = img.header.e_entry;
    let mut seen = vec![at];
    let mut out = vec![objdump_name(syms, at)];
    while out.len() <= hops {
        let Some(sym) = syms
            .iter()
            .find(|s| s.value == at && matches!(s.kind, STT_FUNC | STT_NOTYPE))
        else {
            break;
        };
        let insns = decode(img, at, extent(syms, sym).min(512));
        let Some(branch) = insns
            .iter()
            .find(|i| i.near_branch_target() != 0 || i.is_invalid() || is_flow(i))
        else {
            break;
        };
        let target = branch_target(branch).filter(|_| branch.mnemonic() == Mnemonic::Jmp);
        match target {
            Some(t) if !seen.contains(&t) && syms.iter().any(|s| s.value == t && !s.undefined()) => {
                seen.push(t);
                out.push(objdump_name(syms, t));
                at = t;
            }
            _ => break,
        }
    }
    out
}

/// Whether an instruction leaves straight-line flow without a direct target.
fn is_flow(i: &Instruction) -> bool {
    matches!(
        i.mnemonic(),
        Mnemonic::Call | Mnemonic::Jmp | Mnemonic::Ret | Mnemonic::Ud2 | Mnemonic::Hlt | Mnemonic::Syscall
    )
}
