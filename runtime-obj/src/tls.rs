//! Thread-local storage: m0's static TLS block, the TCB, and the `g` slot (Go: settls).
//!
//! Layout (x86-64 ELF TLS variant II, glibc-compatible TCB), with tp the thread pointer in
//! `%fs`:
//! ```text
//!   tp - round_up(memsz, align) .. tp   the program's PT_TLS image (.tdata copied, .tbss zero)
//!   tp + 0x00   self pointer (what `mov %fs:0, %rax` reads)
//!   tp + 0x10   self pointer again (glibc's header.self)
//!   tp + 0x28   stack-protector canary (from AT_RANDOM, low byte zero)
//!   tp + 0x30   where a preempted goroutine resumes (runtime_async_preempt's jump)
//!   tp + 0x38   the current g (getg is one %fs load)
//! ```
//! The linker computes local-exec offsets as `addr - tls_vaddr - round_up(memsz, align)`, so
//! tp must be aligned to the segment's alignment; the block is that many bytes below it.
//! m0's block lives in a static buffer when it fits, else in a fresh mapping; both start
//! zeroed, so only .tdata's bytes are copied. Every other M gets a block of its own from the
//! same template (`new_block`), with m0's canary: user `__thread` variables are per thread.
use core::arch::asm;

use crate::elf::{Phdr, PT_TLS};
use crate::print::throw;
use crate::runtime2::G;
use crate::sys_linux::{self, PROT_READ, PROT_WRITE};

pub const TCB_SELF: usize = 0x00;
pub const TCB_SELF2: usize = 0x10;
pub const TCB_CANARY: usize = 0x28;
pub const TCB_G: usize = 0x38;
pub const TCB_SIZE: usize = 0x40;
const TLS_MAGIC: usize = 0x7274_6c69_6e6b_0001;
const ARCH_SET_FS: usize = 0x1002;

/// The program's TLS template (its PT_TLS segment).
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct Template {
    pub image: usize,
    pub filesz: usize,
    pub memsz: usize,
    pub align: usize,
}

impl Template {
    /// Finds PT_TLS among the program headers.
    ///
    /// # Safety
    /// `phdr` must point to `phnum` program headers (AT_PHDR/AT_PHNUM).
    pub unsafe fn find(phdr: usize, phnum: usize) -> Template {
        (0..phnum)
            .map(|i| {
                // SAFETY: i < phnum, within the kernel-provided table.
                unsafe { &*(phdr as *const Phdr).add(i) }
            })
            .find(|p| p.p_type == PT_TLS)
            .map_or(Template::default(), |p| Template {
                image: p.p_vaddr as usize + crate::elf::load_bias(),
                filesz: p.p_filesz as usize,
                memsz: p.p_memsz as usize,
                align: (p.p_align as usize).max(1),
            })
    }

    /// Bytes from the block's start to tp.
    pub fn offset(&self) -> usize {
        self.memsz.next_multiple_of(self.align.max(1))
    }

    /// Alignment of the whole block (and so of tp).
    pub fn block_align(&self) -> usize {
        self.align.max(64)
    }

    /// Bytes of the block: the TLS area and the TCB.
    pub fn block_size(&self) -> usize {
        self.offset() + TCB_SIZE
    }
}

#[repr(C, align(64))]
struct M0Block([u8; 1024]);
static mut M0_TLS: M0Block = M0Block([0; 1024]);

/// The program's template, kept by `setup_m0` for the blocks of later Ms.
static TEMPLATE: crate::global::Global<Template> = crate::global::Global::new(Template {
    image: 0,
    filesz: 0,
    memsz: 0,
    align: 1,
});

/// What `setup_m0` did, for the trace.
pub struct Setup {
    pub tp: usize,
    pub template: Template,
    pub mapped: bool,
}

/// Builds m0's TLS block, points `%fs` at it and proves the round trip with a magic value.
///
/// # Safety
/// `phdr`/`phnum` as for `Template::find`; `random` must point to 16 readable bytes
/// (AT_RANDOM); called once, on m0, before anything uses `%fs`.
pub unsafe fn setup_m0(phdr: usize, phnum: usize, random: usize) -> Setup {
    // SAFETY: forwarded to the caller's guarantee.
    let t = unsafe { Template::find(phdr, phnum) };
    let (base, mapped) = if t.block_size() <= 1024 && t.block_align() <= 64 {
        (&raw mut M0_TLS as usize, false)
    } else {
        let len = t.block_size() + t.block_align();
        let r = sys_linux::mmap_anon(len, PROT_READ | PROT_WRITE, 0);
        if r < 0 {
            throw("out of memory allocating TLS");
        }
        ((r as usize).next_multiple_of(t.block_align()), true)
    };
    // SAFETY: the block at base is ours, zeroed and block_size long; random is 16 readable
    // bytes; TEMPLATE is written here, before any other M exists.
    let tp = unsafe {
        *TEMPLATE.get() = t;
        let canary = (random as *const usize).read_unaligned() & !0xff;
        let tp = init_block(base, &t, canary);
        settls(tp);
        tp
    };
    Setup {
        tp,
        template: t,
        mapped,
    }
}

/// Fills a zeroed block at `base`: the template's .tdata, the TCB's self pointers and the
/// canary. Returns its thread pointer.
///
/// # Safety
/// `[base, base + t.block_size())` must be zeroed memory nothing else uses, and `base + t.offset()`
/// aligned to `t.block_align()`.
#[inline(always)]
unsafe fn init_block(base: usize, t: &Template, canary: usize) -> usize {
    let tp = base + t.offset();
    // SAFETY: the caller's guarantee; the image is the program's own .tdata, filesz bytes long.
    unsafe {
        crate::mem::copy_forward(base as *mut u8, t.image as *const u8, t.filesz);
        *((tp + TCB_SELF) as *mut usize) = tp;
        *((tp + TCB_SELF2) as *mut usize) = tp;
        *((tp + TCB_CANARY) as *mut usize) = canary;
    }
    tp
}

/// A TLS block for a new M, built from the program's template with the current thread's
/// canary; returns its thread pointer, for `clone(CLONE_SETTLS)`.
pub fn new_block() -> usize {
    // SAFETY: TEMPLATE was set by setup_m0 before any other M was made.
    let t = unsafe { *TEMPLATE.get() };
    let align = t.block_align();
    let size = (t.offset() + TCB_SIZE).next_multiple_of(align) + align;
    let block = crate::persistentalloc::persistentalloc(size, align) as usize;
    // The thread pointer must be aligned: start the block so that tp lands on `align`.
    let base = (block + t.offset()).next_multiple_of(align) - t.offset();
    // SAFETY: persistentalloc memory is zeroed and ours; [base, base + block_size) lies inside
    // it by the size computed above, and base + offset is aligned.
    unsafe { init_block(base, &t, canary()) }
}

/// Resets the block of an M whose thread has exited to a new thread's (newm reusing the M).
///
/// # Safety
/// `tp` must be a thread pointer `new_block` returned, whose thread has exited.
pub unsafe fn reset_block(tp: usize) {
    // SAFETY: TEMPLATE is set; the block [tp - offset, tp + TCB_SIZE) is the one new_block laid
    // out, and nobody uses it any more.
    unsafe {
        let t = *TEMPLATE.get();
        let base = tp - t.offset();
        crate::mem::memset(base as *mut u8, 0, t.block_size());
        init_block(base, &t, canary());
    }
}

/// The stack-protector canary of the current thread (each M's block copies m0's).
fn canary() -> usize {
    let canary: usize;
    // SAFETY: %fs points at the current thread's TCB, whose canary slot is set.
    unsafe {
        asm!("mov {}, qword ptr fs:[{o}]", out(reg) canary, o = const TCB_CANARY, options(nostack, preserves_flags, readonly))
    };
    canary
}

/// Sets `%fs` to `tp` and checks a value stored through `%fs` is the one in memory.
///
/// # Safety
/// `tp` must be a TCB at least TCB_SIZE bytes long that outlives the thread.
unsafe fn settls(tp: usize) {
    // SAFETY: arch_prctl(ARCH_SET_FS) only changes this thread's FS base.
    let r = unsafe { sys_linux::syscall3(sys_linux::SYS_ARCH_PRCTL, ARCH_SET_FS, tp, 0) };
    if r != 0 {
        throw("TLS setup failed");
    }
    let through_fs: usize;
    // SAFETY: %fs now points at the TCB, whose g slot is ours to use.
    unsafe {
        asm!("mov qword ptr fs:[{o}], {v}", o = const TCB_G, v = in(reg) TLS_MAGIC, options(nostack, preserves_flags));
        asm!("mov {v}, qword ptr fs:[{o}]", o = const TCB_G, v = out(reg) through_fs, options(nostack, preserves_flags, readonly));
    }
    // SAFETY: tp + TCB_G is inside the TCB.
    let in_memory = unsafe { core::ptr::read_volatile((tp + TCB_G) as *const usize) };
    if in_memory != TLS_MAGIC || through_fs != TLS_MAGIC {
        throw("TLS setup failed");
    }
}

/// The current goroutine.
#[inline(always)]
pub fn getg() -> *mut G {
    let g: *mut G;
    // SAFETY: %fs points at this thread's TCB from rt0_go on; the slot holds the current g.
    unsafe {
        asm!("mov {}, qword ptr fs:[{o}]", out(reg) g, o = const TCB_G, options(nostack, preserves_flags, readonly))
    };
    g
}

/// Makes `g` the current goroutine of this thread.
///
/// # Safety
/// `%fs` must be set up, and `g` must be the G this thread is about to run (or g0).
#[inline(always)]
pub unsafe fn setg(g: *mut G) {
    // SAFETY: as documented; the slot belongs to the runtime.
    unsafe { asm!("mov qword ptr fs:[{o}], {}", in(reg) g, o = const TCB_G, options(nostack, preserves_flags)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_two_offsets() {
        // The layout GNU ld produced for: char a; long b aligned(32); char c (memsz 10).
        let t = Template {
            image: 0,
            filesz: 9,
            memsz: 10,
            align: 32,
        };
        assert_eq!(t.offset(), 32);
        assert_eq!(t.block_size(), 32 + TCB_SIZE);
        assert_eq!(Template::default().offset(), 0);
        assert_eq!(Template { align: 128, ..t }.block_align(), 128);
    }
}

/// Called by code built with -fstack-protector when a frame's canary was overwritten.
#[cfg(not(any(test, feature = "host")))]
#[no_mangle]
pub extern "C" fn __stack_chk_fail() -> ! {
    throw("stack smashing detected")
}
