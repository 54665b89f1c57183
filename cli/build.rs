//! Build script: compiles `runtime-obj` into the one relocatable `runtime.o` that `rtlink`
//! embeds and links first into every program.
//!
//! Invariants:
//! - The runtime is always built optimised with fat LTO, whatever profile builds the CLI: at
//!   opt-level 0 rustc skips LTO and leaves `rust_eh_personality`, `memcmp` and `bcmp` undefined.
//! - The rustc call ignores the caller's `RUSTFLAGS`, and every path that could leak into the
//!   object is remapped, so two builds give byte-identical `runtime.o` files.
//! - `ld -r` keeps only what the roots reach; the result's only undefined symbol is `main`
//!   (the integration tests check this with `nm -u`). Functions keep their own sections, so
//!   the final link's --gc-sections drops what a program does not use.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Symbols the merged object must keep: the entry chain, the bootstrap data and the C API.
const ROOTS: &[&str] = &["_rt0_amd64_linux", "mainPC"];

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let rt = manifest.join("runtime-obj");
    for dir in [
        "runtime-obj/src",
        "runtime-obj/asm",
        "runtime-obj/include",
        "linker-scripts",
    ] {
        println!("cargo:rerun-if-changed={dir}");
    }

    // The two builds are independent and each rustc is mostly single-threaded: run them at once.
    let objects = std::thread::scope(|scope| {
        [Flavour::Exec, Flavour::Pie]
            .map(|f| {
                let (rt, out) = (&rt, &out);
                scope.spawn(move || {
                    let dir = out.join(f.name());
                    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
                    let lib = dir.join("librtlink_runtime.a");
                    compile_rust(rt, &lib, f);
                    let asm = assemble(rt, &dir, f);
                    let obj = out.join(format!("{}.o", f.name()));
                    merge(&lib, &asm, &obj);
                    obj
                })
            })
            .map(|h| h.join().expect("a runtime build failed"))
    });
    content_hash(&manifest, &objects);
}

/// The two builds of the runtime: for ET_EXEC programs at a fixed address (the default), and
/// for static-PIEs (`--static-pie`), which need position-independent code and the
/// self-relocation step (`--cfg rtlink_pie`, `-DRTLINK_PIE`).
#[derive(Clone, Copy)]
enum Flavour {
    Exec,
    Pie,
}

impl Flavour {
    fn name(self) -> &'static str {
        match self {
            Flavour::Exec => "runtime",
            Flavour::Pie => "runtime-pie",
        }
    }
}

/// Exports RTLINK_CONTENT_HASH: FNV-1a over the files rtlink embeds (runtime objects, linker
/// script, header), naming the cache directory they are written to at run time, so different
/// contents never share a directory and the binary need not hash them on every run.
fn content_hash(manifest: &Path, runtimes: &[PathBuf]) {
    let files = runtimes.iter().cloned().chain([
        manifest.join("linker-scripts/rtlink_amd64_linux.ld"),
        manifest.join("runtime-obj/include/rtlink.h"),
    ]);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in files {
        let data = std::fs::read(&f).unwrap_or_else(|e| panic!("cannot read {}: {e}", f.display()));
        for b in data {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    println!("cargo:rustc-env=RTLINK_CONTENT_HASH={h:016x}");
}

/// Compiles the runtime crate into a static library with the fixed, optimised recipe.
fn compile_rust(rt: &Path, lib: &Path, flavour: Flavour) {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let remap = format!("--remap-path-prefix={}=runtime-obj", rt.display());
    let model: &[&str] = match flavour {
        Flavour::Exec => &["-Crelocation-model=static"],
        Flavour::Pie => &["-Crelocation-model=pie", "--cfg=rtlink_pie"],
    };
    run(Command::new(rustc)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .args([
            "--edition=2021",
            "--crate-type=staticlib",
            "--crate-name=rtlink_runtime",
            "--target=x86_64-unknown-linux-gnu",
            "-Cpanic=abort",
            "-Copt-level=z",
            "-Clto=fat",
            "-Ccodegen-units=1",
            "-Cdebuginfo=0",
            "-Cforce-frame-pointers=yes",
            "-Cforce-unwind-tables=no",
            &remap,
        ])
        .args(model)
        .arg("-o")
        .arg(lib)
        .arg(rt.join("src/lib.rs")));
}

/// Assembles the `.S` files (rt0 and the context switch) with the C compiler.
fn assemble(rt: &Path, out: &Path, flavour: Flavour) -> Vec<PathBuf> {
    let mut build = cc::Build::new();
    if let Flavour::Pie = flavour {
        build.define("RTLINK_PIE", None);
    }
    build
        .cargo_metadata(false)
        .debug(false)
        .pic(matches!(flavour, Flavour::Pie))
        .target("x86_64-unknown-linux-gnu")
        .host("x86_64-unknown-linux-gnu")
        .opt_level(2)
        .out_dir(out)
        .flag(format!("-ffile-prefix-map={}=runtime-obj", rt.display()))
        .define(
            "RTLINK_IDENT",
            format!("\"rtlink {}\"", env::var("CARGO_PKG_VERSION").expect("cargo sets it")).as_str(),
        );
    for f in ["rt0_linux_amd64.S", "asm_amd64.S", "text_end_amd64.S"] {
        build.file(rt.join("asm").join(f));
    }
    build.compile_intermediates()
}

/// Merges the Rust library and the assembled objects into one relocatable object.
fn merge(lib: &Path, asm: &[PathBuf], out: &Path) {
    // rustc's .comment goes: the runtime's identity is rtlink's to state (asm_amd64.S emits
    // "rtlink VERSION" there, mergeable like a compiler's), so `readelf -p .comment` on any
    // program shows which rtlink linked it.
    // Next to `lib`, in the flavour's own directory: the two flavours merge at the same time,
    // and a shared name let one flavour's `ld -r` read the other's library.
    let quiet = lib.with_file_name("librtlink_runtime-nocomment.a");
    run(Command::new("objcopy")
        .arg("--remove-section=.comment")
        .arg(lib)
        .arg(&quiet));
    let mut ld = Command::new("ld");
    ld.args(["-r", "-m", "elf_x86_64", "--build-id=none", "-o"]).arg(out);
    for root in ROOTS {
        ld.arg("-u").arg(root);
    }
    // text_end_amd64.o goes last, so runtime_text_end follows all of the runtime's code.
    let (end, front): (Vec<&PathBuf>, Vec<&PathBuf>) = asm
        .iter()
        .partition(|p| p.to_string_lossy().ends_with("text_end_amd64.o"));
    assert_eq!(end.len(), 1, "text_end_amd64.o among {asm:?}");
    ld.args(front).arg(&quiet).args(end);
    run(&mut ld);
    // LTO brings in core's functions with their unwind tables even under
    // -Cforce-unwind-tables=no; with panic=abort nothing unwinds, and tracebacks use frame
    // pointers, so the tables would only cost space in every program.
    run(Command::new("objcopy")
        .args(["--remove-section=.eh_frame", "--remove-section=.rela.eh_frame"])
        .arg(out));
}

fn run(cmd: &mut Command) {
    let status = cmd.status().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(status.success(), "{cmd:?} failed with {status}");
}
