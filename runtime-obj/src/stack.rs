//! Goroutine stacks (Go: stack.go): g0's stack carved from the OS stack, and mmap'd goroutine
//! stacks, guarded while the kernel's mapping limit allows, recycled through a pool.
//!
//! Invariants:
//! - g0 on m0 runs on the OS stack: hi = the aligned entry sp, lo = hi - 64 KiB (Go 1.26);
//!   stackguard0/1 = lo + STACK_GUARD.
//! - A guarded goroutine stack is its own mapping `[guard | usable]`: the guard page below `lo`
//!   is PROT_NONE, so running off the end faults instead of corrupting a neighbour. Mappings
//!   are MAP_NORESERVE: only touched pages cost memory.
//! - The main goroutine's stack follows RLIMIT_STACK (8 MiB by default, capped at 1 GiB), as C
//!   programs expect of the main thread; other goroutines get DEFAULT_STACK. With a finite
//!   limit it is the rest of the OS stack, directly below g0's: `[top - limit, g0.lo)`, where
//!   `top` bounds the initial stack from above (the page after the exec'd path, the highest
//!   string the kernel put there). The kernel grows that mapping on demand and keeps its guard
//!   gap below it, so it needs no mmap and its first pages share the page tables the OS stack
//!   already has (a fresh mapping's first touch costs ~8 us, most of rtlink's start-up
//!   budget). With no limit, or no AT_EXECFN, it is an ordinary mapped stack.
//! - Freed default-size stacks go to a pool and are reused before any new mapping. The pool
//!   (and the main stack's hand-out, and the spans below) is touched only under `POOL_LOCK`,
//!   since every M allocates and frees stacks.
//! - Guard pages are bounded by the kernel's limit on mappings (vm.max_map_count, 65,530 by
//!   default): each guarded stack costs two (its guard and its usable part differ in
//!   protection, so they never merge), and a process at the limit cannot mmap, or even munmap
//!   part of a mapping, any more. So goroutine stacks get a guard page while there are fewer
//!   than (max_map_count - 8,192) / 2 of them (28,669 by default), leaving the rest of the
//!   limit to the program. Stacks beyond that come, unguarded, from spans of SPAN_STACKS
//!   adjacent stacks in one mapping (which also merges with its neighbours): a program can have
//!   1,000,000 goroutines, and raising vm.max_map_count raises the number guarded. Unguarded
//!   stacks are as cheap (untouched pages cost nothing) but an overflow corrupts the stack
//!   below instead of faulting, as with any C thread whose stack has no guard.
use core::sync::atomic::Ordering::Relaxed;
use core::sync::atomic::{AtomicPtr, AtomicUsize};

use crate::global::Global;
use crate::lock_futex::Mutex;
use crate::print::throw;
use crate::runtime2::Stack;
use crate::sys_linux::{self, MAP_NORESERVE, MAP_STACK, PROT_NONE, PROT_READ, PROT_WRITE};

pub const G0_STACK: usize = 64 << 10;
pub const STACK_GUARD: usize = 928;
/// rt_go's stack size unless GODEBUG=stacksize= sets another (`set_goroutine_size`).
pub const DEFAULT_STACK: usize = 256 << 10;
/// The sizes rt_go_stack and GODEBUG=stacksize= may ask for (rounded up to pages).
pub const MIN_STACK: usize = 16 << 10;
pub const MAX_STACK: usize = 1 << 30;
const MAX_MAIN_STACK: usize = 1 << 30;
const GUARD: usize = 4096;
const RLIMIT_STACK: usize = 3;

pub struct StackState {
    pub main_size: usize,
    /// The main goroutine's stack on the OS stack, until stackalloc hands it out (lo = 0: none).
    main: Stack,
    /// The size of rt_go's stacks (DEFAULT_STACK, or GODEBUG=stacksize=).
    pub goroutine_size: usize,
    /// Free stacks of goroutine_size, linked through their top word.
    pool: usize,
    pub pooled: usize,
    /// Goroutine stacks made with a guard page, and how many may be (0: not computed yet).
    guarded: usize,
    guard_budget: usize,
    /// The unguarded span being carved: [span_next, span_end).
    span_next: usize,
    span_end: usize,
}

pub static STACKS: Global<StackState> = Global::new(StackState {
    main_size: 0,
    main: Stack { lo: 0, hi: 0 },
    goroutine_size: DEFAULT_STACK,
    pool: 0,
    pooled: 0,
    guarded: 0,
    guard_budget: 0,
    span_next: 0,
    span_end: 0,
});

static POOL_LOCK: Mutex = Mutex::new();

/// Bytes of goroutine stacks handed out and not back in the pool or unmapped, main's once
/// `enable_ms` has run (see `inuse`).
static STACKS_INUSE: AtomicUsize = AtomicUsize::new(0);

pub fn g0_stack(sp: usize) -> Stack {
    Stack {
        lo: sp - G0_STACK,
        hi: sp,
    }
}

/// Go's stackinit: sizes the main goroutine's stack from RLIMIT_STACK, below g0's stack
/// `[g0_lo, ..)` on the OS stack that ends under `top` (0: unknown); the pool starts empty.
/// Returns the size and whether the stack is on the OS stack.
pub fn stackinit(g0_lo: usize, top: usize) -> (usize, bool) {
    let mut lim = [0u64; 2];
    // SAFETY: prlimit64(0, RLIMIT_STACK, NULL, &lim) writes 16 bytes into lim.
    let r = unsafe { sys_linux::syscall4(sys_linux::SYS_PRLIMIT64, 0, RLIMIT_STACK, 0, lim.as_mut_ptr() as usize) };
    let cur = if r == 0 { lim[0] as usize } else { 8 << 20 };
    let mut size = cur.clamp(G0_STACK, MAX_MAIN_STACK).next_multiple_of(GUARD);
    // SAFETY: STACKS is only touched on m0 during start-up.
    let st = unsafe { &mut *STACKS.get() };
    // The lowest address the OS stack may reach, a page above the limit for slack.
    let floor = ((top | (GUARD - 1)) + 1 + GUARD).wrapping_sub(size);
    let carved = top > g0_lo && cur <= MAX_MAIN_STACK && floor < g0_lo && g0_lo - floor >= G0_STACK;
    if carved {
        size = g0_lo - floor;
        st.main = Stack { lo: floor, hi: g0_lo };
    }
    st.main_size = size;
    (size, carved)
}

/// A stack of `size` usable bytes (a multiple of the page size): the main goroutine's, or a
/// new mapping with a guard page.
#[inline(always)]
pub fn stackalloc(size: usize) -> Stack {
    POOL_LOCK.lock();
    // SAFETY: POOL_LOCK is held, so this is the only reference to STACKS.
    let main = unsafe {
        let st = &mut *STACKS.get();
        if size == st.main_size && st.main.lo != 0 {
            Some(core::mem::replace(&mut st.main, Stack { lo: 0, hi: 0 }))
        } else {
            None
        }
    };
    POOL_LOCK.unlock();
    if let Some(s) = main {
        return s;
    }
    stackalloc_guarded(size)
}

/// Adjacent unguarded stacks mapped at once, past the guard budget (16 MiB of address space at
/// the default size).
const SPAN_STACKS: usize = 64;
/// Mappings left to the program when budgeting guard pages.
const MAP_RESERVE: usize = 8192;

/// A stack size as rt_go_stack and GODEBUG=stacksize= take it: rounded up to a whole number of
/// pages, within [MIN_STACK, MAX_STACK].
pub fn round_size(size: usize) -> usize {
    size.clamp(MIN_STACK, MAX_STACK).next_multiple_of(GUARD)
}

/// Sets rt_go's stack size (GODEBUG=stacksize=; 0 keeps the default). Called once, by
/// `enable_ms`, before the first goroutine other than main is made, so the pool holds stacks of
/// one size only.
pub fn set_goroutine_size(size: usize) {
    if size != 0 {
        POOL_LOCK.lock();
        // SAFETY: before any other goroutine exists; POOL_LOCK orders it for later readers.
        unsafe { (*STACKS.get()).goroutine_size = round_size(size) };
        POOL_LOCK.unlock();
    }
}

/// rt_go's stack size.
pub fn goroutine_size() -> usize {
    // SAFETY: written once, before any goroutine but main exists (set_goroutine_size).
    unsafe { (*STACKS.get()).goroutine_size }
}

/// A stack for a goroutine: of rt_go's size from the pool, else a new one, guarded while the
/// guard budget lasts, else carved from a span (see the module comment); of any other size
/// (rt_go_stack), a mapping of its own with a guard page.
pub fn stackalloc_goroutine(size: usize) -> Stack {
    STACKS_INUSE.fetch_add(size, Relaxed);
    if size != goroutine_size() {
        return stackalloc_guarded(size);
    }
    POOL_LOCK.lock();
    // SAFETY: POOL_LOCK is held, so this is the only reference to STACKS; the pool holds only
    // stacks stackfree gave back, each linking the next through its top word, which nothing
    // else uses while the stack is free; spans are ours alone.
    unsafe {
        let st = &mut *STACKS.get();
        if st.pool != 0 {
            let hi = st.pool;
            st.pool = *((hi - 8) as *const usize);
            st.pooled -= 1;
            POOL_LOCK.unlock();
            return Stack { lo: hi - size, hi };
        }
        if st.guard_budget == 0 {
            st.guard_budget = guard_budget();
        }
        if st.guarded < st.guard_budget {
            st.guarded += 1;
            POOL_LOCK.unlock();
            return stackalloc_guarded(size);
        }
        if st.span_next == st.span_end {
            let r = sys_linux::mmap_anon(SPAN_STACKS * size, PROT_READ | PROT_WRITE, MAP_NORESERVE | MAP_STACK);
            if r < 0 {
                POOL_LOCK.unlock();
                throw("out of memory allocating stack");
            }
            st.span_next = r as usize;
            st.span_end = r as usize + SPAN_STACKS * size;
        }
        let lo = st.span_next;
        st.span_next += size;
        POOL_LOCK.unlock();
        Stack { lo, hi: lo + size }
    }
}

/// How many goroutine stacks may have a guard page: (vm.max_map_count - MAP_RESERVE) / 2.
fn guard_budget() -> usize {
    let mut buf = [0u8; 24];
    let limit = crate::os_linux::read_file(b"/proc/sys/vm/max_map_count\0", &mut buf)
        .and_then(|n| crate::cgroup::parse_u64(&buf[..n]))
        .unwrap_or(65_530) as usize;
    (limit.saturating_sub(MAP_RESERVE) / 2).max(1)
}

/// A new mapping `[guard | size usable bytes]`.
fn stackalloc_guarded(size: usize) -> Stack {
    let r = sys_linux::mmap_anon(size + GUARD, PROT_READ | PROT_WRITE, MAP_NORESERVE | MAP_STACK);
    if r < 0 {
        throw("out of memory allocating stack");
    }
    let base = r as usize;
    // SAFETY: the guard page is the lowest page of the mapping we just made.
    if unsafe { sys_linux::mprotect(base, GUARD, PROT_NONE) } != 0 {
        throw("stackalloc: cannot protect guard page");
    }
    Stack {
        lo: base + GUARD,
        hi: base + GUARD + size,
    }
}

/// Returns a stack nothing runs on any more.
#[inline(always)]
pub fn stackfree(s: Stack) {
    // SAFETY: the caller no longer uses `s`; its top word becomes the pool link (under
    // POOL_LOCK, the only reference to STACKS); UNMAP holds stackfree_unmap or nothing.
    unsafe {
        if s.size() == goroutine_size() {
            STACKS_INUSE.fetch_sub(s.size(), Relaxed);
            POOL_LOCK.lock();
            let st = &mut *STACKS.get();
            *((s.hi - 8) as *mut usize) = st.pool;
            st.pool = s.hi;
            st.pooled += 1;
            POOL_LOCK.unlock();
        } else {
            let unmap = UNMAP.load(Relaxed);
            if !unmap.is_null() {
                let f: fn(Stack) = core::mem::transmute(unmap);
                f(s);
            }
        }
    }
}

/// `stackfree_unmap` once `enable_ms` has run. Before it, the only goroutine is main, whose
/// stack is freed only if it calls rt_goexit with no goroutine left to run: a deadlock, so
/// keeping that stack costs nothing; and hello does not link the unmapping.
pub static UNMAP: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

/// Starts counting main's stack in STACKS_INUSE (`enable_ms`, while main still runs: until
/// then `inuse` adds it, so hello's stack code stays as small as it was).
pub fn count_main_stack() {
    // SAFETY: main_size is set once, by stackinit.
    STACKS_INUSE.fetch_add(unsafe { (*STACKS.get()).main_size }, Relaxed);
}

/// Bytes of goroutine stacks in use (rt_memstats): handed out, not pooled or unmapped.
pub fn inuse() -> usize {
    // SAFETY: as in count_main_stack.
    let main = unsafe { (*STACKS.get()).main_size };
    STACKS_INUSE.load(Relaxed) + if UNMAP.load(Relaxed).is_null() { main } else { 0 }
}

/// Unmaps a stack of a size the pool does not keep, with its guard page.
pub fn stackfree_unmap(s: Stack) {
    STACKS_INUSE.fetch_sub(s.size(), Relaxed);
    // SAFETY: the stack is unused (stackfree's caller) and was mapped with its guard page.
    unsafe { sys_linux::munmap(s.lo - GUARD, s.size() + GUARD) };
}
