//! sysmon (Go: sysmon in proc.go): a system M, with no P, that watches the scheduler: it takes
//! the P of an M blocked in a system call and hands it to another M (syscall.rs: retake); it
//! preempts goroutines that have run 10 ms without scheduling (preempt.rs); once a
//! second, unless GOMAXPROCS was set, it moves GOMAXPROCS to follow the CPUs the process may use
//! and its cgroup quota (Go 1.25); and with `GODEBUG=schedtrace=N` it prints, every N ms, a line
//! in Go's format on stderr,
//! ```text
//! SCHED 1004ms: gomaxprocs=2 idleprocs=0 threads=4 spinningthreads=0 idlethreads=1 runqueue=0 [3 1]
//! ```
//! and with `scheddetail=1` a line per P and per M after it.
//!
//! Invariants:
//! - sysmon is started with the program's first goroutine or timer (`enable_ms`): until then a
//!   program has one goroutine and nothing to watch, so hello starts no thread.
//! - Its tick is Go's: 20 us while it keeps finding work (a P retaken), doubling after 50 idle
//!   ticks up to 10 ms. Ticks of 1 ms and more are dozes that `entersyscall` cuts short (`wake`),
//!   so a system call that blocks is retaken after about 20-40 us, not after the rest of a
//!   10 ms sleep; between 40 us and 1 ms it waits at most two ticks.
//! - It holds no P and takes only `Sched.lock` (briefly, to read a consistent snapshot), so it
//!   never delays the scheduler. It is counted in `Sched.nmsys` and not as a running M, so it
//!   does not hide a deadlock.
//! - GODEBUG (the value the bootstrap found) is parsed again here for sysmon's keys (ignored under
//!   AT_SECURE, as in the bootstrap), so the bootstrap's parser, which every program links, does
//!   not grow.
use crate::lock_futex::Doze;
use crate::preempt;
use crate::print::Buf;
use crate::proc_m::{newm_sys, sched, setmaxprocs, MAX_PROCS, PROCS_SET_BY_USER};
use crate::runtime1::{cstr_bytes, parse_procs, LateVars, ENV};
use crate::sys_linux;
use crate::vdso::nanotime;
use core::sync::atomic::AtomicBool;
use core::sync::atomic::Ordering::Relaxed;

/// Starts sysmon. Called once, by `enable_ms`, with the program's first goroutine or timer.
pub fn start(v: &LateVars) {
    PREEMPT.store(!v.asyncpreemptoff && crate::preempt::init(), Relaxed);
    newm_sys(sysmon);
}

static PREEMPT: AtomicBool = AtomicBool::new(false);
static DOZE: Doze = Doze::new();

/// Cuts sysmon's doze short (entersyscall: a call that blocks should be retaken soon).
#[inline(always)]
pub fn wake() {
    DOZE.wake();
}

const MIN_TICK_NS: i64 = 20_000;
const DOZE_NS: i64 = 1_000_000;

/// sysmon's loop, on its own thread (no P): retake, preemption, the CPU count and schedtrace,
/// each when due; see the module comment for the tick.
extern "C" fn sysmon() -> ! {
    let v = crate::runtime1::late_vars();
    let trace = v.schedtrace as i64 * 1_000_000;
    let start = nanotime();
    let mut next_trace = start + trace;
    let mut next_procs = start + 1_000_000_000;
    let (mut idle, mut delay) = (0u32, MIN_TICK_NS);
    loop {
        delay = if idle == 0 {
            MIN_TICK_NS
        } else if idle > 50 {
            (delay * 2).min(preempt::FORCE_PREEMPT_NS)
        } else {
            delay
        };
        let mut sleep = delay;
        if trace > 0 {
            sleep = sleep.min(next_trace - nanotime()).max(MIN_TICK_NS);
        }
        if sleep >= DOZE_NS {
            if DOZE.sleep_for(sleep) {
                idle = 0;
            }
        } else {
            let ts = [0, sleep];
            // SAFETY: nanosleep reads a valid timespec and writes nothing (null remainder).
            unsafe { sys_linux::syscall3(sys_linux::SYS_NANOSLEEP, ts.as_ptr() as usize, 0, 0) };
        }
        let now = nanotime();
        if crate::syscall::retake(now) != 0 {
            idle = 0;
        } else {
            idle += 1;
        }
        if PREEMPT.load(Relaxed) {
            preempt::check(now);
        }
        crate::mgcscavenge::poke();
        if now >= next_procs {
            next_procs += 1_000_000_000;
            follow_cpus();
        }
        if trace > 0 && now >= next_trace {
            schedtrace(now - start, v.scheddetail);
            next_trace += trace;
        }
    }
}

/// Go 1.25: unless GOMAXPROCS was set (by the environment or rt_setmaxprocs), the default
/// follows the CPUs the process may use and its cgroup quota, re-read here once a second.
fn follow_cpus() {
    if PROCS_SET_BY_USER.load(Relaxed) {
        return;
    }
    // SAFETY: ENV is read-only since the bootstrap; a non-null value is NUL-terminated.
    let env = unsafe { (*ENV.get()).gomaxprocs };
    // SAFETY: as above.
    if !env.is_null() && parse_procs(unsafe { cstr_bytes(env) }).is_some() {
        return;
    }
    let n = crate::os_linux::getproccount_of(sys_linux::getpid());
    let limit = if n <= 2 {
        None
    } else {
        crate::cgroup::reread_cpu_limit_milli()
    };
    let want = crate::cgroup::default_procs(n, limit).min(MAX_PROCS);
    // SAFETY: SCHED's count is an atomic.
    if want != unsafe { (*sched()).gomaxprocs.load(Relaxed) } {
        setmaxprocs(want);
    }
}

/// One SCHED line (and with `detail`, a line per P and M), from a snapshot under sched.lock
/// (as Go prints it); each line is written on its own.
fn schedtrace(elapsed: i64, detail: bool) {
    // SAFETY: the fields read here change only under sched.lock, which is held; allp has
    // gomaxprocs live Ps and allm links every M whose thread runs (an M leaves it, under the
    // lock, when its thread exits; its memory is never freed).
    unsafe {
        let s = sched();
        (*s).lock.lock();
        let procs = (*s).gomaxprocs.load(Relaxed) as usize;
        let all = (*s).allp.load(Relaxed);
        let mut b = Buf::new();
        b.str("SCHED ")
            .u64((elapsed / 1_000_000) as u64)
            .kv("ms: gomaxprocs=", procs as u64)
            .kv(" idleprocs=", (*s).npidle.load(Relaxed).into())
            .kv(" threads=", ((*s).mnext - (*s).nmfreed) as u64)
            .kv(" spinningthreads=", (*s).nmspinning.load(Relaxed).into())
            .kv(" idlethreads=", (*s).nmidle as u64)
            .kv(" runqueue=", (*s).runq.len().into())
            .str(" [");
        for i in 0..procs {
            b.str(if i > 0 { " " } else { "" })
                .u64((**all.add(i)).runq.len().into());
        }
        b.str("]\n").flush(2);
        if detail {
            for i in 0..procs {
                let p = &**all.add(i);
                let mut b = Buf::new();
                b.kv("  P", i as u64)
                    .kv(": status=", p.status.load(Relaxed).into())
                    .kv(" schedtick=", p.schedtick.into());
                id_or_none(&mut b, " m=", (!p.m.is_null()).then(|| (*p.m).id as u64));
                b.kv(" runqsize=", p.runq.len().into())
                    .kv(" timerslen=", p.timers.len.into())
                    .byte(b'\n')
                    .flush(2);
            }
            let mut mp = (*s).allm;
            while !mp.is_null() {
                let m = &*mp;
                let mut b = Buf::new();
                b.kv("  M", m.id as u64);
                id_or_none(&mut b, " p=", (!m.p.is_null()).then(|| (*m.p).id as u64));
                id_or_none(&mut b, " curg=", (!m.curg.is_null()).then(|| (*m.curg).goid));
                b.kv(" spinning=", u64::from(m.spinning))
                    .str(if m.mstartfn.is_some() { " (sysmon)" } else { "" })
                    .byte(b'\n')
                    .flush(2);
                mp = m.alllink;
            }
        }
        (*s).lock.unlock();
    }
}

/// `key` and the id, or -1 for none (as Go prints a missing P, M or G).
fn id_or_none(b: &mut Buf, key: &str, id: Option<u64>) {
    match id {
        Some(v) => b.kv(key, v),
        None => b.str(key).str("-1"),
    };
}
