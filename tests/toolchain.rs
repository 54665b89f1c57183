//! `rtlink build` inside a toolchain: the linker of choice (GNU ld, gold, lld), sources
//! compiled on the way in (C, assembly, freestanding C++), `-c`, strip and section options,
//! and make dependency files driving a real make.
mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn hello_src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/hello.c")
}

#[test]
fn every_supported_linker_gives_a_working_reproducible_program() {
    let dir = tempdir();
    let d = dir.path();
    let obj = compile(d, &hello_src(), &[]);
    let ctors = compile(d, &program("ctors.c"), &[]);
    let tls = compile(d, &program("tls.c"), &[]);
    for ld in ["bfd", "gold", "lld", "mold", "internal"] {
        let a = d.join(format!("hello-{ld}"));
        let b = d.join(format!("hello-{ld}-again"));
        for exe in [&a, &b] {
            ok(rtlink().arg("build").arg(&obj).arg("-o").arg(exe).args(["--ld", ld]));
        }
        assert_eq!(
            output(&mut run(&a)),
            (0, "hello, world\n".into(), String::new()),
            "{ld}"
        );
        let (code, out, err) = output(rtlink().args(["inspect", "--check"]).arg(&a));
        assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""), "{ld}");
        assert_eq!(
            std::fs::read(&a).unwrap(),
            std::fs::read(&b).unwrap(),
            "{ld} output is reproducible"
        );
        let comment = text(&ok(Command::new("readelf").args(["-p", ".comment"]).arg(&a)).stdout);
        assert!(
            comment.contains(&format!("rtlink {}", env!("CARGO_PKG_VERSION"))),
            "{ld}: {comment}"
        );
        // The arrays' markers bracket every initialiser whatever the linker (mold has no
        // script), and thread-local images keep their values and alignment.
        let c = d.join(format!("ctors-{ld}"));
        ok(rtlink().arg("build").arg(&ctors).arg("-o").arg(&c).args(["--ld", ld]));
        assert_eq!(
            output(&mut run(&c)),
            (0, "order=P23cM\ndestructor d1\ndestructor d200\n".into(), String::new()),
            "{ld}"
        );
        let t = d.join(format!("tls-{ld}"));
        ok(rtlink().arg("build").arg(&tls).arg("-o").arg(&t).args(["--ld", ld]));
        let (code, out, err) = output(&mut run(&t));
        assert_eq!(code, 0, "{ld}: {err}");
        assert!(out.starts_with("counter=42 small=7 text=initial"), "{ld}: {out}");
    }
    // RTLINK_LD chooses too (a name or a path), and a missing linker says what to do.
    let exe = d.join("via-env");
    let out = ok(rtlink()
        .env("RTLINK_LD", "/usr/bin/ld.lld")
        .args(["build", "-v"])
        .arg(&obj)
        .arg("-o")
        .arg(&exe));
    assert!(
        text(&out.stderr).starts_with("/usr/bin/ld.lld "),
        "{}",
        text(&out.stderr)
    );
    let (code, _, err) = output(
        rtlink()
            .args(["build", "--ld", "no-such-ld"])
            .arg(&obj)
            .arg("-o")
            .arg(d.join("n")),
    );
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "rtlink: linker 'no-such-ld' not found (install binutils, or choose another with --ld)\n"
    );
}

#[test]
fn sources_are_compiled_on_the_way_in() {
    let dir = tempdir();
    let d = dir.path();
    let c = write(
        d,
        "main.c",
        "#include <rtlink.h>\nint twice(int);\nint main(void) { rt_printf(\"%d\\n\", twice(21)); return 0; }\n",
    );
    let s = write(
        d,
        "twice.S",
        ".text\n.globl twice\ntwice:\n lea (%rdi,%rdi), %eax\n ret\n.section .note.GNU-stack,\"\",@progbits\n",
    );
    let cc = write(
        d,
        "greet.cc",
        "#include <rtlink.h>\nstruct G { G() { rt_print(\"c++ constructor\\n\"); } } g;\nextern \"C\" int greeted() { return 1; }\n",
    );
    let exe = d.join("app");
    let out = ok(rtlink()
        .args(["build", "-v"])
        .arg(&c)
        .arg(&s)
        .arg(&cc)
        .arg("-o")
        .arg(&exe));
    let log = text(&out.stderr);
    assert_eq!(log.lines().filter(|l| l.starts_with("cc ")).count(), 2, "{log}");
    assert!(
        log.lines()
            .any(|l| l.starts_with("c++ ") && l.contains("-fno-exceptions")),
        "{log}"
    );
    assert_eq!(output(&mut run(&exe)).1, "c++ constructor\n42\n");

    // -c writes NAME.o in the current directory, like cc.
    ok(rtlink().current_dir(d).args(["build", "-c", "main.c", "twice.S"]));
    assert!(d.join("main.o").is_file() && d.join("twice.o").is_file());

    // A compile error: the compiler's message, then rtlink's, exit 1, the old output intact.
    let bad = write(d, "bad.c", "int main(void) { return undeclared; }\n");
    let before = std::fs::read(&exe).unwrap();
    let (code, _, err) = output(rtlink().arg("build").arg(&bad).arg("-o").arg(&exe));
    assert_eq!(code, 1);
    assert!(err.contains("error:") && err.contains("undeclared"), "{err}");
    assert!(
        err.ends_with(&format!(
            "rtlink: {}: compilation failed (cc exited with exit status: 1)\n",
            bad.display()
        )),
        "{err}"
    );
    assert_eq!(std::fs::read(&exe).unwrap(), before);
}

#[test]
fn strip_and_section_options_reach_the_linker() {
    let dir = tempdir();
    let d = dir.path();
    let obj = compile(d, &hello_src(), &["-g"]);
    let sections = |exe: &Path| text(&ok(Command::new("readelf").arg("-SW").arg(exe)).stdout);
    for ld in ["bfd", "internal"] {
        let link_with = |name: &str, opt: &[&str]| {
            let args: Vec<&str> = ["--ld", ld].iter().chain(opt).copied().collect();
            link(d, &format!("{name}-{ld}"), std::slice::from_ref(&obj), &args)
        };
        let plain = link_with("plain", &[]);
        let stripped = link_with("stripped", &["-s"]);
        let nodebug = link_with("nodebug", &["-S"]);
        let nogc = link_with("nogc", &["--no-gc-sections"]);
        assert!(
            sections(&plain).contains(".symtab") && sections(&plain).contains(".debug_info"),
            "{ld}"
        );
        assert!(!sections(&stripped).contains(".symtab"), "{ld}");
        assert!(
            sections(&nodebug).contains(".symtab") && !sections(&nodebug).contains(".debug_info"),
            "{ld}"
        );
        let text_size = |exe: &Path| {
            let s = sections(exe);
            let line = s.lines().find(|l| l.contains(" .text ")).unwrap().to_string();
            u64::from_str_radix(line.split_whitespace().nth(5).unwrap(), 16).unwrap()
        };
        assert!(
            text_size(&nogc) > text_size(&plain),
            "{ld}: unreferenced runtime code is kept without gc"
        );
        for exe in [&stripped, &nodebug, &nogc] {
            assert_eq!(output(&mut run(exe)).1, "hello, world\n", "{ld}");
        }
    }
}

#[test]
fn dependency_files_drive_make() {
    let dir = tempdir();
    let d = dir.path();
    std::fs::copy(hello_src(), d.join("hello.c")).unwrap();
    let makefile = format!("app: hello.c\n\t{} build -MD hello.c -o app\n-include app.d\n", RTLINK);
    write(d, "Makefile", &makefile);
    let make = || text(&ok(Command::new("make").arg("-C").arg(d)).stdout);
    let first = make();
    assert!(first.contains("build -MD hello.c -o app"), "{first}");
    let dep = std::fs::read_to_string(d.join("app.d")).unwrap();
    assert!(dep.starts_with("app: \\\n  hello.c \\\n  "), "{dep}");
    assert!(dep.contains(RTLINK), "the rtlink binary is a prerequisite: {dep}");
    assert!(make().contains("is up to date"), "a second make does nothing");
    // Touching an input relinks.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let src = std::fs::read(d.join("hello.c")).unwrap();
    std::fs::write(d.join("hello.c"), src).unwrap();
    assert!(make().contains("build -MD hello.c -o app"));
    // -MF FILE names the file.
    ok(rtlink()
        .current_dir(d)
        .args(["build", "hello.c", "-o", "app2", "-MF", "deps/app2.dep"]));
    assert!(std::fs::read_to_string(d.join("deps/app2.dep"))
        .unwrap()
        .starts_with("app2: \\\n"));
}

/// Undefined and duplicate symbols are found before the linker runs and reported in lld's
/// layout, with the source line when the object has DWARF.
#[test]
fn symbol_errors_in_lld_layout() {
    let dir = tempdir();
    let d = dir.path();
    let obj = compile_str(
        d,
        "worker",
        "#include <rtlink.h>\nvoid rt_chan_sendd(int);\nstatic void produce(void) { rt_chan_sendd(1); }\nint main(void) { produce(); rt_prnt(\"x\"); return 0; }\n",
        &["-g", "-O0", "-Wno-implicit-function-declaration"],
    );
    let (code, _, err) = output(rtlink().arg("build").arg(&obj).arg("-o").arg(d.join("w")));
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "rtlink: error: undefined symbol: rt_chan_sendd\n>>> referenced by worker.c:3\n>>>               worker.o:(produce)\n\
         >>> did you mean: rt_chan_send\n\
         rtlink: error: undefined symbol: rt_prnt\n>>> referenced by worker.c:4\n>>>               worker.o:(main)\n>>> did you mean: rt_print\n"
    );

    let a = write(
        d,
        "a.c",
        "int helper(void) { return 1; }\nint main(void) { return 0; }\n",
    );
    let b = write(d, "b.c", "int helper(void) { return 2; }\nint memcpy;\n");
    let (code, _, err) = output(rtlink().arg("build").arg(&a).arg(&b).arg("-o").arg(d.join("ab")));
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!(
            "rtlink: error: duplicate symbol: helper\n>>> defined in {}\n>>> defined in {}\n",
            a.display(),
            b.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "rtlink: error: {} defines memcpy, which the rtlink runtime also defines",
            b.display()
        )),
        "{err}"
    );

    // Weak references may stay undefined; many errors are capped.
    let weak = write(
        d,
        "weak.c",
        "extern int maybe(void) __attribute__((weak));\nint main(void) { return maybe ? maybe() : 0; }\n",
    );
    ok(rtlink().arg("build").arg(&weak).arg("-o").arg(d.join("weak")));
    let many: String = (0..15).map(|i| format!("int f{i}(void);\n")).collect::<String>()
        + "int main(void) { return 0"
        + &(0..15).map(|i| format!(" + f{i}()")).collect::<String>()
        + "; }\n";
    let many = write(d, "many.c", &many);
    let (_, _, err) = output(rtlink().arg("build").arg(&many).arg("-o").arg(d.join("many")));
    assert_eq!(err.matches("error: undefined symbol").count(), 10, "{err}");
    assert!(
        err.ends_with("rtlink: error: too many errors emitted, stopping now (5 more)\n"),
        "{err}"
    );
}

/// The link line as ld reads it: -L/-l (static archives), --whole-archive, -u, -Wl, and
/// --ld-arg pass-through, response files with GNU quoting, and `--`.
#[test]
fn gnu_style_link_lines() {
    let dir = tempdir();
    let d = dir.path();
    let libdir = d.join("lib dir");
    std::fs::create_dir(&libdir).unwrap();
    // A member nothing references: its constructor runs only if the member is linked.
    let ctor = compile_str(
        d,
        "ctor",
        "#include <rtlink.h>\n__attribute__((constructor)) static void hi(void) { rt_print(\"ctor\\n\"); }\nint pulled;\n",
        &[],
    );
    ok(Command::new("ar").arg("rcs").arg(libdir.join("libextra.a")).arg(&ctor));
    let main = compile(d, &hello_src(), &[]);
    let run_out = |exe: &Path| output(&mut run(exe)).1;

    let plain = d.join("plain");
    ok(rtlink()
        .arg("build")
        .arg(&main)
        .arg("-L")
        .arg(&libdir)
        .arg("-lextra")
        .arg("-o")
        .arg(&plain));
    assert_eq!(run_out(&plain), "hello, world\n", "an unreferenced member stays out");
    let whole = d.join("whole");
    ok(rtlink()
        .arg("build")
        .arg(&main)
        .arg(format!("-L{}", libdir.display()))
        .args(["--whole-archive", "-lextra", "--no-whole-archive", "-o"])
        .arg(&whole));
    assert_eq!(run_out(&whole), "ctor\nhello, world\n");
    let pulled = d.join("pulled");
    ok(rtlink()
        .arg("build")
        .arg(&main)
        .args(["-u", "pulled", "-L"])
        .arg(&libdir)
        .args(["-lextra", "-o"])
        .arg(&pulled));
    assert_eq!(run_out(&pulled), "ctor\nhello, world\n", "-u pulls the member in");

    // A library that is not there.
    let (code, _, err) = output(rtlink().arg("build").arg(&main).args(["-lnope", "-o"]).arg(d.join("x")));
    assert_eq!(code, 1);
    assert_eq!(err, "rtlink: cannot find -lnope: no libnope.a in any -L directory (none given) (add the directory with -L DIR; only static archives link)\n");

    // Response files: quoting, nesting, pass-through to the linker; a missing one is named.
    let map = d.join("out.map");
    std::fs::write(d.join("inner.rsp"), format!("-Wl,-Map,'{}'\n", map.display())).unwrap();
    std::fs::write(
        d.join("outer.rsp"),
        format!(
            "\"{}\" -o '{}' @{}\n",
            main.display(),
            d.join("rsp").display(),
            d.join("inner.rsp").display()
        ),
    )
    .unwrap();
    ok(rtlink().arg("build").arg(format!("@{}", d.join("outer.rsp").display())));
    assert_eq!(run_out(&d.join("rsp")), "hello, world\n");
    assert!(
        std::fs::read_to_string(&map).unwrap().contains("rtlink_runtime.o"),
        "-Wl,-Map reached the linker"
    );
    let (code, _, err) = output(
        rtlink()
            .arg("build")
            .arg(format!("@{}", d.join("missing.rsp").display())),
    );
    assert_eq!(code, 1);
    assert!(
        err.starts_with(&format!(
            "rtlink: cannot read response file @{}",
            d.join("missing.rsp").display()
        )),
        "{err}"
    );

    // `--` ends the options: a file whose name starts with a dash.
    std::fs::copy(&main, d.join("-dash.o")).unwrap();
    ok(rtlink().current_dir(d).args(["build", "-o", "dashed", "--", "-dash.o"]));
    assert_eq!(run_out(&d.join("dashed")), "hello, world\n");
}

/// The output's identity: a build ID from the contents (stable for equal inputs), rtlink's
/// name in .comment, a map on request; and the pieces exported for hand-made links.
#[test]
fn identity_map_and_exported_pieces() {
    let dir = tempdir();
    let d = dir.path();
    let obj = compile(d, &hello_src(), &[]);
    let notes = |exe: &Path| text(&ok(Command::new("readelf").arg("-n").arg(exe)).stdout);
    let id = |exe: &Path| {
        notes(exe)
            .lines()
            .find_map(|l| l.trim().strip_prefix("Build ID: ").map(String::from))
    };
    let map = d.join("a.map");
    let a = link(d, "a", std::slice::from_ref(&obj), &["-Map", map.to_str().unwrap()]);
    let b = link(d, "b", std::slice::from_ref(&obj), &[]);
    assert_eq!(id(&a).map(|i| i.len()), Some(40), "sha1 by default");
    assert_eq!(id(&a), id(&b), "equal inputs, equal IDs");
    assert_eq!(
        id(&link(d, "c", std::slice::from_ref(&obj), &["--build-id=none"])),
        None
    );
    let comment = text(&ok(Command::new("readelf").args(["-p", ".comment"]).arg(&a)).stdout);
    assert!(
        comment.contains(&format!("rtlink {}", env!("CARGO_PKG_VERSION"))),
        "{comment}"
    );
    assert!(std::fs::read_to_string(Path::new("a.map"))
        .or_else(|_| std::fs::read_to_string(d.join("a.map")))
        .is_ok());

    let version = text(&ok(rtlink().arg("version")).stdout);
    assert!(
        version.starts_with(&format!("rtlink {} (runtime ", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let script = d.join("rt.ld");
    ok(rtlink().arg("linker-script").arg("-o").arg(&script));
    assert_eq!(
        std::fs::read_to_string(&script).unwrap(),
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("linker-scripts/rtlink_amd64_linux.ld"))
            .unwrap()
    );
    // Linking by hand with gcc, from the exported pieces, gives a program that boots the same way.
    let rt = d.join("rt.o");
    ok(rtlink().arg("runtime").arg("-o").arg(&rt));
    let by_hand = d.join("by-hand");
    ok(Command::new("gcc")
        .args(["-nostdlib", "-static", "-Wl,-z,noexecstack,-z,norelro", "-T"])
        .arg(&script)
        .arg(&rt)
        .arg(&obj)
        .arg("-o")
        .arg(&by_hand));
    // mold by hand, as the README spells it: no script, the entry and base on the line.
    let by_mold = d.join("by-mold");
    ok(Command::new("mold")
        .args([
            "-static",
            "-z",
            "noexecstack",
            "-z",
            "norelro",
            "-e",
            "_rt0_amd64_linux",
        ])
        .arg("--image-base=0x400000")
        .arg(&rt)
        .arg(&obj)
        .arg("-o")
        .arg(&by_mold));
    for exe in [&by_hand, &by_mold] {
        assert_eq!(output(&mut run(exe)).1, "hello, world\n");
        let (code, _, _) = output(rtlink().args(["inspect", "--check"]).arg(exe));
        assert_eq!(code, 0);
    }
    for shell in ["bash", "zsh", "fish"] {
        let script = text(&ok(rtlink().args(["completions", shell])).stdout);
        assert!(script.contains("rtlink") && script.contains("inspect"), "{shell}");
    }
}

/// --save-temps keeps what a failing link needs to be repeated by hand; --color paints
/// `error:` (never by default in a pipe, or with NO_COLOR).
#[test]
fn save_temps_and_color() {
    let dir = tempdir();
    let d = dir.path();
    let obj = compile(d, &hello_src(), &[]);
    let temps = d.join("temps");
    let exe = d.join("app");
    ok(rtlink()
        .arg("build")
        .arg(&obj)
        .arg("-o")
        .arg(&exe)
        .arg("--save-temps")
        .arg(&temps));
    for f in ["rtlink_runtime.o", "rtlink_amd64_linux.ld", "link.rsp"] {
        assert!(temps.join(f).is_file(), "{f}");
    }
    let again = d.join("again");
    std::fs::rename(&exe, &again).unwrap();
    ok(Command::new("ld").arg(format!("@{}", temps.join("link.rsp").display())));
    assert_eq!(
        std::fs::read(&exe).unwrap(),
        std::fs::read(&again).unwrap(),
        "ld @link.rsp repeats the link"
    );

    let bad = compile_str(d, "bad", "int nope(void);\nint main(void) { return nope(); }\n", &[]);
    let err = |extra: &[&str], no_color: bool| {
        let mut cmd = rtlink();
        cmd.args(extra).arg("build").arg(&bad).arg("-o").arg(d.join("x"));
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        output(&mut cmd).2
    };
    assert!(err(&["--color", "always"], false).starts_with("rtlink: \x1b[1;31merror:\x1b[0m undefined symbol: nope"));
    assert!(err(&["--color=never"], false).starts_with("rtlink: error: undefined symbol: nope"));
    assert!(
        err(&[], true).starts_with("rtlink: error: undefined symbol: nope"),
        "not a terminal: no colour"
    );
}

/// `make install` (the repository's Makefile) installs the binary, a man page per command and
/// the shell completions under DESTDIR/PREFIX; `make uninstall` takes them away again.
#[test]
fn make_install_puts_binary_man_pages_and_completions_in_place() {
    let dir = tempdir();
    let stage = dir.path();
    let make = |target: &str| {
        ok(Command::new("make")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["-s", target, "PREFIX=/usr", "PROFILE=dev"])
            .arg(format!("DESTDIR={}", stage.display())))
    };
    make("install");
    let usr = stage.join("usr");
    let installed = text(&ok(Command::new(usr.join("bin/rtlink")).arg("version")).stdout);
    assert!(installed.starts_with("rtlink "), "{installed}");
    for page in [
        "rtlink",
        "rtlink-build",
        "rtlink-inspect",
        "rtlink-runtime",
        "rtlink-man",
    ] {
        let man = std::fs::read_to_string(usr.join(format!("share/man/man1/{page}.1"))).unwrap();
        assert!(
            man.contains(&format!(".TH {page} 1")),
            "{page}: {}",
            &man[..200.min(man.len())]
        );
    }
    let build = std::fs::read_to_string(usr.join("share/man/man1/rtlink-build.1")).unwrap();
    assert!(
        build.contains("\\-\\-save\\-temps") && build.contains("mold"),
        "{build}"
    );
    for (file, marker) in [
        ("share/bash-completion/completions/rtlink", "complete -F"),
        ("share/zsh/site-functions/_rtlink", "#compdef rtlink"),
        ("share/fish/vendor_completions.d/rtlink.fish", "complete -c rtlink"),
    ] {
        let script = std::fs::read_to_string(usr.join(file)).unwrap();
        assert!(script.contains(marker), "{file}");
    }
    make("uninstall");
    let left: Vec<_> = walk(stage);
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Every regular file under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        if e.file_type().unwrap().is_dir() {
            files.extend(walk(&e.path()));
        } else {
            files.push(e.path());
        }
    }
    files
}

/// The same command in two checkouts at different paths gives byte-identical programs with
/// every linker: no timestamps, and no path of rtlink's temporary files in the output (the
/// sources are compiled with debug info, their own directory mapped away as a reproducible
/// build does).
#[test]
fn the_same_build_in_another_directory_gives_the_same_bytes() {
    let dir = tempdir();
    for ld in ["bfd", "gold", "lld", "mold"] {
        let programs: Vec<Vec<u8>> = ["one", "second/checkout"]
            .iter()
            .map(|sub| {
                let d = dir.path().join(sub).join(ld);
                std::fs::create_dir_all(&d).unwrap();
                std::fs::copy(hello_src(), d.join("hello.c")).unwrap();
                ok(rtlink()
                    .current_dir(&d)
                    .env("CFLAGS", format!("-g -ffile-prefix-map={}=.", d.display()))
                    .args(["build", "hello.c", "-o", "app", "--ld", ld]));
                assert_eq!(output(&mut run(&d.join("app"))).1, "hello, world\n");
                std::fs::read(d.join("app")).unwrap()
            })
            .collect();
        assert!(programs[0] == programs[1], "{ld}: the two builds differ");
        let bytes = &programs[0];
        assert!(
            !bytes.windows(10).any(|w| w == b"rtlink-cc-") && !bytes.windows(5).any(|w| w == b"/tmp/"),
            "{ld}: a temporary path is in the program"
        );
    }
}
