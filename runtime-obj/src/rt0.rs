//! The Rust half of `runtime_rt0_go` (Go: asm_amd64.s rt0_go): everything the bootstrap
//! must do before any other stage can run.
//!
//! In order: walk envp once (auxv, GODEBUG, GOMAXPROCS), carve g0's stack out of the OS stack,
//! run the microarchitecture check (CPUID only for v2+), build m0's TLS from PT_TLS and set
//! `%fs` (checked with a magic value), and bind g0 and m0. Nothing before `tls::setup_m0`
//! touches `%fs`; from its return on, `getg()` is g0.
use crate::os_linux::{AT_PHDR, AT_PHNUM, AT_RANDOM, AT_SYSINFO_EHDR};
use crate::runtime1::{scan_env, ARGS, DEBUG};
use crate::runtime2::{runtime_g0, runtime_m0};
use crate::{cpu, print, stack, sys_linux, tls, trace};

extern "C" {
    /// The x86-64 level the program was built for (asm_amd64.S: weak 1, or rtlink's object).
    static runtime_goamd64: u8;
}

/// One auxv value (0 if absent): rt0_go needs only a few, before `args` parses the vector.
///
/// # Safety
/// `p` must point to the kernel's auxiliary vector.
unsafe fn auxv_get(p: *const usize, key: usize) -> usize {
    let mut i = 0;
    // SAFETY: the vector ends with AT_NULL (0), where the loop stops.
    unsafe {
        while *p.add(i) != 0 {
            if *p.add(i) == key {
                return *p.add(i + 1);
            }
            i += 2;
        }
    }
    0
}

/// Called by `runtime_rt0_go` with the kernel's argc/argv and the aligned OS stack pointer.
///
/// # Safety
/// Only `runtime_rt0_go` calls this, once, at process entry.
#[no_mangle]
pub unsafe extern "C" fn runtime_rt0_go1(argc: i32, argv: *const *const u8, sp: usize) {
    // SAFETY: the kernel's argv/envp/auxv layout (entry contract); the globals are touched by
    // this one thread only; runtime_goamd64 is a read-only byte.
    unsafe {
        scan_env(argc, argv);
        let auxv = (*ARGS.get()).auxv;
        if (*DEBUG.get()).inittrace {
            crate::vdso::set_base(auxv_get(auxv, AT_SYSINFO_EHDR));
        }
        trace::mark_entry();
        let t0 = trace::start();

        let g0 = runtime_g0.get();
        (*g0).stack = stack::g0_stack(sp);
        (*g0).stackguard0 = (*g0).stack.lo + stack::STACK_GUARD;
        (*g0).stackguard1 = (*g0).stackguard0;

        let level = core::ptr::read_volatile(&raw const runtime_goamd64);
        let cpu = cpu::check_level(level, (*DEBUG.get()).cpu_off);
        if cpu.missing.is_some() {
            print::Buf::new()
                .kv("This program can only be run on AMD64 processors with v", level.into())
                .str(" microarchitecture support.\n")
                .flush(2);
            sys_linux::exit_group(1);
        }

        let t = tls::setup_m0(
            auxv_get(auxv, AT_PHDR),
            auxv_get(auxv, AT_PHNUM),
            auxv_get(auxv, AT_RANDOM),
        );
        #[cfg(rtlink_pie)]
        crate::reloc::protect_relro(auxv_get(auxv, AT_PHDR), auxv_get(auxv, AT_PHNUM));
        let m0 = runtime_m0.get();
        (*m0).g0 = g0;
        (*m0).tls = t.tp;
        (*g0).m = m0;
        tls::setg(g0);

        trace::done("rt0_go", t0, |b| {
            b.str("g0.stack=").range((*g0).stack.lo, (*g0).stack.hi);
            b.kv(" amd64=v", level.into()).kv(" cpuid=", cpu.cpuid_calls.into());
            if t.template.memsz == 0 {
                b.str(" tls=none");
            } else {
                b.kv(" tls=", t.template.memsz as u64)
                    .kv("B/align ", t.template.align as u64);
            }
            b.str(if t.mapped { " (mapped block)" } else { " (static block)" })
                .kx(" fs=", t.tp as u64);
        });
    }
}
