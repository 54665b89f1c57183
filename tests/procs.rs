//! CPUs and Ps: sched_getaffinity, GOMAXPROCS, the cgroup CPU quota (Go 1.25's default rule),
//! and checkfds.
mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn info(exe: &Path, f: impl FnOnce(&mut Command)) -> String {
    let mut cmd = run(exe);
    f(&mut cmd);
    let (code, out, err) = output(&mut cmd);
    assert_eq!(code, 0, "{err}");
    out.lines().nth(1).unwrap().to_string()
}

/// Go 1.25's default: min(ncpu, max(2, ceil(quota))).
fn expected_default(ncpu: u32, quota_milli: i64) -> u32 {
    if quota_milli < 0 {
        ncpu
    } else {
        ncpu.min((quota_milli as u32).div_ceil(1000).max(2))
    }
}

#[test]
fn taskset_limits_ncpu_and_procs() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "info.c", &[]);
    let out = ok(Command::new("taskset")
        .args(["-c", "0"])
        .arg(&exe)
        .env_remove("GOMAXPROCS"));
    let line = text(&out.stdout).lines().nth(1).unwrap().to_string();
    assert_eq!(field(&line, "ncpu"), Some("1"), "{line}");
    assert_eq!(field(&line, "gomaxprocs"), Some("1"), "{line}");
}

#[test]
fn gomaxprocs_is_used_only_when_it_is_a_positive_integer() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "info.c", &[]);
    let base = info(&exe, |_| {});
    let quota: i64 = field(&base, "quota").unwrap().parse().unwrap();
    let default = expected_default(ncpu(), quota).to_string();
    assert_eq!(field(&base, "gomaxprocs"), Some(default.as_str()), "{base}");
    for (val, want) in [
        ("1", "1"),
        ("7", "7"),
        ("64", "64"),
        ("99999", "1024"),
        ("0", &default),
        ("-3", &default),
        ("abc", &default),
        ("", &default),
        ("+5", &default),
        ("5x", &default),
    ] {
        let line = info(&exe, |c| {
            c.env("GOMAXPROCS", val);
        });
        assert_eq!(field(&line, "gomaxprocs"), Some(want), "GOMAXPROCS={val:?}: {line}");
    }
}

/// A cgroup v1 cpu controller group with a quota, removed on drop.
struct Cgroup(std::path::PathBuf);

impl Cgroup {
    fn new(name: &str, quota_us: i64) -> Cgroup {
        let root = Path::new("/sys/fs/cgroup/cpu");
        assert!(
            root.join("cpu.cfs_quota_us").exists(),
            "this test needs the cgroup v1 cpu controller at /sys/fs/cgroup/cpu and root (our machines have both)"
        );
        let dir = root.join(format!("rtlink-test-{}-{name}", std::process::id()));
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e} (run as root)", dir.display()));
        std::fs::write(dir.join("cpu.cfs_quota_us"), quota_us.to_string()).unwrap();
        std::fs::create_dir(dir.join("leaf")).unwrap();
        Cgroup(dir)
    }

    /// Runs `exe` inside the group's leaf (which has no quota of its own).
    fn run(&self, exe: &Path, godebug: &str) -> (String, String) {
        let procs = self.0.join("leaf/cgroup.procs");
        let out = ok(Command::new("sh")
            .arg("-c")
            .arg(format!("echo $$ > {} && exec {}", procs.display(), exe.display()))
            .env_remove("GOMAXPROCS")
            .env("GODEBUG", godebug));
        (text(&out.stdout).lines().nth(1).unwrap().to_string(), text(&out.stderr))
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(self.0.join("leaf"));
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn cgroup_quota_is_read_from_the_process_own_group_and_its_ancestors() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "info.c", &[]);
    for (quota_us, milli) in [(150_000, 1500), (350_000, 3500), (50_000, 500)] {
        let cg = Cgroup::new(&milli.to_string(), quota_us);
        let (line, trace) = cg.run(&exe, "inittrace=1");
        assert_eq!(field(&line, "quota"), Some(milli.to_string().as_str()), "{line}");
        let want = expected_default(ncpu(), milli);
        assert_eq!(field(&line, "gomaxprocs"), Some(want.to_string().as_str()), "{line}");
        let pr = trace.lines().find(|l| l.starts_with("init procresize")).unwrap();
        if ncpu() <= 2 {
            assert!(
                pr.contains("cgroup not read"),
                "with at most 2 CPUs no quota changes the answer: {pr}"
            );
        } else {
            assert!(pr.contains(&format!("cgroup quota {}", milli as f64 / 1000.0)), "{pr}");
        }
    }
    let unlimited = Cgroup::new("none", -1);
    let (line, _) = unlimited.run(&exe, "");
    assert_eq!(field(&line, "quota"), Some("-1"));
}

#[test]
fn closed_standard_fds_are_reopened_on_dev_null() {
    let dir = tempdir();
    let exe = build_program(dir.path(), "info.c", &[]);
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("exec {} <&- >&-", exe.display()))
        .env("GODEBUG", "inittrace=1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "rt_write to the reopened stdout must succeed"
    );
    let err = text(&out.stderr);
    let line = err.lines().find(|l| l.starts_with("init checkfds")).unwrap();
    assert!(line.ends_with("closed=0 1 (reopened on /dev/null)"), "{line}");
    let all = Command::new("sh")
        .arg("-c")
        .arg(format!("exec {} <&- >&- 2>&-", exe.display()))
        .status()
        .unwrap();
    assert_eq!(all.code(), Some(0));
}
