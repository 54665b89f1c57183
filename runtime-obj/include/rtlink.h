/*
 * rtlink.h - the C API of the rtlink runtime.
 *
 * Programs linked with `rtlink build` start in the runtime, not in main: the runtime sets up
 * g0/m0, TLS, the scheduler and the first goroutine, runs the program's constructors, then
 * calls main(argc, argv, envp) on that goroutine and exits with its return value. There is no
 * libc: this header is what the runtime offers. Compile with the flags `rtlink cflags` prints
 * (freestanding, frame pointers kept for crash reports).
 *
 * Goroutines run on GOMAXPROCS processors (Ps), each served by an OS thread (an M) that the
 * runtime starts when there is work for an idle P, so goroutines run in parallel: share data
 * with the synchronisation below (or atomics). On its P a goroutine runs until it returns,
 * yields (rt_gosched), blocks (a wait group, a mutex, a channel or a select, which parks the
 * goroutine, not the thread), or has run for 10 ms: then the runtime preempts it with a signal
 * (SIGURG, as Go does) at any instruction of your code, saving and restoring every register,
 * so even a goroutine that spins without yielding shares its P (GODEBUG=asyncpreemptoff=1
 * turns this off; code inside the runtime is never interrupted). main returning ends the
 * process whether or not other goroutines have finished. If every goroutine is blocked and no
 * thread can make progress, the program stops with
 * "fatal error: all goroutines are asleep - deadlock!" (exit 2), as Go does.
 *
 * Crashes: a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL) or a runtime fatal error prints Go's
 * report and the failing goroutine's traceback, then exits 2:
 *     fatal error: unexpected signal SIGSEGV: segmentation violation
 *     addr=0x0 pc=0x4062a0 sigcode=1
 *
 *     goroutine 7 [running]:
 *     worker+0x14 pc=0x4062a0
 *     runtime_goexit+0x5 pc=0x401f95
 * The frames are found by following frame pointers, so compile with `rtlink cflags`, which keeps
 * them (-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer); a function built without them
 * is missing from the traceback, and so is a caller that ended in a tail call. Names come from
 * the program's symbol table (read from /proc/self/exe); a stripped program prints "??" and
 * the pcs, which `rtlink inspect PROGRAM --addr PC...` turns into file:line (a caller's pc is
 * inside its call instruction, so that is the line of the call). GOTRACEBACK=none prints no
 * goroutine, single (the default) the failing one, all every goroutine (with its state:
 * running, runnable, waiting, syscall); a setuid program (AT_SECURE) prints none. The
 * `rtlink cflags` flags also turn on the stack protector (-fstack-protector-strong): a smashed
 * stack ends in "fatal error: stack smashing detected".
 *
 * Thread safety: every function here may be called from any goroutine.
 */
#ifndef RTLINK_H
#define RTLINK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- output ---- */

/* Writes all n bytes of buf to fd (retrying short writes and EINTR).
 * Returns n, or -1 if the kernel reported an error. While the thread is blocked (a full pipe, a
 * slow terminal) other goroutines run, as with rt_read; so does rt_printf's output. */
long rt_write(int fd, const void *buf, size_t n);

/* Writes the NUL-terminated string s to stdout. Returns its length, or -1. */
long rt_print(const char *s);

/* printf to stdout. Conversions: %d %i %u %x %X %p %s %c %%, flags '-' and '0', a width,
 * a precision (.N: minimum digits, or at most N bytes of a %s), length modifiers hh h l ll z j t.
 * No floating point. Returns the number of bytes written. */
int rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int rt_vprintf(const char *fmt, __builtin_va_list ap);

/* ---- the program ---- */

/* Runs the .fini_array functions (destructors), once, and exits the process with code & 0xff. */
__attribute__((noreturn)) void rt_exit(int code);

/* The program's argv; if argc is not NULL, *argc receives the argument count. */
char **rt_args(int *argc);

/* The value of environment variable name, or NULL if it is not set. */
const char *rt_getenv(const char *name);

/* CPUs this process may run on at start-up (its affinity mask: `taskset -c 0` gives 1). */
int rt_ncpu(void);

/* The number of Ps (GOMAXPROCS): the GOMAXPROCS environment variable when it is a positive
 * integer, else min(ncpu, max(2, ceil(cgroup CPU quota))). */
int rt_gomaxprocs(void);

/* Sets the number of Ps to n (1..1024) while the program runs and returns the previous
 * number; n < 1 only returns it. Growing takes effect at once; a P beyond a lowered count leaves
 * service when its running goroutine next yields, blocks or is preempted. */
int rt_setmaxprocs(int n);

/* The cgroup CPU limit of the process in thousandths of a CPU (1500 = 1.5 CPUs), or -1 if
 * there is none. Read from the cgroup files on first call and cached. */
int64_t rt_cpuquota(void);

/* The system page size in bytes. */
long rt_pagesize(void);

/* ---- time ---- */

/* Monotonic time in nanoseconds (vDSO clock_gettime; a system call if there is no vDSO). */
int64_t rt_nanotime(void);

/* The calling goroutine sleeps for at least ns nanoseconds; other goroutines run meanwhile
 * (ns <= 0 only yields). A busy P fires its timers when it next schedules, at the latest after
 * a preemption (10 ms). */
void rt_sleep(int64_t ns);

/* ---- goroutines ---- */

/* Starts a goroutine that runs fn(arg) on a stack of its own (256 KiB of address space; only
 * the pages it touches cost memory, so a million goroutines fit in about 4 GiB). Stacks have a
 * guard page below them, so an overflow is a fault, while fewer than
 * (vm.max_map_count - 8192) / 2 stacks have one (28,669 by default: each guard costs the
 * kernel two of its limited mappings); stacks beyond that have none. Running into the guard
 * page (or, for main's goroutine, off the OS stack) stops the program with
 * "fatal error: stack overflow in goroutine N (stack [lo, hi))", exit status 2. A goroutine that
 * ends leaves its stack to the next one; the pages it touched go back to the OS once it has been
 * unused for 250-500 ms. It is the next goroutine this P runs when the caller yields or blocks,
 * unless an idle P's thread takes it first. */
void rt_go(void (*fn)(void *), void *arg);

/* rt_go on a stack of size bytes, rounded up to whole pages and kept within 16 KiB and 1 GiB,
 * with a guard page of its own. GODEBUG=stacksize=N (bytes, or N followed by k or m for KiB or
 * MiB) changes rt_go's own size, from the program's first goroutine on. */
void rt_go_stack(void (*fn)(void *), void *arg, size_t size);

/* Yields: the calling goroutine goes behind every other runnable goroutine. */
void rt_gosched(void);

/* The calling goroutine's id; the goroutine running main is 1. */
int64_t rt_goid(void);

/* The number of goroutines that exist (started and not yet ended), main's included. */
int64_t rt_numgoroutine(void);

/* Wires the calling goroutine to the thread it runs on (Go's runtime.LockOSThread): until as
 * many rt_unlockosthread calls, it runs only on this thread and no other goroutine runs there,
 * so thread state (__thread variables, a signal mask, a namespace joined with setns, a library
 * that must be called from one thread) stays with it. Each switch to or from a locked goroutine
 * costs a thread wakeup. A goroutine that ends while locked ends its thread too (main's thread
 * excepted: it only sleeps). */
void rt_lockosthread(void);
/* Undoes one rt_lockosthread; does nothing if the goroutine is not locked. */
void rt_unlockosthread(void);

/* Ends the calling goroutine at once; its function does not return. Called from main's
 * goroutine, the program goes on with the others (as Go's runtime.Goexit). */
__attribute__((noreturn)) void rt_goexit(void);

/* ---- parking, for building your own blocking primitives ---- */

/* A goroutine, as a handle for rt_ready. */
typedef struct rt_g rt_g;
rt_g *rt_self(void);

/* Parks the calling goroutine. Once it is parked, unlock(arg) runs (on the scheduler's stack: it
 * must not block), so a waker that takes the same lock before calling rt_ready always finds it
 * parked. Returns after rt_ready. */
void rt_park(void (*unlock)(uintptr_t arg), uintptr_t arg);

/* Makes a goroutine parked by rt_park runnable again (once per park). */
void rt_ready(rt_g *g);

/* ---- blocking system calls ---- */

/* While a goroutine's thread waits in the kernel, its P stays reserved for it for a moment:
 * if the call has not returned by sysmon's next tick (about 20 us) and other goroutines could
 * use the P, sysmon hands the P to another thread, and the caller gets a P back (or waits for
 * one) when the call returns (Go's entersyscall/exitsyscall and retake). Short calls cost two
 * atomic operations more than the bare system call. */

/* read(2), as above. Returns the kernel's result (a negative errno on failure). */
long rt_read(int fd, void *buf, size_t n);

/* Any system call that may block (nr and up to six arguments), as above; returns the kernel's
 * result. It must not change the runtime's state: no clone, exit, sigaltstack, signal mask or
 * arch_prctl. */
long rt_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

/* For system calls the program makes itself (inline asm, a vDSO function): call
 * rt_entersyscall() just before and rt_exitsyscall() just after. In between the goroutine
 * holds no P and must call no rt_ function. rt_exitsyscall without rt_entersyscall is a fatal
 * error. */
void rt_entersyscall(void);
void rt_exitsyscall(void);

/* ---- synchronisation (blocking parks the goroutine, never the thread) ---- */

/* A wait group (Go's sync.WaitGroup). Zero-initialised storage is ready to use; do not copy
 * one that is in use. */
typedef struct rt_waitgroup { uint64_t _state[4]; } rt_waitgroup;

/* Adds delta (may be negative) to the counter; when it reaches zero every goroutine blocked in
 * rt_waitgroup_wait resumes. A negative counter is a fatal error. */
void rt_waitgroup_add(rt_waitgroup *wg, int64_t delta);
/* rt_waitgroup_add(wg, -1). */
void rt_waitgroup_done(rt_waitgroup *wg);
/* Blocks until the counter is zero (returns at once if it is). */
void rt_waitgroup_wait(rt_waitgroup *wg);

/* A mutual-exclusion lock for goroutines (Go's sync.Mutex). Zero-initialised storage is an
 * unlocked mutex. Waiters are served in order: unlock hands the mutex to the longest waiter. */
typedef struct rt_mutex { uint64_t _state[4]; } rt_mutex;

void rt_mutex_lock(rt_mutex *m);
/* Unlocking a mutex that is not locked is a fatal error. */
void rt_mutex_unlock(rt_mutex *m);

/* A reader/writer lock (Go's sync.RWMutex): any number of readers, or one writer.
 * Zero-initialised storage is unlocked. Once a writer waits, new readers wait behind it (so
 * writers are not starved); a writer's unlock lets every waiting reader in. Unlocking what is
 * not locked is a fatal error. */
typedef struct rt_rwmutex { uint64_t _state[8]; } rt_rwmutex;

void rt_rwmutex_rlock(rt_rwmutex *rw);
void rt_rwmutex_runlock(rt_rwmutex *rw);
void rt_rwmutex_lock(rt_rwmutex *rw);
void rt_rwmutex_unlock(rt_rwmutex *rw);

/* Go's sync.Once: the first rt_once_do on a once calls fn(arg); every other call, concurrent
 * or later, returns only once that call has returned, without calling fn. Zero-initialised
 * storage is ready to use; fn must not call rt_once_do on the same once. */
typedef struct rt_once { uint64_t _state[6]; } rt_once;

void rt_once_do(rt_once *o, void (*fn)(void *), void *arg);

/* ---- channels (Go's chan) ---- */

/* A channel of elements of elem_size bytes (0 is allowed: a channel of signals) with room for
 * capacity of them (0: unbuffered, each send meets a receive). Channels live as long as the
 * program (there is no free yet). */
typedef struct rt_chan rt_chan;
rt_chan *rt_chan_make(size_t elem_size, size_t capacity);

/* Copies elem_size bytes from elem into the channel; blocks until a receiver or buffer space
 * takes them. Sending on a closed channel is a fatal error (Go panics). */
void rt_chan_send(rt_chan *c, const void *elem);

/* Receives into elem (NULL discards); blocks until an element arrives. Returns 1, or 0 once
 * the channel is closed and its buffer drained (elem is then zeroed). */
int rt_chan_recv(rt_chan *c, void *elem);

/* Closes the channel: blocked receivers get 0, buffered elements are still delivered, blocked
 * senders fail. Closing twice is a fatal error. */
void rt_chan_close(rt_chan *c);

/* Elements waiting in the buffer. */
size_t rt_chan_len(rt_chan *c);

/* One case of rt_select: dir is RT_SEND (elem is sent) or RT_RECV (elem, may be NULL, receives;
 * ok is set to 1, or 0 for a closed, drained channel). A NULL channel never proceeds. */
enum { RT_SEND = 1, RT_RECV = 2 };
typedef struct rt_select_case {
    rt_chan *c;
    int dir;
    int ok;
    void *elem;
} rt_select_case;

/* A channel of int64_t that receives the deadline (an rt_nanotime value) once, ns nanoseconds
 * from now: Go's time.After, for timeouts in rt_select. */
rt_chan *rt_after(int64_t ns);

/* Go's select over n (at most 64) cases: performs one ready case, chosen at random among the
 * ready ones, and returns its index. With none ready it returns -1 if block is 0 (select with
 * default), else waits until one can proceed. */
int rt_select(rt_select_case *cases, int n, int block);

/* ---- memory ----
 *
 * C's allocator, on Go's design: objects up to 32 KiB are rounded up to one of 66 size classes
 * and come from a per-P cache (no lock on the fast path), refilled from per-class central lists
 * of 8 KiB-page spans; bigger ones get pages of their own. Every block is 16-byte aligned;
 * malloc(0) returns a unique minimal block. Failure returns NULL with errno ENOMEM (calloc and
 * reallocarray also when n * size overflows). Any goroutine or thread may free what another
 * allocated, including code between rt_entersyscall and rt_exitsyscall, and a signal handler may
 * free (but not allocate). Freeing a pointer twice or one malloc did not return stops the program
 * with "fatal error: double free of 0x... (size class N)" or "fatal error: free of 0x..., which
 * malloc did not return or which was already freed" (exit 2) when the runtime sees it: always
 * for large blocks; for small ones while the first free is still in the freeing P's cache, or
 * when the block reaches its span.
 * GODEBUG=mallocdebug=1 checks every free (catching every double free), fills freed blocks with
 * 0xa5 and reports a write to a freed block when it is reused. Pages freed for 250 ms go back to
 * the OS (madvise MADV_DONTNEED, so RSS falls; GODEBUG=madvdontneed=0 uses MADV_FREE). */
void *malloc(size_t size);
void free(void *p);
void *calloc(size_t n, size_t size);
/* In place when the new size keeps the size class (or, above 32 KiB, fits the block and uses at
 * least half of it); realloc(NULL, n) is malloc(n); realloc(p, 0) frees p and returns NULL. */
void *realloc(void *p, size_t size);
void *reallocarray(void *p, size_t n, size_t size);
/* align must be a power of two (posix_memalign: also a multiple of sizeof(void *)); else NULL
 * with errno EINVAL (posix_memalign returns EINVAL). */
void *aligned_alloc(size_t align, size_t size);
void *memalign(size_t align, size_t size);
int posix_memalign(void **out, size_t align, size_t size);
/* The bytes usable at p (at least what was asked for; the size class for small blocks). */
size_t malloc_usable_size(void *p);

/* The calling goroutine's errno. errno is per goroutine, not per thread: a goroutine may move
 * between threads. */
int *rt_errno(void);
#ifndef errno
#define errno (*rt_errno())
#endif
#ifndef ENOMEM
#define ENOMEM 12
#endif
#ifndef EINVAL
#define EINVAL 22
#endif

/* What the heap and the stacks hold, in bytes unless a count. */
struct rt_memstats {
    uint64_t heap_sys;      /* address space mapped for the heap */
    uint64_t heap_inuse;    /* spans holding objects (whole small-object spans, large blocks) */
    uint64_t heap_idle;     /* free pages still in memory, not yet returned to the OS */
    uint64_t heap_released; /* free pages returned to the OS, or never touched */
    uint64_t nspans;        /* spans in use */
    uint64_t mallocs;       /* blocks allocated so far */
    uint64_t frees;         /* blocks freed so far */
    uint64_t stacks_inuse;  /* goroutine stacks in use (not in the stack pool) */
};
void rt_memstats(struct rt_memstats *out);

/* The runtime also defines memcpy, memmove, memset, memcmp, bcmp, strlen and
 * __stack_chk_fail, which compilers may call on their own. */

#ifdef __cplusplus
}
#endif

#endif /* RTLINK_H */
