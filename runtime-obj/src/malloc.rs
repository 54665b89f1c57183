//! C's malloc family on Go's allocator (Go: malloc.go's mallocgc, without the collector):
//! objects up to 32 KiB come from the P's mcache by size class, bigger ones are spans of
//! their own from the heap.
//!
//! Invariants:
//! - Every object is 16-byte aligned; malloc(0) returns a unique 16-byte object (as glibc).
//! - A small object is always handed out at its start, so free finds its class from the page
//!   map's class byte with no span lookup and no division. A large object's span records the
//!   address handed out (`Span.obj`: its base, or inside it for an alignment beyond a page),
//!   and free and realloc accept only that address.
//! - Around every path into the mcache, mcentral or heap the thread's `M.mallocing` is set. A
//!   free that finds it set runs in a signal handler that interrupted malloc or free on this
//!   thread: it pushes the object onto `REMOTE` (one CAS, no lock) for the next slow path to
//!   free. A malloc that finds it set cannot be served safely and is a fatal error, as in Go.
//! - Threads without a P (inside rt_entersyscall/rt_exitsyscall, or sysmon) use mcentral
//!   directly, under its lock; so does every small malloc and free under GODEBUG=mallocdebug=1.
//! - free never calls into the scheduler (a signal handler may free while its thread is
//!   anywhere in the runtime); the slow paths of malloc, which handlers must not call, start or
//!   wake the scavenger, and sysmon wakes it too.
//! - On failure, malloc returns null with errno ENOMEM (rt_errno); nothing here throws except
//!   for misuse when it is seen: a double free, a pointer malloc never returned, a write to a
//!   freed object (debug mode), and malloc re-entered from a signal handler. The fast path does
//!   not check that a small pointer is an object's start (a bad one is caught when it reaches
//!   its span, or at once in debug mode).
//! - Runtime code that takes the allocator's locks outside malloc and free does so `guarded`.
//! - The heap's released pages read as zeros, so calloc of a large object clears it only when
//!   some page was used before (`Span.needzero`); small objects are always cleared.
use core::ptr::null_mut;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use core::sync::atomic::{compiler_fence, AtomicBool, AtomicU64, AtomicU8, AtomicUsize};

use crate::mcache::MCache;
use crate::mcentral::{BadFree, CENTRAL, POISON};
use crate::mheap::{self, with_heap, SPAN_LARGE};
use crate::print::Buf;
use crate::proc_m::getm;
use crate::runtime2::M;
use crate::sizeclasses::{size_to_class, CLASS_SIZE, MAX_SMALL, MIN_ALIGN, NUM_CLASSES, PAGE_SHIFT, PAGE_SIZE};
use crate::vdso::nanotime;

const ENOMEM: i32 = 12;
const EINVAL: i32 = 22;

/// Objects freed by signal handlers that interrupted malloc or free, linked through their
/// first words (a push-only stack: taken whole with one swap, so no ABA).
static REMOTE: AtomicUsize = AtomicUsize::new(0);
/// Mallocs and frees that bypassed the mcaches (large objects, no P, debug mode).
pub static NMALLOC: AtomicU64 = AtomicU64::new(0);
pub static NFREE: AtomicU64 = AtomicU64::new(0);

/// GODEBUG's allocator keys, read at the first slow path: 0 unread, else READ | flags.
static SETTINGS: AtomicU8 = AtomicU8::new(0);
const READ: u8 = 1;
const DEBUG: u8 = 2;
const MADV_FREE: u8 = 4;

fn settings() -> u8 {
    let s = SETTINGS.load(Relaxed);
    if s != 0 {
        return s;
    }
    let v = crate::runtime1::late_vars();
    let s = READ | if v.mallocdebug { DEBUG } else { 0 } | if v.madvfree { MADV_FREE } else { 0 };
    MCACHE_OFF.store(v.mallocdebug, Relaxed);
    SETTINGS.store(s, Relaxed);
    s
}

/// Whether the scavenger releases pages with MADV_DONTNEED (so they read as zeros after).
pub fn madv_dontneed() -> bool {
    settings() & MADV_FREE == 0
}

/// Sets the calling goroutine's errno.
fn set_errno(e: i32) {
    // SAFETY: C code runs on goroutines, whose G is live.
    unsafe { (*crate::tls::getg()).errno = e };
}

/// Marks the thread as inside the allocator; false if it already was (a signal handler).
#[inline(always)]
fn enter(mp: *mut M) -> bool {
    // SAFETY: mp is the current M; only this thread (and its signal handlers, which run to
    // completion before it resumes) reads or writes mallocing.
    unsafe {
        if (*mp).mallocing != 0 {
            return false;
        }
        (*mp).mallocing = 1;
    }
    compiler_fence(SeqCst);
    true
}

#[inline(always)]
fn leave(mp: *mut M) {
    compiler_fence(SeqCst);
    // SAFETY: as in enter.
    unsafe { (*mp).mallocing = 0 };
}

/// Set under GODEBUG=mallocdebug=1 (when the settings are read, at the first small malloc,
/// before any small object exists): frees bypass the mcaches, which stay empty.
static MCACHE_OFF: AtomicBool = AtomicBool::new(false);

/// The P's mcache, if the thread holds a P.
#[inline(always)]
fn mcache(mp: *mut M) -> *mut MCache {
    // SAFETY: mp is the current M; its P, if any, is held by it.
    unsafe {
        let pp = (*mp).p;
        if pp.is_null() {
            null_mut()
        } else {
            core::ptr::addr_of_mut!((*pp).mcache)
        }
    }
}

/// An object of size class `c` (inside enter/leave), or null.
#[inline(always)]
fn alloc_small(mp: *mut M, c: usize) -> *mut u8 {
    let mc = mcache(mp);
    if !mc.is_null() {
        // SAFETY: the P's cache, ours while we hold the P and mallocing is set; c is a class.
        let p = unsafe { (*mc).alloc(c) };
        if !p.is_null() {
            return p;
        }
    }
    alloc_small_slow(mp, c)
}

#[inline(never)]
fn alloc_small_slow(mp: *mut M, c: usize) -> *mut u8 {
    crate::mgcscavenge::wake();
    drain_remote(mp);
    let s = settings();
    let mc = mcache(mp);
    if !mc.is_null() && s & DEBUG == 0 {
        // SAFETY: the P's cache is ours (see alloc_small); c is a class.
        return unsafe { (*mc).refill(c) };
    }
    let debug = s & DEBUG != 0;
    let (p, n) = CENTRAL[c].take(c, 1, debug, nanotime());
    if n == 0 {
        return null_mut();
    }
    if debug {
        check_poison(p as usize, c);
    }
    NMALLOC.fetch_add(1, Relaxed);
    p as *mut u8
}

/// Debug mode: a reused object must still hold the poison its free left (after the word
/// mcentral's link used).
fn check_poison(addr: usize, c: usize) {
    let size = CLASS_SIZE[c] as usize;
    // SAFETY: the object is ours and `size` bytes long.
    let bytes = unsafe { core::slice::from_raw_parts(addr as *const u8, size) };
    if let Some(i) = bytes[8..].iter().position(|&b| b != POISON) {
        fatal(|b| {
            b.str("write to freed memory at ")
                .hex((addr + 8 + i) as u64)
                .str(" (object ")
                .hex(addr as u64)
                .kv(", size class ", size as u64)
                .byte(b')')
        });
    }
}

/// A span of its own for `size` bytes aligned to `align` (a power of two), or null.
fn alloc_large(size: usize, align: usize, zero: bool) -> *mut u8 {
    // Aligning inside the span may skip up to align - PAGE_SIZE bytes; even a 0-byte block
    // needs a byte of its own.
    let extra = align.saturating_sub(PAGE_SIZE);
    let Some(npages) = size.max(1).checked_add(extra + PAGE_SIZE - 1).map(|b| b >> PAGE_SHIFT) else {
        return null_mut();
    };
    crate::mgcscavenge::wake();
    drain_remote(getm());
    let s = with_heap(|h| {
        let s = h.alloc(npages, nanotime());
        // SAFETY: a new in-use span; obj is set under the lock, so a racing double free of an
        // old block at this address cannot match it.
        unsafe {
            if !s.is_null() {
                (*s).obj = (*s).base.next_multiple_of(align);
            }
        }
        s
    });
    if s.is_null() {
        return null_mut();
    }
    NMALLOC.fetch_add(1, Relaxed);
    // SAFETY: a new in-use span of npages pages, ours.
    unsafe {
        let p = (*s).obj;
        if zero && (*s).needzero {
            core::ptr::write_bytes(p as *mut u8, 0, size);
        }
        p as *mut u8
    }
}

/// Enters the allocator for an allocation (every allocating entry point starts here and ends
/// with `leave_alloc`); returns the current M. A malloc from a signal handler that interrupted
/// malloc or free cannot be served safely.
#[inline(always)]
fn enter_alloc() -> *mut M {
    let mp = getm();
    if !enter(mp) {
        crate::print::throw("malloc called from a signal handler that interrupted malloc or free");
    }
    mp
}

/// Leaves the allocator after an allocation, setting errno ENOMEM if it failed.
#[inline(always)]
fn leave_alloc(mp: *mut M, p: *mut u8) -> *mut u8 {
    leave(mp);
    if p.is_null() {
        set_errno(ENOMEM);
    }
    p
}

/// malloc and calloc: `size` bytes, cleared if `zero`.
#[inline(always)]
fn mallocgc(size: usize, zero: bool) -> *mut u8 {
    let mp = enter_alloc();
    let small = size <= MAX_SMALL;
    let p = if small {
        alloc_small(mp, size_to_class(size))
    } else {
        alloc_large(size, MIN_ALIGN, zero)
    };
    let p = leave_alloc(mp, p);
    if zero && small && !p.is_null() {
        // SAFETY: the object has at least `size` bytes.
        unsafe { core::ptr::write_bytes(p, 0, size) };
    }
    p
}

/// Frees `addr` (inside enter/leave).
#[inline(always)]
fn free_inner(mp: *mut M, addr: usize) {
    match mheap::class_of(addr) {
        Some(c) if c != 0 => {
            let mc = mcache(mp);
            if !mc.is_null() && !MCACHE_OFF.load(Relaxed) {
                // SAFETY: the P's cache (see alloc_small); a small page's class byte names the
                // class of the object the program says it is done with.
                if let Err((a, e)) = unsafe { (*mc).free(c as usize, addr as *mut u8) } {
                    bad_free(a, c as usize, e);
                }
                return;
            }
            free_small_slow(c as usize, addr)
        }
        _ => free_large(addr),
    }
}

#[inline(never)]
fn free_small_slow(c: usize, addr: usize) {
    let debug = settings() & DEBUG != 0;
    // SAFETY: one object, whose link word give does not read (n = 1).
    if let Err((a, e)) = unsafe { CENTRAL[c].give(c, addr as *mut usize, 1, debug, nanotime()) } {
        bad_free(a, c, e);
    }
    NFREE.fetch_add(1, Relaxed);
}

#[inline(never)]
fn free_large(addr: usize) {
    let now = nanotime();
    let ok = with_heap(|h| {
        // Under the heap lock the span's state is stable, so two racing frees cannot both pass.
        let s = large_at(addr);
        if !s.is_null() {
            // SAFETY: an in-use large span whose block the program says it is done with.
            unsafe { h.free(s, now) };
        }
        !s.is_null()
    });
    if !ok {
        bad_free(addr, 0, BadFree::NotAnObject);
    }
    NFREE.fetch_add(1, Relaxed);
}

/// Frees the objects signal handlers left on REMOTE (inside enter/leave).
fn drain_remote(mp: *mut M) {
    if REMOTE.load(Relaxed) == 0 {
        return;
    }
    let mut q = REMOTE.swap(0, Acquire);
    while q != 0 {
        // SAFETY: pushed objects are linked through their first words.
        let next = unsafe { *(q as *const usize) };
        free_inner(mp, q);
        q = next;
    }
}

/// Runs `f` marked as inside the allocator, for runtime code outside malloc and free that
/// takes the allocator's locks (the scavenger, rt_memstats, retiring a P): a signal handler
/// that interrupts it and frees must defer its free, or it could wait on a lock its own thread
/// holds.
pub fn guarded<R>(f: impl FnOnce() -> R) -> R {
    let mp = getm();
    let entered = enter(mp);
    let r = f();
    if entered {
        leave(mp);
    }
    r
}

/// Frees what signal handlers left on REMOTE, from a goroutine outside the allocator (the
/// scavenger, rt_memstats), so those objects do not wait for the next slow path.
pub fn drain_remote_now() {
    guarded(|| drain_remote(getm()));
}

/// Gives the cache of `pp`, a P leaving service, back to mcentral.
///
/// # Safety
/// Nothing else uses `pp`'s cache: the current M holds `pp`, or `pp` was just retired from the
/// idle list under sched.lock (held; the allocator's locks nest inside it).
pub unsafe fn flush_cache(pp: *mut crate::runtime2::P) {
    // SAFETY: the caller's guarantee: the cache is ours.
    if let Err((a, e)) = guarded(|| unsafe { (*pp).mcache.flush_all() }) {
        bad_free(a, mheap::class_of(a).unwrap_or(0) as usize, e);
    }
}

fn push_remote(addr: usize) {
    let mut old = REMOTE.load(Relaxed);
    loop {
        // SAFETY: the object is being freed, so its first word is ours.
        unsafe { *(addr as *mut usize) = old };
        match REMOTE.compare_exchange_weak(old, addr, Release, Relaxed) {
            Ok(_) => return,
            Err(now) => old = now,
        }
    }
}

/// `fatal error: ...` built by `f`, exit status 2.
#[cold]
fn fatal(f: impl FnOnce(&mut Buf) -> &mut Buf) -> ! {
    let mut b = Buf::new();
    f(b.str("fatal error: ")).byte(b'\n').flush(2);
    crate::print::die()
}

/// Reports a free the allocator cannot accept and exits.
#[cold]
pub fn bad_free(addr: usize, c: usize, e: BadFree) -> ! {
    match e {
        BadFree::DoubleFree => fatal(|b| {
            b.str("double free of ")
                .hex(addr as u64)
                .kv(" (size class ", u64::from(CLASS_SIZE[c]))
                .byte(b')')
        }),
        BadFree::NotAnObject => fatal(|b| {
            b.str("free of ")
                .hex(addr as u64)
                .str(", which malloc did not return or which was already freed")
        }),
    }
}

/// The large span whose block malloc returned at `addr`, or null.
fn large_at(addr: usize) -> *mut mheap::Span {
    let s = mheap::span_of(addr);
    // SAFETY: span_of returns a live in-use span or null.
    match unsafe { s.as_ref() } {
        Some(sp) if sp.state == SPAN_LARGE && sp.obj == addr => s,
        _ => null_mut(),
    }
}

/// The bytes usable at `addr` (a pointer malloc returned), or a fatal error.
fn usable_size(addr: usize) -> usize {
    match mheap::class_of(addr) {
        Some(c) if c != 0 => CLASS_SIZE[c as usize] as usize,
        _ => match large_at(addr) {
            s if s.is_null() => bad_free(addr, 0, BadFree::NotAnObject),
            // SAFETY: large_at returns a live in-use span.
            s => unsafe { (*s).end() - addr },
        },
    }
}

/// C: `size` bytes, 16-byte aligned, or null (errno ENOMEM).
#[no_mangle]
pub extern "C" fn malloc(size: usize) -> *mut u8 {
    mallocgc(size, false)
}

/// C: `n * size` zeroed bytes, or null (errno ENOMEM) if that overflows or memory runs out.
#[no_mangle]
pub extern "C" fn calloc(n: usize, size: usize) -> *mut u8 {
    match n.checked_mul(size) {
        Some(total) => mallocgc(total, true),
        None => {
            set_errno(ENOMEM);
            null_mut()
        }
    }
}

/// C: frees what malloc and friends returned (null does nothing).
///
/// # Safety
/// `p` is null or a live allocation the program no longer uses.
#[no_mangle]
pub unsafe extern "C" fn free(p: *mut u8) {
    if p.is_null() {
        return;
    }
    let mp = getm();
    if !enter(mp) {
        push_remote(p as usize);
        return;
    }
    free_inner(mp, p as usize);
    leave(mp);
}

/// C: resizes `p` to `size` bytes, in place when the size class (or, for a large object, its
/// pages) allows; realloc(NULL, n) is malloc(n), realloc(p, 0) frees p and returns null (as
/// glibc). On failure returns null with errno ENOMEM and leaves `p` as it was.
///
/// # Safety
/// `p` is null or a live allocation.
#[no_mangle]
pub unsafe extern "C" fn realloc(p: *mut u8, size: usize) -> *mut u8 {
    if p.is_null() {
        return malloc(size);
    }
    if size == 0 {
        // SAFETY: the caller's guarantee.
        unsafe { free(p) };
        return null_mut();
    }
    let have = usable_size(p as usize);
    let in_place = match mheap::class_of(p as usize) {
        Some(c) if c != 0 => size <= MAX_SMALL && size_to_class(size) == c as usize,
        _ => size <= have && size > MAX_SMALL && size >= have / 2,
    };
    if in_place {
        return p;
    }
    let q = malloc(size);
    if !q.is_null() {
        // SAFETY: both are live and at least min(have, size) bytes long; they do not overlap.
        unsafe {
            crate::mem::copy_forward(q, p, have.min(size));
            free(p);
        }
    }
    q
}

/// C: realloc of `n * size` bytes, or null (errno ENOMEM, `p` untouched) if that overflows.
///
/// # Safety
/// As for realloc.
#[no_mangle]
pub unsafe extern "C" fn reallocarray(p: *mut u8, n: usize, size: usize) -> *mut u8 {
    match n.checked_mul(size) {
        // SAFETY: the caller's guarantee.
        Some(total) => unsafe { realloc(p, total) },
        None => {
            set_errno(ENOMEM);
            null_mut()
        }
    }
}

/// C: `size` bytes aligned to `align` (a power of two; otherwise null, errno EINVAL). Up to a
/// page, a size class whose objects all have that alignment serves it, so free needs nothing
/// special; beyond, a span of its own is over-allocated and the pointer aligned inside it.
#[no_mangle]
pub extern "C" fn memalign(align: usize, size: usize) -> *mut u8 {
    if !align.is_power_of_two() {
        set_errno(EINVAL);
        return null_mut();
    }
    if align <= MIN_ALIGN {
        return malloc(size);
    }
    let mp = enter_alloc();
    let p = if align <= PAGE_SIZE && size <= MAX_SMALL {
        let mut c = size_to_class(size.max(align));
        while c < NUM_CLASSES - 1 && !(CLASS_SIZE[c] as usize).is_multiple_of(align) {
            c += 1;
        }
        alloc_small(mp, c)
    } else {
        alloc_large(size, align, false)
    };
    leave_alloc(mp, p)
}

/// C11: as memalign.
#[no_mangle]
pub extern "C" fn aligned_alloc(align: usize, size: usize) -> *mut u8 {
    memalign(align, size)
}

/// POSIX: stores `size` bytes aligned to `align` (a power of two multiple of the pointer
/// size) in `*out`; returns 0, EINVAL for a bad alignment or ENOMEM (errno is not set).
///
/// # Safety
/// `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn posix_memalign(out: *mut *mut u8, align: usize, size: usize) -> i32 {
    if !align.is_power_of_two() || !align.is_multiple_of(core::mem::size_of::<usize>()) {
        return EINVAL;
    }
    // SAFETY: C code runs on goroutines; errno is restored, as POSIX leaves it alone here.
    let saved = unsafe { (*crate::tls::getg()).errno };
    let p = memalign(align, size);
    set_errno(saved);
    if p.is_null() {
        return ENOMEM;
    }
    // SAFETY: the caller's guarantee.
    unsafe { *out = p };
    0
}

/// glibc: the bytes usable at `p` (at least what was asked for); 0 for null.
///
/// # Safety
/// `p` is null or a live allocation.
#[no_mangle]
pub unsafe extern "C" fn malloc_usable_size(p: *mut u8) -> usize {
    if p.is_null() {
        0
    } else {
        usable_size(p as usize)
    }
}
