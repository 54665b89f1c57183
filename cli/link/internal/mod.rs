//! The internal linker (`rtlink build --ld internal`): links the runtime and the user's
//! objects and archives into a static ET_EXEC itself, with no system linker, laying the program
//! out as the embedded linker script does.
//!
//! Four passes, each in its own file:
//! 1. resolve (symbols.rs): load the objects and the archive members they need, deduplicate
//!    COMDAT groups, give every global name its winning definition;
//!    then `--gc-sections` (gc.rs) keeps what the entry, the arrays and the notes reach;
//! 2. lay out: assign live sections to output sections in the script's order (sections.rs,
//!    merging strings and constants, merge.rs, and pruning `.eh_frame`, eh_frame.rs), then
//!    offsets, addresses and program headers (layout.rs);
//! 3. relocate (reloc.rs): fill the GOT, apply every relocation, relax TLS and GOT accesses;
//! 4. write (write.rs): headers, symbol table, section headers, build ID.
//!
//! Invariants:
//! - The output is the same program GNU ld makes from the same inputs and script: the same
//!   sections in the same order, segments and permissions, symbols (names, types, sizes), and
//!   behaviour; addresses may differ (tests/internal_link.rs holds the two side by side).
//! - Deterministic: the output depends only on the inputs and options, never on hashing order
//!   or time, so equal inputs give byte-identical programs.
//! - Errors come together (at most ten, `resolve::report`), in lld's layout, and nothing is
//!   written.
mod eh_frame;
mod gc;
mod input;
mod layout;
mod merge;
mod reloc;
mod sections;
mod symbols;
mod write;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use object::elf;
use object::read::elf::Sym as _;

use super::driver::Level;
use super::{output, BuildArgs, Layout};

/// The program's entry point, as the script's ENTRY names it.
const ENTRY: &[u8] = b"_rt0_amd64_linux";
/// Where an ET_EXEC is linked, as in the script (a static-PIE is linked at 0).
const BASE: u64 = 0x40_0000;
/// A static-PIE's dynamic section: DT_RELA, DT_RELASZ, DT_RELAENT, DT_FLAGS, DT_FLAGS_1,
/// DT_RELACOUNT, DT_NULL.
const DYNAMIC_ENTRIES: u64 = 7;

/// Links `files` (named `labels` in messages; `whole`: inside --whole-archive) into `out`.
pub fn link(
    args: &BuildArgs,
    files: &[PathBuf],
    labels: &[PathBuf],
    whole: &[bool],
    out: output::Pending,
) -> Result<()> {
    if let Some(arg) = args.line.passthrough.first() {
        bail!("the internal linker takes no linker arguments ({arg}); use --ld bfd to pass them to GNU ld");
    }
    if args.map.is_some() || args.save_temps.is_some() {
        bail!("--Map and --save-temps describe an external linker's run; use --ld bfd with them");
    }
    let maps = (files.iter())
        .map(|f| {
            let file = std::fs::File::open(f).with_context(|| format!("{}: cannot read input", f.display()))?;
            // SAFETY: the inputs are read-only for the link's duration; a file changed under
            // rtlink by another process is the same hazard ld has, and every read of the map is
            // bounds-checked by object's parsers.
            unsafe { memmap2::Mmap::map(&file) }.with_context(|| format!("{}: cannot map input", f.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let level = (args.amd64 != Level::V1)
        .then(|| super::driver::level_object(args.amd64))
        .transpose()?;
    let (_, runtime) = args.layout().runtime();
    let mut inputs = vec![symbols::Input {
        label: "the rtlink runtime".into(),
        data: runtime,
        whole: false,
    }];
    if let Some(lvl) = &level {
        inputs.push(symbols::Input {
            label: "rtlink_goamd64.o".into(),
            data: lvl,
            whole: false,
        });
    }
    for ((map, label), whole) in maps.iter().zip(labels).zip(whole) {
        inputs.push(symbols::Input {
            label: label.display().to_string(),
            data: map,
            whole: *whole,
        });
    }
    let opts = Options {
        pie: args.layout() == Layout::StaticPie,
        gc: !args.no_gc_sections,
        strip_debug: args.strip_debug,
        strip_all: args.strip_all,
        build_id: &args.build_id,
        undefined: &args.line.undefined,
    };
    let image = link_inputs(&inputs, &opts)?;
    std::fs::write(out.path(), image).with_context(|| format!("{}: cannot write", out.dest().display()))?;
    if args.layout() == Layout::StaticPie {
        super::pie::check_output(out.path(), out.dest())?;
    }
    out.commit()
}

/// The linked program's bytes.
/// What the options of `rtlink build` ask of the link itself.
pub struct Options<'o> {
    pub pie: bool,
    pub gc: bool,
    pub strip_debug: bool,
    pub strip_all: bool,
    /// The `--build-id` style.
    pub build_id: &'o str,
    /// The `-u` names.
    pub undefined: &'o [String],
}

/// The fuzz target's way in: links the runtime and one input file's bytes in memory, as
/// `rtlink build --ld internal input.o` would, into the program's bytes or an error.
pub fn link_in_memory(data: &[u8], opts: &Options) -> Result<Vec<u8>> {
    let runtime = if opts.pie { Layout::StaticPie } else { Layout::Exec }.runtime().1;
    let inputs = [
        symbols::Input {
            label: "the rtlink runtime".into(),
            data: runtime,
            whole: false,
        },
        symbols::Input {
            label: "input.o".into(),
            data,
            whole: false,
        },
    ];
    link_inputs(&inputs, opts)
}

fn link_inputs(inputs: &[symbols::Input], args: &Options) -> Result<Vec<u8>> {
    let mut roots: Vec<&[u8]> = vec![ENTRY];
    roots.extend(args.undefined.iter().map(|u| u.as_bytes()));
    let mut s = symbols::resolve(inputs, &roots)?;
    if args.strip_debug || args.strip_all {
        for obj in &mut s.objs {
            for i in 0..obj.shdrs.len() {
                if obj.names[i].starts_with(b".debug") {
                    obj.kept[i] = false;
                }
            }
        }
    }
    let live = gc::mark(&s, &roots, !args.gc);
    let got = reloc::Got::scan(&s, &live)?;
    let got_symbol = s
        .by_name
        .get(&b"_GLOBAL_OFFSET_TABLE_"[..])
        .is_some_and(|&g| s.globals[g].synthetic.is_some());
    let build_id = write::build_id_size(args.build_id);
    let pie = args.pie;
    let relative = if pie {
        reloc::count_relative(&s, &live, &got) as u64
    } else {
        0
    };
    let syn = sections::Synthesized {
        got: (!got.slots.is_empty() || got_symbol).then_some(got.slots.len() as u64 * 8),
        build_id,
        dynamic: pie.then_some((relative * 24, DYNAMIC_ENTRIES * 16)),
    };
    let mut secs = sections::place(&s, &live, &syn)?;
    let base = if pie { 0 } else { BASE };
    let layout = layout::assign(&mut secs, base, pie);
    let got_sec = secs.outs.iter().position(|o| o.class == sections::Class::Got);
    let ctx = reloc::Ctx {
        s: &s,
        secs: &secs,
        got: &got,
        got_addr: got_sec.map_or(0, |n| secs.outs[n].addr),
        tls: layout.tls.as_ref(),
        ehdr: base,
        pie,
        relative: Default::default(),
    };
    let mut image = vec![0u8; layout.file_end as usize];
    let mut errors = Vec::new();
    fill(&ctx, &mut image, &mut errors)?;
    if pie {
        if let Err(e) = dynamic(&ctx, &mut image, relative) {
            errors.push(e);
        }
    }
    let entry = match s.by_name.get(ENTRY).map(|&g| (g, &s.globals[g])) {
        Some((g, glob)) if glob.def.is_some() => value_of(&ctx, g).map_or(0, |(v, _)| v),
        _ => {
            errors.insert(
                0,
                "error: undefined symbol: _rt0_amd64_linux (the entry point; is the runtime object intact?)".into(),
            );
            0
        }
    };
    super::resolve::report(errors)?;
    let opts = write::Options {
        entry,
        e_type: if pie { elf::ET_DYN.0 } else { elf::ET_EXEC.0 },
        strip_all: args.strip_all,
        build_id: args.build_id,
    };
    write::finish(image, &s, &secs, &layout, &|g| value_of(&ctx, g), &opts)
}

/// A defined global's address and output section index, for the symbol table.
fn value_of(ctx: &reloc::Ctx, g: usize) -> Option<(u64, u16)> {
    let glob = &ctx.s.globals[g];
    let v = ctx.got_value(reloc::Target::Global(g), false).ok()?;
    let sec = match (glob.strength, glob.def, glob.synthetic) {
        (symbols::Strength::Common, ..) => ctx.secs.outs.iter().position(|o| o.name == b".bss"),
        (_, Some((d, di)), _) if glob.strength != symbols::Strength::Undefined => {
            let obj = &ctx.s.objs[d];
            if obj.syms[di].st_shndx(object::LittleEndian) == elf::SHN_ABS {
                return Some((v, elf::SHN_ABS.0));
            }
            ctx.secs.place[d]
                .get(obj.sym_section(di)?)
                .copied()
                .flatten()
                .map(|(n, _)| n)
        }
        (_, _, Some(symbols::Synthetic::Got)) => ctx.secs.outs.iter().position(|o| o.class == sections::Class::Got),
        (_, _, Some(symbols::Synthetic::Start(name) | symbols::Synthetic::Stop(name))) => {
            ctx.secs.outs.iter().position(|o| o.name == name)
        }
        _ => ctx.secs.outs.iter().position(|o| o.alloc()),
    };
    Some((v, sec.map_or(elf::SHN_ABS.0, |n| n as u16 + 1)))
}

/// Copies every section's contents into `image` and relocates them.
fn fill(ctx: &reloc::Ctx, image: &mut [u8], errors: &mut Vec<String>) -> Result<()> {
    for out in ctx.secs.outs.iter().filter(|o| !o.nobits()) {
        for m in &out.members {
            let at = (out.offset + m.off) as usize;
            let dst = &mut image[at..at + m.size as usize];
            let addr = out.addr + m.off;
            match m.content {
                sections::Content::Input(o, sec) => {
                    // A NOBITS input in an output section that has bytes stays zeros.
                    let src = ctx.s.objs[o].section_data(sec)?;
                    dst[..src.len()].copy_from_slice(src);
                    ctx.apply(o, sec, dst, addr, errors);
                }
                sections::Content::EhFrame(e, o, sec) => {
                    let pruned = &ctx.secs.eh[e];
                    dst.copy_from_slice(&pruned.bytes);
                    eh_frame::fix(dst, m.off, &pruned.fixups, &|member| out.members[member].off);
                    ctx.apply(o, sec, dst, addr, errors);
                }
                sections::Content::Merged(g) => dst.copy_from_slice(&ctx.secs.merged[g].data),
                sections::Content::Got => {
                    for (i, &(t, tls)) in ctx.got.slots.iter().enumerate() {
                        match ctx.got_value(t, tls) {
                            Ok(v) => {
                                dst[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
                                if !tls {
                                    ctx.relocate_at_start(t, addr + i as u64 * 8, v);
                                }
                            }
                            Err(e) => errors.push(e),
                        }
                    }
                }
                sections::Content::BuildId
                | sections::Content::Commons
                | sections::Content::RelaDyn
                | sections::Content::Dynamic => {}
            }
        }
    }
    Ok(())
}

/// Writes a static-PIE's `.rela.dyn` (its R_X86_64_RELATIVE relocations, by address) and
/// `.dynamic` (where they are; bind now; a PIE), which the runtime's reloc.rs reads at start.
fn dynamic(ctx: &reloc::Ctx, image: &mut [u8], reserved: u64) -> Result<(), String> {
    let mut rel = ctx.relative.take();
    rel.sort_unstable();
    // The count was taken over every relocation; some may not have been applied (in a
    // dropped .eh_frame record, or an error), so the table can end early: DT_RELASZ says
    // where. More than counted would be a bug.
    if rel.len() as u64 > reserved {
        return Err(format!(
            "error: internal linker: {} R_X86_64_RELATIVE relocations applied, {reserved} counted (please report this)",
            rel.len()
        ));
    }
    let find = |c| {
        (ctx.secs.outs.iter())
            .find_map(|o| {
                o.members
                    .iter()
                    .find(|m| m.content == c)
                    .map(|m| (o.offset + m.off, o.addr + m.off))
            })
            .expect("a static-PIE has .rela.dyn and .dynamic")
    };
    let ((rela_off, rela_addr), (dyn_off, _)) = (find(sections::Content::RelaDyn), find(sections::Content::Dynamic));
    for (i, (place, value)) in rel.iter().enumerate() {
        let at = rela_off as usize + i * 24;
        image[at..at + 8].copy_from_slice(&place.to_le_bytes());
        image[at + 8..at + 16].copy_from_slice(&u64::from(elf::R_X86_64_RELATIVE.0).to_le_bytes());
        image[at + 16..at + 24].copy_from_slice(&value.to_le_bytes());
    }
    let entries: [(u64, u64); DYNAMIC_ENTRIES as usize] = [
        (elf::DT_RELA.0 as u64, rela_addr),
        (elf::DT_RELASZ.0 as u64, rel.len() as u64 * 24),
        (elf::DT_RELAENT.0 as u64, 24),
        (elf::DT_FLAGS.0 as u64, elf::DF_BIND_NOW.0),
        (elf::DT_FLAGS_1.0 as u64, elf::DF_1_NOW.0 | elf::DF_1_PIE.0),
        (elf::DT_RELACOUNT.0 as u64, rel.len() as u64),
        (elf::DT_NULL.0 as u64, 0),
    ];
    for (i, (tag, value)) in entries.iter().enumerate() {
        let at = dyn_off as usize + i * 16;
        image[at..at + 8].copy_from_slice(&tag.to_le_bytes());
        image[at + 8..at + 16].copy_from_slice(&value.to_le_bytes());
    }
    Ok(())
}
