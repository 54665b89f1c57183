//! The page heap (Go: mheap.go): runs of 8 KiB pages ("spans") carved from memory mapped in
//! 64 MiB steps, handed to mcentral (small-object spans) and to large allocations, and taken
//! back, merged with free neighbours, for reuse or release to the OS.
//!
//! Invariants:
//! - Heap memory comes from anonymous MAP_NORESERVE mappings of whole 64 MiB steps (more for
//!   a bigger request), each placed right after the previous one when that range is free, so
//!   the heap usually stays contiguous and free spans merge across steps. Nothing is unmapped.
//! - Every 64 MiB-aligned slot of the address space that heap memory touches has a
//!   `HeapArena` record, found through the page map `ARENAS` (one entry per slot, 2^21 slots
//!   for 47-bit user addresses: 16 MiB, made when the heap first grows; untouched entries cost
//!   nothing). A
//!   record holds, per page: the span it belongs to, the size class of small-object pages (0
//!   for every other page: the lock-free test free() uses), and two bits: released (the page
//!   was never touched or was given back with madvise, so it is not in RSS) and zeroed (it reads
//!   as zeros). Records are never freed, so a pointer read from `ARENAS` stays valid.
//! - An in-use span maps every one of its pages to itself; a free span only its first and last
//!   (all merging needs), so interior entries may be stale. A lookup must therefore check that
//!   the span it finds is in use and contains the address.
//! - Free spans are on exactly one list: `free[n]` for n < 128 pages, else `large`; `nonempty`
//!   has bit n set while `free[n]` is not empty. Two free spans are never adjacent (freeing
//!   merges), except while one is out being scavenged (state SCAVENGING).
//! - Allocation is best fit: the smallest free run that fits (lowest address among equal large
//!   ones), split with the rest kept free; growing only when none fits.
//! - The page counts (`Stats`) change with the spans they describe; `idle` mirrors
//!   free - released for readers without the lock (the scavenger's wakeup test).
//! - The global heap is `HEAP` under `HEAP_LOCK`; lock order is mcentral, then heap.
use core::ptr::null_mut;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering::*};

use crate::global::Global;
use crate::lock_futex::Mutex;
use crate::sizeclasses::{MAX_OBJECTS, PAGE_SHIFT, PAGE_SIZE};
use crate::sys_linux::{self, MAP_NORESERVE, PROT_READ, PROT_WRITE};

pub const ARENA_SHIFT: usize = 26;
pub const ARENA_BYTES: usize = 1 << ARENA_SHIFT;
const ARENA_PAGES: usize = ARENA_BYTES / PAGE_SIZE;
/// 64 MiB slots in the 47-bit user address space.
const ARENA_SLOTS: usize = 1 << (47 - ARENA_SHIFT);
/// Free lists by exact size below this many pages; a sorted-by-nothing list above.
const SMALL_RUNS: usize = 128;
/// The most pages the scavenger takes out of circulation at once (16 MiB).
const MAX_LEND: usize = 2048;
/// More pages than this can never be mapped: a request for them fails without a system call.
const MAX_PAGES: usize = 1 << (47 - PAGE_SHIFT);

/// Span states.
pub const SPAN_DEAD: u8 = 0;
pub const SPAN_FREE: u8 = 1;
pub const SPAN_SMALL: u8 = 2;
pub const SPAN_LARGE: u8 = 3;
pub const SPAN_SCAVENGING: u8 = 4;

#[repr(C)]
pub struct HeapArena {
    spans: [*mut Span; ARENA_PAGES],
    class: [u8; ARENA_PAGES],
    released: [u64; ARENA_PAGES / 64],
    zeroed: [u64; ARENA_PAGES / 64],
}

/// The page map: ARENA_SLOTS entries, the arena record of each 64 MiB slot (null while the
/// heap has never grown). It comes from the runtime's arena (persistentalloc), of which a
/// program touches only the pages holding the slots its heap uses. Not .bss: execve maps .bss
/// before the program runs, so 16 MiB there made any RLIMIT_AS below it kill the process with
/// SIGSEGV inside execve, where mallocinit would have said "out of memory".
static ARENAS: AtomicPtr<AtomicPtr<HeapArena>> = AtomicPtr::new(null_mut());

#[repr(C)]
pub struct Span {
    pub base: usize,
    pub npages: usize,
    pub next: *mut Span,
    pub prev: *mut Span,
    pub state: u8,
    pub class: u8,
    /// On its mcentral's list of spans with free objects.
    pub partial: bool,
    /// Some page may hold old bytes (set when the span is allocated).
    pub needzero: bool,
    /// Small spans: objects in all, and free in `bits` (not handed to any mcache).
    pub nelems: u16,
    pub nfree: u16,
    /// Free spans: how many of the pages are released.
    pub released: usize,
    /// Free spans: when the oldest still-unreleased part became free (nanotime).
    pub free_since: i64,
    /// Large spans: the address malloc returned (the base, or inside it for an alignment
    /// beyond a page), the only one free accepts.
    pub obj: usize,
    /// Small spans: bit i set while object i is free.
    pub bits: [u64; MAX_OBJECTS / 64],
}

impl Span {
    pub fn end(&self) -> usize {
        self.base + self.npages * PAGE_SIZE
    }

    pub fn contains(&self, addr: usize) -> bool {
        (self.base..self.end()).contains(&addr)
    }
}

/// A doubly linked list of spans through `next`/`prev`.
pub struct SpanList {
    head: *mut Span,
}

impl Default for SpanList {
    fn default() -> Self {
        Self::new()
    }
}

impl SpanList {
    pub const fn new() -> SpanList {
        SpanList { head: null_mut() }
    }

    pub fn first(&self) -> *mut Span {
        self.head
    }

    pub fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    /// # Safety
    /// `s` is a live span on no list.
    pub unsafe fn push(&mut self, s: *mut Span) {
        // SAFETY: the caller's guarantee; the head, if any, is a live span on this list.
        unsafe {
            (*s).prev = null_mut();
            (*s).next = self.head;
            if !self.head.is_null() {
                (*self.head).prev = s;
            }
        }
        self.head = s;
    }

    /// # Safety
    /// `s` is on this list.
    pub unsafe fn remove(&mut self, s: *mut Span) {
        // SAFETY: the caller's guarantee: s's neighbours are live spans on this list.
        unsafe {
            if (*s).prev.is_null() {
                self.head = (*s).next;
            } else {
                (*(*s).prev).next = (*s).next;
            }
            if !(*s).next.is_null() {
                (*(*s).next).prev = (*s).prev;
            }
            (*s).next = null_mut();
            (*s).prev = null_mut();
        }
    }
}

/// Page counts, in pages except `sys` (bytes mapped).
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Stats {
    pub sys: usize,
    pub inuse: usize,
    pub free: usize,
    pub released: usize,
    pub spans: usize,
}

pub struct MHeap {
    free: [SpanList; SMALL_RUNS],
    /// Bit n set while free[n] is not empty (two words: a u128 shift would pull
    /// compiler_builtins' `__ashlti3`, with its embedded bitcode, into the runtime object).
    nonempty: [u64; 2],
    large: SpanList,
    /// Span records to reuse, linked through `next`.
    spare: *mut Span,
    pub stats: Stats,
    /// Free pages not released, for lock-free readers.
    pub idle: AtomicUsize,
    /// Where the next growth is tried (just past the last).
    hint: usize,
}

impl Default for MHeap {
    fn default() -> Self {
        Self::new()
    }
}

pub static HEAP: Global<MHeap> = Global::new(MHeap::new());
pub static HEAP_LOCK: Mutex = Mutex::new();

/// Runs `f` on the global heap with its lock held.
pub fn with_heap<R>(f: impl FnOnce(&mut MHeap) -> R) -> R {
    HEAP_LOCK.lock();
    // SAFETY: HEAP_LOCK is held, so this is the only reference to HEAP.
    let r = f(unsafe { &mut *HEAP.get() });
    HEAP_LOCK.unlock();
    r
}

/// The arena record of the slot holding `addr`, or null if the heap never touched that slot.
#[inline(always)]
pub fn arena_of(addr: usize) -> *mut HeapArena {
    let map = ARENAS.load(Acquire);
    let slot = addr >> ARENA_SHIFT;
    if map.is_null() || slot >= ARENA_SLOTS {
        return null_mut();
    }
    // SAFETY: a non-null map has ARENA_SLOTS entries and is never freed.
    unsafe { (*map.add(slot)).load(Acquire) }
}

#[inline(always)]
fn page_index(addr: usize) -> usize {
    (addr >> PAGE_SHIFT) & (ARENA_PAGES - 1)
}

/// The size class of the small-object page holding `addr`; 0 for any other heap page, None
/// outside the heap.
#[inline(always)]
pub fn class_of(addr: usize) -> Option<u8> {
    let a = arena_of(addr);
    // SAFETY: arena records are never freed; a page's class byte is written under the heap lock
    // before any object on it is handed out.
    (!a.is_null()).then(|| unsafe { (*a).class[page_index(addr)] })
}

/// The span the page map gives for `addr` (maybe stale for a free span's interior: see the
/// module comment), or null.
#[inline(always)]
fn span_at(addr: usize) -> *mut Span {
    let a = arena_of(addr);
    if a.is_null() {
        return null_mut();
    }
    // SAFETY: as in class_of.
    unsafe { (*a).spans[page_index(addr)] }
}

/// The in-use span containing `addr`, or null if `addr` is not in one.
pub fn span_of(addr: usize) -> *mut Span {
    let s = span_at(addr);
    // SAFETY: span records are never freed (only reused), so reading a stale one is harmless.
    if !s.is_null() && unsafe { matches!((*s).state, SPAN_SMALL | SPAN_LARGE) && (*s).contains(addr) } {
        s
    } else {
        null_mut()
    }
}

/// Calls `f(arena, first page index, count)` for each arena's share of `npages` pages at `base`.
fn each_arena(base: usize, npages: usize, mut f: impl FnMut(&mut HeapArena, usize, usize)) {
    let (mut addr, end) = (base, base + npages * PAGE_SIZE);
    while addr < end {
        let slot_end = (addr | (ARENA_BYTES - 1)) + 1;
        let n = (slot_end.min(end) - addr) / PAGE_SIZE;
        // SAFETY: every page of a span lies in a slot whose record `grow` made first.
        f(unsafe { &mut *arena_of(addr) }, page_index(addr), n);
        addr += n * PAGE_SIZE;
    }
}

/// Calls `f(word, mask)` for the bits of pages [i, i + n) in one arena's bitmap.
fn each_word(bits: &mut [u64], i: usize, n: usize, mut f: impl FnMut(&mut u64, u64)) {
    let (mut i, end) = (i, i + n);
    while i < end {
        let w = i / 64;
        let lo = i % 64;
        let hi = (end - w * 64).min(64);
        let mask = if hi - lo == 64 {
            u64::MAX
        } else {
            ((1u64 << (hi - lo)) - 1) << lo
        };
        f(&mut bits[w], mask);
        i = w * 64 + hi;
    }
}

/// Sets the page map of `npages` pages at `base` to `s` and their class bytes to `class`.
fn set_pages(base: usize, npages: usize, s: *mut Span, class: u8) {
    each_arena(base, npages, |a, i, n| {
        a.spans.iter_mut().skip(i).take(n).for_each(|e| *e = s);
        a.class.iter_mut().skip(i).take(n).for_each(|e| *e = class);
    });
}

/// Whether the heap page at `addr` is released.
fn page_released(addr: usize) -> bool {
    let i = page_index(addr);
    // SAFETY: a heap page has an arena record.
    unsafe { (*arena_of(addr)).released[i / 64] >> (i % 64) & 1 == 1 }
}

/// Records small span `s`'s class for its pages, so free() finds it without the span.
///
/// # Safety
/// `s` is an in-use span of the heap, whose lock is held.
pub unsafe fn set_class(s: *mut Span) {
    // SAFETY: the caller's guarantee.
    let sp = unsafe { &*s };
    set_pages(sp.base, sp.npages, s, sp.class);
}

fn set_ends(s: &Span, p: *mut Span) {
    for addr in [s.base, s.end() - PAGE_SIZE] {
        // SAFETY: a span's pages have arena records.
        unsafe { (*arena_of(addr)).spans[page_index(addr)] = p };
    }
}

impl MHeap {
    pub const fn new() -> MHeap {
        MHeap {
            free: [const { SpanList::new() }; SMALL_RUNS],
            nonempty: [0; 2],
            large: SpanList::new(),
            spare: null_mut(),
            stats: Stats {
                sys: 0,
                inuse: 0,
                free: 0,
                released: 0,
                spans: 0,
            },
            idle: AtomicUsize::new(0),
            hint: 0,
        }
    }

    /// `npages` pages as an in-use span (state SPAN_LARGE until the caller says otherwise),
    /// growing the heap if no free run fits; null if the OS refuses the memory.
    pub fn alloc(&mut self, npages: usize, now: i64) -> *mut Span {
        if npages == 0 || npages > MAX_PAGES {
            return null_mut();
        }
        let mut s = self.find(npages);
        if s.is_null() {
            if !self.grow(npages, now) {
                return null_mut();
            }
            s = self.find(npages);
        }
        // SAFETY: find returns a live free span of at least npages pages on a free list.
        unsafe {
            self.unlist(s);
            let rest = self.cut(s, npages);
            if !rest.is_null() {
                self.list(rest);
            }
            let sp = &mut *s;
            let released = self.count_released(sp);
            let mut zeroed = true;
            each_arena(sp.base, npages, |a, i, n| {
                each_word(&mut a.zeroed, i, n, |w, m| {
                    zeroed &= *w & m == m;
                    *w &= !m;
                });
                each_word(&mut a.released, i, n, |w, m| *w &= !m);
            });
            sp.needzero = !zeroed;
            sp.released = 0;
            sp.state = SPAN_LARGE;
            sp.class = 0;
            set_pages(sp.base, npages, s, 0);
            self.stats.free -= npages;
            self.stats.released -= released;
            self.stats.inuse += npages;
            self.stats.spans += 1;
        }
        self.publish();
        s
    }

    /// Cuts free span `s` (off the lists) after its first `npages` pages: the rest, if any,
    /// becomes a free span of its own with the same history, returned unlisted (else null).
    ///
    /// # Safety
    /// `s` is a free span of this heap on no list, of at least `npages` pages.
    unsafe fn cut(&mut self, s: *mut Span, npages: usize) -> *mut Span {
        // SAFETY: the caller's guarantee; the new span covers pages only s covered.
        unsafe {
            let sp = &mut *s;
            if sp.npages == npages {
                return null_mut();
            }
            let rest = self.new_span(sp.base + npages * PAGE_SIZE, sp.npages - npages);
            let r = &mut *rest;
            r.state = SPAN_FREE;
            r.free_since = sp.free_since;
            sp.npages = npages;
            r.released = sp.released - self.count_released(sp);
            sp.released -= r.released;
            set_ends(r, rest);
            set_ends(sp, s);
            rest
        }
    }

    /// Takes back an in-use span (or one `take_old` lent out), merging it with free neighbours.
    ///
    /// # Safety
    /// `s` came from `alloc` or `take_old` of this heap and nothing uses its memory any more.
    pub unsafe fn free(&mut self, s: *mut Span, now: i64) {
        // SAFETY: the caller's guarantee.
        let sp = unsafe { &mut *s };
        if sp.state != SPAN_SCAVENGING {
            if sp.class != 0 {
                set_pages(sp.base, sp.npages, s, 0);
            }
            self.stats.inuse -= sp.npages;
            self.stats.spans -= 1;
            self.stats.free += sp.npages;
            sp.released = 0;
            sp.free_since = now;
        }
        sp.state = SPAN_FREE;
        sp.class = 0;
        sp.partial = false;
        // SAFETY: s is a free span on no list.
        unsafe { self.insert_merged(s) };
        self.publish();
    }

    /// Lists free span `s` after merging it with its free neighbours.
    unsafe fn insert_merged(&mut self, s: *mut Span) {
        // SAFETY: the caller's guarantee; neighbours found in the page map are checked to be
        // free and adjacent before they are touched.
        unsafe {
            let sp = &mut *s;
            let left = span_at(sp.base.wrapping_sub(PAGE_SIZE));
            if !left.is_null() && (*left).state == SPAN_FREE && (*left).end() == sp.base {
                self.unlist(left);
                sp.base = (*left).base;
                Self::absorb(sp, &*left);
                self.recycle(left);
            }
            let right = span_at(sp.end());
            if !right.is_null() && (*right).state == SPAN_FREE && (*right).base == sp.end() {
                self.unlist(right);
                Self::absorb(sp, &*right);
                self.recycle(right);
            }
            set_ends(sp, s);
            self.list(s);
        }
    }

    /// Adds free neighbour `o`'s pages and history to `s` (whose base already covers both).
    /// When both have unreleased pages the newer time wins: pages just freed must not be
    /// released as if old because an old idle page lay next to them (a program that frees and
    /// reuses memory within the scavenger's AGE should never pay page faults); the old page
    /// waits with them.
    fn absorb(s: &mut Span, o: &Span) {
        let (s_idle, o_idle) = (s.npages > s.released, o.npages > o.released);
        if !s_idle || (o_idle && o.free_since > s.free_since) {
            s.free_since = o.free_since;
        }
        s.npages += o.npages;
        s.released += o.released;
    }

    /// Maps more memory: at least `npages` pages, in whole 64 MiB steps. The kernel aligns
    /// mappings to its 4 KiB pages only, so a page more is mapped and the unaligned end
    /// trimmed: heap pages are 8 KiB-aligned.
    fn grow(&mut self, npages: usize, now: i64) -> bool {
        let bytes = (npages * PAGE_SIZE).next_multiple_of(ARENA_BYTES);
        let r = sys_linux::mmap_anon_near(self.hint, bytes + PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_NORESERVE);
        if r < 0 {
            return false;
        }
        let base = (r as usize).next_multiple_of(PAGE_SIZE);
        // SAFETY: both trimmed ends are parts of the mapping just made that nothing refers to.
        unsafe {
            if base != r as usize {
                sys_linux::munmap(r as usize, base - r as usize);
            }
            let tail = r as usize + bytes + PAGE_SIZE - (base + bytes);
            if tail != 0 {
                sys_linux::munmap(base + bytes, tail);
            }
        }
        if !ensure_arenas(base, bytes) {
            // SAFETY: the mapping was just made and nothing refers to it.
            unsafe { sys_linux::munmap(base, bytes) };
            return false;
        }
        let n = bytes / PAGE_SIZE;
        each_arena(base, n, |a, i, k| {
            each_word(&mut a.released, i, k, |w, m| *w |= m);
            each_word(&mut a.zeroed, i, k, |w, m| *w |= m);
        });
        self.hint = base + bytes;
        self.stats.sys += bytes;
        self.stats.free += n;
        self.stats.released += n;
        let s = self.new_span(base, n);
        // SAFETY: a new span record, on no list.
        unsafe {
            (*s).state = SPAN_FREE;
            (*s).released = n;
            (*s).free_since = now;
            self.insert_merged(s);
        }
        true
    }

    /// Best fit: the smallest free run of at least `npages` pages, or null.
    fn find(&self, npages: usize) -> *mut Span {
        if npages < SMALL_RUNS {
            let (w, b) = (npages / 64, npages % 64);
            let first = self.nonempty[w] >> b << b;
            let fit = if first != 0 {
                w * 64 + first.trailing_zeros() as usize
            } else if w == 0 && self.nonempty[1] != 0 {
                64 + self.nonempty[1].trailing_zeros() as usize
            } else {
                SMALL_RUNS
            };
            if fit < SMALL_RUNS {
                return self.free[fit].first();
            }
        }
        let mut best: *mut Span = null_mut();
        let mut s = self.large.first();
        // SAFETY: the large list links live free spans.
        unsafe {
            while !s.is_null() {
                let (n, b) = ((*s).npages, (*s).base);
                if n >= npages && (best.is_null() || (n, b) < ((*best).npages, (*best).base)) {
                    best = s;
                }
                s = (*s).next;
            }
        }
        best
    }

    fn list(&mut self, s: *mut Span) {
        // SAFETY: s is a live free span on no list.
        let n = unsafe { (*s).npages };
        if n < SMALL_RUNS {
            // SAFETY: as above.
            unsafe { self.free[n].push(s) };
            self.nonempty[n / 64] |= 1 << (n % 64);
        } else {
            // SAFETY: as above.
            unsafe { self.large.push(s) };
        }
    }

    fn unlist(&mut self, s: *mut Span) {
        // SAFETY: s is a free span on the list its size selects.
        let n = unsafe { (*s).npages };
        if n < SMALL_RUNS {
            // SAFETY: as above.
            unsafe { self.free[n].remove(s) };
            if self.free[n].is_empty() {
                self.nonempty[n / 64] &= !(1 << (n % 64));
            }
        } else {
            // SAFETY: as above.
            unsafe { self.large.remove(s) };
        }
    }

    /// Released pages among `s`'s pages.
    fn count_released(&self, s: &Span) -> usize {
        let mut n = 0;
        each_arena(s.base, s.npages, |a, i, k| {
            each_word(&mut a.released, i, k, |w, m| n += (*w & m).count_ones() as usize)
        });
        n
    }

    fn new_span(&mut self, base: usize, npages: usize) -> *mut Span {
        let s = if self.spare.is_null() {
            crate::persistentalloc::persistentalloc(core::mem::size_of::<Span>(), 64) as *mut Span
        } else {
            let s = self.spare;
            // SAFETY: spare records are dead spans linked through next.
            self.spare = unsafe { (*s).next };
            s
        };
        // SAFETY: s is a dead record nothing else refers to; all-zero is a valid Span.
        unsafe {
            core::ptr::write_bytes(s, 0, 1);
            (*s).base = base;
            (*s).npages = npages;
        }
        s
    }

    fn recycle(&mut self, s: *mut Span) {
        // SAFETY: s was merged away and is on no list; stale page map entries may still point
        // at it, which SPAN_DEAD makes harmless.
        unsafe {
            (*s).state = SPAN_DEAD;
            (*s).next = self.spare;
        }
        self.spare = s;
    }

    fn publish(&self) {
        self.idle.store(self.stats.free - self.stats.released, SeqCst);
    }

    /// Lends out part of a free span whose unreleased pages have been free since `cutoff` or
    /// before: at most MAX_LEND pages from its first unreleased one (the rest stays free for
    /// allocation meanwhile, and each loan makes progress), for the scavenger to release
    /// without the lock (give it back with `return_scavenged`).
    pub fn take_old(&mut self, cutoff: i64) -> *mut Span {
        let s = self.find_idle(|s| s.free_since <= cutoff);
        if s.is_null() {
            return s;
        }
        self.unlist(s);
        // SAFETY: a free span just taken off its list; the pieces cut off are listed again.
        unsafe {
            let sp = &*s;
            let first = (0..sp.npages)
                .find(|&i| !page_released(sp.base + i * PAGE_SIZE))
                .unwrap_or(0);
            let mut t = s;
            if first > 0 {
                t = self.cut(s, first);
                self.list(s);
            }
            let rest = self.cut(t, (*t).npages.min(MAX_LEND));
            if !rest.is_null() {
                self.list(rest);
            }
            (*t).state = SPAN_SCAVENGING;
            t
        }
    }

    /// The earliest time a free span with unreleased pages became free, if there is one.
    pub fn oldest_idle(&self) -> Option<i64> {
        let mut t = None;
        self.find_idle(|s| {
            t = Some(t.map_or(s.free_since, |t: i64| t.min(s.free_since)));
            false
        });
        t
    }

    fn find_idle(&self, mut want: impl FnMut(&Span) -> bool) -> *mut Span {
        let lists = self.free.iter().chain(core::iter::once(&self.large));
        for l in lists {
            let mut s = l.first();
            // SAFETY: free lists link live free spans.
            unsafe {
                while !s.is_null() {
                    if (*s).released < (*s).npages && want(&*s) {
                        return s;
                    }
                    s = (*s).next;
                }
            }
        }
        null_mut()
    }

    /// Takes back a span lent by `take_old` whose pages have all been released (and read as
    /// zeros, if `zeroed`), or, if releasing them failed (`!released`: madvise refuses locked
    /// memory), unchanged but counted as freed `now`, so it is not retried at once.
    ///
    /// # Safety
    /// `s` came from `take_old`.
    pub unsafe fn return_scavenged(&mut self, s: *mut Span, released: bool, zeroed: bool, now: i64) {
        // SAFETY: the caller's guarantee.
        let sp = unsafe { &mut *s };
        if !released {
            sp.free_since = now;
            // SAFETY: s is still SPAN_SCAVENGING, which free() takes back without counting it.
            unsafe { self.free(s, now) };
            return;
        }
        let newly = sp.npages - self.count_released(sp);
        each_arena(sp.base, sp.npages, |a, i, k| {
            each_word(&mut a.released, i, k, |w, m| *w |= m);
            if zeroed {
                each_word(&mut a.zeroed, i, k, |w, m| *w |= m);
            }
        });
        sp.released = sp.npages;
        self.stats.released += newly;
        // SAFETY: s is still SPAN_SCAVENGING, which free() takes back without counting it.
        unsafe { self.free(s, 0) };
    }
}

/// Makes sure a record exists for every slot of `[base, base + bytes)`.
fn ensure_arenas(base: usize, bytes: usize) -> bool {
    let slots = base >> ARENA_SHIFT..=(base + bytes - 1) >> ARENA_SHIFT;
    if *slots.end() >= ARENA_SLOTS {
        return false;
    }
    let mut map = ARENAS.load(Acquire);
    if map.is_null() {
        let new = crate::persistentalloc::persistentalloc(ARENA_SLOTS * core::mem::size_of::<usize>(), 4096).cast();
        // A map lost to a racing grower (another heap, in tests) is simply never used.
        map = match ARENAS.compare_exchange(null_mut(), new, AcqRel, Acquire) {
            Ok(_) => new,
            Err(won) => won,
        };
    }
    for slot in slots {
        // SAFETY: the map has ARENA_SLOTS entries (slot < ARENA_SLOTS, checked above).
        let e = unsafe { &*map.add(slot) };
        if e.load(Acquire).is_null() {
            let a = crate::persistentalloc::persistentalloc(core::mem::size_of::<HeapArena>(), 64) as *mut HeapArena;
            // A record lost to a racing grower (another heap, in tests) is simply never used.
            let _ = e.compare_exchange(null_mut(), a, AcqRel, Acquire);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A heap of its own for one test, growing in its own TiB of address space: the page map
    /// is shared, and a test's spans must not find another test's as free neighbours.
    fn heap() -> MHeap {
        static INIT: std::sync::Once = std::sync::Once::new();
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        INIT.call_once(|| {
            crate::persistentalloc::mallocinit();
        });
        let mut h = MHeap::new();
        h.hint = 0x2000_0000_0000 + (NEXT.fetch_add(1, Relaxed) << 40);
        h
    }

    fn ranges_disjoint(v: &[(usize, usize)]) {
        let mut v = v.to_vec();
        v.sort();
        for w in v.windows(2) {
            assert!(w[0].0 + w[0].1 * PAGE_SIZE <= w[1].0, "overlap: {w:x?}");
        }
    }

    #[test]
    fn spans_never_overlap_and_freeing_everything_merges_back_to_one_run() {
        let mut h = heap();
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut live: Vec<*mut Span> = Vec::new();
        for round in 0..20_000 {
            if live.is_empty() || next() % 3 != 0 {
                let n = match next() % 10 {
                    0 => 128 + (next() % 600) as usize,
                    _ => 1 + (next() % 20) as usize,
                };
                let s = h.alloc(n, round);
                assert!(!s.is_null());
                // SAFETY: just allocated.
                unsafe {
                    assert_eq!((*s).npages, n);
                    assert_eq!((*s).base % PAGE_SIZE, 0);
                    assert_eq!(span_of((*s).base + n * PAGE_SIZE - 1), s);
                }
                live.push(s);
            } else {
                let i = (next() as usize) % live.len();
                let s = live.swap_remove(i);
                // SAFETY: allocated by h and unused.
                unsafe { h.free(s, round) };
            }
            if round % 1000 == 0 {
                // SAFETY: live spans are in use.
                let v: Vec<_> = live.iter().map(|&s| unsafe { ((*s).base, (*s).npages) }).collect();
                ranges_disjoint(&v);
                assert_eq!(h.stats.inuse, v.iter().map(|r| r.1).sum::<usize>());
            }
        }
        for s in live.drain(..) {
            // SAFETY: as above.
            unsafe { h.free(s, 0) };
        }
        assert_eq!(h.stats.inuse, 0);
        assert_eq!(h.stats.spans, 0);
        assert_eq!(h.stats.free * PAGE_SIZE, h.stats.sys);
        // Every free run is maximal: no two are adjacent, and the biggest is taken whole
        // without growing.
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for l in h.free.iter().chain(std::iter::once(&h.large)) {
            let mut s = l.first();
            while !s.is_null() {
                // SAFETY: free lists link live free spans.
                unsafe {
                    runs.push(((*s).base, (*s).npages));
                    s = (*s).next;
                }
            }
        }
        runs.sort();
        for w in runs.windows(2) {
            assert_ne!(w[0].0 + w[0].1 * PAGE_SIZE, w[1].0, "adjacent free runs: {w:x?}");
        }
        let before = h.stats.sys;
        let biggest = runs.iter().map(|r| r.1).max().unwrap();
        assert!(!h.alloc(biggest, 0).is_null());
        assert_eq!(h.stats.sys, before, "the biggest free run should fit without growing");
    }

    #[test]
    fn heap_pages_are_aligned_even_when_the_kernel_maps_at_an_odd_4k_page() {
        let mut h = heap();
        h.hint += 4096;
        let a = h.alloc(1, 0);
        let b = h.alloc(ARENA_PAGES, 0);
        // SAFETY: spans from h.
        unsafe {
            assert_eq!((*a).base % PAGE_SIZE, 0, "{:x}", (*a).base);
            assert_eq!((*b).base % PAGE_SIZE, 0, "{:x}", (*b).base);
            h.free(a, 0);
            h.free(b, 0);
        }
        assert_eq!(h.stats.sys, 2 * ARENA_BYTES);
    }

    #[test]
    fn best_fit_reuses_the_smallest_hole_and_splits_the_rest() {
        let mut h = heap();
        let a = h.alloc(3, 0);
        let b = h.alloc(1, 0);
        let c = h.alloc(5, 0);
        let _d = h.alloc(1, 0);
        // SAFETY: spans from h, unused.
        unsafe {
            let (a_base, c_base) = ((*a).base, (*c).base);
            assert_eq!((*b).base, a_base + 3 * PAGE_SIZE);
            h.free(a, 0);
            h.free(c, 0);
            let e = h.alloc(2, 0);
            assert_eq!(((*e).base, (*e).npages), (a_base, 2), "the 3-page hole fits best");
            let f = h.alloc(1, 0);
            assert_eq!((*f).base, a_base + 2 * PAGE_SIZE, "the split remainder");
            let g = h.alloc(4, 0);
            assert_eq!((*g).base, c_base, "then the 5-page hole");
        }
    }

    #[test]
    fn released_and_zeroed_pages_are_tracked_through_use_and_scavenging() {
        let mut h = heap();
        let s = h.alloc(4, 0);
        // SAFETY: a fresh span from h.
        unsafe {
            assert!(!(*s).needzero, "fresh pages read as zeros");
            let released = h.stats.released;
            core::ptr::write_bytes((*s).base as *mut u8, 0xaa, 4 * PAGE_SIZE);
            h.free(s, 100);
            assert_eq!(h.stats.released, released, "freed pages are idle, not released");
            assert_eq!(h.idle.load(Relaxed), 4);
            assert!(h.take_old(99).is_null(), "not old enough");
            assert_eq!(h.oldest_idle(), Some(100));
            let t = h.take_old(100);
            assert!(!t.is_null());
            assert!(sys_linux::madvise((*t).base, (*t).npages * PAGE_SIZE, sys_linux::MADV_DONTNEED) == 0);
            h.return_scavenged(t, true, true, 0);
            assert_eq!(h.stats.released, released + 4);
            assert_eq!(h.idle.load(Relaxed), 0);
            assert_eq!(h.oldest_idle(), None);
            let u = h.alloc(4, 0);
            assert_eq!((*u).base, (*s).base);
            assert!(!(*u).needzero);
            assert_eq!(*((*u).base as *const u64), 0);
            core::ptr::write_bytes((*u).base as *mut u8, 1, 8);
            h.free(u, 0);
            let v = h.alloc(4, 0);
            assert!((*v).needzero, "a page used and freed holds old bytes");
        }
    }

    #[test]
    fn the_scavenger_borrows_16_mib_at_a_time_and_a_refused_release_changes_nothing() {
        let mut h = heap();
        let big = h.alloc(3 * MAX_LEND, 0);
        let neighbour = h.alloc(1, 0);
        // SAFETY: spans from h.
        unsafe {
            core::ptr::write_bytes((*big).base as *mut u8, 1, 3 * MAX_LEND * PAGE_SIZE);
            h.free(big, 10);
            let released = h.stats.released;
            let t = h.take_old(10);
            assert_eq!((*t).npages, MAX_LEND, "lends at most MAX_LEND pages");
            assert!(!h.find(2 * MAX_LEND).is_null(), "the rest stays free for allocation");
            h.return_scavenged(t, false, false, 50);
            assert_eq!(h.stats.released, released, "a refused release releases nothing");
            // A loan starts at the first unreleased page, so successive loans make progress.
            let a = h.take_old(100);
            h.return_scavenged(a, true, true, 0);
            let b = h.take_old(100);
            assert_eq!(
                (*b).base,
                (*a).base + MAX_LEND * PAGE_SIZE,
                "the next loan starts after the released pages"
            );
            h.return_scavenged(b, false, false, 50);
            assert_eq!(
                h.oldest_idle(),
                Some(50),
                "and counts as freed now, merged with the newer time"
            );
            let u = h.alloc(3 * MAX_LEND, 0);
            assert!((*u).needzero, "still dirty");
            h.free(u, 60);
            h.free(neighbour, 5);
            assert_eq!(h.oldest_idle(), Some(60), "merging keeps the newer time");
        }
    }

    #[test]
    fn an_impossible_size_fails_without_mapping_anything() {
        let mut h = heap();
        assert!(h.alloc(MAX_PAGES + 1, 0).is_null());
        assert!(h.alloc(MAX_PAGES, 0).is_null());
        assert_eq!(h.stats.sys, 0);
        let big = h.alloc((1 << 30) / PAGE_SIZE, 0);
        assert!(!big.is_null(), "1 GiB of address space");
        assert_eq!(h.stats.sys, 1 << 30);
    }

    #[test]
    fn bit_ranges_cover_exactly_the_pages_asked_for() {
        for (i, n) in [(0, 1), (3, 61), (0, 64), (63, 2), (5, 200), (64, 64), (100, 0)] {
            let mut bits = [0u64; 8];
            each_word(&mut bits, i, n, |w, m| *w |= m);
            for p in 0..512 {
                assert_eq!(
                    bits[p / 64] >> (p % 64) & 1 == 1,
                    (i..i + n).contains(&p),
                    "({i},{n}) page {p}"
                );
            }
        }
    }
}
