//! The runtime under hostile conditions (issue 7): closed standard fds, garbage and oversized
//! GOMAXPROCS and GODEBUG, a huge environment and argv, a setuid start (AT_SECURE), tiny
//! RLIMIT_STACK and RLIMIT_AS, a reader that goes away (SIGPIPE), and no /proc.
//!
//! Invariants: each test starts fresh processes under one condition and asserts what the
//! program saw (tests/programs/hostile.c and args.c report it) and how it ended; where C has
//! an answer (SIGPIPE), the same source built against the system's libc is the reference.
//! Each program is built once for the whole file. Tests that need root (setuid, mount
//! namespaces) say so when they fail without it. Only `proc_hidden_gives_defaults` waits
//! (1.1 s, one sysmon period).
mod common;

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;

use common::*;

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;

/// tests/programs/hostile.c (see its modes), built once.
fn hostile() -> &'static Path {
    static EXE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    built_once(&EXE, "hostile.c")
}

/// tests/programs/args.c, built once.
fn args() -> &'static Path {
    static EXE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    built_once(&EXE, "args.c")
}

/// Sets resource `res` (soft and hard limit) of `cmd`'s process just before it execs.
fn limit(cmd: &mut Command, res: libc::__rlimit_resource_t, value: u64) -> &mut Command {
    let lim = libc::rlimit {
        rlim_cur: value,
        rlim_max: value,
    };
    // SAFETY: setrlimit is async-signal-safe, so it may run between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setrlimit(res, &lim) == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        })
    }
}

/// Runs `cmd` with `fds` closed in its process just before exec; returns how it ended and its
/// stdout and stderr (empty for a closed one).
fn run_closed(cmd: &mut Command, fds: &'static [i32]) -> (ExitStatus, String, String) {
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    // SAFETY: close is async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            for &fd in fds {
                libc::close(fd);
            }
            Ok(())
        })
    };
    let out = cmd.spawn().unwrap().wait_with_output().unwrap();
    (out.status, text(&out.stdout), text(&out.stderr))
}

fn assert_root() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test needs root (CI runs the tests as root)"
    );
}

/// Proves checkfds: whichever of fds 0, 1 and 2 are closed at exec are open on /dev/null when
/// main runs (so the program's first open() gets fd 3, not a standard fd that later output
/// would go to), writes to them succeed, and the standard fds that were open are untouched
/// (output on them arrives).
#[test]
fn closed_standard_fds_are_dev_null_and_the_rest_untouched() {
    let exe = hostile();
    let dir = tempdir();
    let report = dir.path().join("report");
    for closed in [&[0, 1, 2][..], &[1], &[0, 2]] {
        let (status, out, err) = run_closed(run(exe).arg("fds").arg(&report), closed);
        assert!(status.success(), "closed {closed:?}: {status} {err}");
        let kind = |fd: i32| if closed.contains(&fd) { "null" } else { "fifo" };
        let want = format!("opened=3 fd0={} fd1={} fd2={} out=4 err=4\n", kind(0), kind(1), kind(2));
        assert_eq!(std::fs::read_to_string(&report).unwrap(), want, "closed {closed:?}");
        assert_eq!(out, if closed.contains(&1) { "" } else { "out\n" }, "closed {closed:?}");
        assert_eq!(err, if closed.contains(&2) { "" } else { "err\n" }, "closed {closed:?}");
    }
}

/// Runs `exe` (tests/programs/sigpipe.c) with its stdout a pipe whose reader is closed at
/// once; with `ignore`, SIGPIPE is ignored at exec, as a shell's `trap '' PIPE` leaves it.
fn sigpipe_run(exe: &Path, ignore: bool) -> (ExitStatus, String) {
    let mut cmd = run(exe);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if ignore {
        // SAFETY: signal is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::signal(libc::SIGPIPE, libc::SIG_IGN);
                Ok(())
            })
        };
    }
    let mut child = cmd.spawn().unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (child.wait().unwrap(), err)
}

/// Proves a write to a pipe nobody reads ends an rtlink program exactly as it ends a C
/// program on the system's libc: killed by SIGPIPE (the runtime installs no handler for it),
/// or, when SIGPIPE was ignored at exec, the write fails (EPIPE) and the program carries on.
#[test]
fn a_closed_pipe_kills_with_sigpipe_like_libc() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "sigpipe.c", &[]);
    let reference = dir.path().join("sigpipe.libc");
    ok(Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&reference)
        .arg(program("sigpipe.c")));
    for ignore in [false, true] {
        let (want, want_err) = sigpipe_run(&reference, ignore);
        let (got, got_err) = sigpipe_run(&exe, ignore);
        assert_eq!(
            got.into_raw(),
            want.into_raw(),
            "SIGPIPE ignored: {ignore}: {got} vs libc {want}"
        );
        assert_eq!(got_err, want_err);
        if ignore {
            assert_eq!((got.code(), got_err.as_str()), (Some(3), "write failed\n"));
        } else {
            assert_eq!(got.signal(), Some(libc::SIGPIPE), "{got}");
        }
    }
}

/// Proves AT_SECURE: a setuid-root copy run by nobody (euid 0, uid 65534: the kernel sets
/// AT_SECURE) ignores GODEBUG from the first instruction on: no inittrace line (they show
/// addresses and the AT_RANDOM seed), no cpu option warning; GOMAXPROCS still applies, as in
/// Go. The same binary without the setuid bit, run the same way, does trace, so the test's
/// GODEBUG is one that would show.
#[test]
fn at_secure_ignores_godebug() {
    assert_root();
    let dir = tempdir();
    let (setuid, plain) = (dir.path().join("setuid"), dir.path().join("plain"));
    std::fs::copy(hostile(), &setuid).unwrap();
    std::fs::copy(hostile(), &plain).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&setuid, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let as_nobody = |bin: &Path| {
        output(
            run(Path::new("setpriv"))
                .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(bin)
                .arg("ids")
                .env("GODEBUG", "inittrace=1,cpu.bogus=off")
                .env("GOMAXPROCS", "1"),
        )
    };
    let (code, out, err) = as_nobody(&setuid);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (0, "uid=65534 euid=0 gomaxprocs=1\n", "")
    );
    let (code, out, err) = as_nobody(&plain);
    assert_eq!((code, out.as_str()), (0, "uid=65534 euid=65534 gomaxprocs=1\n"));
    assert!(
        err.starts_with("GODEBUG: unknown cpu feature \"bogus\"\ninit rt0_go "),
        "{err}"
    );
}

/// Runs `exe procs` in a private mount namespace after `setup` (shell commands; `$$` is the
/// process that execs the program) and returns its line.
fn procs_without(exe: &Path, setup: &str) -> String {
    let (code, out, err) = output(
        run(Path::new("unshare"))
            .args(["-m", "sh", "-c"])
            .arg(format!("{setup} && exec \"$0\" procs"))
            .arg(exe),
    );
    assert_eq!(code, 0, "{setup}: {err}");
    out
}

/// Proves the runtime needs no /proc: with an empty tmpfs over /proc (no cgroup file, no
/// mountinfo, no vm.max_map_count), or with /proc but the cgroup hierarchy gone from its mount
/// points and an empty mountinfo, a program that starts goroutines (stack guard budget) and
/// lives through a sysmon GOMAXPROCS recomputation runs cleanly with the defaults: every CPU
/// of its affinity mask, no quota.
#[test]
fn proc_hidden_gives_defaults() {
    assert_root();
    let exe = hostile();
    let want = format!("ncpu={0} gomaxprocs={0} quota=-1\n", ncpu());
    let no_proc = "mount -t tmpfs none /proc && ! test -e /proc/self";
    assert_eq!(procs_without(exe, no_proc), want);
    let no_mountinfo =
        "mount -t tmpfs none /sys/fs/cgroup && mount --bind /dev/null /proc/$$/mountinfo && ! test -s /proc/$$/mountinfo";
    assert_eq!(procs_without(exe, no_mountinfo), want);
}

/// `exe` with the address space limited to `bytes`: (exit code, stdout, stderr).
fn with_as(exe: &Path, bytes: u64) -> (i32, String, String) {
    output(limit(run(exe).arg("malloc"), libc::RLIMIT_AS, bytes))
}

/// Proves an RLIMIT_AS below the runtime's 1 GiB arena reservation ends the program with
/// Go's clear message and exit status 2, from 2 MiB (exec needs less than 1 MiB: the heap's
/// 16 MiB page map is no longer .bss, which made execve itself kill the process with SIGSEGV
/// below 18 MiB) up to 1 GiB; with the arena granted but not the heap's first 64 MiB step,
/// malloc returns NULL with ENOMEM; with 2 GiB all is well.
#[test]
fn rlimit_as_below_the_arena_is_a_clear_fatal_error() {
    let exe = hostile();
    for bytes in [2 * MIB, 16 * MIB, 1024 * MIB] {
        let (code, out, err) = with_as(exe, bytes);
        // The throw's traceback follows: the bootstrap runs on g0, shown as goroutine 0.
        assert!(
            code == 2
                && out.is_empty()
                && err.starts_with(
                    "fatal error: out of memory reserving heap arena\n\ngoroutine 0 [running]:\nruntime_schedinit+"
                ),
            "RLIMIT_AS={bytes}: {code} {out:?} {err}"
        );
    }
    assert_eq!(
        with_as(exe, 1056 * MIB),
        (0, "malloc failed errno=12\n".into(), String::new())
    );
    assert_eq!(with_as(exe, 2048 * MIB), (0, "malloc ok\n".into(), String::new()));
}

/// Proves a tiny RLIMIT_STACK (16 KiB, 64 KiB) or none at all gives main a mapped stack of
/// at least 64 KiB (the OS stack may not grow past the limit) that it can use to 48 KiB deep,
/// and goroutines their usual stacks. (Below about 12 KiB, or when argv and envp fill nearly
/// all of the limit, the process is often killed by SIGSEGV before the runtime has a handler:
/// the OS stack may not grow enough for the first frames. A static glibc C program dies there
/// as often, so these runs clear the environment to keep the initial stack small.)
#[test]
fn tiny_or_unlimited_rlimit_stack_still_gives_main_a_usable_stack() {
    let exe = hostile();
    for (bytes, main) in [
        (16 * KIB, "64 KiB"),
        (64 * KIB, "64 KiB"),
        (libc::RLIM_INFINITY, "1048576 KiB"),
    ] {
        let (code, out, err) = output(limit(
            run(exe).args(["stack", "48"]).env_clear().env("GODEBUG", "inittrace=1"),
            libc::RLIMIT_STACK,
            bytes,
        ));
        assert_eq!((code, out.as_str()), (0, "stack ok\n"), "RLIMIT_STACK={bytes}: {err}");
        let init = err.lines().find(|l| l.starts_with("init stackinit")).unwrap();
        assert!(init.contains(&format!("main stack={main} (RLIMIT_STACK) ")), "{init}");
    }
}

/// Proves GOMAXPROCS is taken as Go takes it (a decimal int32 above 0, leading zeros allowed)
/// and clamped to 1,024 Ps, while anything else (signs, spaces, hex, exponents, overflow)
/// means the default, and that even the clamp costs only a few MiB.
#[test]
fn gomaxprocs_garbage_means_the_default_and_huge_means_1024() {
    let exe = hostile();
    let rss = |cmd: &mut Command| {
        let (code, out, err) = output(cmd.arg("rss"));
        assert_eq!(code, 0, "{err}");
        let kib = out.split_whitespace().rev().nth(1).and_then(|k| k.parse::<u64>().ok());
        (
            field(&out, "gomaxprocs").unwrap().to_string(),
            kib.unwrap_or_else(|| panic!("{out}")),
        )
    };
    let (default, _) = rss(&mut run(exe));
    let garbage = [
        "",
        "0",
        "-1",
        "+4",
        " 4",
        "4 ",
        "0x10",
        "1e3",
        "abc",
        "4\u{1}",
        "2147483648",
        "99999999999999999999",
    ];
    let huge = ["1024", "1025", "100000", "2147483647", "0000000000000100000"];
    for (val, want) in garbage
        .iter()
        .map(|v| (*v, default.as_str()))
        .chain(huge.iter().map(|v| (*v, "1024")))
        .chain([("00003", "3")])
    {
        let (procs, kib) = rss(run(exe).env("GOMAXPROCS", val));
        assert_eq!(procs, want, "GOMAXPROCS={val:?}");
        assert!(kib < 16 << 10, "GOMAXPROCS={val:?}: peak RSS {kib} KiB");
    }
}

/// Proves GODEBUG garbage is ignored item by item (no crash, no effect, no output) both in the
/// bootstrap and in the settings read when goroutines start, and that a GODEBUG as long as
/// execve allows (one string is at most 128 KiB with its name and NUL, so "1 MiB" cannot
/// reach a program) is parsed to its end: an `inittrace=1` after 128 KiB of junk takes effect.
#[test]
fn godebug_garbage_is_ignored_and_the_longest_is_parsed_to_the_end() {
    let exe = hostile();
    for junk in [
        ",,,",
        "=",
        "==,=1,inittrace",
        "inittrace=,inittrace=11,inittrace=1x,Inittrace=1",
        "cpu.avx2,cpu.avx2=maybe",
        "schedtrace=-1,schedtrace=1e3,stacksize=99999999999999999999m,stacksize=-4k,mallocdebug=2",
        "\u{7f}\u{1},\u{ff}=\u{ff}",
    ] {
        let (code, out, err) = output(run(exe).args(["stack", "8"]).env("GODEBUG", junk));
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (0, "stack ok\n", ""),
            "GODEBUG={junk:?}"
        );
    }
    // As in Go, only a cpu option naming no known feature is reported.
    let (code, _, err) = output(
        run(exe)
            .args(["stack", "8"])
            .env("GODEBUG", "cpu.=on,cpu.x,cpu.avx2=off"),
    );
    assert_eq!((code, err.as_str()), (0, "GODEBUG: unknown cpu feature \"\"\n"));
    let tail = ",inittrace=1";
    let len = 128 * KIB as usize - "GODEBUG=".len() - 1;
    let mut longest = "x=y,".repeat(len / 4);
    longest.truncate(len - tail.len());
    longest.push_str(tail);
    let (code, out, err) = output(run(exe).args(["stack", "8"]).env("GODEBUG", &longest));
    assert_eq!((code, out.as_str()), (0, "stack ok\n"), "{err}");
    assert!(err.contains("\ninit runtime_main "), "{err}");
    let too_long = format!("{longest}x");
    let e = run(exe).env("GODEBUG", too_long).status().unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::E2BIG), "the kernel's limit moved: {e}");
}

/// Proves 100,000 environment variables all reach main (count, total length, order-sensitive
/// hash) and that `rt_getenv` finds the last one.
#[test]
fn a_hundred_thousand_environment_variables() {
    let exe = args();
    let vars: BTreeMap<String, String> = (0..100_000)
        .map(|i| (format!("E{i:05}"), i.to_string()))
        .chain([("RTLINK_PROBE".to_string(), "last".to_string())])
        .collect();
    let (code, out, err) = output(run(exe).env_clear().envs(&vars));
    assert_eq!(code, 0, "{err}");
    // With env_clear, Command passes exactly these variables, sorted by name.
    let env: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let argv = [exe.to_str().unwrap().to_string()];
    assert_eq!(out, format!("{}\nRTLINK_PROBE=last\n", args_line(&argv, &env)));
}

/// Proves an argv filling the kernel's limit to within 4 KiB arrives intact: under an 8 MiB
/// RLIMIT_STACK execve takes a quarter of it, 2 MiB, for the strings and pointers of argv and
/// envp; 8 KiB more is refused (E2BIG), so the test is at the limit. Main's stack is the rest
/// of the OS stack, and the program runs normally on it.
#[test]
fn an_argv_at_the_kernel_limit() {
    let exe = args();
    let path = exe.to_str().unwrap().to_string();
    // Each string is at most 128 KiB with its NUL (MAX_ARG_STRLEN).
    let budget = 2 * MIB as usize - 4 * KIB as usize;
    let mut argv = vec![path.clone()];
    let mut used = 2 * (path.len() + 1) + 2 * 8;
    while used + 128 * KIB as usize + 8 < budget {
        argv.push(format!("{}", argv.len() % 10).repeat(128 * KIB as usize - 1));
        used += 128 * KIB as usize + 8;
    }
    argv.push("t".repeat(budget - used - 8 - 1));
    let run_args = |argv: &[String]| {
        let mut cmd = run(exe);
        limit(cmd.args(&argv[1..]).env_clear(), libc::RLIMIT_STACK, 8 * MIB);
        cmd.output()
    };
    let out = run_args(&argv).unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("{}\nRTLINK_PROBE=(unset)\n", args_line(&argv, &[]))
    );
    argv.push("u".repeat(8 * KIB as usize));
    let e = run_args(&argv).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::E2BIG), "{e}");
}
