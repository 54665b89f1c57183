//! The vDSO's `clock_gettime` (Go: vdso_linux.go), for `rt_nanotime` and the init trace.
//!
//! The kernel maps the vDSO and passes its ELF header in AT_SYSINFO_EHDR. The symbol is looked
//! up the first time a clock is read (a hello world that never reads a clock never parses the
//! vDSO); until then, and when there is no vDSO, the clock_gettime system call answers.
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::elf::{self, Dyn, Ehdr, Phdr, Sym};
use crate::sys_linux;

const CLOCK_MONOTONIC: usize = 1;
/// 0: not looked up; 1: looked up, not found; else the function's address.
static CLOCK_GETTIME: AtomicUsize = AtomicUsize::new(0);
static BASE: AtomicUsize = AtomicUsize::new(0);

/// Records the vDSO's address (from auxv) for a later lookup.
pub fn set_base(base: usize) {
    BASE.store(base, Ordering::Relaxed);
}

type ClockFn = unsafe extern "C" fn(usize, *mut [i64; 2]) -> i32;

/// Monotonic time in nanoseconds.
pub fn nanotime() -> i64 {
    let mut f = CLOCK_GETTIME.load(Ordering::Relaxed);
    if f == 0 {
        let base = BASE.load(Ordering::Relaxed);
        // SAFETY: a nonzero base is the kernel's vDSO image (AT_SYSINFO_EHDR).
        f = if base == 0 {
            None
        } else {
            unsafe { lookup(base, b"__vdso_clock_gettime") }
        }
        .unwrap_or(1);
        CLOCK_GETTIME.store(f, Ordering::Relaxed);
    }
    let mut ts = [0i64; 2];
    if f > 1 {
        // SAFETY: f is the vDSO's clock_gettime, with the C ABI; ts is a timespec.
        unsafe { core::mem::transmute::<usize, ClockFn>(f)(CLOCK_MONOTONIC, &mut ts) };
    } else {
        // SAFETY: ts is a writable timespec.
        unsafe {
            sys_linux::syscall3(
                sys_linux::SYS_CLOCK_GETTIME,
                CLOCK_MONOTONIC,
                &mut ts as *mut _ as usize,
                0,
            )
        };
    }
    ts[0] * 1_000_000_000 + ts[1]
}

/// Finds the address of the dynamic symbol `name` in the ELF image mapped at `base`.
///
/// # Safety
/// `base` must be a mapped, well-formed ELF image such as the vDSO.
pub unsafe fn lookup(base: usize, name: &[u8]) -> Option<usize> {
    // SAFETY: the caller guarantees a well-formed image, so its headers and the tables its
    // dynamic section points to are mapped.
    unsafe {
        let eh = &*(base as *const Ehdr);
        let phdrs = core::slice::from_raw_parts((base + eh.e_phoff as usize) as *const Phdr, eh.e_phnum as usize);
        let load = phdrs.iter().find(|p| p.p_type == elf::PT_LOAD)?;
        let bias = base
            .wrapping_add(load.p_offset as usize)
            .wrapping_sub(load.p_vaddr as usize);
        let dynamic = phdrs.iter().find(|p| p.p_type == elf::PT_DYNAMIC)?;
        let (mut symtab, mut strtab, mut hash, mut gnu_hash) = (0, 0, 0, 0);
        let mut d = bias.wrapping_add(dynamic.p_vaddr as usize) as *const Dyn;
        while (*d).d_tag != elf::DT_NULL {
            let v = bias.wrapping_add((*d).d_val as usize);
            match (*d).d_tag {
                elf::DT_SYMTAB => symtab = v,
                elf::DT_STRTAB => strtab = v,
                elf::DT_HASH => hash = v,
                elf::DT_GNU_HASH => gnu_hash = v,
                _ => {}
            }
            d = d.add(1);
        }
        if symtab == 0 || strtab == 0 {
            return None;
        }
        let nsyms = if hash != 0 {
            *((hash + 4) as *const u32) as usize
        } else {
            gnu_hash_count(gnu_hash)?
        };
        let syms = core::slice::from_raw_parts(symtab as *const Sym, nsyms);
        syms.iter()
            .find(|s| {
                s.st_shndx != 0
                    && s.st_info & 0xf == elf::STT_FUNC
                    && elf::cstr_eq((strtab + s.st_name as usize) as *const u8, name)
            })
            .map(|s| bias.wrapping_add(s.st_value as usize))
    }
}

/// The number of dynamic symbols, from a DT_GNU_HASH table: one past the highest index any
/// bucket's chain reaches.
///
/// # Safety
/// `h` must be 0 or a well-formed GNU hash table.
unsafe fn gnu_hash_count(h: usize) -> Option<usize> {
    if h == 0 {
        return None;
    }
    // SAFETY: the table's header, bloom words, buckets and chains are where the format says.
    unsafe {
        let w = h as *const u32;
        let (nbuckets, symoffset, bloom) = (*w as usize, *w.add(1) as usize, *w.add(2) as usize);
        let buckets = (h + 16 + bloom * 8) as *const u32;
        let chains = buckets.add(nbuckets);
        let mut last = (0..nbuckets).map(|i| *buckets.add(i) as usize).max()?;
        if last < symoffset {
            return Some(symoffset);
        }
        while *chains.add(last - symoffset) & 1 == 0 {
            last += 1;
        }
        Some(last + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_host_vdso_clock() {
        let raw = std::fs::read("/proc/self/auxv").unwrap();
        let words: Vec<usize> = raw
            .chunks(8)
            .map(|c| usize::from_ne_bytes(c.try_into().unwrap()))
            .collect();
        // SAFETY: the kernel's own auxv.
        let a = unsafe { crate::os_linux::Auxv::read(words.as_ptr()) };
        // SAFETY: a.vdso is this process's vDSO.
        assert!(unsafe { lookup(a.vdso, b"__vdso_clock_gettime") }.is_some());
        // SAFETY: as above.
        assert!(unsafe { lookup(a.vdso, b"no_such_symbol") }.is_none());
        set_base(a.vdso);
        let (t0, t1) = (nanotime(), nanotime());
        assert!(t0 > 0 && t1 >= t0);
    }
}
