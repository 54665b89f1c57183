//! `rtlink build`, `runtime` and `cflags` as a user meets them: archives, quietness, `-v`, the
//! runtime object, microarchitecture levels. Bad inputs and outputs are tests/bad_input.rs.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use object::Architecture;

fn hello(dir: &Path) -> PathBuf {
    compile(dir, &Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/hello.c"), &[])
}

/// Runs `rtlink build ARGS` expecting failure; returns stderr.
fn build_fails(args: &[&std::ffi::OsStr]) -> String {
    let (code, out, err) = output(rtlink().arg("build").args(args));
    assert_eq!(code, 1, "stdout: {out}\nstderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn archives_are_linked_and_checked() {
    let dir = tempdir();
    let d = dir.path();
    let lib = d.join("libhello.a");
    ok(Command::new("ar").arg("rcs").arg(&lib).arg(hello(d)));
    let exe = link(d, "from_archive", &[lib], &[]);
    assert_eq!(output(&mut run(&exe)), (0, "hello, world\n".into(), String::new()));

    let bad = d.join("libarm.a");
    ok(Command::new("ar")
        .arg("rcs")
        .arg(&bad)
        .arg(foreign_object(d, "arm.o", Architecture::Aarch64)));
    let err = build_fails(&[bad.as_os_str(), "-o".as_ref(), d.join("x").as_os_str()]);
    assert_eq!(
        err,
        format!(
            "rtlink: {}(arm.o): built for AArch64; rtlink links x86-64 objects (compile it for x86-64: cc -c, or clang --target=x86_64-linux-gnu)\n",
            bad.display()
        )
    );
}

#[test]
fn verbose_prints_the_exact_linker_command() {
    let dir = tempdir();
    let obj = hello(dir.path());
    let exe = dir.path().join("hello");
    let out = ok(rtlink().arg("build").arg("-v").arg(&obj).arg("-o").arg(&exe));
    let cmd = text(&out.stderr);
    let words: Vec<&str> = cmd.split_whitespace().collect();
    assert_eq!(words[0], "ld");
    let t = words.iter().position(|w| *w == "-T").unwrap();
    assert!(words[t + 1].ends_with("rtlink_amd64_linux.ld"));
    let rt = words.iter().position(|w| w.ends_with("rtlink_runtime.o")).unwrap();
    let user = words.iter().position(|w| *w == obj.to_str().unwrap()).unwrap();
    assert!(rt < user, "the runtime object is linked first: {cmd}");
    assert!(out.stdout.is_empty());
}

#[test]
fn the_runtime_object_only_needs_main_and_links_with_plain_ld() {
    let dir = tempdir();
    let d = dir.path();
    let (rt, script, header) = (d.join("rt.o"), d.join("rtlink.ld"), d.join("rtlink.h"));
    ok(rtlink()
        .arg("runtime")
        .arg("-o")
        .arg(&rt)
        .arg("--script")
        .arg(&script)
        .arg("--header")
        .arg(&header));
    let undefined = text(&ok(Command::new("nm").arg("-u").arg(&rt)).stdout);
    assert_eq!(undefined.split_whitespace().collect::<Vec<_>>(), ["U", "main"]);
    assert!(std::fs::read_to_string(&header)
        .unwrap()
        .contains("void rt_go(void (*fn)(void *), void *arg);"));
    let exe = d.join("by_hand");
    ok(Command::new("ld")
        .args(["-static", "-nostdlib", "-z", "noexecstack", "-z", "norelro", "-T"])
        .arg(&script)
        .arg("-o")
        .arg(&exe)
        .arg(&rt)
        .arg(hello(d)));
    assert_eq!(output(&mut run(&exe)), (0, "hello, world\n".into(), String::new()));
    let entry = text(&ok(Command::new("readelf").arg("-h").arg(&exe)).stdout);
    let entry = entry.lines().find(|l| l.contains("Entry point address")).unwrap();
    assert!(
        entry.ends_with(&format!("{:#x}", nm_addr(&exe, "_rt0_amd64_linux"))),
        "{entry}"
    );
    assert_eq!(
        nm_addr(&exe, "_rt0_amd64_linux"),
        text(&ok(Command::new("nm").arg("-n").arg(&exe)).stdout)
            .lines()
            .find(|l| l.contains(" T "))
            .map(|l| u64::from_str_radix(&l[..16], 16).unwrap())
            .unwrap(),
        "the entry is the first code"
    );
}

#[test]
fn cflags_point_at_the_header_and_the_level() {
    let flags = cflags(&[]);
    let inc = flags.iter().find_map(|f| f.strip_prefix("-I")).unwrap();
    assert!(Path::new(inc).join("rtlink.h").is_file());
    assert!(flags.iter().any(|f| f == "-ffreestanding"));
    assert!(!flags.iter().any(|f| f.starts_with("-march")));
    assert!(cflags(&["--amd64", "v3"]).iter().any(|f| f == "-march=x86-64-v3"));
}

/// Whether this CPU has what x86-64-v`level` requires, by /proc/cpuinfo's flags.
fn cpu_has_level(level: u8) -> bool {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap();
    let flags = info.lines().find(|l| l.starts_with("flags")).unwrap().to_string();
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    let v2 = ["cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"]
        .iter()
        .all(|f| has(f));
    let v3 = v2
        && ["avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"]
            .iter()
            .all(|f| has(f));
    let v4 = v3
        && ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"]
            .iter()
            .all(|f| has(f));
    [true, v2, v3, v4][level as usize - 1]
}

#[test]
fn the_microarchitecture_check_runs_cpuid_only_when_needed() {
    let dir = tempdir();
    let d = dir.path();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/hello.c");
    for (level, mask, cpuid) in [
        (1u8, "cpu.all=off", "0"),
        (2, "cpu.popcnt=off", "2"),
        (3, "cpu.avx2=off", "3"),
        (4, "cpu.avx512bw=off", "3"),
    ] {
        let lv = format!("v{level}");
        let obj = d.join(format!("hello{level}.o"));
        ok(Command::new("cc")
            .args(cflags(&["--amd64", &lv]))
            .arg("-c")
            .arg(&src)
            .arg("-o")
            .arg(&obj));
        let exe = link(d, &format!("hello{level}"), &[obj], &["--amd64", &lv]);
        let message =
            format!("This program can only be run on AMD64 processors with {lv} microarchitecture support.\n");
        let (code, out, err) = output(run(&exe).env("GODEBUG", "inittrace=1"));
        if cpu_has_level(level) {
            assert_eq!((code, out.as_str()), (0, "hello, world\n"), "{err}");
            let rt0 = err.lines().next().unwrap();
            assert_eq!(field(rt0, "amd64"), Some(lv.as_str()));
            assert_eq!(field(rt0, "cpuid"), Some(cpuid), "{rt0}");
        } else {
            assert_eq!((code, err.as_str()), (1, message.as_str()));
        }
        // Masking a feature the level needs proves the message on any CPU; v1 needs nothing.
        let (code, out, err) = output(run(&exe).env("GODEBUG", mask));
        if level == 1 {
            assert_eq!((code, out.as_str()), (0, "hello, world\n"));
        } else {
            assert_eq!((code, out.as_str(), err.as_str()), (1, "", message.as_str()));
        }
    }
}

/// The embedded files are written once into a content-addressed cache directory, which the
/// linker reads; with no usable cache directory rtlink falls back to a temporary one.
#[test]
fn the_runtime_files_come_from_the_cache_or_a_temporary_directory() {
    let dir = tempdir();
    let d = dir.path();
    let obj = hello(d);
    let cache = d.join("cache");
    let exe = d.join("cached");
    let out = ok(rtlink()
        .env("XDG_CACHE_HOME", &cache)
        .args(["build", "-v"])
        .arg(&obj)
        .arg("-o")
        .arg(&exe));
    let cmd = text(&out.stderr);
    let dirs: Vec<_> = std::fs::read_dir(&cache).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let rt = dirs[0].join("rtlink_runtime.o");
    assert!(cmd.contains(rt.to_str().unwrap()), "{cmd}");
    let embedded = d.join("embedded.o");
    ok(rtlink().arg("runtime").arg("-o").arg(&embedded));
    assert_eq!(std::fs::read(&rt).unwrap(), std::fs::read(&embedded).unwrap());
    assert_eq!(output(&mut run(&exe)).1, "hello, world\n");

    // No HOME and no XDG_CACHE_HOME: a temporary directory, removed afterwards.
    let exe = d.join("uncached");
    let out = ok(rtlink()
        .env_remove("XDG_CACHE_HOME")
        .env_remove("HOME")
        .args(["build", "-v"])
        .arg(&obj)
        .arg("-o")
        .arg(&exe));
    let cmd = text(&out.stderr);
    let tmp_rt = cmd
        .split_whitespace()
        .find(|w| w.ends_with("rtlink_runtime.o"))
        .unwrap();
    assert!(!Path::new(tmp_rt).exists(), "the temporary copy is removed: {tmp_rt}");
    assert_eq!(output(&mut run(&exe)).1, "hello, world\n");
}
