//! rtlink's runtime: the code that runs before, around and after the user's `main`.
//!
//! It is linked first into every rtlink program as one relocatable object whose only undefined
//! symbol is `main`. The entry (`_rt0_amd64_linux`, asm) reaches `runtime_rt0_go`, which runs
//! the bootstrap stages in Go's order (DESIGN §3): rt0_go, check, args, osinit, schedinit,
//! newproc(*mainPC), mstart -> schedule -> runtime_main -> main.
//!
//! Invariants kept crate-wide:
//! - `#![no_std]`, no dependencies, no allocation before `mallocinit`, no `core::fmt` (it would
//!   triple the size of a hello world); output goes through `print::Buf`.
//! - Nothing touches `%fs` before `tls::setup_m0` has set it.
//! - The exported C symbols (`memcpy`, `rt_*`, `runtime_*` entry points), the panic handler and
//!   the modules that need the bootstrap exist only in the freestanding build, not when testing
//!   or with the `host` feature: `cargo test` links this crate into an ordinary host test
//!   binary and checks the pure logic (auxv, cgroup, run queues, timer heaps, channel buffers,
//!   GODEBUG, printf, CPU levels) there, and the fuzz crate (`fuzz/`) calls the same parsers.
//!   `cli/build.rs` compiles runtime.o without any feature, so `host` never reaches a program.
#![cfg_attr(not(any(test, feature = "host")), no_std)]

pub mod cgroup;
pub mod chanbuf;
pub mod cpu;
pub mod elf;
pub mod fields;
pub mod global;
pub mod lock_futex;
pub mod mcache;
pub mod mcentral;
pub mod mem;
pub mod mheap;
pub mod os_linux;
pub mod persistentalloc;
pub mod print;
pub mod printf;
pub mod rand;
#[cfg(any(test, rtlink_pie))]
pub mod reloc;
pub mod runq;
pub mod runtime1;
pub mod runtime2;
pub mod sizeclasses;
pub mod sys_linux;
pub mod timerheap;
pub mod tls;
pub mod trace;
pub mod vdso;

/// Declares the modules that exist only in the freestanding build (see the module comment:
/// not under `cargo test` or the `host` feature).
macro_rules! runtime_only {
    ($($m:ident),* $(,)?) => {
        $(#[cfg(not(any(test, feature = "host")))] mod $m;)*
    };
}

runtime_only!(
    chan,
    lockosthread,
    malloc,
    mgcscavenge,
    mstats,
    preempt,
    proc,
    proc_m,
    rt0,
    rwmutex,
    signal,
    stack,
    symtab,
    sync,
    syscall,
    sysmon,
    time,
    traceback,
);

#[cfg(not(any(test, feature = "host")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    print::throw("runtime panic")
}
