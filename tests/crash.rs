//! Crash reports: a fatal signal or a throw prints Go's report and the goroutine's traceback
//! (tests/programs/crash.c), checked frame by frame against nm (names and offsets) and
//! addr2line (what `rtlink inspect --addr` must answer for each pc), for ET_EXEC and static-PIE
//! programs, stripped or not, under each GOTRACEBACK.
mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// One traceback line: the function (None when stripped), the offset in it, and the pc.
#[derive(Debug, PartialEq)]
struct Frame {
    name: Option<String>,
    off: u64,
    pc: u64,
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// The goroutines of a report, in order: (`goroutine N [state]:` header, frames).
fn goroutines(err: &str) -> Vec<(String, Vec<Frame>)> {
    let mut out: Vec<(String, Vec<Frame>)> = Vec::new();
    for line in err.lines() {
        if line.starts_with("goroutine ") && line.ends_with(':') {
            out.push((line.to_string(), Vec::new()));
        } else if let (Some((_, frames)), Some((sym, pc))) = (out.last_mut(), line.split_once(" pc=")) {
            let (name, off) = match sym.split_once("+") {
                Some((n, o)) => (Some(n.to_string()), hex(o)),
                None => (None, 0),
            };
            frames.push(Frame { name, off, pc: hex(pc) });
        }
    }
    out
}

fn names(frames: &[Frame]) -> Vec<&str> {
    frames.iter().map(|f| f.name.as_deref().unwrap_or("??")).collect()
}

/// Every named frame is its symbol's address (nm) plus the printed offset, less one load
/// bias common to all frames (0 for ET_EXEC), which is returned.
fn check_offsets(exe: &Path, frames: &[Frame]) -> u64 {
    let biases: Vec<u64> = frames
        .iter()
        .map(|f| f.pc - (nm_addr(exe, f.name.as_deref().unwrap()) + f.off))
        .collect();
    assert!(biases.iter().all(|&b| b == biases[0]), "{frames:?}: {biases:x?}");
    biases[0]
}

/// The file:line GNU addr2line gives for each pc (link-time addresses), and that
/// `rtlink inspect --addr` gives the same.
fn lines(exe: &Path, pcs: &[u64]) -> Vec<String> {
    let addrs: Vec<String> = pcs.iter().map(|pc| format!("{pc:#x}")).collect();
    let reference = text(&ok(Command::new("addr2line").arg("-e").arg(exe).args(&addrs)).stdout);
    let ours = text(&ok(rtlink().arg("inspect").arg(exe).arg("--addr").args(&addrs)).stdout);
    let file_lines = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.contains(':'))
            .map(|l| l.rsplit('/').next().unwrap().split(' ').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(file_lines(&ours), file_lines(&reference), "{ours}\n{reference}");
    file_lines(&reference)
}

/// The source line of `pattern` in crash.c (1-based).
fn line_of(pattern: &str) -> String {
    let src = std::fs::read_to_string(program("crash.c")).unwrap();
    let n = src.lines().position(|l| l.contains(pattern)).unwrap() + 1;
    format!("crash.c:{n}")
}

#[test]
fn a_fault_prints_gos_report_and_the_goroutines_frames() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "crash.c", &["-g"]);
    let (code, out, err) = output(&mut run(&exe));
    assert_eq!((code, out.as_str()), (2, "about to fault\n"), "{err}");
    let mut lines_iter = err.lines();
    assert_eq!(
        lines_iter.next(),
        Some("fatal error: unexpected signal SIGSEGV: segmentation violation")
    );
    let fault = lines_iter.next().unwrap();
    let gs = goroutines(&err);
    assert_eq!(gs.len(), 1, "{err}");
    let (header, frames) = &gs[0];
    assert_eq!(header, "goroutine 1 [running]:");
    assert_eq!(
        names(frames),
        ["crash_here", "level2", "main", "runtime_main", "runtime_goexit"],
        "{err}"
    );
    assert_eq!(fault, format!("addr=0x0 pc={:#x} sigcode=1", frames[0].pc));
    assert_eq!(check_offsets(&exe, frames), 0);
    // The fault is in crash_here's body; each caller's pc is inside its call instruction.
    let at: Vec<u64> = frames[..3].iter().map(|f| f.pc).collect();
    assert_eq!(
        lines(&exe, &at),
        [
            line_of("int crash_here("),
            line_of("return crash_here(p) + 1;"),
            line_of("int r = level2("),
        ]
    );

    // GOTRACEBACK=none: the report without goroutines; single is the default.
    let (code, _, none) = output(run(&exe).env("GOTRACEBACK", "none"));
    assert_eq!((code, none.lines().count()), (2, 2), "{none}");
    assert!(err.starts_with(&none), "{none}");
    let (_, _, single) = output(run(&exe).env("GOTRACEBACK", "single"));
    assert_eq!(single, err);

    // Stripped: the same pcs, without names, except crash_here's caller: crash_here is a leaf
    // GCC builds without a frame, and without its symbol the walk cannot know that its
    // caller's return address is at the stack pointer rather than in the frame chain.
    let stripped = dir.path().join("crash.stripped");
    ok(Command::new("strip").arg("-o").arg(&stripped).arg(&exe));
    let (code, _, err) = output(&mut run(&stripped));
    let gs = goroutines(&err);
    assert_eq!(code, 2);
    assert!(gs[0].1.iter().all(|f| f.name.is_none()), "{err}");
    let pcs = |fs: &[Frame]| fs.iter().map(|f| f.pc).collect::<Vec<_>>();
    let mut expected = pcs(frames);
    expected.remove(1);
    assert_eq!(pcs(&gs[0].1), expected, "{err}");
}

#[test]
fn gotraceback_all_shows_every_goroutine_where_it_waits() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "crash.c", &["-g"]);
    let (code, out, err) = output(run(&exe).arg("goroutine").env("GOTRACEBACK", "all"));
    assert_eq!((code, out.as_str()), (2, "worker about to fault\n"), "{err}");
    let gs = goroutines(&err);
    let summary: Vec<(&str, Vec<&str>)> = gs.iter().map(|(h, f)| (h.as_str(), names(f))).collect();
    assert_eq!(
        summary,
        [
            ("goroutine 3 [running]:", vec!["crash_here", "worker", "runtime_goexit"]),
            (
                "goroutine 2 [waiting]:",
                vec!["rt_chan_recv", "parked", "runtime_goexit"]
            ),
            ("goroutine 1 [waiting]:", vec!["main", "runtime_main", "runtime_goexit"]),
        ],
        "{err}"
    );
    for (_, frames) in &gs {
        assert_eq!(check_offsets(&exe, frames), 0);
    }
    // The default shows the failing goroutine only.
    let (_, _, single) = output(run(&exe).arg("goroutine"));
    assert_eq!(goroutines(&single).len(), 1, "{single}");
}

#[test]
fn a_throw_shows_where_the_runtime_was_called_from() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "crash.c", &["-g"]);
    let (code, _, err) = output(run(&exe).arg("throw"));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("fatal error: sync: negative WaitGroup counter\n\ngoroutine 1 [running]:\n"),
        "{err}"
    );
    let gs = goroutines(&err);
    assert_eq!(
        names(&gs[0].1),
        ["rt_waitgroup_add", "level2", "main", "runtime_main", "runtime_goexit"],
        "{err}"
    );
    check_offsets(&exe, &gs[0].1);
}

#[test]
fn a_static_pie_crash_is_named_through_its_random_load_address() {
    let dir = tempdir();
    let obj = compile(dir.path(), &program("crash.c"), &["-g", "-fPIE"]);
    let exe = link(dir.path(), "crash_pie", &[obj], &["--static-pie"]);
    let mut biases = Vec::new();
    for _ in 0..2 {
        let (code, _, err) = output(&mut run(&exe));
        assert_eq!(code, 2, "{err}");
        let gs = goroutines(&err);
        assert_eq!(
            names(&gs[0].1),
            ["crash_here", "level2", "main", "runtime_main", "runtime_goexit"],
            "{err}"
        );
        biases.push(check_offsets(&exe, &gs[0].1));
    }
    assert!(biases[0] != 0 && biases[0] != biases[1], "{biases:x?}");
}

/// An M's own stack (g0) running off its bottom is named as such. No user code runs on g0, so
/// gdb puts a g0 in the state an overflow leaves: at a runtime function entered on another M's
/// g0 (goexit0, where every goroutine's end leads), the stack pointer moves to 8 bytes above
/// the stack's lowest byte, and the function's next push lands in the guard page below.
#[test]
fn an_overflow_of_an_ms_own_stack_is_reported_on_g0() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "overflow.c", &[]);
    let nm = text(&ok(Command::new("nm").arg(&exe)).stdout);
    let goexit0 = nm
        .split_whitespace()
        .find(|s| s.starts_with("_ZN14rtlink_runtime4proc7goexit0"))
        .expect("goexit0 in nm");
    let script = dir.path().join("g0.gdb");
    std::fs::write(
        &script,
        format!(
            "set pagination off\nset confirm off\nhandle SIGSEGV nostop noprint pass\n\
             handle SIGURG nostop noprint pass\nbreak {goexit0}\nrun\n\
             while $_thread == 1\n  continue\nend\n\
             set $lo = *(long*)*(long*)($fs_base + 0x38)\nset $rsp = $lo + 8\n\
             delete\ncontinue\n"
        ),
    )
    .unwrap();
    let (_, out, err) = output(
        Command::new("gdb")
            .args(["-q", "-batch", "-x"])
            .arg(&script)
            .arg("--args")
            .arg(&exe)
            .arg("sizes")
            .env("GOMAXPROCS", "2")
            .env_remove("GODEBUG"),
    );
    let all = format!("{out}{err}");
    let report = all
        .lines()
        .find(|l| l.starts_with("fatal error: "))
        .unwrap_or_else(|| panic!("no report: {all}"));
    assert!(
        report.starts_with("fatal error: stack overflow on g0 (the runtime's stack [0x"),
        "{all}"
    );
    assert!(all.contains("\ngoroutine 0 [running]:\n"), "{all}");
    assert!(all.contains("exited with code 02]"), "{all}");
}
