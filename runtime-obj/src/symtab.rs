//! Symbolises a program counter with the executable's own symbol table, for crash reports.
//!
//! The symbol table is not loaded into memory, so this maps `/proc/self/exe` read-only and
//! reads its section headers. It runs only on the way to a fatal exit (in a signal handler), so
//! it allocates nothing, trusts no offset without a bounds check and gives up quietly: a
//! stripped or unreadable binary just yields no name. Symbol values are link-time addresses;
//! a static-PIE's load bias is taken off `pc` first.
use crate::elf::{Ehdr, Shdr, Sym, SHT_SYMTAB, STT_FUNC};
use crate::sys_linux::{self, MAP_PRIVATE, PROT_READ};

const STT_NOTYPE: u8 = 0;

/// The executable's bytes, mapped read-only from `/proc/self/exe` (None when it cannot be
/// opened or mapped, e.g. without /proc). The mapping stays: the process is on its way out.
pub fn exe() -> Option<&'static [u8]> {
    let fd = crate::os_linux::open_ro(b"/proc/self/exe\0")?;
    let mut st = [0u64; 18];
    // SAFETY: fstat writes one struct stat (144 bytes) into st.
    let ok = unsafe { sys_linux::syscall3(sys_linux::SYS_FSTAT, fd as usize, st.as_mut_ptr() as usize, 0) } == 0;
    let size = st[6] as usize; // st_size
    let map = if ok {
        // SAFETY: a private read-only mapping of the file; nothing aliases it.
        unsafe { sys_linux::syscall6(sys_linux::SYS_MMAP, 0, size, PROT_READ, MAP_PRIVATE, fd as usize, 0) }
    } else {
        -1
    };
    sys_linux::close(fd);
    if map < 0 {
        return None;
    }
    // SAFETY: the mapping is `size` readable bytes and is never unmapped.
    Some(unsafe { core::slice::from_raw_parts(map as *const u8, size) })
}

/// Reads a `T` at `off` if it lies within `file`.
fn at<T>(file: &[u8], off: usize) -> Option<&T> {
    let end = off.checked_add(core::mem::size_of::<T>())?;
    if end > file.len() || !(file.as_ptr() as usize + off).is_multiple_of(core::mem::align_of::<T>()) {
        return None;
    }
    // SAFETY: in bounds and aligned (checked above); T is a plain repr(C) ELF struct.
    Some(unsafe { &*(file.as_ptr().add(off) as *const T) })
}

/// The function of the executable `file` containing the run-time address `pc`: its name and
/// `pc`'s offset in it.
pub fn find(file: &[u8], pc: usize) -> Option<(&[u8], usize)> {
    let pc = pc.wrapping_sub(crate::elf::load_bias());
    let eh: &Ehdr = at(file, 0)?;
    if &eh.e_ident[..4] != b"\x7fELF" {
        return None;
    }
    let shdr = |i: usize| {
        at::<Shdr>(
            file,
            (eh.e_shoff as usize).checked_add(i.checked_mul(core::mem::size_of::<Shdr>())?)?,
        )
    };
    // A plain loop: headers lie at increasing offsets, so once one is out of the file the
    // rest are too.
    let mut i = 0;
    let symtab = loop {
        if i >= eh.e_shnum as usize {
            return None;
        }
        let s = shdr(i)?;
        if s.sh_type == SHT_SYMTAB {
            break s;
        }
        i += 1;
    };
    let strtab = shdr(symtab.sh_link as usize)?;
    let count = symtab.sh_size as usize / core::mem::size_of::<Sym>();
    let mut best: Option<&Sym> = None;
    for i in 0..count {
        let Some(s) = at::<Sym>(file, symtab.sh_offset as usize + i * core::mem::size_of::<Sym>()) else {
            break;
        };
        let kind = s.st_info & 0xf;
        let v = s.st_value as usize;
        if s.st_shndx == 0 || (kind != STT_FUNC && kind != STT_NOTYPE) || v > pc || s.st_name == 0 {
            continue;
        }
        if s.st_size != 0 && pc >= v + s.st_size as usize {
            continue;
        }
        if best.is_none_or(|b| v > b.st_value as usize || (v == b.st_value as usize && kind == STT_FUNC)) {
            best = Some(s);
        }
    }
    let s = best?;
    // A symbol without a size (asm labels, __ehdr_start) covers pc only up to its section's
    // end: a garbage return address from a smashed stack names nothing.
    let sec = shdr(s.st_shndx as usize)?;
    if pc >= (sec.sh_addr + sec.sh_size) as usize {
        return None;
    }
    let start = (strtab.sh_offset as usize).checked_add(s.st_name as usize)?;
    let rest = file.get(start..)?;
    let name = &rest[..rest.iter().position(|&c| c == 0)?];
    Some((name, pc - s.st_value as usize))
}
