//! Pass 3, relocate: the GOT, symbol values, and every relocation applied in place.
//!
//! Supported: the relocations C, C++, asm and Rust compilers emit for static code —
//! R_X86_64_64, PC32, PLT32, 32, 32S, PC64, GOTPCREL, GOTPCRELX, REX_GOTPCRELX, TPOFF32,
//! TPOFF64, GOTTPOFF, TLSGD, TLSLD, DTPOFF32, DTPOFF64, SIZE32, SIZE64 (and NONE). Anything else
//! is an error naming the type, the object and the section.
//!
//! Invariants:
//! - A static executable has no dynamic linker: every GOT slot holds its final value (an
//!   address, or a TLS offset from the thread pointer) written here, and every TLS access model
//!   becomes local-exec (GOTTPOFF's `mov`/`add` rewritten to immediates, the TLSGD and TLSLD
//!   call sequences to `mov %fs:0,%rax`), byte for byte as GNU ld and lld rewrite them.
//! - GOTPCRELX `mov`, `call *` and `jmp *` through the GOT become `lea`, `addr32 call` and
//!   `jmp; nop` to the symbol itself, unless the symbol is an undefined weak one (address 0,
//!   which `lea` cannot reach from 0x400000); other forms keep a GOT slot.
//! - Values are checked against the field: a 32-bit field that cannot hold the value is an
//!   error in lld's words, never a silent truncation.
//! - A relocation in a non-allocated (debug) section against something not in the output
//!   writes the DWARF tombstone (1 in .debug_ranges and .debug_loc, else 0); in an allocated
//!   section it is an error.
//! - The thread pointer is the end of the TLS block rounded up to its alignment (layout.rs).
use std::collections::HashMap;

use anyhow::Result;
use object::elf;
use object::read::elf::{Rela as _, Sym as _};
use object::LittleEndian as LE;

use super::layout::Tls;
use super::sections::Sections;
use super::symbols::{Strength, Symbols, Synthetic};

/// What a relocation refers to: a global (by index) or one object's local symbol.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Target {
    Global(usize),
    Local(usize, usize),
}

fn target(s: &Symbols, o: usize, sym: usize) -> Target {
    match s.sym_global[o].get(sym) {
        Some(&g) if g != usize::MAX => Target::Global(g),
        _ => Target::Local(o, sym),
    }
}

/// GOT slots: (symbol, holds its TLS offset rather than its address).
#[derive(Default)]
pub struct Got {
    pub slots: Vec<(Target, bool)>,
    index: HashMap<(Target, bool), usize>,
}

impl Got {
    /// The slots the live sections' relocations need, in first-use order.
    pub fn scan(s: &Symbols, live: &[Vec<bool>]) -> Result<Got> {
        let mut got = Got::default();
        for (o, obj) in s.objs.iter().enumerate() {
            for sec in (0..obj.shdrs.len()).filter(|&i| live[o][i] && obj.is_alloc(i) && !obj.rela[i].is_empty()) {
                let data = obj.section_data(sec)?;
                for r in obj.rela[sec] {
                    let t = target(s, o, r.r_sym(LE, false) as usize);
                    let off = r.r_offset(LE) as usize;
                    let need = match r.r_type(LE, false) {
                        elf::R_X86_64_GOTPCREL => Some(false),
                        elf::R_X86_64_GOTPCRELX | elf::R_X86_64_REX_GOTPCRELX => {
                            (undefined_weak(s, t) || gotpcrelx_form(data, off).is_none()).then_some(false)
                        }
                        elf::R_X86_64_GOTTPOFF => ie_form(data, off).is_none().then_some(true),
                        _ => None,
                    };
                    if let Some(tls) = need {
                        got.slot(t, tls);
                    }
                }
            }
        }
        Ok(got)
    }

    fn slot(&mut self, t: Target, tls: bool) -> usize {
        *self.index.entry((t, tls)).or_insert_with(|| {
            self.slots.push((t, tls));
            self.slots.len() - 1
        })
    }

    fn offset(&self, t: Target, tls: bool) -> Option<u64> {
        self.index.get(&(t, tls)).map(|&i| i as u64 * 8)
    }
}

/// Whether `t`'s value does not move with the load address (an absolute symbol, or an
/// undefined weak one, which is 0): in a static-PIE, an address stored in data needs an
/// R_X86_64_RELATIVE relocation unless it is this.
fn absolute(s: &Symbols, t: Target) -> bool {
    let (o, i) = match t {
        Target::Local(o, i) => (o, i),
        Target::Global(g) => match (s.globals[g].strength, s.globals[g].def) {
            (Strength::Weak | Strength::Strong, Some(def)) => def,
            _ => return undefined_weak(s, t),
        },
    };
    s.objs[o]
        .syms
        .get(i)
        .is_some_and(|sym| sym.st_shndx(LE) == elf::SHN_ABS)
}

/// The number of R_X86_64_RELATIVE relocations a static-PIE of these sections needs: one per
/// 64-bit address in allocated data and per GOT slot holding an address, unless absolute.
pub fn count_relative(s: &Symbols, live: &[Vec<bool>], got: &Got) -> usize {
    let mut n = (got.slots.iter()).filter(|&&(t, tls)| !tls && !absolute(s, t)).count();
    for (o, obj) in s.objs.iter().enumerate() {
        for sec in (0..obj.shdrs.len()).filter(|&i| live[o][i] && obj.is_alloc(i)) {
            n += (obj.rela[sec].iter())
                .filter(|r| {
                    r.r_type(LE, false) == elf::R_X86_64_64 && !absolute(s, target(s, o, r.r_sym(LE, false) as usize))
                })
                .count();
        }
    }
    n
}

/// Whether `t` is a global nothing defines and only weak references name (its value is 0).
fn undefined_weak(s: &Symbols, t: Target) -> bool {
    matches!(t, Target::Global(g) if s.globals[g].strength == Strength::Undefined && s.globals[g].synthetic.is_none())
}

/// The instruction using a GOTPCRELX field at `off`: `Some(op)` for the relaxable `mov`
/// (0x8b), `call *` (0x15) and `jmp *` (0x25).
fn gotpcrelx_form(data: &[u8], off: usize) -> Option<u8> {
    let (op, modrm) = (*data.get(off.checked_sub(2)?)?, *data.get(off - 1)?);
    match (op, modrm) {
        (0x8b, _) => Some(0x8b),
        (0xff, 0x15 | 0x25) => Some(modrm),
        _ => None,
    }
}

/// The initial-exec instruction at a GOTTPOFF field: `Some((rex, op, reg))` for
/// `movq x@gottpoff(%rip), %reg` and `addq x@gottpoff(%rip), %reg`.
fn ie_form(data: &[u8], off: usize) -> Option<(u8, u8, u8)> {
    let at = off.checked_sub(3)?;
    let (rex, op, modrm) = (*data.get(at)?, data[at + 1], data[at + 2]);
    (matches!(rex, 0x48 | 0x4c) && matches!(op, 0x8b | 0x03) && modrm & 0xc7 == 0x05).then_some((
        rex,
        op,
        (modrm >> 3) & 7,
    ))
}

/// Everything relocation needs to know about the finished layout.
pub struct Ctx<'r, 'a> {
    pub s: &'r Symbols<'a>,
    pub secs: &'r Sections<'a>,
    pub got: &'r Got,
    pub got_addr: u64,
    pub tls: Option<&'r Tls>,
    pub ehdr: u64,
    /// A static-PIE: absolute addresses in allocated sections are recorded in `relative`.
    pub pie: bool,
    /// (place, value) of each R_X86_64_RELATIVE relocation the output needs.
    pub relative: std::cell::RefCell<Vec<(u64, u64)>>,
}

/// Why a symbol has no value.
enum Missing {
    /// Nothing defines it: (its name).
    Undefined(String),
    /// It is in a section that is not in the output.
    Discarded,
}

impl Ctx<'_, '_> {
    /// The value of a global, with `addend` added.
    fn global(&self, g: usize, addend: i64) -> Result<u64, Missing> {
        let glob = &self.s.globals[g];
        let name = || String::from_utf8_lossy(glob.name).into_owned();
        let base = match (glob.synthetic, glob.strength, glob.def) {
            (_, Strength::Common, _) => {
                let off = *self.secs.commons.get(&g).ok_or(Missing::Discarded)?;
                self.commons_addr() + off
            }
            (_, Strength::Weak | Strength::Strong, Some((d, di))) => self.defined(d, di)?,
            (Some(syn), ..) => self.synthetic(syn).ok_or_else(|| Missing::Undefined(name()))?,
            _ if glob.strong_ref => return Err(Missing::Undefined(name())),
            _ => 0,
        };
        Ok(base.wrapping_add_signed(addend))
    }

    fn commons_addr(&self) -> u64 {
        (self.secs.outs.iter())
            .find_map(|o| {
                o.members
                    .iter()
                    .find(|m| m.content == super::sections::Content::Commons)
                    .map(|m| o.addr + m.off)
            })
            .unwrap_or(0)
    }

    /// The address of a defined, non-section symbol.
    fn defined(&self, o: usize, i: usize) -> Result<u64, Missing> {
        let obj = &self.s.objs[o];
        let sym = &obj.syms[i];
        if sym.st_shndx(LE) == elf::SHN_ABS {
            return Ok(sym.st_value(LE));
        }
        let sec = obj.sym_section(i).ok_or(Missing::Discarded)?;
        self.secs.addr(o, sec, sym.st_value(LE)).ok_or(Missing::Discarded)
    }

    fn synthetic(&self, syn: Synthetic) -> Option<u64> {
        match syn {
            Synthetic::Ehdr => Some(self.ehdr),
            Synthetic::Got => Some(self.got_addr),
            Synthetic::Start(name) => self.secs.find(name).map(|o| o.addr),
            Synthetic::Stop(name) => self.secs.find(name).map(|o| o.addr + o.size),
        }
    }

    /// S + A for symbol `sym` of object `o`. A section symbol's addend picks the piece of a
    /// merged section (lld's rule), so it is applied before the lookup.
    fn value(&self, o: usize, sym: usize, addend: i64) -> Result<u64, Missing> {
        if let Target::Global(g) = target(self.s, o, sym) {
            return self.global(g, addend);
        }
        let obj = &self.s.objs[o];
        let Some(s) = obj.syms.get(sym) else {
            return Err(Missing::Discarded);
        };
        if s.st_type() == elf::STT_SECTION {
            let sec = obj.sym_section(sym).ok_or(Missing::Discarded)?;
            let off = s.st_value(LE).wrapping_add_signed(addend);
            return self.secs.addr(o, sec, off).ok_or(Missing::Discarded);
        }
        Ok(self.defined(o, sym)?.wrapping_add_signed(addend))
    }

    /// The symbol's size, for SIZE32/SIZE64.
    fn size(&self, o: usize, sym: usize) -> u64 {
        match target(self.s, o, sym) {
            Target::Global(g) => {
                let glob = &self.s.globals[g];
                match glob.def {
                    Some(_) if glob.strength == Strength::Common => glob.common_size,
                    Some((d, di)) => self.s.objs[d].syms[di].st_size(LE),
                    None => 0,
                }
            }
            Target::Local(o, i) => self.s.objs[o].syms[i].st_size(LE),
        }
    }

    /// Records that the 64-bit address `value` at `place` moves with the load address.
    pub fn relocate_at_start(&self, t: Target, place: u64, value: u64) {
        if self.pie && !absolute(self.s, t) {
            self.relative.borrow_mut().push((place, value));
        }
    }

    /// The value a GOT slot holds.
    pub fn got_value(&self, t: Target, tls: bool) -> Result<u64, String> {
        let v = match t {
            Target::Global(g) => self.global(g, 0),
            Target::Local(o, i) => self.value(o, i, 0),
        };
        let v = v.map_err(|m| match m {
            Missing::Undefined(n) => format!("error: undefined symbol: {n}"),
            Missing::Discarded => "error: a GOT entry refers to a section that is not in the output".into(),
        })?;
        Ok(if tls { v.wrapping_sub(self.tp()) } else { v })
    }

    fn tp(&self) -> u64 {
        self.tls.map_or(0, Tls::tp)
    }

    /// Applies the relocations of section `sec` of object `o` to `buf`, its bytes in the output
    /// at address `base` (0 for non-allocated sections). Errors are collected in `errors`.
    pub fn apply(&self, o: usize, sec: usize, buf: &mut [u8], base: u64, errors: &mut Vec<String>) {
        let obj = &self.s.objs[o];
        let alloc = obj.is_alloc(sec);
        let pieces = self.secs.pieces.get(&(o, sec));
        let tombstone: u64 = if matches!(obj.names[sec], b".debug_ranges" | b".debug_loc") {
            1
        } else {
            0
        };
        let rels = obj.rela[sec];
        let mut k = 0;
        while k < rels.len() {
            let r = &rels[k];
            k += 1;
            let in_off = r.r_offset(LE);
            let Some(off) = pieces.map_or(Some(in_off), |p| p.map(in_off)) else {
                continue;
            };
            let (ty, sym, a) = (r.r_type(LE, false), r.r_sym(LE, false) as usize, r.r_addend(LE));
            let place = || format!("{}:({}+0x{in_off:x})", obj.label, obj.section_name(sec));
            let sym_name = || {
                let n = obj.sym_names.get(sym).copied().unwrap_or_default();
                if n.is_empty() {
                    obj.section_name(obj.sym_section(sym).unwrap_or(0))
                } else {
                    String::from_utf8_lossy(n).into_owned()
                }
            };
            let p = base.wrapping_add(off);
            let off = off as usize;
            let mut f = Field {
                buf,
                off,
                ty,
                errors: &mut *errors,
                place: &place,
                sym: &sym_name,
            };
            if ty == elf::R_X86_64_NONE {
                continue;
            }
            let sa = match self.value(o, sym, a) {
                Ok(v) => v,
                Err(Missing::Undefined(name)) => {
                    let at =
                        super::super::resolve::referenced_by(&obj.label, obj.data, object::SectionIndex(sec), in_off);
                    let at = at.unwrap_or_else(|_| format!("\n>>> referenced by {}", place()));
                    f.errors.push(format!("error: undefined symbol: {name}{at}"));
                    continue;
                }
                Err(Missing::Discarded) if !alloc => {
                    f.put(width(ty), tombstone as i128);
                    continue;
                }
                Err(Missing::Discarded) => {
                    f.errors.push(format!("error: {}: relocation {} refers to {}, in a section that is not in the output (discarded by COMDAT or --gc-sections)", place(), type_name(ty), sym_name()));
                    continue;
                }
            };
            let pc = |v: u64| v.wrapping_sub(p) as i64 as i128;
            let t = target(self.s, o, sym);
            let tp = self.tp();
            match ty {
                elf::R_X86_64_64 => {
                    if alloc {
                        self.relocate_at_start(t, p, sa);
                    }
                    f.put(8, sa as i128)
                }
                elf::R_X86_64_32 | elf::R_X86_64_32S if self.pie && alloc && !absolute(self.s, t) => f.errors.push(format!(
                    "error: {}: relocation {} against {} cannot be used in a static-PIE, whose addresses are not known until it runs; recompile with -fPIE (rtlink cflags --static-pie)",
                    place(),
                    type_name(ty),
                    sym_name()
                )),
                elf::R_X86_64_PC32 | elf::R_X86_64_PLT32 => f.put_signed(4, pc(sa)),
                elf::R_X86_64_32 => f.put_unsigned(4, sa as i128),
                elf::R_X86_64_32S => f.put_signed(4, sa as i64 as i128),
                elf::R_X86_64_PC64 => f.put(8, pc(sa)),
                elf::R_X86_64_GOTPCREL => f.got(self, t, false, a, p),
                elf::R_X86_64_GOTPCRELX | elf::R_X86_64_REX_GOTPCRELX => {
                    match gotpcrelx_form(f.buf, off).filter(|_| !undefined_weak(self.s, t)) {
                        Some(form) => {
                            match form {
                                0x8b => f.buf[off - 2] = 0x8d,
                                0x15 => f.buf[off - 2..off].copy_from_slice(&[0x67, 0xe8]),
                                _ => {
                                    f.buf[off - 2..off].copy_from_slice(&[0xe9, 0x00]);
                                    // jmp rel32 is one byte shorter: the field moves back one
                                    // byte and a nop follows it.
                                    let v = pc(sa) + 1;
                                    f.off = off - 1;
                                    f.put_signed(4, v);
                                    f.buf[off + 3] = 0x90;
                                    continue;
                                }
                            }
                            f.put_signed(4, pc(sa));
                        }
                        None => f.got(self, t, false, a, p),
                    }
                }
                elf::R_X86_64_TPOFF32 => f.put_signed(4, sa.wrapping_sub(tp) as i64 as i128),
                elf::R_X86_64_TPOFF64 => f.put(8, sa.wrapping_sub(tp) as i64 as i128),
                elf::R_X86_64_GOTTPOFF => match ie_form(f.buf, off) {
                    Some((rex, op, reg)) => {
                        let (new_rex, new_op, modrm) = match op {
                            0x8b => (if rex == 0x4c { 0x49 } else { rex }, 0xc7, 0xc0 | reg),
                            _ if reg == 4 => (if rex == 0x4c { 0x49 } else { rex }, 0x81, 0xc0 | reg),
                            _ => (if rex == 0x4c { 0x4d } else { rex }, 0x8d, 0x80 | (reg << 3) | reg),
                        };
                        f.buf[off - 3..off].copy_from_slice(&[new_rex, new_op, modrm]);
                        f.put_signed(4, sa.wrapping_sub(tp).wrapping_add(4) as i64 as i128);
                    }
                    None => f.got(self, t, true, a, p),
                },
                // The call's own relocation (to __tls_get_addr) follows and is skipped.
                elf::R_X86_64_TLSGD => {
                    if f.relax_sequence(&GD) {
                        f.put_signed(4, sa.wrapping_sub(tp).wrapping_add(4) as i64 as i128);
                        k += 1;
                    }
                }
                elf::R_X86_64_TLSLD => {
                    if f.relax_sequence(&LD) {
                        k += 1;
                    }
                }
                // An offset in the TLS block, except in code: there the TLSLD sequence it
                // follows became `mov %fs:0,%rax`, so it is the offset from the thread
                // pointer (GNU ld's rule).
                elf::R_X86_64_DTPOFF32 | elf::R_X86_64_DTPOFF64 => {
                    let code = obj.flags(sec) & elf::SHF_EXECINSTR.0 != 0;
                    let v = if code && ty == elf::R_X86_64_DTPOFF32 {
                        sa.wrapping_sub(tp)
                    } else {
                        sa.wrapping_sub(self.tls.map_or(0, |t| t.start))
                    };
                    let n = if ty == elf::R_X86_64_DTPOFF32 { 4 } else { 8 };
                    f.put_signed(n, v as i64 as i128);
                }
                elf::R_X86_64_SIZE32 => f.put_unsigned(4, (self.size(o, sym) as i128) + a as i128),
                elf::R_X86_64_SIZE64 => f.put(8, (self.size(o, sym) as i128) + a as i128),
                _ => f.errors.push(format!(
                    "error: {}: relocation {} against {} is not supported by the internal linker (it links static code: no PLT, TLS descriptors or large code model); link with --ld bfd",
                    place(),
                    type_name(ty),
                    sym_name()
                )),
            }
        }
    }
}

/// A TLS call sequence the ABI defines and its local-exec replacement: the code from `back`
/// bytes before the relocated field (whose own 4 bytes are not compared), the new code, and
/// where the TP offset goes in it.
struct Sequence {
    back: usize,
    code: &'static [u8],
    le: &'static [u8],
    field: Option<usize>,
}

/// `mov %fs:0,%rax; lea x@tpoff(%rax),%rax`, the offset at byte 12.
const LE_GD: [u8; 16] = [0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, 0x48, 0x8d, 0x80, 0, 0, 0, 0];

/// TLSGD: `data16 leaq x@tlsgd(%rip),%rdi; data16 data16 rex64 call __tls_get_addr@PLT`, and
/// the `-fno-plt` form calling through the GOT.
const GD: [Sequence; 2] = [
    Sequence {
        back: 4,
        code: &[0x66, 0x48, 0x8d, 0x3d, 0, 0, 0, 0, 0x66, 0x66, 0x48, 0xe8],
        le: &LE_GD,
        field: Some(12),
    },
    Sequence {
        back: 4,
        code: &[0x66, 0x48, 0x8d, 0x3d, 0, 0, 0, 0, 0x66, 0x48, 0xff, 0x15],
        le: &LE_GD,
        field: Some(12),
    },
];

/// TLSLD: `leaq x@tlsld(%rip),%rdi; call __tls_get_addr@PLT` (12 bytes) or through the GOT
/// (13), each becoming `mov %fs:0,%rax` padded with data16 prefixes.
const LD: [Sequence; 2] = [
    Sequence {
        back: 3,
        code: &[0x48, 0x8d, 0x3d, 0, 0, 0, 0, 0xe8],
        le: &[0x66, 0x66, 0x66, 0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0],
        field: None,
    },
    Sequence {
        back: 3,
        code: &[0x48, 0x8d, 0x3d, 0, 0, 0, 0, 0xff, 0x15],
        le: &[0x66, 0x66, 0x66, 0x66, 0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0],
        field: None,
    },
];

/// A relocated field being written.
struct Field<'b, 'e> {
    buf: &'b mut [u8],
    off: usize,
    ty: elf::RelocationType,
    errors: &'e mut Vec<String>,
    place: &'e dyn Fn() -> String,
    sym: &'e dyn Fn() -> String,
}

impl Field<'_, '_> {
    /// Writes the low `n` bytes of `v`.
    fn put(&mut self, n: usize, v: i128) {
        match self.off.checked_add(n).and_then(|end| self.buf.get_mut(self.off..end)) {
            Some(dst) => dst.copy_from_slice(&(v as u64).to_le_bytes()[..n]),
            None => self.errors.push(format!(
                "error: {}: relocation {} lies outside its section (rebuild the object)",
                (self.place)(),
                type_name(self.ty)
            )),
        }
    }

    fn put_signed(&mut self, n: usize, v: i128) {
        let bits = n as u32 * 8;
        self.put_checked(n, v, -(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1);
    }

    fn put_unsigned(&mut self, n: usize, v: i128) {
        self.put_checked(n, v, 0, (1i128 << (n as u32 * 8)) - 1);
    }

    fn put_checked(&mut self, n: usize, v: i128, min: i128, max: i128) {
        if v < min || v > max {
            self.errors.push(format!(
                "error: {}: relocation {} out of range: {v} is not in [{min}, {max}]; references '{}'",
                (self.place)(),
                type_name(self.ty),
                (self.sym)()
            ));
            return;
        }
        self.put(n, v);
    }

    /// G + A - P through the GOT slot for `t`.
    fn got(&mut self, ctx: &Ctx, t: Target, tls: bool, a: i64, p: u64) {
        let slot = ctx.got.offset(t, tls).unwrap_or(0);
        let v = (ctx.got_addr + slot).wrapping_add_signed(a).wrapping_sub(p) as i64 as i128;
        self.put_signed(4, v);
    }

    /// Rewrites the TLS call sequence around the field to local-exec, if it is one of
    /// `forms`, moving the field to the new code's offset field; false, with an error, if the
    /// code is none of them.
    fn relax_sequence(&mut self, forms: &[Sequence]) -> bool {
        let found = forms.iter().find(|f| {
            self.off.checked_sub(f.back).is_some_and(|start| {
                let code = self.buf.get(start..start + f.code.len().max(f.le.len()));
                let field = f.back..f.back + 4;
                code.is_some_and(|c| {
                    (c.iter().zip(f.code).enumerate()).all(|(i, (b, want))| field.contains(&i) || b == want)
                })
            })
        });
        let Some(f) = found else {
            self.errors.push(format!(
                "error: {}: relocation {} is not followed by the code sequence the x86-64 ABI defines for it, so it cannot be relaxed to local-exec",
                (self.place)(),
                type_name(self.ty)
            ));
            return false;
        };
        let start = self.off - f.back;
        self.buf[start..start + f.le.len()].copy_from_slice(f.le);
        if let Some(field) = f.field {
            self.off = start + field;
        }
        true
    }
}

/// The field width of a relocation type, in bytes.
fn width(ty: elf::RelocationType) -> usize {
    match ty {
        elf::R_X86_64_64
        | elf::R_X86_64_PC64
        | elf::R_X86_64_DTPOFF64
        | elf::R_X86_64_TPOFF64
        | elf::R_X86_64_SIZE64 => 8,
        _ => 4,
    }
}

/// `R_X86_64_NAME`, as readelf prints it.
pub fn type_name(ty: elf::RelocationType) -> String {
    elf::NAMES_R_X86_64
        .name(ty)
        .map_or_else(|| format!("type {}", ty.0), str::to_string)
}
