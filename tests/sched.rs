//! The scheduler across several Ms: goroutines running at the same time on different threads,
//! per-M thread-local storage, parking in wait groups, mutexes, channels and select, and
//! deadlock detection; tests/stress.rs runs the same programs 1,000 times each. Every run has a
//! time limit (`timeout`), so a hang fails the test with the program's output instead of
//! stopping the suite.
mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// Runs `exe` with GOMAXPROCS=`procs` under a time limit; (status, stdout, stderr).
fn run_limited(exe: &Path, procs: &str, args: &[&str], secs: u32) -> (i32, String, String) {
    run_godebug(exe, procs, "", args, secs)
}

/// The same with GODEBUG=`godebug`.
fn run_godebug(exe: &Path, procs: &str, godebug: &str, args: &[&str], secs: u32) -> (i32, String, String) {
    output(
        Command::new("timeout")
            .arg(secs.to_string())
            .arg(exe)
            .args(args)
            .env("GODEBUG", godebug)
            .env("GOMAXPROCS", procs),
    )
}

#[test]
fn goroutines_run_at_the_same_time_on_different_ms_with_their_own_tls() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "parallel.c", &[]);
    // Preemption off: on 2 Ps they can meet only by running at the same time, on two Ms.
    for _ in 0..20 {
        let (code, out, err) = run_godebug(&exe, "2", "asyncpreemptoff=1", &[], 10);
        assert_eq!(
            code, 0,
            "two spinning goroutines must run in parallel on 2 Ps: {out}{err}"
        );
        assert_eq!(out, "together: distinct_tls=1 initial=1234,1234\n");
    }
    // On one P they meet only because sysmon preempts the spinning one (after 10 ms); with
    // preemption off the run only stops at the time limit.
    let (code, out, err) = run_limited(&exe, "1", &[], 10);
    assert_eq!(
        (code, out.as_str()),
        (0, "together: distinct_tls=0 initial=101,1234\n"),
        "{err}"
    );
    let (code, _, _) = run_godebug(&exe, "1", "asyncpreemptoff=1", &[], 1);
    assert_eq!(
        code, 124,
        "without preemption nothing runs the second goroutine on one P"
    );
}

#[test]
fn preemption_takes_turns_and_keeps_every_register() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "preempt.c", &[]);
    for _ in 0..2 {
        let (code, out, err) = run_limited(&exe, "1", &[], 60);
        assert_eq!((code, out.as_str()), (0, "same=1,1 took_turns=1\n"), "{err}");
    }
    // On 2 Ps they run side by side (whether they overlap is up to the OS's scheduler).
    let (code, out, err) = run_limited(&exe, "2", &[], 60);
    assert!(code == 0 && out.starts_with("same=1,1 took_turns="), "{out}{err}");
    let (code, out, err) = run_godebug(&exe, "1", "asyncpreemptoff=1", &[], 60);
    assert_eq!(
        (code, out.as_str()),
        (0, "same=1,1 took_turns=0\n"),
        "without preemption one finishes before the other starts: {err}"
    );
}

#[test]
fn a_parallel_sum_with_mutex_and_wait_group_matches_the_serial_one() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "parsum.c", &[]);
    for (procs, parts) in [("1", "64"), ("2", "64"), ("2", "1"), ("4", "1000"), ("2", "20000")] {
        let (code, out, err) = run_limited(&exe, procs, &[parts], 30);
        assert_eq!(
            (code, out.as_str()),
            (0, format!("parts={parts} done={parts} ok=1\n").as_str()),
            "GOMAXPROCS={procs}: {err}"
        );
    }
}

#[test]
fn channels_and_select_work_on_any_number_of_ps() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "channels.c", &[]);
    for procs in ["1", "2", "4"] {
        let (code, out, err) = run_limited(&exe, procs, &[], 20);
        assert_eq!((code, out.as_str()), (0, CHANNELS_OUTPUT), "GOMAXPROCS={procs}: {err}");
    }
}

#[test]
fn a_goroutine_blocked_in_a_system_call_does_not_stop_the_others() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "blockread.c", &[]);
    for procs in ["1", "1", "1", "2", "4"] {
        let (code, out, err) = run_limited(&exe, procs, &[], 10);
        assert_eq!(
            (code, out.as_str()),
            (
                0,
                "r: got x (n=1) after 3 workers\nw: got w (n=262144) after 3 workers\n\
                 s: got x (n=1) after 3 workers\nmain done\n"
            ),
            "GOMAXPROCS={procs}: {err}"
        );
    }
    // A P handed off by sysmon while its goroutine comes back from the kernel (once hung 2
    // runs in 6).
    for procs in ["1", "1", "1", "2"] {
        let (code, out, err) = run_limited(&exe, procs, &["naps"], 30);
        assert_eq!((code, out.as_str()), (0, "naps done\n"), "GOMAXPROCS={procs}: {err}");
    }
    // A program with no other goroutine reads through rt_read just the same.
    let mut child = Command::new(&exe)
        .arg("stdin")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"line one\nline two\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "line one\nline two\n");
}

#[test]
fn sleeping_goroutines_wake_in_deadline_order_and_select_times_out() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "sleep.c", &[]);
    // 100,000 goroutines alive at once (deadlines 20 us apart) is past what guard pages alone
    // allow (stack.rs: the kernel's mapping limit), so it also proves the unguarded spans.
    for (procs, n) in [("1", 2000), ("2", 2000), ("4", 2000), ("2", 100_000), ("1", 100_000)] {
        let (code, out, err) = run_limited(&exe, procs, &[&n.to_string()], 60);
        assert_eq!(code, 0, "GOMAXPROCS={procs}: {err}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "sleep 30ms: at_least=1 not_too_long=1", "{out}");
        let woke = lines[1];
        assert!(
            woke.starts_with(&format!("sleepers={n} woke={n} early=0 out_of_order=")),
            "{out}"
        );
        // One P fires its heap in deadline order into a FIFO queue, so on a quiet machine the
        // order is exact; but a stall of over 128 ms (more than 256 timers due at once)
        // overflows the local ring into the global queue, and several Ps each keep their own
        // heap, so a late wakeup on one reorders against another by more than the 1 ms the
        // program forgives. Allow 5%.
        let late: u32 = field(woke, "out_of_order").unwrap().parse().unwrap();
        assert!(late <= n / 20, "GOMAXPROCS={procs}: {woke}");
        assert_eq!(
            &lines[2..],
            [
                "timeout case=1 waited_enough=1",
                "value case=0 v=42",
                "slept beside a spinner"
            ],
            "GOMAXPROCS={procs}"
        );
    }
}

#[test]
fn a_user_semaphore_from_park_and_ready_and_goexit() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "park.c", &[]);
    for procs in ["1", "2", "4", "2", "2"] {
        let (code, out, err) = run_limited(&exe, procs, &[], 20);
        assert_eq!(
            (code, out.as_str()),
            (0, "most inside=2 after_goexit=0\n"),
            "GOMAXPROCS={procs}: {err}"
        );
    }
}

#[test]
fn schedtrace_prints_go_style_lines_from_sysmon() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "sleep.c", &[]);
    let (code, _, err) = run_godebug(&exe, "2", "schedtrace=100,scheddetail=1", &["2000"], 30);
    assert_eq!(code, 0, "{err}");
    let sched: Vec<&str> = err.lines().filter(|l| l.starts_with("SCHED ")).collect();
    assert!(
        sched.len() >= 5,
        "one line per 100 ms over a run of over a second:\n{err}"
    );
    let mut last = 0;
    for line in &sched {
        let (ms, rest) = line["SCHED ".len()..].split_once("ms: ").unwrap();
        let ms: u64 = ms.parse().unwrap();
        assert!(ms > last, "{err}");
        last = ms;
        let fields: Vec<&str> = rest.split(' ').collect();
        let keys: Vec<&str> = fields[..6].iter().map(|f| f.split('=').next().unwrap()).collect();
        assert_eq!(
            keys,
            [
                "gomaxprocs",
                "idleprocs",
                "threads",
                "spinningthreads",
                "idlethreads",
                "runqueue"
            ],
            "{line}"
        );
        assert_eq!(fields[0], "gomaxprocs=2", "{line}");
        let threads: u32 = field(line, "threads").unwrap().parse().unwrap();
        assert!(threads >= 2, "m0 and sysmon at least: {line}");
        assert!(rest.ends_with(']') && rest.contains(" ["), "{line}");
    }
    assert!(
        err.contains("\n  P0: status=") && err.contains("\n  P1: status="),
        "{err}"
    );
    assert!(err.contains(" (sysmon)\n"), "{err}");
}

#[test]
fn setmaxprocs_grows_and_shrinks_the_ps_while_running() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "maxprocs.c", &[]);
    for _ in 0..10 {
        let (code, out, err) = run_godebug(&exe, "1", "asyncpreemptoff=1", &[], 20);
        assert_eq!(
            (code, out.as_str()),
            (0, "start=1 was=1 now=2 back=2 sums=1111 procs=1\n"),
            "{err}"
        );
    }
    // Back on one P, without preemption, the spinning pair can never meet.
    let (code, _, _) = run_godebug(&exe, "1", "asyncpreemptoff=1", &["shrunk"], 1);
    assert_eq!(code, 124);
    // A P being retired is still preempted and stolen from (it lies beyond gomaxprocs).
    for _ in 0..3 {
        let (code, out, err) = run_limited(&exe, "1", &["strand"], 20);
        assert_eq!(
            (code, out.as_str()),
            (0, "queued goroutine ran after under 1 s\n"),
            "{err}"
        );
    }
}

/// Starts `exe` pinned to CPU 0, waits for its "ready" line, widens its affinity to CPUs 0-1
/// and returns what it printed and its status.
fn widen_affinity_of(exe: &Path, gomaxprocs: Option<&str>) -> (i32, String) {
    use std::io::{BufRead, BufReader};
    let mut cmd = Command::new("taskset");
    cmd.args(["-c", "0"])
        .arg(exe)
        .env_remove("GODEBUG")
        .env_remove("GOMAXPROCS");
    if let Some(n) = gomaxprocs {
        cmd.env("GOMAXPROCS", n);
    }
    let mut child = cmd.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    ok(Command::new("taskset")
        .args(["-p", "-c", "0,1"])
        .arg(child.id().to_string()));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    let code = child.wait().unwrap().code().unwrap_or(-1);
    (code, first + &rest)
}

#[test]
fn gomaxprocs_follows_the_cpus_unless_it_was_set() {
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        eprintln!("skipped: needs 2 CPUs");
        return;
    }
    let dir = tempdir();
    let exe = build_program(dir.path(), "followcpus.c", &[]);
    let (code, out) = widen_affinity_of(&exe, None);
    assert_eq!((code, out.as_str()), (0, "ready procs=1\nprocs=2\n"));
    // GOMAXPROCS in the environment fixes it, as in Go.
    let (code, out) = widen_affinity_of(&exe, Some("1"));
    assert_eq!((code, out.as_str()), (1, "ready procs=1\n"));
}

#[test]
fn misuse_is_a_fatal_error_like_go() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "deadlock.c", &[]);
    for procs in ["1", "2"] {
        for (what, msg) in [
            ("deadlock", "fatal error: all goroutines are asleep - deadlock!"),
            ("spawned", "fatal error: all goroutines are asleep - deadlock!"),
            ("negative", "fatal error: sync: negative WaitGroup counter"),
            ("unlock", "fatal error: sync: unlock of unlocked mutex"),
            ("recv", "fatal error: all goroutines are asleep - deadlock!"),
            ("select", "fatal error: all goroutines are asleep - deadlock!"),
            ("sendclosed", "fatal error: send on closed channel"),
            ("closeclosed", "fatal error: close of closed channel"),
            ("locked", "fatal error: all goroutines are asleep - deadlock!"),
            ("lockedexits", "fatal error: all goroutines are asleep - deadlock!"),
            ("exitsyscall", "fatal error: rt_exitsyscall without rt_entersyscall"),
            ("runlock", "fatal error: sync: RUnlock of unlocked RWMutex"),
            ("wunlock", "fatal error: sync: Unlock of unlocked RWMutex"),
        ] {
            let (code, out, err) = run_limited(&exe, procs, &[what], 10);
            assert_eq!(
                (code, out.as_str(), fatal_line(&err)),
                (2, "", msg),
                "{what}, GOMAXPROCS={procs}"
            );
        }
    }
}

#[test]
fn a_locked_goroutine_keeps_its_thread_and_takes_it_along_when_it_ends() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "lockthread.c", &[]);
    for procs in ["1", "2", "4", "2"] {
        let (code, out, err) = run_limited(&exe, procs, &[], 30);
        assert_eq!(
            (code, out.as_str()),
            (
                0,
                "locked: moved=0 stolen=0 others=4\n\
                 ended locked: threads gone=30 of 30 (not main's: 30) dirty tls=0\n\
                 100 more goroutines ran\n\
                 main locked to the main thread: moved=0\n"
            ),
            "GOMAXPROCS={procs}: {err}"
        );
    }
}

#[test]
fn a_goroutine_locked_after_ms_went_idle_stays_on_its_thread() {
    // Ms asleep inside the scheduler from before the first lock must not run a locked
    // goroutine (once moved in 4 runs of 9).
    let dir = tempdir();
    let exe = build_program(dir.path(), "lockthread.c", &[]);
    for _ in 0..6 {
        let (code, out, err) = run_limited(&exe, "4", &["late"], 30);
        assert_eq!((code, out.as_str()), (0, "late lock: moved=0\n"), "{err}");
    }
}

#[test]
fn rwmutex_readers_share_writers_exclude_and_once_runs_once() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "rwonce.c", &[]);
    for procs in ["1", "2", "4", "2"] {
        let (code, out, err) = run_limited(&exe, procs, &[], 30);
        assert_eq!(
            (code, out.as_str()),
            (
                0,
                "rwmutex: counters=800 overlaps=0 torn=0 readers_shared=1\n\
                 once: calls=1 value=42 returned_early=0\n"
            ),
            "GOMAXPROCS={procs}: {err}"
        );
    }
}

#[test]
fn hello_starts_no_thread() {
    let dir = tempdir();
    let hello = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/hello.c");
    let obj = compile(dir.path(), &hello, &[]);
    let exe = link(dir.path(), "hello", &[obj], &[]);
    let log = dir.path().join("strace");
    ok(Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=clone,clone3", "-o"])
        .arg(&log)
        .arg(&exe)
        .env("GOMAXPROCS", "4")
        .env("GODEBUG", "schedtrace=10"));
    let trace = std::fs::read_to_string(&log).unwrap();
    assert!(!trace.contains("clone"), "{trace}");
}
