//! Input checks for `rtlink build`, done with the object crate before any linker runs.
//!
//! Each input must be an ELF64 x86-64 relocatable object, or an archive of them with a symbol
//! index (archives inside --whole-archive need none: every linker takes all their members);
//! one of them must define `main`. Each error names the file as the user gave it (a compiled
//! source by its source), says what is wrong and how to fix it, so the linker's own less
//! specific messages are never the first thing a user sees.
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use object::read::elf::FileHeader;
use object::{elf, Endianness, FileKind, Object, ObjectKind, ObjectSymbol};

/// Checks every input (read from `paths`, named by `labels`; `whole` says which are inside
/// --whole-archive) and that `main` is defined somewhere.
pub fn inputs(paths: &[PathBuf], labels: &[PathBuf], whole: &[bool]) -> Result<()> {
    let mut has_main = false;
    for ((path, label), whole) in paths.iter().zip(labels).zip(whole) {
        let data = std::fs::read(path).map_err(|e| match e.kind() {
            ErrorKind::NotFound => anyhow!("{}: no such file (check the name, or build it first)", label.display()),
            _ => anyhow!(e).context(format!("{}: cannot read input", label.display())),
        })?;
        has_main |= input(label, &data, *whole)?;
    }
    if !has_main {
        let names: Vec<String> = labels.iter().map(|l| l.display().to_string()).collect();
        bail!(
            "no main: none of the inputs ({}) defines main; define int main(int argc, char **argv) in one of them (the runtime calls it once it has started)",
            names.join(", ")
        );
    }
    Ok(())
}

/// Checks one input; returns whether it defines `main`.
pub(super) fn input(path: &Path, data: &[u8], whole: bool) -> Result<bool> {
    let name = path.display().to_string();
    if data.is_empty() {
        bail!("{name}: empty file; rtlink links ELF64 x86-64 objects (.o) and archives (.a) (rebuild it: an interrupted build may have left it empty)");
    }
    if FileKind::parse(data) == Ok(FileKind::Archive) {
        return archive(path, data, whole);
    }
    match elf(&name, data)? {
        Some(has_main) => Ok(has_main),
        None => bail!("{name}: not an ELF object{}", compile_hint(path)),
    }
}

/// Checks an archive's ELF members; returns whether one defines `main`.
fn archive(path: &Path, data: &[u8], whole: bool) -> Result<bool> {
    let name = path.display();
    let members = crate::archive::members(path, data)?;
    if !whole && !members.is_empty() && !crate::archive::has_index(data) {
        bail!("{name}: archive has no symbol index, which GNU ld and gold need to pick its members; add one with ranlib {name} (ar rcs writes one, ar rcS does not)");
    }
    let mut has_main = false;
    for (mname, mdata) in members {
        has_main |= elf(&format!("{name}({mname})"), mdata)?.unwrap_or(false);
    }
    Ok(has_main)
}

/// Checks an ELF file; returns whether it defines a global `main`, or None if it is not ELF.
fn elf(label: &str, data: &[u8]) -> Result<Option<bool>> {
    match FileKind::parse(data) {
        Ok(FileKind::Elf64) => object(label, data).map(Some),
        Ok(FileKind::Elf32) => {
            bail!("{label}: 32-bit object; rtlink links 64-bit x86-64 objects (compile without -m32)")
        }
        _ => Ok(None),
    }
}

/// Checks an ELF64 file; returns whether it defines a global `main`.
fn object(label: &str, data: &[u8]) -> Result<bool> {
    let len = data.len();
    let header = elf::FileHeader64::<Endianness>::parse(data)
        .map_err(|_| anyhow!("{label}: truncated ELF object: {len} bytes, less than an ELF header (rebuild it)"))?;
    let endian = (header.endian()).map_err(|e| anyhow!("{label}: malformed ELF header ({e}); rebuild it"))?;
    let headers_end = (header.e_shoff(endian))
        .saturating_add(u64::from(header.e_shnum(endian)) * u64::from(header.e_shentsize(endian)));
    if headers_end > len as u64 {
        bail!("{label}: truncated ELF object: {len} bytes, but its section headers end at byte {headers_end} (rebuild it)");
    }
    let file = object::File::parse(data).map_err(|e| anyhow!("{label}: malformed ELF object ({e}); rebuild it"))?;
    let machine = header.e_machine(endian);
    if machine != elf::EM_X86_64 {
        bail!(
            "{label}: built for {}; rtlink links x86-64 objects (compile it for x86-64: cc -c, or clang --target=x86_64-linux-gnu)",
            machine_name(machine)
        );
    }
    match file.kind() {
        ObjectKind::Relocatable => {}
        ObjectKind::Dynamic => bail!("{label}: a shared object; rtlink links static objects and archives only (link its static archive (.a) or the objects it was built from)"),
        ObjectKind::Executable => bail!("{label}: already an executable; give rtlink the objects it was linked from"),
        _ => bail!("{label}: not a relocatable object (compile with cc -c)"),
    }
    if let Some(f) = file.symbols().find(
        |s| matches!(s.flags(), object::SymbolFlags::Elf { st_info, .. } if st_info.st_type() == elf::STT_GNU_IFUNC),
    ) {
        bail!(
            "{label}: {} is an IFUNC (STT_GNU_IFUNC, from __attribute__((ifunc)) or target_clones): rtlink's runtime applies no IRELATIVE relocations; choose the implementation at start-up through a function pointer instead",
            f.name().unwrap_or("?")
        );
    }
    Ok(file
        .symbols()
        .any(|s| s.name_bytes() == Ok(b"main") && s.is_definition() && s.is_global()))
}

fn machine_name(m: elf::Machine) -> String {
    match m {
        elf::EM_AARCH64 => "AArch64".into(),
        elf::EM_ARM => "32-bit ARM".into(),
        elf::EM_386 => "32-bit x86".into(),
        elf::EM_RISCV => "RISC-V".into(),
        elf::EM_PPC64 => "PowerPC64".into(),
        elf::EM_S390 => "s390x".into(),
        elf::EM_MIPS => "MIPS".into(),
        elf::EM_LOONGARCH => "LoongArch".into(),
        other => format!("machine {}", other.0),
    }
}

/// For a source file given where an object belongs, the command that makes the object.
fn compile_hint(path: &Path) -> String {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let name = path.display();
    // C, C++ and assembly sources never get here: `build` compiles them first.
    match ext {
        "rs" => format!(" (compile it first: rustc --emit=obj {name})"),
        _ => " and not an archive; rtlink links ELF64 x86-64 objects (.o) and archives (.a)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_the_file() {
        assert_eq!(
            compile_hint(Path::new("lib.rs")),
            " (compile it first: rustc --emit=obj lib.rs)"
        );
        assert!(compile_hint(Path::new("notes.txt")).contains("archives"));
    }

    #[test]
    fn garbage_is_not_an_object() {
        let err = input(Path::new("x.rs"), b"fn main() {}\n", false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.rs: not an ELF object (compile it first: rustc --emit=obj x.rs)"
        );
    }
}
