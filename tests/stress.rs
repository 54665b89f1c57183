//! Concurrency stress (issue 7): the channel, wait-group, timer and allocator programs of
//! tests/programs run many times each with GOMAXPROCS=2, several runs at a time, each under a
//! 10 s watchdog that fails the test with the stuck run's SCHED lines (tests/common/watchdog.rs).
//!
//! `RTLINK_STRESS_RUNS` sets the runs per program (1,000 by default; 10000 for a long hunt for
//! rare bugs: `RTLINK_STRESS_RUNS=10000 cargo test --test stress`).
//!
//! Invariants:
//! - Every run's exit status and stdout are checked exactly (but for the timer program's count
//!   of out-of-order wakeups, which only the batch as a whole is judged by, see `timers`), and every program prints what its
//!   goroutines computed, so a lost or doubled wakeup, element or block is a wrong number, not
//!   only a missing "done".
//! - Every run reports (together.h, on stderr) 2 Ps, and each batch must have runs in which two
//!   Ms ran goroutines at the same time: the stress really is on two threads at once. (The
//!   channel program shows it least often, in about 3% of runs, so a count much below the
//!   default can fail that check by chance.)
//! - The watchdog and the result checks are themselves tested, on programs that hang or print
//!   the wrong thing.
mod common;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use common::watchdog::{batch, Tally, TRACE_MS};
use common::*;

/// The watchdog's limit for one run; normal runs take well under a second.
const LIMIT: Duration = Duration::from_secs(10);

fn runs() -> usize {
    std::env::var("RTLINK_STRESS_RUNS").map_or(1000, |v| {
        v.parse()
            .unwrap_or_else(|_| panic!("RTLINK_STRESS_RUNS={v:?} is not a count"))
    })
}

/// Runs `exe args` `runs()` times, `at_once` at a time (more for a program that mostly
/// sleeps), and checks every run's stdout with `expect`, and that some runs had goroutines on
/// two Ms at once.
fn stress(exe: &Path, args: &[&str], at_once: usize, expect: &(dyn Fn(&str) -> Result<(), String> + Sync)) -> Tally {
    let start = Instant::now();
    let tally = batch(exe, args, runs(), at_once, LIMIT, expect).unwrap_or_else(|failure| panic!("{failure}"));
    eprintln!("{args:?}: {tally:?} in {:.1?}", start.elapsed());
    assert!(
        tally.together > 0,
        "in no run of {} did goroutines run on two Ms at once: {tally:?}",
        tally.runs
    );
    tally
}

fn exactly(want: &str) -> impl Fn(&str) -> Result<(), String> + Sync + '_ {
    move |out| {
        if out == want {
            Ok(())
        } else {
            Err(format!("expected {want:?}"))
        }
    }
}

/// channels.c: a pipeline closed stage by stage (its sum), a buffered channel drained after
/// close, 10,000 ping-pong rounds, select over two senders until both close (counts and sum),
/// a send case, and 20 senders to 4 receivers (every value received exactly once), with
/// rt_numgoroutine along the way.
#[test]
fn channels_with_select_and_close() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "channels.c", &[]);
    stress(&exe, &[], 4, &exactly(CHANNELS_OUTPUT));
}

/// parsum.c: 200 goroutines each sum a slice and add it to the total under an rt_mutex, main
/// waits on an rt_waitgroup; the total must match the serial sum and every part be counted.
#[test]
fn a_wait_group_with_a_mutex() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "parsum.c", &[]);
    stress(&exe, &["200"], 4, &exactly("parts=200 done=200 ok=1\n"));
}

/// sleep.c: a 30 ms sleep; 100 sleepers in pairs 1 ms apart, all of which must wake and none
/// early; a select whose timeout (rt_after) must not fire early, and one where a value sent
/// after 5 ms beats a 2 s timeout; main sleeping beside a goroutine that yields in a loop.
///
/// The order: as none wakes early, a sleeper can only run more than 1 ms out of deadline order
/// if an earlier one woke over 1 ms late, and a loaded machine does that to any run now and then
/// (40 of 100 out of order seen at a load of 17 on 2 cores). So no single run's order decides;
/// but at that load 60% of runs are in exact order, and timers that are lost, or fired late
/// as a rule, would leave hardly any: at least a quarter must be.
#[test]
fn timers_sleep_and_select_with_a_timeout() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "sleep.c", &[]);
    let in_order = AtomicUsize::new(0);
    let tally = stress(&exe, &["100"], 12, &|out| {
        let lines: Vec<&str> = out.lines().collect();
        let wrong = lines.get(1).and_then(|l| {
            l.strip_prefix("sleepers=100 woke=100 early=0 out_of_order=")?
                .parse::<u32>()
                .ok()
        });
        let rest = [
            "timeout case=1 waited_enough=1",
            "value case=0 v=42",
            "slept beside a spinner",
        ];
        match (lines.first(), wrong, lines.get(2..)) {
            (Some(&"sleep 30ms: at_least=1 not_too_long=1"), Some(wrong), Some(tail)) if tail == rest => {
                in_order.fetch_add(usize::from(wrong == 0), Relaxed);
                Ok(())
            }
            _ => Err(
                "5 lines: slept 30 ms, 100 woke, none early, a count out of order, then the \
                      timeout, the value and the spinner"
                    .into(),
            ),
        }
    });
    let in_order = in_order.into_inner();
    eprintln!("sleep.c: {in_order} of {} runs in exact deadline order", tally.runs);
    assert!(
        in_order * 4 >= tally.runs,
        "only {in_order} of {} runs woke their sleepers in deadline order",
        tally.runs
    );
}

/// malloc.c goroutines: 4 goroutines do 100 random malloc-family operations each against a
/// shadow model (contents, alignment, usable size, no overlap) and send some live blocks to a
/// fifth goroutine that checks their contents and frees them, whichever P it runs on; every
/// block sent must arrive and the heap's malloc and free counts must balance.
#[test]
fn the_allocator_with_blocks_freed_by_another_goroutine() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "malloc.c", &[]);
    stress(
        &exe,
        &["goroutines", "4", "100"],
        4,
        &exactly("ok sent=7 received=7 balanced=1\n"),
    );
}

#[test]
fn the_watchdog_turns_a_hang_into_a_failure_with_sched_lines() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "deadlock.c", &[]);
    let limit = Duration::from_millis(u64::from(TRACE_MS) * 5 / 2);
    let start = Instant::now();
    let failure = batch(&exe, &["spin"], 1, 1, limit, &|_| Ok(())).unwrap_err();
    assert!(start.elapsed() < limit + Duration::from_secs(2), "killed at the limit");
    assert!(failure.contains("hung: killed by the watchdog"), "{failure}");
    // A SCHED line at 1 s and at 2 s, each with its P and M lines: the spinning goroutine
    // (goid 2) holds a P on its M while main waits.
    assert!(failure.matches("\nSCHED ").count() >= 2, "{failure}");
    assert!(
        failure.contains(": status=1 ") && failure.contains(" curg=2 ") && failure.contains(" (sysmon)\n"),
        "{failure}"
    );
}

#[test]
fn the_harness_fails_a_wrong_result_a_bad_status_or_a_missing_report() {
    let dir = tempdir();
    let parsum = build_program(dir.path(), "parsum.c", &[]);
    let wrong = batch(&parsum, &["200"], 3, 2, LIMIT, &exactly("parts=200 done=201 ok=1\n")).unwrap_err();
    assert!(
        wrong.starts_with("run ") && wrong.contains(": wrong result: "),
        "{wrong}"
    );
    let deadlock = build_program(dir.path(), "deadlock.c", &[]);
    let status = batch(&deadlock, &["deadlock"], 1, 1, LIMIT, &|_| Ok(())).unwrap_err();
    assert!(status.contains(": exit status 2\n"), "{status}");
    // A program without together.h's line cannot show that it ran on two Ms.
    let hello = build_program(dir.path(), "args.c", &[]);
    let silent = batch(&hello, &[], 1, 1, LIMIT, &|_| Ok(())).unwrap_err();
    assert!(silent.contains("one together.h line"), "{silent}");
    let Tally { runs, .. } = batch(&parsum, &["200"], 3, 2, LIMIT, &exactly("parts=200 done=200 ok=1\n")).unwrap();
    assert_eq!(runs, 3);
}
