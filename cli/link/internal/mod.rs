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
//! - Errors come together (at most `MAX_ERRORS`), in lld's layout, and nothing is written.
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
/// Where an ET_EXEC is linked, as in the script.
const BASE: u64 = 0x40_0000;
const MAX_ERRORS: usize = 10;

/// Links `files` (named `labels` in messages; `whole`: inside --whole-archive) into `out`.
pub fn link(
    args: &BuildArgs,
    files: &[PathBuf],
    labels: &[PathBuf],
    whole: &[bool],
    out: output::Pending,
) -> Result<()> {
    if args.layout() == Layout::StaticPie {
        bail!("--static-pie: the internal linker writes ET_EXEC programs only; use --ld bfd, lld or mold for a static-PIE");
    }
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
    let (_, runtime) = Layout::Exec.runtime();
    let mut inputs = vec![symbols::Input {
        label: "the rtlink runtime".into(),
        pos: 0,
        data: runtime,
        whole: false,
    }];
    if let Some(lvl) = &level {
        inputs.push(symbols::Input {
            label: "rtlink_goamd64.o".into(),
            pos: 0,
            data: lvl,
            whole: false,
        });
    }
    for (i, ((map, label), whole)) in maps.iter().zip(labels).zip(whole).enumerate() {
        inputs.push(symbols::Input {
            label: label.display().to_string(),
            pos: i + 1,
            data: map,
            whole: *whole,
        });
    }
    let image = link_inputs(&inputs, args)?;
    std::fs::write(out.path(), image).with_context(|| format!("{}: cannot write", out.dest().display()))?;
    out.commit()
}

/// The linked program's bytes.
fn link_inputs(inputs: &[symbols::Input], args: &BuildArgs) -> Result<Vec<u8>> {
    let mut roots: Vec<&[u8]> = vec![ENTRY];
    roots.extend(args.line.undefined.iter().map(|u| u.as_bytes()));
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
    let live = gc::mark(&s, &roots, args.no_gc_sections);
    let got = reloc::Got::scan(&s, &live)?;
    let mut order: Vec<usize> = (0..s.objs.len()).collect();
    order.sort_by_key(|&o| (s.objs[o].pos, o));
    let got_symbol = s
        .by_name
        .get(&b"_GLOBAL_OFFSET_TABLE_"[..])
        .is_some_and(|&g| s.globals[g].synthetic.is_some());
    let build_id = write::build_id_size(&args.build_id);
    let got_size = (!got.slots.is_empty() || got_symbol).then_some(got.slots.len() as u64 * 8);
    let mut secs = sections::place(&s, &live, &order, got_size, build_id)?;
    let layout = layout::assign(&mut secs, BASE);
    let got_sec = secs.outs.iter().position(|o| o.class == sections::Class::Got);
    let ctx = reloc::Ctx {
        s: &s,
        secs: &secs,
        got: &got,
        got_addr: got_sec.map_or(0, |n| secs.outs[n].addr),
        tls: layout.tls.as_ref(),
        ehdr: BASE,
    };
    let mut image = vec![0u8; layout.file_end as usize];
    let mut errors = Vec::new();
    fill(&ctx, &mut image, &mut errors)?;
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
    if !errors.is_empty() {
        let total = errors.len();
        errors.truncate(MAX_ERRORS);
        if total > MAX_ERRORS {
            errors.push(format!(
                "error: too many errors emitted, stopping now ({} more)",
                total - MAX_ERRORS
            ));
        }
        bail!("{}", errors.join("\nrtlink: "));
    }
    let opts = write::Options {
        entry,
        e_type: elf::ET_EXEC.0,
        strip_all: args.strip_all,
        build_id: &args.build_id,
    };
    write::finish(image, &s, &secs, &layout, &order, &|g| value_of(&ctx, g), &opts)
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
        _ => ctx
            .secs
            .outs
            .iter()
            .position(|o| o.addr <= v && v <= o.addr + o.size && o.alloc()),
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
                    dst.copy_from_slice(ctx.s.objs[o].section_data(sec)?);
                    ctx.apply(o, sec, dst, addr, errors);
                }
                sections::Content::EhFrame(e, o, sec) => {
                    dst.copy_from_slice(&ctx.secs.eh[e]);
                    ctx.apply(o, sec, dst, addr, errors);
                }
                sections::Content::Merged(g) => dst.copy_from_slice(&ctx.secs.merged[g].data),
                sections::Content::Got => {
                    for (i, &(t, tls)) in ctx.got.slots.iter().enumerate() {
                        match ctx.got_value(t, tls) {
                            Ok(v) => dst[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes()),
                            Err(e) => errors.push(e),
                        }
                    }
                }
                sections::Content::BuildId | sections::Content::Commons => {}
            }
        }
    }
    Ok(())
}
