//! Differential test of a candidate linker against GNU ld, in the spirit of the wild linker's:
//! every program is compiled once and its objects linked twice, with `rtlink build --ld ld`
//! (the reference) and with the candidate (`RTLINK_DIFF_LD`, by default rtlink's internal
//! linker, `internal`; e.g. `RTLINK_DIFF_LD=lld` to try the harness on a stand-in). Then:
//!
//! - both executables run with the same arguments, environment (nothing else inherited) and
//!   argv[0], and must give the same exit status, stdout and stderr, after the normalisations a
//!   run asks for (`Norm`: addresses, timing counts), which are all that may differ;
//! - their symbol tables must hold the same symbols (name, type, binding, size: a multiset, so
//!   locals of the same name in several objects count), their allocated sections the same
//!   names, types, flags and sizes, and their program headers the same types and R/W/E flags
//!   (PT_LOADs in address order, the others as a set, PT_TLS with its alignment), with no
//!   segment both writable and executable in either;
//! - the differences `ALLOWED` lists (each with its reason) are the only ones tolerated, and
//!   each entry takes a field or a name out of the comparison, so deleting one makes the test
//!   stricter.
//!
//! The programs: every sample (built as samples/Makefile builds it), every tests/programs/*.c
//! that runs deterministically (`SKIPPED` says why the others are left out), and the link
//! programs in tests/programs/link/, written for this harness: each exercises a linker feature
//! and prints what it computed through it. Every source file in those directories must be
//! used or skipped, so a new program cannot be forgotten. Besides the comparison, the objects
//! of the link programs must between them contain every relocation type in `RELOCATION_TYPES`
//! (per `readelf -r`), and two programs carry checks of their own (`Check`): sections that
//! garbage collection must drop, and file:line of functions per addr2line, `rtlink inspect
//! --addr` and gdb.
//!
//! Error cases: a relocation type the candidate cannot apply must fail the link with no output
//! and an error naming the type, the object and the section (one it can apply must give the
//! same program as GNU ld's); an undefined symbol must give the same lld-style report as with
//! GNU ld, and one referenced from an archive member (which rtlink's own check does not see)
//! an lld-style report with the function and source line.
//!
//! Programs build and run on a pool of threads (`std::thread::scope`), as many as the machine
//! has CPUs; every failure is collected, and the test fails once at the end listing them all.
mod common;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use common::watchdog::{watch, Outcome};
use common::*;

/// The reference linker.
const REFERENCE: &str = "ld";

/// The linker under test.
fn candidate() -> String {
    std::env::var("RTLINK_DIFF_LD").unwrap_or_else(|_| "internal".into())
}

/// The longest any one run may take (the slowest, preempt.c, takes about a second).
const RUN_LIMIT: Duration = Duration::from_secs(30);

/// What may differ between the reference and the candidate link, beyond what normalising a
/// run's output removes. Every entry is consulted by the comparison, which leaves out exactly
/// what is listed here.
#[derive(PartialEq)]
enum Allowed<'a> {
    /// A field of every symbol, section or program header that is not compared.
    Field(&'a str),
    /// A symbol that may be missing from either link or differ in type, binding or size.
    Symbol(&'a str),
    /// An allocated section that may be missing from either link or differ in size.
    Section(&'a str),
    /// An allocated section whose size may differ.
    SectionSize(&'a str),
    /// A program header type only one linker may emit.
    Segment(&'a str),
}

const ALLOWED: &[(Allowed<'static>, &str)] = &[
    (
        Allowed::Field("symbol value"),
        "addresses: each linker lays sections out its own way (the order of output sections, \
         padding, where the first segment's headers end)",
    ),
    (
        Allowed::Field("symbol section index"),
        "sections are numbered in the order each linker writes them (GNU ld puts .got.plt \
         after .data, so every later index moves)",
    ),
    (
        Allowed::Field("symbol visibility"),
        "in an executable it no longer means anything: hidden symbols are made local, and \
         linkers differ in whether they keep STV_HIDDEN on them",
    ),
    (
        Allowed::Field("section address and file offset"),
        "layout, as for symbol values",
    ),
    (
        Allowed::Field("segment offsets, addresses and sizes"),
        "layout; the sizes follow from the sections, which are compared one by one",
    ),
    (
        Allowed::Field("segment alignment, except PT_TLS's"),
        "PT_LOAD is page-aligned by every linker, and PT_GNU_STACK's alignment is unused \
         (GNU ld writes 16, lld 0); PT_TLS's alignment places the thread's block and is compared",
    ),
    (
        Allowed::Field("order of program headers other than PT_LOAD"),
        "the kernel and the runtime look each up by type",
    ),
    (
        Allowed::Field("non-allocated sections"),
        "not loaded: .comment names the linker, .symtab/.strtab sizes follow from the symbols \
         (compared on their own) and debug sections from string merging, which only changes \
         sizes",
    ),
    (
        Allowed::Field("undefined symbols"),
        "nothing resolves them after a static link: GNU ld leaves undefined weak symbols out \
         of .symtab, lld keeps them (that they are 0 is what weak_main.c prints)",
    ),
    (
        Allowed::Field("binding of hidden symbols"),
        "lld turns STV_HIDDEN symbols into locals, GNU ld leaves them global; in an executable \
         both mean local, and both are compared as local",
    ),
    (
        Allowed::Field("type of .eh_frame"),
        "GNU ld keeps SHT_X86_64_UNWIND when its inputs have it (g++'s), lld writes \
         SHT_PROGBITS; the x86-64 psABI allows both",
    ),
    (
        Allowed::Field("M and S flags of output sections"),
        "SHF_MERGE and SHF_STRINGS tell a linker how to treat input sections; lld keeps them on \
         an output section whose inputs all had them, GNU ld drops them",
    ),
    (
        Allowed::Field("CIE and FDE padding in .eh_frame"),
        "lld pads each CIE and FDE to 8 bytes and ends the section with a zero terminator, GNU \
         ld keeps the compilers' 4-byte sizes and writes no terminator (that comes from \
         crtend.o, which rtlink does not link); .eh_frame's size is not compared, the number of \
         CIEs and FDEs is",
    ),
    (
        Allowed::SectionSize(".eh_frame"),
        "its padding (see the field above); the CIEs and FDEs are counted instead",
    ),
    (
        Allowed::SectionSize(".rodata"),
        "SHF_MERGE inputs (strings, .rodata.cst*) land in .rodata, and the linkers fold \
         duplicates and align pieces differently; what the programs read from it is in their \
         output (merge_main.c prints its strings and whether copies became one)",
    ),
    (
        Allowed::SectionSize(".bss"),
        "linkers place common symbols differently among .bss's inputs, and with them the \
         alignment padding; each common symbol's size is compared in the symbol table",
    ),
    (
        Allowed::Symbol(""),
        "GNU ld adds a FILE symbol with no name before the locals it creates itself",
    ),
    (
        Allowed::Symbol("*.o"),
        "GNU ld adds a FILE symbol named after an object that has none (assembly without a \
         .file directive) before that object's locals; lld does not",
    ),
    (
        Allowed::Symbol("_GLOBAL_OFFSET_TABLE_"),
        "defined by the linker that makes a GOT: a local OBJECT for GNU ld, a local hidden \
         NOTYPE for lld, and not needed at all when every GOT load was relaxed",
    ),
    (
        Allowed::Section(".got"),
        "a linker that relaxes a GOT load to an immediate or lea needs no slot for it, so the \
         number of slots depends on which loads each relaxes",
    ),
    (
        Allowed::Section(".got.plt"),
        "GNU ld reserves the three words the dynamic linker uses at .got.plt's start even in a \
         static executable; other linkers make no .got.plt there",
    ),
    (
        Allowed::Segment("PHDR"),
        "lld describes the program headers with a PT_PHDR; only a dynamic loader reads it",
    ),
];

/// Whether `ALLOWED` lists `what`; a name `*SUFFIX` there stands for every name ending so.
fn allowed(what: Allowed<'_>) -> bool {
    let name_matches = |pattern: &str, name: &str| match pattern.strip_prefix('*') {
        Some(suffix) => name.ends_with(suffix),
        None => pattern == name,
    };
    ALLOWED.iter().any(|(a, _)| match (a, &what) {
        (Allowed::Symbol(p), Allowed::Symbol(n)) => name_matches(p, n),
        _ => *a == what,
    })
}

/// Known deviations of stand-in linkers from GNU ld, tolerated only while that linker is the
/// candidate: (linker, program, the `name=` field of its output that may differ, why).
const STAND_IN_DEVIATIONS: &[(&str, &str, &str, &str)] = &[(
    "lld",
    "relocs",
    "dtpoff64",
    "lld applies R_X86_64_DTPOFF64 in allocated data as a thread-pointer offset when it \
     relaxes TLS in an executable; GNU ld keeps the offset in the module's TLS block the ABI \
     defines, which relocs.S's tls_index needs",
)];

/// Stand-in linkers that name a relocation type they do not know by its number, where the
/// internal linker must name it (lld: `unknown relocation (30)`).
const NAMES_RELOCATIONS_BY_NUMBER: &[&str] = &["lld"];

/// Relocation types the objects of the link programs must contain between them.
const RELOCATION_TYPES: &[&str] = &[
    "R_X86_64_64",
    "R_X86_64_PC32",
    "R_X86_64_PLT32",
    "R_X86_64_32",
    "R_X86_64_32S",
    "R_X86_64_PC64",
    "R_X86_64_GOTPCREL",
    "R_X86_64_GOTPCRELX",
    "R_X86_64_REX_GOTPCRELX",
    "R_X86_64_TPOFF32",
    "R_X86_64_GOTTPOFF",
    "R_X86_64_TLSGD",
    "R_X86_64_TLSLD",
    "R_X86_64_DTPOFF32",
    "R_X86_64_DTPOFF64",
    "R_X86_64_SIZE32",
    "R_X86_64_SIZE64",
];

/// Objects with relocation types beyond `RELOCATION_TYPES` (the large code model's), and the
/// types (name, number) in each that the candidate may reject.
const UNSUPPORTED: &[(&str, &[(&str, u32)])] = &[
    (
        "tests/programs/link/unsupported_gotoff64.S",
        &[("R_X86_64_GOTPC64", 29), ("R_X86_64_GOTOFF64", 25)],
    ),
    (
        "tests/programs/link/unsupported_gotplt64.S",
        &[("R_X86_64_GOTPC64", 29), ("R_X86_64_GOTPLT64", 30)],
    ),
];

/// Source files in the program directories that no program here uses, and why.
const SKIPPED: &[(&str, &str)] = &[
    (
        "tests/programs/followcpus.c",
        "its output depends on the test widening its CPU affinity while it runs \
         (tests/sched.rs); left alone it prints the machine's CPUs or waits 5 s for a change",
    ),
    (
        "tests/programs/together.h",
        "a header, included by the programs that use it",
    ),
    (
        "tests/programs/link/cxx_shared.h",
        "a header, included by cxx_main.cc and cxx_other.cc",
    ),
];

/// A source file (relative to the repository) and the compiler flags it takes besides the
/// defaults of its language (see `compile_source`).
struct Src {
    file: &'static str,
    flags: &'static [&'static str],
}

/// One item of a link line.
enum Input {
    Obj(Src),
    /// A static archive of these members (in this order), made with `ar rcs`.
    Archive(&'static str, &'static [Src]),
    /// An argument given to `rtlink build` as it is, in its place.
    Arg(&'static str),
}

const fn src(file: &'static str) -> Src {
    Src { file, flags: &[] }
}

const fn obj(file: &'static str) -> Input {
    Input::Obj(src(file))
}

const fn obj_with(file: &'static str, flags: &'static [&'static str]) -> Input {
    Input::Obj(Src { file, flags })
}

/// What may differ between two runs of one program, and is replaced by a placeholder in both
/// before they are compared.
#[derive(Clone, Copy, Debug)]
enum Norm {
    /// Hexadecimal numbers of 0x10000 and more: addresses of code (from 0x400000), stacks and
    /// mappings, in crash reports and traces. Smaller ones, such as offsets into functions
    /// (`main+0x37`), stay.
    Addresses,
    /// together.h's `ms=` and `together=`: how many threads ran goroutines, and whether two
    /// overlapped, which the OS's scheduling decides.
    Together,
    /// sleep.c's `out_of_order=`: late wakeups on a busy machine.
    OutOfOrder,
}

/// Where a run's stdout goes.
#[derive(Clone, Copy, PartialEq)]
enum Stdout {
    Captured,
    /// /dev/full, where every write fails (ENOSPC). argv[0] is then the executable's path
    /// (the run goes through `sh`), which differs between the two links.
    Full,
}

/// One run of a program.
struct Run {
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    norms: &'static [Norm],
    stdout: Stdout,
}

const fn run_with(
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    norms: &'static [Norm],
) -> Run {
    Run {
        args,
        env,
        norms,
        stdout: Stdout::Captured,
    }
}

const ONCE: &[Run] = &[run_with(&[], &[], &[])];
const ONE_P: &[(&str, &str)] = &[("GOMAXPROCS", "1")];
const TWO_PS: &[(&str, &str)] = &[("GOMAXPROCS", "2")];

/// A check of a program's two executables besides the comparison.
enum Check {
    Nothing,
    /// Symbols garbage collection must have dropped from both.
    Dropped(&'static [&'static str]),
    /// Functions whose first address addr2line, `rtlink inspect --addr` and gdb must place at
    /// (function, source file, a text on the line of the function's name); the line expected
    /// is the first from there on with a `{` (gcc gives the prologue the opening brace's line).
    Lines(&'static [(&'static str, &'static str, &'static str)]),
}

struct Program {
    name: &'static str,
    inputs: &'static [Input],
    runs: &'static [Run],
    check: Check,
}

const fn prog(name: &'static str, inputs: &'static [Input], runs: &'static [Run]) -> Program {
    Program {
        name,
        inputs,
        runs,
        check: Check::Nothing,
    }
}

const PROGRAMS: &[Program] = &[
    // samples/, as samples/Makefile builds them.
    prog("hello", &[obj("samples/hello.c")], ONCE),
    prog("args", &[obj("samples/args.c")], &[run_with(&["a", "b"], &[], &[])]),
    prog("tls_ctors", &[obj("samples/tls_ctors.c")], ONCE),
    prog(
        "goroutines",
        &[obj("samples/goroutines.c")],
        &[run_with(&[], TWO_PS, &[])],
    ),
    prog("hello_asm", &[obj("samples/hello_asm.S")], ONCE),
    prog("rust_nostd", &[obj("samples/rust_nostd.rs")], ONCE),
    // tests/programs/, run as the tests that own them run them.
    prog(
        "args_c",
        &[obj("tests/programs/args.c")],
        &[
            run_with(&["one", "two words"], &[("RTLINK_PROBE", "probe")], &[]),
            run_with(&["exit=42"], &[], &[]),
        ],
    ),
    prog(
        "blockread",
        &[obj("tests/programs/blockread.c")],
        &[run_with(&[], ONE_P, &[])],
    ),
    prog(
        "channels",
        &[obj("tests/programs/channels.c")],
        &[run_with(&[], TWO_PS, &[Norm::Together])],
    ),
    prog(
        "crash",
        &[obj("tests/programs/crash.c")],
        &[
            run_with(&[], &[], &[Norm::Addresses]),
            run_with(&["goroutine"], ONE_P, &[Norm::Addresses]),
            run_with(&["throw"], &[], &[Norm::Addresses]),
        ],
    ),
    prog(
        "ctors",
        &[obj("tests/programs/ctors.c")],
        &[run_with(&[], &[], &[]), run_with(&["via-rt_exit"], &[], &[])],
    ),
    prog(
        "deadlock",
        &[obj("tests/programs/deadlock.c")],
        &[
            run_with(&["deadlock"], ONE_P, &[Norm::Addresses]),
            run_with(&["negative"], ONE_P, &[Norm::Addresses]),
            run_with(&["sendclosed"], ONE_P, &[Norm::Addresses]),
        ],
    ),
    prog(
        "deep",
        &[obj_with("tests/programs/deep.c", &["-O0"])],
        &[run_with(&["1000"], &[], &[])],
    ),
    prog(
        "goroutines_c",
        &[obj("tests/programs/goroutines.c")],
        &[run_with(&[], ONE_P, &[])],
    ),
    prog(
        "hostile",
        &[obj("tests/programs/hostile.c")],
        &[
            run_with(&["ids"], &[], &[]),
            run_with(&["malloc"], &[], &[]),
            run_with(&["stack", "64"], &[], &[]),
        ],
    ),
    prog("info", &[obj("tests/programs/info.c")], ONCE),
    prog(
        "lockthread",
        &[obj("tests/programs/lockthread.c")],
        &[run_with(&[], TWO_PS, &[])],
    ),
    prog(
        "malloc",
        &[obj("tests/programs/malloc.c")],
        &[
            run_with(&["shadow", "20000"], ONE_P, &[]),
            run_with(&["doublefree", "small"], ONE_P, &[Norm::Addresses]),
        ],
    ),
    prog(
        "maxprocs",
        &[obj("tests/programs/maxprocs.c")],
        &[run_with(
            &[],
            &[("GOMAXPROCS", "1"), ("GODEBUG", "asyncpreemptoff=1")],
            &[],
        )],
    ),
    prog(
        "overflow",
        &[obj("tests/programs/overflow.c")],
        &[
            run_with(&["goroutine"], ONE_P, &[Norm::Addresses]),
            run_with(&["sizes"], TWO_PS, &[]),
        ],
    ),
    prog(
        "parallel",
        &[obj("tests/programs/parallel.c")],
        &[run_with(
            &[],
            &[("GOMAXPROCS", "2"), ("GODEBUG", "asyncpreemptoff=1")],
            &[],
        )],
    ),
    prog("park", &[obj("tests/programs/park.c")], &[run_with(&[], TWO_PS, &[])]),
    prog(
        "parsum",
        &[obj("tests/programs/parsum.c")],
        &[run_with(&["64"], TWO_PS, &[Norm::Together])],
    ),
    prog(
        "pie",
        &[obj("tests/programs/pie.c")],
        &[run_with(&[], &[], &[Norm::Addresses])],
    ),
    prog(
        "preempt",
        &[obj("tests/programs/preempt.c")],
        &[run_with(&[], ONE_P, &[])],
    ),
    prog(
        "rwonce",
        &[obj("tests/programs/rwonce.c")],
        &[run_with(&[], TWO_PS, &[])],
    ),
    prog(
        "sigpipe",
        &[obj("tests/programs/sigpipe.c")],
        &[Run {
            args: &[],
            env: &[],
            norms: &[],
            stdout: Stdout::Full,
        }],
    ),
    prog(
        "sleep",
        &[obj("tests/programs/sleep.c")],
        &[run_with(&["100"], TWO_PS, &[Norm::OutOfOrder, Norm::Together])],
    ),
    prog("sse", &[obj_with("tests/programs/sse.c", &["-O0"])], ONCE),
    prog(
        "ssp",
        &[obj_with("tests/programs/ssp.c", &["-O0", "-fstack-protector-all"])],
        &[
            run_with(&[], &[], &[]),
            run_with(
                &["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
                &[],
                &[Norm::Addresses],
            ),
        ],
    ),
    prog("tls", &[obj("tests/programs/tls.c")], &[run_with(&[], ONE_P, &[])]),
    // tests/programs/link/: one linker feature each.
    prog(
        "common",
        &[
            obj_with("tests/programs/link/common_main.c", &["-fcommon"]),
            obj_with("tests/programs/link/common_other.c", &["-fcommon"]),
        ],
        ONCE,
    ),
    prog(
        "weak",
        &[
            obj("tests/programs/link/weak_main.c"),
            obj("tests/programs/link/weak_strong.c"),
        ],
        ONCE,
    ),
    prog(
        "hidden",
        &[
            obj("tests/programs/link/hidden_main.c"),
            obj("tests/programs/link/hidden_lib.c"),
        ],
        ONCE,
    ),
    prog(
        "archive",
        &[
            obj("tests/programs/link/archive_main.c"),
            Input::Arg("--start-group"),
            Input::Archive("libarc_c.a", &[src("tests/programs/link/archive_c.c")]),
            Input::Archive(
                "libarc_ab.a",
                &[
                    src("tests/programs/link/archive_b.c"),
                    src("tests/programs/link/archive_a.c"),
                    src("tests/programs/link/archive_unused.c"),
                ],
            ),
            Input::Arg("--end-group"),
        ],
        ONCE,
    ),
    prog(
        "initfini",
        &[
            obj("tests/programs/link/initfini_main.c"),
            obj("tests/programs/link/initfini_other.c"),
        ],
        ONCE,
    ),
    prog(
        "section",
        &[
            obj("tests/programs/link/section_main.c"),
            obj("tests/programs/link/section_other.c"),
        ],
        ONCE,
    ),
    prog(
        "tls_two",
        &[
            obj("tests/programs/link/tls_main.c"),
            obj("tests/programs/link/tls_other.c"),
        ],
        ONCE,
    ),
    Program {
        name: "gc",
        inputs: &[
            obj_with(
                "tests/programs/link/gc_main.c",
                &["-ffunction-sections", "-fdata-sections"],
            ),
            obj_with(
                "tests/programs/link/gc_other.c",
                &["-ffunction-sections", "-fdata-sections"],
            ),
        ],
        runs: ONCE,
        check: Check::Dropped(&[
            "gc_unused_fn",
            "gc_only_from_unused",
            "gc_unused_data",
            "gc_other_unused_fn",
            "gc_unused_table",
        ]),
    },
    prog(
        "pie_objects",
        &[
            obj_with("tests/programs/link/pie_main.c", &["-fPIE"]),
            obj_with("tests/programs/link/pie_other.c", &["-fPIE"]),
        ],
        ONCE,
    ),
    Program {
        name: "debug",
        inputs: &[
            obj_with("tests/programs/link/debug_main.c", &["-g", "-O0"]),
            obj_with("tests/programs/link/debug_other.c", &["-g", "-O0"]),
        ],
        runs: ONCE,
        check: Check::Lines(&[
            ("debug_target", "debug_other.c", "int debug_target("),
            ("helper", "debug_other.c", "static int helper("),
            ("main", "debug_main.c", "int main("),
        ]),
    },
    prog(
        "merge",
        &[
            obj("tests/programs/link/merge_main.c"),
            obj("tests/programs/link/merge_a.c"),
            obj("tests/programs/link/merge_b.c"),
        ],
        ONCE,
    ),
    // g++'s STB_GNU_UNIQUE statics, one definition shared by both objects.
    prog(
        "cxx",
        &[
            obj("tests/programs/link/cxx_main.cc"),
            obj("tests/programs/link/cxx_other.cc"),
        ],
        ONCE,
    ),
    // A __thread variable defined in one object and used from another.
    prog(
        "tls_extern",
        &[
            obj("tests/programs/link/tls_extern_main.c"),
            obj("tests/programs/link/tls_extern_def.c"),
        ],
        ONCE,
    ),
    prog(
        "relocs",
        &[
            obj("tests/programs/link/relocs_main.c"),
            obj("tests/programs/link/relocs.S"),
            obj_with("tests/programs/link/relocs_gotpcrel.S", &["-Wa,-mrelax-relocations=no"]),
            obj_with("tests/programs/link/tls_dyn.c", &["-fPIC", "-g"]),
            obj("tests/programs/link/tls_get_addr.c"),
        ],
        ONCE,
    ),
    prog(
        "rust",
        &[
            obj("tests/programs/link/rust_main.c"),
            obj("tests/programs/link/rust_lib.rs"),
        ],
        ONCE,
    ),
];

fn repo(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(file)
}

/// Compiles `src` into `out` as its language's build here does: C with `rtlink cflags`,
/// `-O2 -Wall -Wextra` (samples/Makefile); C++ freestanding on top of that; assembly with
/// `cc -c` alone (samples/Makefile); Rust as samples/rust_nostd.rs is built. The source's own
/// flags come last.
fn compile_source(src: &Src, cflags: &[String], out: &Path) -> Result<(), String> {
    let path = repo(src.file);
    let mut cmd = match path.extension().and_then(|e| e.to_str()) {
        Some("c") => {
            let mut c = Command::new("cc");
            c.args(cflags).args(["-O2", "-Wall", "-Wextra", "-c"]);
            c
        }
        Some("cc") => {
            let mut c = Command::new("g++");
            c.args(cflags).args([
                "-ffreestanding",
                "-fno-exceptions",
                "-fno-rtti",
                "-nostdlib",
                "-O2",
                "-Wall",
                "-Wextra",
                "-c",
            ]);
            c
        }
        Some("S") => {
            let mut c = Command::new("cc");
            c.arg("-c");
            c
        }
        Some("rs") => {
            let mut c = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()));
            c.args(["--edition", "2021", "--crate-type", "lib", "--emit", "obj"])
                .args([
                    "-C",
                    "panic=abort",
                    "-C",
                    "opt-level=2",
                    "-C",
                    "relocation-model=static",
                ]);
            c
        }
        _ => return Err(format!("{}: no rule to compile it", src.file)),
    };
    cmd.args(src.flags).arg(&path).arg("-o").arg(out);
    succeed(&mut cmd).map(drop)
}

/// Runs `cmd`; its stdout if it exits 0, else a message with everything it printed.
fn succeed(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(text(&out.stdout))
    } else {
        Err(format!(
            "{cmd:?} failed ({}):\n{}{}",
            out.status,
            text(&out.stdout),
            text(&out.stderr)
        ))
    }
}

/// A program compiled: its link line (objects, archives, arguments), and every object made,
/// with its source.
struct Compiled {
    line: Vec<OsString>,
    objects: Vec<(PathBuf, &'static str)>,
}

/// Compiles every source of `program` into `dir` (archive members into archives).
fn compile_program(program: &Program, cflags: &[String], dir: &Path) -> Result<Compiled, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let object = |src: &Src| -> Result<(PathBuf, &'static str), String> {
        let stem = Path::new(src.file).file_stem().unwrap().to_str().unwrap();
        let out = dir.join(format!("{stem}.o"));
        compile_source(src, cflags, &out)?;
        Ok((out, src.file))
    };
    let (mut line, mut objects) = (Vec::new(), Vec::new());
    for input in program.inputs {
        match input {
            Input::Obj(src) => {
                let o = object(src)?;
                line.push(o.0.clone().into_os_string());
                objects.push(o);
            }
            Input::Archive(name, members) => {
                let members = members.iter().map(object).collect::<Result<Vec<_>, _>>()?;
                let archive = dir.join(name);
                succeed(
                    Command::new("ar")
                        .arg("rcs")
                        .arg(&archive)
                        .args(members.iter().map(|m| &m.0)),
                )?;
                line.push(archive.into_os_string());
                objects.extend(members);
            }
            Input::Arg(arg) => line.push(arg.into()),
        }
    }
    Ok(Compiled { line, objects })
}

/// Runs `jobs` on a pool of threads, one per CPU; what each returns, in order.
fn parallel<T: Send, R: Send>(jobs: Vec<T>, work: impl Fn(T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let jobs: Vec<Mutex<Option<T>>> = jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
    let results: Vec<Mutex<Option<R>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let job = job.lock().unwrap().take().unwrap();
                *results[i].lock().unwrap() = Some(work(job));
            });
        }
    });
    results.into_iter().map(|r| r.into_inner().unwrap().unwrap()).collect()
}

/// Every program of `programs` compiled, in a directory of their own.
struct Built {
    dir: tempfile::TempDir,
    programs: Vec<Result<Compiled, String>>,
}

fn build_all(programs: &[Program]) -> Built {
    let dir = tempdir();
    let cflags = cflags(&[]);
    let compiled = parallel(programs.iter().collect(), |p| {
        compile_program(p, &cflags, &dir.path().join(p.name))
    });
    Built {
        dir,
        programs: compiled,
    }
}

/// PROGRAMS compiled once, for every test here. The directory lives as long as the process.
fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| build_all(PROGRAMS))
}

/// Links a compiled program with `linker` into `out`; rtlink's stderr if it fails.
fn link_with(line: &[OsString], linker: &str, out: &Path) -> Result<(), String> {
    let res = rtlink()
        .arg("build")
        .args(line)
        .arg("-o")
        .arg(out)
        .args(["--ld", linker])
        .output()
        .map_err(|e| e.to_string())?;
    if res.status.success() {
        Ok(())
    } else {
        Err(format!("{}: {}", res.status, text(&res.stderr)))
    }
}

/// One symbol as compared: name, type, binding, size (readelf's spellings).
type SymbolKey = (String, String, String, String);
/// Symbols as compared, each with how many times it occurs.
type SymbolTable = BTreeMap<SymbolKey, usize>;
/// Symbol values by name (the last of a name wins).
type Values = BTreeMap<String, u64>;
/// Sections as compared: (name, type, flags) and the sizes of the sections with them.
type SectionTable = BTreeMap<(String, String, String), Vec<String>>;

/// The symbols of `exe` per `readelf -sW`, each with how many times it occurs, and each
/// symbol's value (for the checks that need an address), fields left out per `ALLOWED`.
fn symbols(exe: &Path) -> Result<(SymbolTable, Values), String> {
    let out = succeed(Command::new("readelf").arg("-sW").arg(exe))?;
    let mut table = BTreeMap::new();
    let mut values = BTreeMap::new();
    for line in out.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 7 || !f[0].ends_with(':') || f[0].trim_end_matches(':').parse::<u32>().is_err() {
            continue;
        }
        let (value, size, kind, mut bind, vis, ndx) = (f[1], f[2], f[3], f[4], f[5], f[6]);
        let name = f.get(7).copied().unwrap_or("");
        if ndx == "UND" && allowed(Allowed::Field("undefined symbols")) {
            continue; // the null symbol every table starts with, too
        }
        if matches!(vis, "HIDDEN" | "INTERNAL") && allowed(Allowed::Field("binding of hidden symbols")) {
            bind = "LOCAL"; // what a hidden symbol is in an executable
        }
        let mut key = (name.to_string(), kind.to_string(), bind.to_string(), size.to_string());
        if !allowed(Allowed::Field("symbol value")) {
            key.3 += &format!(" value={value}");
        }
        if !allowed(Allowed::Field("symbol section index")) {
            key.3 += &format!(" ndx={ndx}");
        }
        if !allowed(Allowed::Field("symbol visibility")) {
            key.3 += &format!(" vis={vis}");
        }
        *table.entry(key).or_insert(0) += 1;
        if let Ok(v) = u64::from_str_radix(value, 16) {
            values.insert(name.to_string(), v);
        }
    }
    Ok((table, values))
}

/// The differences between two symbol tables that `ALLOWED` does not cover.
fn compare_symbols(reference: &SymbolTable, cand: &SymbolTable) -> Vec<String> {
    let mut diffs = Vec::new();
    for key in reference
        .keys()
        .chain(cand.keys().filter(|k| !reference.contains_key(*k)))
    {
        if allowed(Allowed::Symbol(&key.0)) {
            continue;
        }
        let (r, c) = (
            reference.get(key).copied().unwrap_or(0),
            cand.get(key).copied().unwrap_or(0),
        );
        if r != c {
            diffs.push(format!(
                "symbol {:?} {} {} size {}: {r} in {REFERENCE}'s output, {c} in the candidate's",
                key.0, key.1, key.2, key.3
            ));
        }
    }
    diffs
}

/// Sections per `readelf -SW` (the allocated ones, unless `ALLOWED` stops allowing the others
/// to differ): (name, type, flags) with the size of each section of that name, and the
/// number of CIEs and FDEs in .eh_frame.
fn sections(exe: &Path) -> Result<SectionTable, String> {
    let out = succeed(Command::new("readelf").arg("-SW").arg(exe))?;
    let alloc_only = allowed(Allowed::Field("non-allocated sections"));
    let mut map: BTreeMap<_, Vec<String>> = BTreeMap::new();
    for line in out.lines() {
        let Some((_, rest)) = line.trim_start().strip_prefix('[').and_then(|r| r.split_once(']')) else {
            continue;
        };
        // Name Type Address Off Size ES Flg Lk Inf Al, where Flg may be empty.
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.len() < 9 || f[1] == "NULL" {
            continue;
        }
        let mut flags = if f.len() == 10 { f[6] } else { "" }.to_string();
        let kind = if f[0] == ".eh_frame" && allowed(Allowed::Field("type of .eh_frame")) {
            "(either)"
        } else {
            f[1]
        };
        if alloc_only && !flags.contains('A') {
            continue;
        }
        if allowed(Allowed::Field("M and S flags of output sections")) {
            flags.retain(|c| c != 'M' && c != 'S');
        }
        let mut size = f[4].to_string();
        if allowed(Allowed::SectionSize(f[0])) {
            size = "(any size)".into();
        }
        if !allowed(Allowed::Field("section address and file offset")) {
            size += &format!(" at {} offset {}", f[2], f[3]);
        }
        map.entry((f[0].into(), kind.into(), flags)).or_default().push(size);
    }
    if map.keys().any(|k| k.0 == ".eh_frame") && allowed(Allowed::Field("CIE and FDE padding in .eh_frame")) {
        // Compared in place of the size: how many CIEs and FDEs there are.
        let frames = succeed(Command::new("readelf").arg("--debug-dump=frames").arg(exe))?;
        let count = |what| {
            frames
                .lines()
                .filter(|l| l.split_whitespace().nth(3) == Some(what))
                .count()
        };
        let entries = format!("{} CIEs, {} FDEs", count("CIE"), count("FDE"));
        map.insert(
            (".eh_frame entries".into(), String::new(), String::new()),
            vec![entries],
        );
    }
    Ok(map)
}

fn compare_sections(reference: &SectionTable, cand: &SectionTable) -> Vec<String> {
    let mut diffs = Vec::new();
    for key in reference
        .keys()
        .chain(cand.keys().filter(|k| !reference.contains_key(*k)))
    {
        if allowed(Allowed::Section(&key.0)) {
            continue;
        }
        let (r, c) = (reference.get(key), cand.get(key));
        if r != c {
            diffs.push(format!(
                "section {} {} flags {}: sizes {r:?} in {REFERENCE}'s output, {c:?} in the candidate's",
                key.0, key.1, key.2
            ));
        }
    }
    diffs
}

/// Program headers as compared.
struct Segments {
    /// The PT_LOADs' flags, in address order.
    loads: Vec<String>,
    /// The other headers' types and flags, PT_TLS with its alignment, sorted; types `ALLOWED`
    /// lets one linker add are left out.
    others: Vec<String>,
    /// Every header that is both writable and executable, as readelf shows it.
    wx: Vec<String>,
}

/// Program headers per `readelf -lW`.
fn segments(exe: &Path) -> Result<Segments, String> {
    let out = succeed(Command::new("readelf").arg("-lW").arg(exe))?;
    let (mut loads, mut others, mut wx) = (Vec::new(), Vec::new(), Vec::new());
    let mut in_headers = false;
    for line in out.lines() {
        if line.starts_with("Program Headers:") {
            in_headers = true;
            continue;
        }
        if !in_headers || line.trim_start().starts_with("Type") || line.trim_start().starts_with('[') {
            continue;
        }
        if line.trim().is_empty() {
            break;
        }
        // Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg(1-3 words) Align
        let f: Vec<&str> = line.split_whitespace().collect();
        let (kind, align) = (f[0], f[f.len() - 1]);
        let flags: String = f[6..f.len() - 1].concat();
        if flags.contains('W') && flags.contains('E') {
            wx.push(line.trim().to_string());
        }
        let mut entry = format!("{kind} {flags}");
        if !allowed(Allowed::Field("segment offsets, addresses and sizes")) {
            entry += &format!(" {}", f[1..6].join(" "));
        }
        if kind == "TLS" || !allowed(Allowed::Field("segment alignment, except PT_TLS's")) {
            entry += &format!(" align {align}");
        }
        if kind == "LOAD" {
            loads.push(entry);
        } else if !allowed(Allowed::Segment(kind)) {
            others.push(entry);
        }
    }
    if allowed(Allowed::Field("order of program headers other than PT_LOAD")) {
        others.sort();
    }
    Ok(Segments { loads, others, wx })
}

/// Replaces what `norms` name with placeholders.
fn normalise(out: &str, norms: &[Norm]) -> String {
    let mut out = out.to_string();
    for norm in norms {
        out = match norm {
            Norm::Addresses => hide_addresses(&out),
            Norm::Together => out
                .lines()
                .map(|l| {
                    if l.starts_with("procs=") {
                        hide_fields(l, &["ms", "together"])
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Norm::OutOfOrder => out
                .lines()
                .map(|l| hide_fields(l, &["out_of_order"]))
                .collect::<Vec<_>>()
                .join("\n"),
        };
    }
    out
}

/// `line` with the values of its `key=value` words for `keys` replaced by `_`.
fn hide_fields(line: &str, keys: &[&str]) -> String {
    line.split(' ')
        .map(|w| match w.split_once('=') {
            Some((k, _)) if keys.contains(&k) => format!("{k}=_"),
            _ => w.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every `0x` number of 0x10000 or more replaced by `0xADDR`.
fn hide_addresses(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("0x") {
        out.push_str(&rest[..at]);
        let digits = rest[at + 2..].bytes().take_while(u8::is_ascii_hexdigit).count();
        let number = &rest[at..at + 2 + digits];
        match u64::from_str_radix(&number[2..], 16) {
            Ok(v) if v >= 0x10000 => out.push_str("0xADDR"),
            _ => out.push_str(number),
        }
        rest = &rest[at + 2 + digits..];
    }
    out.push_str(rest);
    out
}

/// (status, stdout, stderr) of one run of `exe`, argv[0] `name`, or a description of a hang.
fn run_once(exe: &Path, name: &str, run: &Run) -> Result<(i32, String, String), String> {
    let mut cmd = match run.stdout {
        Stdout::Captured => {
            let mut c = Command::new(exe);
            c.arg0(name);
            c
        }
        Stdout::Full => {
            let mut c = Command::new("sh");
            c.args(["-c", "exec \"$@\" >/dev/full", "sh"]).arg(exe);
            c
        }
    };
    cmd.args(run.args).env_clear().envs(run.env.iter().copied());
    match watch(&mut cmd, RUN_LIMIT) {
        Outcome::Exited(code, out, err) => Ok((code, out, err)),
        Outcome::Hung(out, err) => Err(format!(
            "still running after {RUN_LIMIT:?}, killed; stdout:\n{out}\nstderr:\n{err}"
        )),
    }
}

/// The fields of stand-in deviations that apply to `program` with the candidate `linker`,
/// replaced by `?` in `out`.
fn hide_stand_in_deviations(out: &str, program: &str, linker: &str) -> String {
    let fields: Vec<&str> = STAND_IN_DEVIATIONS
        .iter()
        .filter(|(l, p, _, _)| *l == linker && *p == program)
        .map(|(_, _, f, _)| *f)
        .collect();
    out.lines()
        .map(|l| hide_fields(l, &fields))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Line `n` (1-based) of the first line at or after the one containing `pattern` in `file`
/// that has a `{`.
fn line_of(file: &str, pattern: &str) -> Option<usize> {
    let lines: Vec<&str> = file.lines().collect();
    let from = lines.iter().position(|l| l.contains(pattern))?;
    (from..lines.len()).find(|&i| lines[i].contains('{')).map(|i| i + 1)
}

/// The `FILE:LINE` (file name only) at the end of a tool's output.
fn file_line(out: &str) -> String {
    let last = out.lines().last().unwrap_or("").trim();
    let loc = last.rsplit('/').next().unwrap_or(last);
    loc.split(' ').next().unwrap_or("").to_string()
}

/// Where addr2line, `rtlink inspect --addr` and gdb place each function of `lines`; every
/// answer that is not the expected line.
fn check_lines(exe: &Path, values: &Values, lines: &[(&str, &str, &str)]) -> Vec<String> {
    let mut wrong = Vec::new();
    for (function, file, pattern) in lines {
        let source = std::fs::read_to_string(repo(&format!("tests/programs/link/{file}"))).unwrap();
        let want = format!("{file}:{}", line_of(&source, pattern).expect("pattern in source"));
        let Some(addr) = values.get(*function).map(|a| format!("{a:#x}")) else {
            wrong.push(format!("{function} is not in the symbol table"));
            continue;
        };
        let answers = [
            (
                "addr2line",
                Command::new("addr2line").arg("-e").arg(exe).arg(&addr).output(),
            ),
            (
                "rtlink inspect --addr",
                rtlink().arg("inspect").arg(exe).arg("--addr").arg(&addr).output(),
            ),
        ];
        for (tool, out) in answers {
            let got = out
                .map(|o| file_line(&text(&o.stdout)))
                .unwrap_or_else(|e| e.to_string());
            if got != want {
                wrong.push(format!("{tool} places {function} ({addr}) at {got:?}, not {want}"));
            }
        }
        let gdb = Command::new("gdb")
            .args(["-batch", "-nx", "-ex"])
            .arg(format!("info line {function}"))
            .arg(exe)
            .output()
            .map(|o| text(&o.stdout))
            .unwrap_or_else(|e| e.to_string());
        // Line 6 of "/path/debug_other.c" starts at address 0x... <debug_target> ...
        let got = gdb
            .strip_prefix("Line ")
            .and_then(|r| r.split_once(" of \""))
            .and_then(|(n, r)| Some(format!("{}:{n}", r.split('"').next()?.rsplit('/').next()?)));
        if got.as_deref() != Some(want.as_str()) {
            wrong.push(format!("gdb `info line {function}` says {gdb:?}, not {want}"));
        }
    }
    wrong
}

/// Links `program` with both linkers and compares everything; the differences found.
fn differ(program: &Program, compiled: &Compiled, dir: &Path, cand: &str) -> Vec<String> {
    let exes = [dir.join("ref"), dir.join("new")].map(|d| {
        std::fs::create_dir_all(&d).unwrap();
        d.join(program.name)
    });
    let [reference, candidate] = &exes;
    if let Err(e) = link_with(&compiled.line, REFERENCE, reference) {
        return vec![format!("the reference link (--ld {REFERENCE}) failed: {e}")];
    }
    if let Err(e) = link_with(&compiled.line, cand, candidate) {
        return vec![format!("the candidate's link failed: {e}")];
    }
    let mut diffs = Vec::new();
    let tables = (symbols(reference), symbols(candidate));
    let values = match &tables {
        (Ok((rs, rv)), Ok((cs, cv))) => {
            diffs.extend(compare_symbols(rs, cs));
            [rv.clone(), cv.clone()]
        }
        (r, c) => return vec![format!("symbols: {:?} {:?}", r.as_ref().err(), c.as_ref().err())],
    };
    match (sections(reference), sections(candidate)) {
        (Ok(r), Ok(c)) => diffs.extend(compare_sections(&r, &c)),
        (r, c) => diffs.push(format!("sections: {:?} {:?}", r.err(), c.err())),
    }
    match (segments(reference), segments(candidate)) {
        (Ok(r), Ok(c)) => {
            if r.loads != c.loads {
                diffs.push(format!(
                    "PT_LOADs: {:?} in {REFERENCE}'s output, {:?} in the candidate's",
                    r.loads, c.loads
                ));
            }
            if r.others != c.others {
                diffs.push(format!(
                    "other program headers: {:?} in {REFERENCE}'s output, {:?} in the candidate's",
                    r.others, c.others
                ));
            }
            for (who, wx) in [(REFERENCE, r.wx), ("the candidate", c.wx)] {
                if !wx.is_empty() {
                    diffs.push(format!("writable and executable segments in {who}'s output: {wx:?}"));
                }
            }
        }
        (r, c) => diffs.push(format!("segments: {:?} {:?}", r.err(), c.err())),
    }
    match &program.check {
        Check::Nothing => {}
        Check::Dropped(names) => {
            for ((exe, v), who) in exes.iter().zip(&values).zip([REFERENCE, "the candidate"]) {
                for name in names.iter().filter(|n| v.contains_key(**n)) {
                    diffs.push(format!(
                        "{name} survived garbage collection in {who}'s output ({})",
                        exe.display()
                    ));
                }
            }
        }
        Check::Lines(lines) => {
            for (exe, v) in exes.iter().zip(&values) {
                diffs.extend(
                    check_lines(exe, v, lines)
                        .into_iter()
                        .map(|w| format!("{}: {w}", exe.display())),
                );
            }
        }
    }
    for run in program.runs {
        let results = exes.each_ref().map(|exe| run_once(exe, program.name, run));
        let [r, c] = results.map(|res| {
            res.map(|(code, out, err)| {
                let clean = |s: &str| hide_stand_in_deviations(&normalise(s, run.norms), program.name, cand);
                (code, clean(&out), clean(&err))
            })
        });
        if r != c {
            diffs.push(format!(
                "run with args {:?} env {:?}: (status, stdout, stderr) after normalising {:?}:\n  \
                 {REFERENCE}:        {r:?}\n  candidate: {c:?}",
                run.args, run.env, run.norms
            ));
        }
    }
    diffs
}

/// Links and compares every program of `programs` (compiled in `built`) with the candidate;
/// fails listing every difference.
fn differential(programs: &[Program], built: &Built) {
    let cand = candidate();
    let start = std::time::Instant::now();
    let jobs: Vec<(&Program, &Result<Compiled, String>)> = programs.iter().zip(&built.programs).collect();
    let results = parallel(jobs, |(program, compiled)| match compiled {
        Ok(c) => differ(program, c, &built.dir.path().join(program.name), &cand),
        Err(e) => vec![format!("does not compile: {e}")],
    });
    let failures: Vec<String> = programs
        .iter()
        .zip(results)
        .filter(|(_, diffs)| !diffs.is_empty())
        .map(|(p, diffs)| format!("== {} (candidate --ld {cand}):\n{}", p.name, diffs.join("\n")))
        .collect();
    eprintln!(
        "{} programs linked with ld and {cand} and compared in {:.1?}",
        programs.len(),
        start.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {} programs differ:\n{}",
        failures.len(),
        programs.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_program_links_and_runs_the_same_as_with_gnu_ld() {
    differential(PROGRAMS, built());
}

#[test]
fn the_link_programs_contain_every_relocation_type_a_static_link_must_apply() {
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (program, compiled) in PROGRAMS.iter().zip(&built().programs) {
        let compiled = compiled.as_ref().unwrap_or_else(|e| panic!("{}: {e}", program.name));
        let new = compiled
            .objects
            .iter()
            .filter(|(_, src)| src.starts_with("tests/programs/link/"));
        for (object, _) in new {
            let relocs = text(&ok(Command::new("readelf").arg("-rW").arg(object)).stdout);
            for kind in relocs.split_whitespace().filter(|w| w.starts_with("R_X86_64_")) {
                seen.entry(kind.to_string())
                    .or_default()
                    .push(object.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let missing: Vec<&&str> = RELOCATION_TYPES.iter().filter(|t| !seen.contains_key(**t)).collect();
    assert!(missing.is_empty(), "no object has {missing:?}; seen: {:?}", seen.keys());
}

#[test]
fn every_source_file_is_compared_or_skipped_with_a_reason() {
    let used: Vec<&str> = PROGRAMS
        .iter()
        .flat_map(|p| p.inputs)
        .flat_map(|i| match i {
            Input::Obj(src) => vec![src.file],
            Input::Archive(_, members) => members.iter().map(|m| m.file).collect(),
            Input::Arg(_) => vec![],
        })
        .chain(UNSUPPORTED.iter().map(|(file, _)| *file))
        .collect();
    let mut unaccounted = Vec::new();
    for dir in ["samples", "tests/programs", "tests/programs/link"] {
        for entry in std::fs::read_dir(repo(dir)).unwrap() {
            let path = entry.unwrap().path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if !["c", "cc", "S", "rs", "h"].contains(&ext) {
                continue;
            }
            let rel = format!("{dir}/{}", path.file_name().unwrap().to_str().unwrap());
            if !used.contains(&rel.as_str()) && !SKIPPED.iter().any(|(s, _)| *s == rel) {
                unaccounted.push(rel);
            }
        }
    }
    assert!(
        unaccounted.is_empty(),
        "not in PROGRAMS, UNSUPPORTED or SKIPPED: {unaccounted:?}"
    );
}

#[test]
fn a_relocation_the_candidate_cannot_apply_fails_the_link_naming_it() {
    let cand = candidate();
    let dir = tempdir();
    let (mut rejected, mut problems) = (0, Vec::new());
    for (file, types) in UNSUPPORTED {
        let source = src(file);
        let stem = Path::new(file).file_stem().unwrap().to_str().unwrap();
        let object = dir.path().join(format!("{stem}.o"));
        compile_source(&source, &[], &object).unwrap();
        let exe = dir.path().join(stem);
        let line = [object.clone().into_os_string()];
        let Err(err) = link_with(&line, &cand, &exe) else {
            // Applied: then it must be applied as GNU ld applies it.
            let reference = dir.path().join(format!("{stem}.ref"));
            link_with(&line, REFERENCE, &reference).unwrap();
            let run = run_with(&[], &[], &[]);
            let (r, c) = (run_once(&reference, stem, &run), run_once(&exe, stem, &run));
            if r != c {
                problems.push(format!(
                    "{file}: linked, but runs as {c:?} where GNU ld's link runs as {r:?}"
                ));
            }
            continue;
        };
        rejected += 1;
        let by_number = NAMES_RELOCATIONS_BY_NUMBER.contains(&cand.as_str());
        let names_type = types
            .iter()
            .any(|(name, n)| err.contains(name) || (by_number && err.contains(&format!("({n})"))));
        let object_name = object.file_name().unwrap().to_str().unwrap();
        if !names_type || !err.contains(object_name) || !err.contains(".text") {
            problems.push(format!(
                "{file}: the error should name one of {types:?}, the object {object_name} and the \
                 section .text: {err}"
            ));
        }
        if exe.exists() {
            problems.push(format!("{file}: the failed link left {}", exe.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        rejected > 0,
        "--ld {cand} applied every relocation of {UNSUPPORTED:?} (correctly), so nothing tested \
         its error: add a type it does not support"
    );
}

#[test]
fn an_undefined_symbol_is_reported_as_with_gnu_ld() {
    let dir = tempdir();
    let code = "int missing_function(void);\nextern int missing_data;\n\nint main(void)\n{\n    \
                return missing_function() + missing_data;\n}\n";
    let object = compile_str(dir.path(), "undef", code, &["-g"]);
    let reports: Vec<String> = [REFERENCE.to_string(), candidate()]
        .iter()
        .map(|linker| {
            let out = dir.path().join(linker).join("app");
            std::fs::create_dir_all(out.parent().unwrap()).unwrap();
            let (status, stdout, stderr) = output(
                rtlink()
                    .arg("build")
                    .arg(&object)
                    .arg("-o")
                    .arg(&out)
                    .args(["--ld", linker, "--color", "never"]),
            );
            assert_eq!((status, stdout.as_str()), (1, ""), "--ld {linker}: {stderr}");
            assert!(!out.exists(), "--ld {linker} wrote {} all the same", out.display());
            stderr
        })
        .collect();
    assert_eq!(
        reports[0],
        "rtlink: error: undefined symbol: missing_function\n>>> referenced by undef.c:6\n\
         >>>               undef.o:(main)\nrtlink: error: undefined symbol: missing_data\n\
         >>> referenced by undef.c:6\n>>>               undef.o:(main)\n"
    );
    assert_eq!(
        reports[1],
        reports[0],
        "--ld {} reports otherwise than --ld {REFERENCE}",
        candidate()
    );
}

#[test]
fn an_undefined_symbol_in_an_archive_member_is_reported_with_its_function_and_line() {
    // rtlink's own check looks at the objects given directly, so a reference from an archive
    // member that nothing defines is the linker's to report. GNU ld says it its own way;
    // the candidate must say it in lld's layout, with what lld names: the source line (from
    // DWARF) and the function.
    let dir = tempdir();
    let main = compile_str(
        dir.path(),
        "main",
        "int helper(void);\nint main(void) { return helper(); }\n",
        &[],
    );
    let member = compile_str(
        dir.path(),
        "member",
        "int missing_in_member(void);\n\nint helper(void)\n{\n    return missing_in_member();\n}\n",
        &["-g"],
    );
    let archive = dir.path().join("libmember.a");
    ok(Command::new("ar").arg("rcs").arg(&archive).arg(&member));
    let out = dir.path().join("app");
    let cand = candidate();
    let line = [main.into_os_string(), archive.into_os_string()];
    let err = link_with(&line, &cand, &out).expect_err("the link must fail");
    for want in [
        "error: undefined symbol: missing_in_member\n",
        ">>> referenced by ",
        "member.c:5",
        "(helper)",
    ] {
        assert!(err.contains(want), "--ld {cand}: no {want:?} in: {err}");
    }
    assert!(!out.exists(), "--ld {cand} wrote {} all the same", out.display());
}
