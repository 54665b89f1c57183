//! The names readelf gives to ELF's numbered constants, spelled exactly as GNU readelf 2.40
//! spells them, with its fallbacks for values it does not know.
use goblin::elf::{header, program_header as ph, section_header as sh, sym};

pub fn class(c: u8) -> String {
    match c {
        header::ELFCLASSNONE => "none".into(),
        header::ELFCLASS32 => "ELF32".into(),
        header::ELFCLASS64 => "ELF64".into(),
        c => format!("<unknown: {c:x}>"),
    }
}

pub fn data(d: u8) -> String {
    match d {
        header::ELFDATANONE => "none".into(),
        header::ELFDATA2LSB => "2's complement, little endian".into(),
        header::ELFDATA2MSB => "2's complement, big endian".into(),
        d => format!("<unknown: {d:x}>"),
    }
}

pub fn osabi(a: u8) -> String {
    let name = match a {
        0 => "UNIX - System V",
        1 => "UNIX - HP-UX",
        2 => "UNIX - NetBSD",
        3 => "UNIX - GNU",
        6 => "UNIX - Solaris",
        7 => "UNIX - AIX",
        8 => "UNIX - IRIX",
        9 => "UNIX - FreeBSD",
        10 => "UNIX - TRU64",
        11 => "Novell - Modesto",
        12 => "UNIX - OpenBSD",
        13 => "VMS - OpenVMS",
        14 => "HP - Non-Stop Kernel",
        15 => "AROS",
        16 => "FenixOS",
        17 => "Nuxi CloudABI",
        18 => "Stratus Technologies OpenVOS",
        a => return format!("<unknown: {a:x}>"),
    };
    name.into()
}

pub fn machine(m: u16) -> String {
    let name = match m {
        header::EM_NONE => "None",
        header::EM_386 => "Intel 80386",
        header::EM_ARM => "ARM",
        header::EM_X86_64 => "Advanced Micro Devices X86-64",
        header::EM_AARCH64 => "AArch64",
        header::EM_RISCV => "RISC-V",
        header::EM_PPC64 => "PowerPC64",
        header::EM_S390 => "IBM S/390",
        header::EM_MIPS => "MIPS R3000",
        m => return format!("<unknown>: {m:#x}"),
    };
    name.into()
}

pub fn segment_type(t: u32) -> String {
    let name = match t {
        ph::PT_NULL => "NULL",
        ph::PT_LOAD => "LOAD",
        ph::PT_DYNAMIC => "DYNAMIC",
        ph::PT_INTERP => "INTERP",
        ph::PT_NOTE => "NOTE",
        ph::PT_SHLIB => "SHLIB",
        ph::PT_PHDR => "PHDR",
        ph::PT_TLS => "TLS",
        ph::PT_GNU_EH_FRAME => "GNU_EH_FRAME",
        ph::PT_GNU_STACK => "GNU_STACK",
        ph::PT_GNU_RELRO => "GNU_RELRO",
        ph::PT_GNU_PROPERTY => "GNU_PROPERTY",
        0x6474_e554 => "GNU_SFRAME",
        0x6000_0000..=0x6fff_ffff => return format!("LOOS+{:#x}", t - 0x6000_0000),
        0x7000_0000..=0x7fff_ffff => return format!("LOPROC+{:#x}", t - 0x7000_0000),
        t => return format!("<unknown>: {t:x}"),
    };
    name.into()
}

pub fn section_type(t: u32, machine: u16) -> String {
    let name = match t {
        sh::SHT_NULL => "NULL",
        sh::SHT_PROGBITS => "PROGBITS",
        sh::SHT_SYMTAB => "SYMTAB",
        sh::SHT_STRTAB => "STRTAB",
        sh::SHT_RELA => "RELA",
        sh::SHT_HASH => "HASH",
        sh::SHT_DYNAMIC => "DYNAMIC",
        sh::SHT_NOTE => "NOTE",
        sh::SHT_NOBITS => "NOBITS",
        sh::SHT_REL => "REL",
        sh::SHT_SHLIB => "SHLIB",
        sh::SHT_DYNSYM => "DYNSYM",
        sh::SHT_INIT_ARRAY => "INIT_ARRAY",
        sh::SHT_FINI_ARRAY => "FINI_ARRAY",
        sh::SHT_PREINIT_ARRAY => "PREINIT_ARRAY",
        sh::SHT_GROUP => "GROUP",
        sh::SHT_SYMTAB_SHNDX => "SYMTAB SECTION INDICES",
        19 => "RELR",
        sh::SHT_GNU_HASH => "GNU_HASH",
        sh::SHT_GNU_LIBLIST => "GNU_LIBLIST",
        sh::SHT_GNU_VERDEF => "VERDEF",
        sh::SHT_GNU_VERNEED => "VERNEED",
        sh::SHT_GNU_VERSYM => "VERSYM",
        sh::SHT_GNU_ATTRIBUTES => "GNU_ATTRIBUTES",
        0x6fff_4c00 => "LLVM_ODRTAB",
        0x6fff_4c01 => "LLVM_LINKER_OPTIONS",
        0x6fff_4c02 => "LLVM_CALL_GRAPH_PROFILE",
        0x6fff_4c03 => "LLVM_ADDRSIG",
        0x6fff_4c04 => "LLVM_DEPENDENT_LIBRARIES",
        0x6fff_4c05 => "LLVM_SYMPART",
        0x6fff_4c06 => "LLVM_PART_EHDR",
        0x6fff_4c07 => "LLVM_PART_PHDR",
        0x6fff_4c08 => "LLVM_BB_ADDR_MAP_V0",
        0x6fff_4c09 => "LLVM_CALL_GRAPH_PROFILE",
        0x6fff_4c0a => "LLVM_BB_ADDR_MAP",
        0x6fff_4c0b => "LLVM_OFFLOADING",
        0x7000_0001 if machine == header::EM_X86_64 => "X86_64_UNWIND",
        0x7000_0000..=0x7fff_ffff => return format!("LOPROC+{:#x}", t - 0x7000_0000),
        0x6000_0000..=0x6fff_ffff => return format!("LOOS+{:#x}", t - 0x6000_0000),
        0x8000_0000..=0xffff_ffff => return format!("LOUSER+{:#x}", t - 0x8000_0000),
        t => return format!("{t:08x}: <unknown>"),
    };
    name.into()
}

pub fn symbol_type(t: u8, osabi: u8) -> String {
    let name = match t {
        sym::STT_NOTYPE => "NOTYPE",
        sym::STT_OBJECT => "OBJECT",
        sym::STT_FUNC => "FUNC",
        sym::STT_SECTION => "SECTION",
        sym::STT_FILE => "FILE",
        sym::STT_COMMON => "COMMON",
        sym::STT_TLS => "TLS",
        sym::STT_GNU_IFUNC if matches!(osabi, 0 | 3 | 9) => "IFUNC",
        13..=15 => return format!("<processor specific>: {t}"),
        10..=12 => return format!("<OS specific>: {t}"),
        t => return format!("<unknown>: {t}"),
    };
    name.into()
}

pub fn symbol_bind(b: u8, osabi: u8) -> String {
    let name = match b {
        sym::STB_LOCAL => "LOCAL",
        sym::STB_GLOBAL => "GLOBAL",
        sym::STB_WEAK => "WEAK",
        sym::STB_GNU_UNIQUE if matches!(osabi, 0 | 3 | 9) => "UNIQUE",
        13..=15 => return format!("<processor specific>: {b}"),
        10..=12 => return format!("<OS specific>: {b}"),
        b => return format!("<unknown>: {b}"),
    };
    name.into()
}

pub fn symbol_visibility(other: u8) -> &'static str {
    ["DEFAULT", "INTERNAL", "HIDDEN", "PROTECTED"][usize::from(other & 3)]
}
