//! Real C programs linked by rtlink: what main receives, exit statuses, TLS, initialisation
//! order, the stack protector, stack alignment, goroutines, fatal signals and stack overflow.
mod common;

use std::process::Command;

use common::*;

#[test]
fn argv_and_envp_arrive_intact_even_when_many_and_long() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "args.c", &[]);
    let long = "x".repeat(100_000);
    let mut args: Vec<String> = (0..2000).map(|i| format!("arg-{i}-{}", "y".repeat(i % 50))).collect();
    args.push(long.clone());
    args.push(String::new());
    args.push("spaces and\ttabs".into());
    let mut cmd = run(&exe);
    cmd.args(&args).env_clear().env("RTLINK_PROBE", &long[..5000]);
    for i in 0..300 {
        cmd.env(format!("V{i}"), "v".repeat(i));
    }
    let (code, out, _) = output(&mut cmd);
    assert_eq!(code, 0);

    let argv: Vec<String> = std::iter::once(exe.to_str().unwrap().to_string()).chain(args).collect();
    // With env_clear, Command passes exactly the variables set, sorted by name.
    let mut env: Vec<String> = (0..300).map(|i| format!("V{i}={}", "v".repeat(i))).collect();
    env.push(format!("RTLINK_PROBE={}", &long[..5000]));
    env.sort_by(|a, b| a.split('=').next().cmp(&b.split('=').next()));
    assert_eq!(out.lines().next().unwrap(), args_line(&argv, &env));
    assert_eq!(out.lines().nth(1).unwrap(), format!("RTLINK_PROBE={}", &long[..5000]));
}

#[test]
fn exit_status_is_mains_return_value() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "args.c", &[]);
    for code in [0, 1, 2, 42, 127, 128, 200, 255, 256, 300] {
        let (got, _, _) = output(run(&exe).arg(format!("exit={code}")));
        assert_eq!(got, code % 256, "main returned {code}");
    }
}

#[test]
fn thread_locals_hold_their_initial_values() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "tls.c", &[]);
    let (code, out, err) = output(run(&exe).env("GOMAXPROCS", "1"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "counter=42 small=7 text=initial ratio_x2=5 zero=0 big99=5 big_aligned=1\ngoroutine sees counter=42\n"
    );
    let segs = text(&ok(Command::new("readelf").args(["-lW"]).arg(&exe)).stdout);
    let tls = segs
        .lines()
        .find(|l| l.trim_start().starts_with("TLS"))
        .expect("PT_TLS segment");
    assert!(tls.trim_end().ends_with("0x40"), "TLS alignment should be 64: {tls}");
}

#[test]
fn preinit_then_constructors_by_priority_then_main_then_destructors() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "ctors.c", &[]);
    let (code, out, _) = output(&mut run(&exe));
    assert_eq!(code, 0);
    assert_eq!(out, "order=P23cM\ndestructor d1\ndestructor d200\n");
    let (code, out, _) = output(run(&exe).arg("via-rt_exit"));
    assert_eq!(code, 7);
    assert_eq!(out, "order=P23cM\ndestructor d1\ndestructor d200\n");
}

#[test]
fn stack_protector_catches_a_smashed_frame() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "ssp.c", &["-O0", "-fstack-protector-all"]);
    let dis = text(&ok(Command::new("objdump").arg("-d").arg(&exe)).stdout);
    assert!(dis.contains("%fs:0x28"), "the program reads the canary from the TCB");
    let (code, out, err) = output(&mut run(&exe));
    assert_eq!((code, out.as_str(), err.as_str()), (0, "fits\n", ""));
    let (code, _, err) = output(run(&exe).arg("A".repeat(64)));
    assert_eq!(code, 2);
    assert_eq!(fatal_line(&err), "fatal error: stack smashing detected");
}

#[test]
fn sse_spills_need_and_get_aligned_stacks() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "sse.c", &["-O0"]);
    let dis = text(&ok(Command::new("objdump").arg("-d").arg(&exe)).stdout);
    assert!(
        dis.contains("movaps"),
        "the test needs aligned SSE stores to mean anything"
    );
    let (code, out, err) = output(&mut run(&exe));
    assert_eq!((code, out.as_str()), (0, "main=70 goroutine=30\n"), "{err}");
}

#[test]
fn goroutines_on_one_p_are_scheduled_in_go_order_and_recycled() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "goroutines.c", &[]);
    let (code, out, err) = output(run(&exe).env("GOMAXPROCS", "1"));
    assert_eq!(code, 0, "{err}");
    // The newest goroutine sits in runnext; rt_gosched requeues behind the others.
    assert_eq!(out.lines().next(), Some("order=cabcab"));
    assert_eq!(
        out.lines().nth(1),
        Some("total=1000 finished=1000 depth=300 main_goid=1")
    );
}

/// `fatal error: stack overflow in goroutine N (stack [lo, hi))`: the goroutine and the size
/// of its stack.
fn overflow_report(err: &str) -> (u64, u64) {
    let rest = fatal_line(err)
        .strip_prefix("fatal error: stack overflow in goroutine ")
        .and_then(|r| r.strip_suffix("))"))
        .unwrap_or_else(|| panic!("not a stack overflow report: {err:?}"));
    let (id, range) = rest.split_once(" (stack [").unwrap();
    let (lo, hi) = range.split_once(", ").unwrap();
    let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
    (id.parse().unwrap(), hex(hi) - hex(lo))
}

#[test]
fn running_off_a_stack_is_reported_as_a_stack_overflow() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "overflow.c", &[]);
    for procs in ["1", "2"] {
        let (code, out, err) = output(run(&exe).arg("goroutine").env("GOMAXPROCS", procs));
        assert_eq!((code, out.as_str()), (2, ""), "{err}");
        assert_eq!(overflow_report(&err), (2, 256 << 10), "{err}");
    }
    // GODEBUG=stacksize= sets rt_go's stacks; rt_go_stack sets one (rounded up to pages).
    let (code, _, err) = output(run(&exe).arg("goroutine").env("GODEBUG", "stacksize=64k"));
    assert_eq!((code, overflow_report(&err)), (2, (2, 64 << 10)), "{err}");
    let (code, _, err) = output(run(&exe).arg("sized"));
    assert_eq!((code, overflow_report(&err)), (2, (2, 25 << 12)), "{err}");
    // 1 MiB stacks hold what 256 KiB ones cannot, and Gs and stacks are reused across sizes.
    for procs in ["1", "2"] {
        let (code, out, err) = output(run(&exe).arg("sizes").env("GOMAXPROCS", procs));
        assert_eq!((code, out.as_str()), (0, "reached=1000\n"), "{err}");
    }
    // main's goroutine, on the OS stack under RLIMIT_STACK (8 MiB here, less what the kernel
    // and g0 use above it).
    let (code, _, err) = output(
        Command::new("prlimit")
            .args(["--stack=8388608", "--"])
            .arg(&exe)
            .arg("main"),
    );
    assert_eq!(code, 2, "{err}");
    let (id, size) = overflow_report(&err);
    assert!(id == 1 && size > (7 << 20) && size <= 8 << 20, "{err}");
}

#[test]
fn assembly_and_no_std_rust_objects_link_too() {
    let dir = tempdir();
    let asm = compile(
        dir.path(),
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/hello_asm.S"),
        &[],
    );
    let exe = link(dir.path(), "hello_asm", &[asm], &[]);
    assert_eq!(
        output(&mut run(&exe)),
        (0, "hello from assembly\n".into(), String::new())
    );

    let obj = dir.path().join("rust_nostd.o");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    ok(Command::new(rustc)
        .args([
            "--edition",
            "2021",
            "--crate-type",
            "lib",
            "--emit",
            "obj",
            "-C",
            "panic=abort",
            "-C",
            "opt-level=2",
        ])
        .args(["-C", "relocation-model=static"])
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/rust_nostd.rs"))
        .arg("-o")
        .arg(&obj));
    let exe = link(dir.path(), "rust_nostd", &[obj], &[]);
    assert_eq!(
        output(&mut run(&exe)),
        (0, "hello from no_std Rust on goroutine 1\n".into(), String::new())
    );
}
