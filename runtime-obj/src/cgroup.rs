//! The CPU limit of the process's cgroup, for GOMAXPROCS (Go 1.25: internal/runtime/cgroup).
//!
//! The limit is quota/period of the cgroup the process is in and of each of its ancestors up
//! to the mount's root, whichever is smallest: v1 `cpu.cfs_quota_us`/`cpu.cfs_period_us`, v2
//! `cpu.max`. The cgroup comes from `/proc/self/cgroup`; its files are tried at the standard
//! mount points first and `/proc/self/mountinfo` is scanned only when none exists there
//! (17 us against 2.4 us per file on our VMs). Limits are in thousandths of a CPU.
//!
//! The parsers are pure functions over bytes (unit-tested on fixtures); `cpu_limit_milli`
//! does the reading and caches its answer for the life of the process.
use core::sync::atomic::{AtomicI64, Ordering};

use crate::fields::Fields;
use crate::os_linux;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Version {
    V1,
    V2,
}

/// From a `/proc/self/cgroup` line, the cgroup path of the cpu controller (v1) or of the
/// unified hierarchy (v2).
pub fn parse_proc_cgroup_line(line: &[u8]) -> Option<(Version, &[u8])> {
    let mut parts = Fields::new(line, b':');
    let (id, ctrls) = (parts.next()?, parts.next()?);
    let path = parts.rest()?;
    if id == b"0" && ctrls.is_empty() {
        return Some((Version::V2, path));
    }
    lists_cpu(ctrls).then_some((Version::V1, path))
}

/// Whether the comma-separated `list` (controllers, mount options) names `cpu`.
fn lists_cpu(list: &[u8]) -> bool {
    for c in Fields::new(list, b',') {
        if c == b"cpu" {
            return true;
        }
    }
    false
}

/// A decimal u64 (surrounding whitespace allowed), or None.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    let s = s.trim_ascii();
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    let mut v = 0u64;
    for &d in s {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(d - b'0');
    }
    Some(v)
}

/// quota/period in thousandths of a CPU, rounded up; None for no limit or nonsense. A quota
/// too large to count in thousandths (over 1.8e16 us; the kernel caps it near 1.8e13) is
/// nonsense too: it used to wrap around into a small, wrong limit.
fn milli(quota: u64, period: u64) -> Option<u64> {
    (period > 0 && quota > 0).then(|| Some(quota.checked_mul(1000)?.div_ceil(period)))?
}

/// v1: `cpu.cfs_quota_us` (-1 = no limit) and `cpu.cfs_period_us`.
pub fn parse_cfs(quota: &[u8], period: &[u8]) -> Option<u64> {
    milli(parse_u64(quota)?, parse_u64(period)?)
}

/// v2: `cpu.max` is `max PERIOD` (no limit) or `QUOTA PERIOD`.
pub fn parse_cpu_max(s: &[u8]) -> Option<u64> {
    let mut f = Fields::new(s.trim_ascii(), b' ');
    let quota = f.next()?;
    parse_cfs(quota, f.rest()?)
}

/// The fields of a `/proc/self/mountinfo` line that locate a cgroup hierarchy.
#[derive(Debug, PartialEq, Eq)]
pub struct Mount<'a> {
    pub root: &'a [u8],
    pub point: &'a [u8],
    pub version: Version,
}

/// A mountinfo line of a cgroup v1 mount with the cpu controller, or of a cgroup2 mount.
/// Format: `id parent maj:min root point opts [optional...] - fstype source superopts`.
pub fn parse_mountinfo_line(line: &[u8]) -> Option<Mount<'_>> {
    let mut f = Fields::new(line, b' ');
    for _ in 0..3 {
        f.next()?;
    }
    let (root, point) = (f.next()?, f.next()?);
    while f.next()? != b"-" {}
    let (fstype, _source, opts) = (f.next()?, f.next()?, f.next().unwrap_or(b""));
    let version = match fstype {
        b"cgroup2" => Version::V2,
        b"cgroup" if lists_cpu(opts) => Version::V1,
        _ => return None,
    };
    Some(Mount { root, point, version })
}

/// GOMAXPROCS' default (Go 1.25): the CPU count, capped by the quota rounded up, but a quota
/// never pushes it below 2.
pub fn default_procs(ncpu: u32, limit_milli: Option<u64>) -> u32 {
    match limit_milli {
        None => ncpu,
        Some(m) => ncpu.min(m.div_ceil(1000).max(2).min(u64::from(u32::MAX)) as u32),
    }
}

/// The size of the buffer a cgroup file's path is built in, its NUL included.
const PATH_MAX: usize = 512;

/// Reads the file `name` of the directory whose path fills `path[..end]` (the name and a NUL
/// are written after it) into `buf`; None if the path does not fit or the file cannot be read.
fn read_in(path: &mut [u8; PATH_MAX], end: usize, name: &[u8], buf: &mut [u8]) -> Option<usize> {
    let nul = end + name.len();
    if nul >= PATH_MAX - 1 {
        return None;
    }
    crate::mem::copy(&mut path[end..], name);
    path[nul] = 0;
    os_linux::read_file(&path[..=nul], buf)
}

/// Reads the limit of the one directory `path[..end]`: Some(None) means the files exist and
/// say "no limit"; None means they do not exist there.
fn read_dir_limit(path: &mut [u8; PATH_MAX], end: usize, v: Version) -> Option<Option<u64>> {
    let mut a = [0u8; 64];
    let n = match v {
        Version::V2 => read_in(path, end, b"/cpu.max", &mut a)?,
        Version::V1 => read_in(path, end, b"/cpu.cfs_quota_us", &mut a)?,
    };
    Some(match v {
        Version::V2 => parse_cpu_max(&a[..n]),
        Version::V1 => {
            let mut b = [0u8; 64];
            let m = read_in(path, end, b"/cpu.cfs_period_us", &mut b)?;
            parse_cfs(&a[..n], &b[..m])
        }
    })
}

/// The smallest limit from `mount_dir + rel` up to `mount_dir`; None if the cgroup's own
/// directory has no limit files there (wrong mount point). The path is built once; each level
/// up only puts the file names at an earlier slash.
fn walk_up(mount_dir: &[u8], rel: &[u8], v: Version) -> Option<Option<u64>> {
    let rel = rel.strip_suffix(b"/").unwrap_or(rel);
    let base = mount_dir.len();
    let mut len = rel.len();
    if base + len >= PATH_MAX {
        return None;
    }
    let mut path = [0u8; PATH_MAX];
    crate::mem::copy(&mut path, mount_dir);
    crate::mem::copy(&mut path[base..], rel);
    let mut best = read_dir_limit(&mut path, base + len, v)?;
    while len > 0 {
        len -= 1;
        if rel[len] != b'/' {
            continue;
        }
        if let Some(Some(m)) = read_dir_limit(&mut path, base + len, v) {
            best = Some(best.map_or(m, |b| b.min(m)));
        }
    }
    Some(best)
}

/// Finds the cgroup's limit through mountinfo when the standard mount points lack it.
fn limit_via_mountinfo(v: Version, cg: &[u8]) -> Option<u64> {
    let mut found = None;
    os_linux::for_each_line(b"/proc/self/mountinfo\0", |line| {
        let Some(m) = parse_mountinfo_line(line) else {
            return false;
        };
        if m.version != v {
            return false;
        }
        let root = if m.root == b"/" { &b""[..] } else { m.root };
        let Some(rel) = cg.strip_prefix(root) else { return false };
        found = walk_up(m.point, rel, v);
        found.is_some()
    });
    found.flatten()
}

fn read_limit() -> Option<u64> {
    let mut buf = [0u8; 2048];
    let n = os_linux::read_file(b"/proc/self/cgroup\0", &mut buf)?;
    let (mut v1, mut v2) = (None, None);
    for line in Fields::new(&buf[..n], b'\n') {
        match parse_proc_cgroup_line(line) {
            Some((Version::V1, p)) => v1 = Some(p),
            Some((Version::V2, p)) => v2 = Some(p),
            None => {}
        }
    }
    // A v1 cpu controller, when mounted, is the one that enforces the limit.
    let (v, cg) = match (v1, v2) {
        (Some(p), _) => (Version::V1, p),
        (None, Some(p)) => (Version::V2, p),
        (None, None) => return None,
    };
    let standard: &[&[u8]] = match v {
        Version::V1 => &[b"/sys/fs/cgroup/cpu", b"/sys/fs/cgroup/cpu,cpuacct"],
        Version::V2 => &[b"/sys/fs/cgroup"],
    };
    for dir in standard {
        if let Some(limit) = walk_up(dir, cg, v) {
            return limit;
        }
    }
    limit_via_mountinfo(v, cg)
}

/// 0: not read yet; -1: no limit; else the limit in thousandths of a CPU.
static LIMIT: AtomicI64 = AtomicI64::new(0);

/// The limit read again from the cgroup files (sysmon, once a second), refreshing the cache.
pub fn reread_cpu_limit_milli() -> Option<u64> {
    let limit = read_limit();
    LIMIT.store(limit.map_or(-1, |m| m as i64), Ordering::Release);
    limit
}

/// The process's cgroup CPU limit in thousandths of a CPU, read once on first use.
pub fn cpu_limit_milli() -> Option<u64> {
    let v = LIMIT.load(Ordering::Acquire);
    if v != 0 {
        return (v > 0).then_some(v as u64);
    }
    reread_cpu_limit_milli()
}

/// C API: the cgroup CPU limit in thousandths of a CPU, or -1 when there is none.
#[cfg(not(any(test, feature = "host")))]
#[no_mangle]
pub extern "C" fn rt_cpuquota() -> i64 {
    cpu_limit_milli().map_or(-1, |m| m as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_cgroup_lines() {
        assert_eq!(parse_proc_cgroup_line(b"1:cpu:/rtl"), Some((Version::V1, &b"/rtl"[..])));
        assert_eq!(
            parse_proc_cgroup_line(b"4:cpu,cpuacct:/a/b"),
            Some((Version::V1, &b"/a/b"[..]))
        );
        assert_eq!(parse_proc_cgroup_line(b"2:cpuacct:/"), None);
        assert_eq!(parse_proc_cgroup_line(b"3:cpuset:/"), None);
        assert_eq!(
            parse_proc_cgroup_line(b"0::/user.slice/x.scope"),
            Some((Version::V2, &b"/user.slice/x.scope"[..]))
        );
        assert_eq!(parse_proc_cgroup_line(b"9:name=systemd:/"), None);
        assert_eq!(parse_proc_cgroup_line(b"garbage"), None);
    }

    #[test]
    fn v1_quota_files() {
        assert_eq!(parse_cfs(b"150000\n", b"100000\n"), Some(1500));
        assert_eq!(parse_cfs(b"-1\n", b"100000\n"), None);
        assert_eq!(parse_cfs(b"50000", b"100000"), Some(500));
        assert_eq!(parse_cfs(b"1", b"3"), Some(334));
        assert_eq!(parse_cfs(b"100000", b"0"), None);
        // The fuzz target's find: quota * 1000 overflowed.
        assert_eq!(parse_cfs(b"7777777777777777777\n", b"010"), None);
        assert_eq!(parse_cfs(b"18446744073709551", b"1000000"), Some(18446744073710));
    }

    #[test]
    fn v2_cpu_max() {
        assert_eq!(parse_cpu_max(b"max 100000\n"), None);
        assert_eq!(parse_cpu_max(b"150000 100000\n"), Some(1500));
        assert_eq!(parse_cpu_max(b"250000 100000"), Some(2500));
        assert_eq!(parse_cpu_max(b"junk"), None);
        assert_eq!(parse_cpu_max(b"18446744073709552 100000"), None);
    }

    #[test]
    fn mountinfo_lines() {
        let v2 =
            b"35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate";
        assert_eq!(
            parse_mountinfo_line(v2),
            Some(Mount {
                root: b"/",
                point: b"/sys/fs/cgroup",
                version: Version::V2
            })
        );
        let v1 = b"40 30 0:36 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct";
        assert_eq!(
            parse_mountinfo_line(v1),
            Some(Mount {
                root: b"/docker/abc",
                point: b"/sys/fs/cgroup/cpu,cpuacct",
                version: Version::V1
            })
        );
        let acct_only = b"41 30 0:37 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct";
        assert_eq!(parse_mountinfo_line(acct_only), None);
        assert_eq!(parse_mountinfo_line(b"22 1 8:1 / / rw - ext4 /dev/vda rw"), None);
    }

    #[test]
    fn go_default_rule() {
        assert_eq!(default_procs(8, None), 8);
        assert_eq!(default_procs(8, Some(1500)), 2);
        assert_eq!(default_procs(8, Some(500)), 2);
        assert_eq!(default_procs(8, Some(3500)), 4);
        assert_eq!(default_procs(2, Some(500)), 2);
        assert_eq!(default_procs(1, Some(500)), 1);
        assert_eq!(default_procs(4, Some(16000)), 4);
    }

    #[test]
    fn walk_up_takes_the_smallest_limit() {
        let root = std::env::temp_dir().join(format!("rtlink-cg-{}", std::process::id()));
        let leaf = root.join("a/b");
        std::fs::create_dir_all(&leaf).unwrap();
        std::fs::write(root.join("cpu.max"), "max 100000\n").unwrap();
        std::fs::write(root.join("a/cpu.max"), "150000 100000\n").unwrap();
        std::fs::write(leaf.join("cpu.max"), "400000 100000\n").unwrap();
        let dir = root.to_str().unwrap().as_bytes();
        assert_eq!(walk_up(dir, b"/a/b", Version::V2), Some(Some(1500)));
        assert_eq!(walk_up(dir, b"/missing", Version::V2), None);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
