//! Linux specifics (Go: os_linux.go): the auxiliary vector, `osinit` (CPU count and page
//! size) and small file reads for /proc and /sys.
//!
//! Invariants: `OS` is written by `scan_env` in rt0_go (auxv) and `runtime_osinit` (ncpu, page
//! size) on m0 before any other thread exists, and only read afterwards.
use crate::global::Global;
use crate::sys_linux::{self, SYS_SCHED_GETAFFINITY};

pub const AT_NULL: usize = 0;
pub const AT_PHDR: usize = 3;
pub const AT_PHNUM: usize = 5;
pub const AT_PAGESZ: usize = 6;
pub const AT_HWCAP: usize = 16;
pub const AT_SECURE: usize = 23;
pub const AT_RANDOM: usize = 25;
pub const AT_HWCAP2: usize = 26;
pub const AT_EXECFN: usize = 31;
pub const AT_SYSINFO_EHDR: usize = 33;

/// The auxiliary-vector entries the runtime keeps.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Auxv {
    pub pagesz: usize,
    pub phdr: usize,
    pub phnum: usize,
    pub hwcap: usize,
    pub hwcap2: usize,
    pub secure: usize,
    /// Address of 16 random bytes from the kernel.
    pub random: usize,
    /// The vDSO's ELF header.
    pub vdso: usize,
    /// The program's path as exec'd: the highest string on the initial stack.
    pub execfn: usize,
    /// Number of entries before AT_NULL.
    pub count: usize,
}

impl Auxv {
    pub const EMPTY: Auxv = Auxv {
        pagesz: 0,
        phdr: 0,
        phnum: 0,
        hwcap: 0,
        hwcap2: 0,
        secure: 0,
        random: 0,
        vdso: 0,
        execfn: 0,
        count: 0,
    };

    /// Parses (key, value) pairs up to AT_NULL.
    pub fn from_pairs(pairs: impl Iterator<Item = (usize, usize)>) -> Auxv {
        let mut a = Auxv::default();
        for (k, v) in pairs {
            match k {
                AT_NULL => break,
                AT_PAGESZ => a.pagesz = v,
                AT_PHDR => a.phdr = v,
                AT_PHNUM => a.phnum = v,
                AT_HWCAP => a.hwcap = v,
                AT_HWCAP2 => a.hwcap2 = v,
                AT_SECURE => a.secure = v,
                AT_RANDOM => a.random = v,
                AT_SYSINFO_EHDR => a.vdso = v,
                AT_EXECFN => a.execfn = v,
                _ => {}
            }
            a.count += 1;
        }
        a
    }

    /// Parses the vector the kernel put after envp.
    ///
    /// # Safety
    /// `p` must point to a kernel-built auxiliary vector (terminated by AT_NULL).
    pub unsafe fn read(p: *const usize) -> Auxv {
        let mut i = 0;
        Auxv::from_pairs(core::iter::from_fn(|| {
            // SAFETY: entries up to and including AT_NULL exist; from_pairs stops at AT_NULL.
            let kv = unsafe { (*p.add(i), *p.add(i + 1)) };
            i += 2;
            Some(kv)
        }))
    }
}

pub struct Os {
    pub auxv: Auxv,
    pub ncpu: u32,
    pub pagesize: usize,
}

pub static OS: Global<Os> = Global::new(Os {
    auxv: Auxv::EMPTY,
    ncpu: 0,
    pagesize: 0,
});

/// Reads the OS facts the runtime needs (Go: osinit).
pub fn osinit() {
    let ncpu = getproccount();
    // SAFETY: OS is written only here and in args, both on m0 during the bootstrap.
    let os = unsafe { &mut *OS.get() };
    let ps = os.auxv.pagesz;
    if ps == 0 || !ps.is_power_of_two() || ps < 4096 {
        crate::print::throw("bad system page size");
    }
    os.pagesize = ps;
    os.ncpu = ncpu;
}

/// The number of CPUs this thread may run on: the affinity mask's population count, so
/// `taskset -c 0` gives 1.
pub fn getproccount() -> u32 {
    getproccount_of(0)
}

/// The CPUs thread `tid` may run on (0: the calling thread); sysmon asks about the main
/// thread, whose tid is the pid, since `taskset -p PID` changes that one.
#[inline(always)]
pub fn getproccount_of(tid: usize) -> u32 {
    let mut mask = [0u64; 16];
    // SAFETY: the kernel writes at most size_of_val(&mask) bytes into mask.
    let r = unsafe {
        sys_linux::syscall3(
            SYS_SCHED_GETAFFINITY,
            tid,
            core::mem::size_of_val(&mask),
            mask.as_mut_ptr() as usize,
        )
    };
    if r <= 0 {
        return 1;
    }
    let words = (r as usize).div_ceil(8).min(mask.len());
    let mut n = 0;
    for w in &mask[..words] {
        n += w.count_ones();
    }
    n.max(1)
}

pub fn ncpu() -> u32 {
    // SAFETY: written once by osinit before anything calls this.
    unsafe { (*OS.get()).ncpu }
}

pub fn pagesize() -> usize {
    // SAFETY: as for ncpu.
    unsafe { (*OS.get()).pagesize }
}

/// Reads up to `buf.len()` bytes of the file at the NUL-terminated `path`. None if it cannot
/// be opened or read.
pub fn read_file(path: &[u8], buf: &mut [u8]) -> Option<usize> {
    let fd = open_ro(path)?;
    let mut n = 0;
    while n < buf.len() {
        // SAFETY: buf[n..] is writable for its length.
        let r = unsafe { sys_linux::read(fd, buf[n..].as_mut_ptr(), buf.len() - n) };
        if r == -sys_linux::EINTR {
            continue;
        }
        if r < 0 {
            sys_linux::close(fd);
            return None;
        }
        if r == 0 {
            break;
        }
        n += r as usize;
    }
    sys_linux::close(fd);
    Some(n)
}

/// Opens the NUL-terminated `path` read-only (close-on-exec).
pub fn open_ro(path: &[u8]) -> Option<i32> {
    debug_assert_eq!(path.last(), Some(&0));
    // SAFETY: path is NUL-terminated (all callers build it so).
    let fd = unsafe { sys_linux::open(path.as_ptr(), sys_linux::O_RDONLY | sys_linux::O_CLOEXEC) };
    (fd >= 0).then_some(fd as i32)
}

/// Calls `f` on each line of a file too large for one buffer (mountinfo), stopping when `f`
/// returns true. Lines longer than the buffer are skipped.
pub fn for_each_line(path: &[u8], mut f: impl FnMut(&[u8]) -> bool) {
    let Some(fd) = open_ro(path) else { return };
    let mut buf = [0u8; 4096];
    let (mut start, mut end, mut skipping) = (0usize, 0usize, false);
    loop {
        if let Some(nl) = buf[start..end].iter().position(|&c| c == b'\n') {
            let line = start..start + nl;
            start += nl + 1;
            if !core::mem::take(&mut skipping) && f(&buf[line]) {
                break;
            }
            continue;
        }
        if start == 0 && end == buf.len() {
            skipping = true;
            end = 0;
        }
        // SAFETY: start <= end <= buf.len(), and the destination (the front) is below the
        // source, which a forward copy allows.
        unsafe { crate::mem::copy_forward(buf.as_mut_ptr(), buf.as_ptr().add(start), end - start) };
        end -= start;
        start = 0;
        // SAFETY: buf[end..] is writable for its length.
        let r = unsafe { sys_linux::read(fd, buf[end..].as_mut_ptr(), buf.len() - end) };
        if r == -sys_linux::EINTR {
            continue;
        }
        if r <= 0 {
            if end > 0 && !skipping {
                f(&buf[..end]);
            }
            break;
        }
        end += r as usize;
    }
    sys_linux::close(fd);
}

/// The `osinit` stage: CPU count and page size, traced.
#[cfg(not(any(test, feature = "host")))]
#[no_mangle]
pub extern "C" fn runtime_osinit() {
    let t = crate::trace::start();
    osinit();
    crate::trace::done("osinit", t, |b| {
        b.kv("ncpu=", ncpu().into())
            .kv(" (sched_getaffinity) pagesize=", pagesize() as u64);
    });
}

/// C API: the number of CPUs the program may run on (at start-up).
#[cfg(not(any(test, feature = "host")))]
#[no_mangle]
pub extern "C" fn rt_ncpu() -> i32 {
    ncpu() as i32
}

/// C API: the system page size.
#[cfg(not(any(test, feature = "host")))]
#[no_mangle]
pub extern "C" fn rt_pagesize() -> isize {
    pagesize() as isize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auxv_keeps_what_the_runtime_uses() {
        let v = [
            AT_PHDR,
            0x400040,
            AT_PHNUM,
            7,
            AT_PAGESZ,
            4096,
            17,
            100,
            AT_RANDOM,
            0x7ffd0,
            AT_SECURE,
            1,
            AT_SYSINFO_EHDR,
            0x7fff0000,
            AT_NULL,
            0,
            AT_PAGESZ,
            1,
        ];
        // SAFETY: v is a well-formed vector terminated by AT_NULL.
        let a = unsafe { Auxv::read(v.as_ptr()) };
        assert_eq!(
            (a.phdr, a.phnum, a.pagesz, a.random, a.secure, a.vdso, a.count),
            (0x400040, 7, 4096, 0x7ffd0, 1, 0x7fff0000, 7)
        );
    }

    #[test]
    fn this_process_auxv_matches_the_kernel() {
        let raw = std::fs::read("/proc/self/auxv").unwrap();
        let words: Vec<usize> = raw
            .chunks(8)
            .map(|c| usize::from_ne_bytes(c.try_into().unwrap()))
            .collect();
        // SAFETY: /proc/self/auxv is the kernel's vector, AT_NULL-terminated.
        let a = unsafe { Auxv::read(words.as_ptr()) };
        assert!(a.pagesz.is_power_of_two() && a.random != 0 && a.phnum > 0);
    }

    #[test]
    fn affinity_count_is_sane() {
        let n = getproccount();
        assert!(n >= 1 && n as usize <= std::thread::available_parallelism().unwrap().get().max(n as usize));
    }

    #[test]
    fn lines_of_a_large_file() {
        let path = std::env::temp_dir().join(format!("rtlink-lines-{}", std::process::id()));
        let text: String = (0..2000).map(|i| format!("line {i}\n")).collect::<String>() + &"x".repeat(5000) + "\nlast";
        std::fs::write(&path, &text).unwrap();
        let mut cpath = path.to_str().unwrap().as_bytes().to_vec();
        cpath.push(0);
        let mut got = Vec::new();
        for_each_line(&cpath, |l| {
            got.push(String::from_utf8(l.to_vec()).unwrap());
            false
        });
        std::fs::remove_file(&path).unwrap();
        assert_eq!(got.len(), 2001);
        assert_eq!(got[1999], "line 1999");
        assert_eq!(got[2000], "last");
    }
}
