//! The stress harness: a program run many times, several runs at once, each under a watchdog
//! that turns a hang into a failure carrying the scheduler's state as sysmon printed it.
//!
//! Invariants:
//! - Every run has `GOMAXPROCS=2` and `GODEBUG=schedtrace=TRACE_MS,scheddetail=1`: sysmon
//!   prints a SCHED line (and one per P and per M) only once a run has lasted `TRACE_MS`, so a
//!   normal run prints none, and a run that hangs has printed about limit / `TRACE_MS` of them
//!   by the time its watchdog kills it.
//! - `watch` never waits past its limit: then it kills the process (SIGKILL), reaps it and
//!   returns what it had printed as `Outcome::Hung`.
//! - A run passes only with exit status 0, the stdout its batch expects, and a stderr of trace
//!   lines and exactly one together.h line (tests/programs/together.h) that says
//!   `procs=2`; a batch stops at its first failing run and reports that run whole.
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// The schedtrace period: longer than a normal run, well within the watchdog's limit.
pub const TRACE_MS: u32 = 1000;

/// How a watched run ended.
#[derive(Debug)]
pub enum Outcome {
    /// Exit status (-1 if killed by a signal), stdout, stderr.
    Exited(i32, String, String),
    /// Still running at the limit, so killed: stdout and stderr up to then.
    Hung(String, String),
}

/// Runs `cmd` (stdin empty, stdout and stderr captured) for at most `limit`.
pub fn watch(cmd: &mut Command, limit: Duration) -> Outcome {
    let deadline = Instant::now() + limit;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let (eof, closed) = mpsc::channel();
    let stdout = drain(child.stdout.take().unwrap(), eof.clone());
    let stderr = drain(child.stderr.take().unwrap(), eof);
    // Both pipes close when the process exits; then it is reaped within moments.
    let mut running = !(0..2).all(|_| {
        closed
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
    });
    while !running && child.try_wait().unwrap().is_none() {
        running = Instant::now() >= deadline;
        std::thread::sleep(Duration::from_millis(1));
    }
    if running {
        child.kill().unwrap();
    }
    let status = child.wait().unwrap();
    let (out, err) = (stdout.join().unwrap(), stderr.join().unwrap());
    if running {
        Outcome::Hung(out, err)
    } else {
        Outcome::Exited(status.code().unwrap_or(-1), out, err)
    }
}

/// Reads `pipe` to its end on a thread of its own, then says so on `eof`.
fn drain(mut pipe: impl Read + Send + 'static, eof: mpsc::Sender<()>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        // An error ends the output like EOF: whatever came is what the run printed.
        let _ = pipe.read_to_end(&mut bytes);
        let _ = eof.send(());
        super::text(&bytes)
    })
}

/// What a passing batch saw: runs; runs in which goroutines ran on two or more threads
/// (`ms` >= 2) and at the same time on two (`together=1`), per together.h; and runs that
/// lasted long enough to print SCHED lines (0 unless the machine is very busy).
#[derive(Debug)]
pub struct Tally {
    pub runs: usize,
    pub two_ms: usize,
    pub together: usize,
    pub traced: usize,
}

/// Runs `exe args` `runs` times, `at_once` at a time, each watched for `limit`; `expect`
/// judges a run's stdout (Err says what is wrong). The first failure, as a message with the
/// run's whole output, or the tally.
pub fn batch(
    exe: &Path,
    args: &[&str],
    runs: usize,
    at_once: usize,
    limit: Duration,
    expect: &(dyn Fn(&str) -> Result<(), String> + Sync),
) -> Result<Tally, String> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let first_failure = Mutex::new(None);
    let [two_ms, together, traced] = [0; 3].map(AtomicUsize::new);
    std::thread::scope(|s| {
        for _ in 0..at_once {
            s.spawn(|| {
                while !stop.load(Relaxed) {
                    let i = next.fetch_add(1, Relaxed);
                    if i >= runs {
                        break;
                    }
                    let outcome = watch(
                        Command::new(exe)
                            .args(args)
                            .env("GOMAXPROCS", "2")
                            .env("GODEBUG", format!("schedtrace={TRACE_MS},scheddetail=1")),
                        limit,
                    );
                    match judge(&outcome, expect) {
                        Ok((ms, both, sched)) => {
                            two_ms.fetch_add(usize::from(ms >= 2), Relaxed);
                            together.fetch_add(usize::from(both), Relaxed);
                            traced.fetch_add(usize::from(sched), Relaxed);
                        }
                        Err(why) => {
                            stop.store(true, Relaxed);
                            let (out, err) = match &outcome {
                                Outcome::Exited(_, out, err) | Outcome::Hung(out, err) => (out, err),
                            };
                            first_failure.lock().unwrap().get_or_insert(format!(
                                "run {i} of {runs} of {} {args:?}: {why}\nstdout:\n{out}\nstderr:\n{err}",
                                exe.display()
                            ));
                        }
                    }
                }
            });
        }
    });
    match first_failure.into_inner().unwrap() {
        Some(failure) => Err(failure),
        None => Ok(Tally {
            runs,
            two_ms: two_ms.into_inner(),
            together: together.into_inner(),
            traced: traced.into_inner(),
        }),
    }
}

/// A run's verdict: its together.h numbers (ms, together) and whether it printed SCHED lines,
/// if it passed; else why not.
fn judge(outcome: &Outcome, expect: &dyn Fn(&str) -> Result<(), String>) -> Result<(u32, bool, bool), String> {
    let (code, out, err) = match outcome {
        Outcome::Hung(_, err) if !err.contains("SCHED ") => {
            return Err("hung, and sysmon printed no SCHED line before the watchdog killed it".into())
        }
        Outcome::Hung(..) => return Err("hung: killed by the watchdog; SCHED lines below".into()),
        Outcome::Exited(code, out, err) => (*code, out, err),
    };
    if code != 0 {
        return Err(format!("exit status {code}"));
    }
    expect(out).map_err(|e| format!("wrong result: {e}"))?;
    let own: Vec<&str> = err.lines().filter(|l| !is_trace(l)).collect();
    let [line] = own[..] else {
        return Err(format!(
            "stderr should have one together.h line besides trace lines, has {own:?}"
        ));
    };
    let number = |key| super::field(line, key).and_then(|v| v.parse::<u32>().ok());
    match (number("procs"), number("ms"), number("together")) {
        (Some(2), Some(ms), Some(t @ (0 | 1))) => Ok((ms, t == 1, own.len() < err.lines().count())),
        _ => Err(format!("not a together.h line for 2 Ps: {line:?}")),
    }
}

/// A line of schedtrace output: SCHED, or a P or M line of scheddetail.
fn is_trace(line: &str) -> bool {
    line.starts_with("SCHED ") || line.starts_with("  P") || line.starts_with("  M")
}
