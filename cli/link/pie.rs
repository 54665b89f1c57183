//! Checks a freshly linked static-PIE before it replaces the output: it must be something the
//! runtime's self-relocation (runtime-obj/src/reloc.rs) can start.
//!
//! Invariant: an output this accepts is an ET_DYN with no PT_INTERP whose dynamic relocations
//! are all R_X86_64_RELATIVE, in RELA form (no DT_RELR, no DT_TEXTREL). Anything else is
//! refused with the relocation named, and the previous output stays as it was.
use std::path::Path;

use anyhow::{bail, Context, Result};
use goblin::elf::{dynamic, header, program_header, reloc, Elf};

/// DT_RELR (packed relative relocations), which goblin does not name.
const DT_RELR: u64 = 36;

/// Checks the linked file at `path` (the temporary output) that will become `dest`.
pub fn check_output(path: &Path, dest: &Path) -> Result<()> {
    let name = dest.display();
    let data = std::fs::read(path).with_context(|| format!("{name}: cannot read the linked output"))?;
    let elf = Elf::parse(&data).with_context(|| format!("{name}: the linker wrote a malformed ELF file"))?;
    if elf.header.e_type != header::ET_DYN
        || elf
            .program_headers
            .iter()
            .any(|p| p.p_type == program_header::PT_INTERP)
    {
        bail!("{name}: the linker did not write a static-PIE (ET_DYN without an interpreter); {name} was not written");
    }
    if let Some(d) = &elf.dynamic {
        if let Some(t) = d.dyns.iter().find(|d| matches!(d.d_tag, DT_RELR | dynamic::DT_TEXTREL)) {
            bail!(
                "{name}: the static-PIE has {} (rtlink's runtime applies RELA R_X86_64_RELATIVE relocations only; do not pass -z pack-relative-relocs or -z notext); {name} was not written",
                if t.d_tag == DT_RELR { "DT_RELR" } else { "DT_TEXTREL" }
            );
        }
    }
    if let Some(r) = elf.dynrelas.iter().find(|r| r.r_type != reloc::R_X86_64_RELATIVE) {
        let what = reloc::r_to_str(r.r_type, header::EM_X86_64);
        let sym = elf
            .dynsyms
            .get(r.r_sym)
            .and_then(|s| elf.dynstrtab.get_at(s.st_name))
            .unwrap_or("");
        let hint = if r.r_type == reloc::R_X86_64_IRELATIVE {
            "an IFUNC: choose the implementation through a function pointer instead"
        } else {
            "a reference the static program cannot resolve at link time"
        };
        bail!(
            "{name}: the static-PIE needs relocation {what} at {:#x}{}{sym}, which rtlink's runtime does not apply ({hint}); {name} was not written",
            r.r_offset,
            if sym.is_empty() { "" } else { " against " },
        );
    }
    Ok(())
}
