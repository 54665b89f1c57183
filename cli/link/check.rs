//! Input checks for `rtlink build`, done with the object crate before any linker runs.
//!
//! Each input must be an ELF64 x86-64 relocatable object, or an archive of them; one of them
//! must define `main`. Each error says which file, what is wrong and how to fix it, so the
//! linker's own less specific messages are never the first thing a user sees.
use std::path::Path;

use anyhow::{bail, Context, Result};
use object::{elf, FileKind, Object, ObjectKind, ObjectSymbol};

/// Checks every input and that `main` is defined somewhere.
pub fn inputs(paths: &[impl AsRef<Path>]) -> Result<()> {
    let mut has_main = false;
    for path in paths {
        let path = path.as_ref();
        let data = std::fs::read(path).with_context(|| format!("{}: cannot read input", path.display()))?;
        has_main |= input(path, &data)?;
    }
    if !has_main {
        bail!(
            "no main: none of the inputs defines main (the runtime calls main(argc, argv, envp) once it has started)"
        );
    }
    Ok(())
}

/// Checks one input; returns whether it defines `main`.
pub(super) fn input(path: &Path, data: &[u8]) -> Result<bool> {
    let name = path.display();
    match FileKind::parse(data) {
        Ok(FileKind::Archive) => archive(path, data),
        Ok(FileKind::Elf64) => object(&name.to_string(), data),
        Ok(FileKind::Elf32) => {
            bail!("{name}: 32-bit object; rtlink links 64-bit x86-64 objects (compile without -m32)")
        }
        _ => bail!("{name}: not an ELF object{}", compile_hint(path)),
    }
}

/// Checks an archive's ELF members; returns whether one defines `main`.
fn archive(path: &Path, data: &[u8]) -> Result<bool> {
    let mut has_main = false;
    for (mname, mdata) in crate::archive::members(path, data)? {
        let label = format!("{}({mname})", path.display());
        match FileKind::parse(mdata) {
            Ok(FileKind::Elf64) => has_main |= object(&label, mdata)?,
            Ok(FileKind::Elf32) => bail!("{label}: 32-bit object; rtlink links 64-bit x86-64 objects"),
            _ => {}
        }
    }
    Ok(has_main)
}

/// Checks an ELF64 file; returns whether it defines a global `main`.
fn object(label: &str, data: &[u8]) -> Result<bool> {
    let file = object::File::parse(data).with_context(|| format!("{label}: malformed ELF file"))?;
    let machine = object::read::elf::FileHeader::e_machine(
        object::read::elf::ElfFile64::<object::Endianness>::parse(data)
            .with_context(|| format!("{label}: malformed ELF file"))?
            .elf_header(),
        file.endianness(),
    );
    if machine != elf::EM_X86_64 {
        bail!(
            "{label}: built for {}; rtlink links x86-64 objects",
            machine_name(machine)
        );
    }
    match file.kind() {
        ObjectKind::Relocatable => {}
        ObjectKind::Dynamic => bail!("{label}: a shared object; rtlink links static objects and archives only"),
        ObjectKind::Executable => bail!("{label}: already an executable; give rtlink the objects it was linked from"),
        _ => bail!("{label}: not a relocatable object (compile with cc -c)"),
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
        let err = input(Path::new("x.rs"), b"fn main() {}\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.rs: not an ELF object (compile it first: rustc --emit=obj x.rs)"
        );
    }
}
