//! The samples build with their Makefile, as a user's project would, and run.
mod common;

use std::process::Command;

use common::*;

#[test]
fn samples_makefile_builds_and_every_sample_runs() {
    let dir = tempdir();
    let out = dir.path().join("out");
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let make = || {
        let o = ok(Command::new("make")
            .arg("-C")
            .arg(&samples)
            .arg(format!("RTLINK={RTLINK}"))
            .arg(format!("OUT={}", out.display())));
        text(&o.stdout)
    };
    let first = make();
    assert!(first.contains("build -MD"), "{first}");
    // A second make has nothing to do; the depfiles name what each link read.
    let second = make();
    assert!(!second.contains(" build -MD") && !second.contains(" -c "), "{second}");
    let dep = std::fs::read_to_string(out.join("hello.d")).unwrap();
    assert!(dep.contains("hello.o") && dep.contains(RTLINK), "{dep}");
    let expect: [(&str, &[&str], i32, &str); 6] = [
        ("hello", &[], 0, "hello, world\n"),
        ("args", &["a", "b"], 2, "argv[1] = a\nargv[2] = b\n"),
        (
            "tls_ctors",
            &[],
            0,
            "counter=42 tag=tls zeroed=0\nconstructors ran in order: 101 202 65535\ndestructor: bye\n",
        ),
        (
            "goroutines",
            &[],
            0,
            "4 workers summed 1..10000000 = 50000005000000 on ",
        ),
        ("hello_asm", &[], 0, "hello from assembly\n"),
        ("rust_nostd", &[], 0, "hello from no_std Rust on goroutine 1\n"),
    ];
    for (name, args, code, want) in expect {
        let (got, stdout, stderr) = output(run(&out.join(name)).args(args));
        assert_eq!(got, code, "{name}: {stderr}");
        assert!(stdout.contains(want), "{name} printed:\n{stdout}");
    }
    for procs in ["1", "2", "3"] {
        let (code, stdout, _) = output(run(&out.join("goroutines")).env("GOMAXPROCS", procs));
        assert_eq!(code, 0);
        assert!(
            stdout.ends_with(&format!(" = 50000005000000 on {procs} Ps; main is goroutine 1\n")),
            "{stdout}"
        );
    }
}
