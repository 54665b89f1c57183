/* Reports what a program finds when started under hostile conditions (tests/hostile.rs).
 * Modes (argv[1]):
 *   fds PATH   opens PATH (which must become fd 3: checkfds filled 0-2), writes to fds 1 and 2,
 *              and writes to PATH what fds 0-2 are (null = /dev/null, else the file type) and
 *              what the writes returned: "opened=3 fd0=null fd1=fifo fd2=null out=4 err=4"
 *   ids        real and effective user ids, and GOMAXPROCS: "uid=65534 euid=0 gomaxprocs=1"
 *   rss        GOMAXPROCS and the peak RSS, from /proc/self/status: "gomaxprocs=2 VmHWM: 480 kB"
 *   malloc     one 1 MiB block, filled and freed: "malloc ok", or "malloc failed errno=12"
 *   stack KIB  recurses through KIB KiB of main's stack, then of a goroutine's: "stack ok"
 *   procs      starts a goroutine (sysmon, stack guard budget), waits 1.1 s (one sysmon
 *              recomputation of GOMAXPROCS): "ncpu=2 gomaxprocs=2 quota=-1" */
#include <rtlink.h>

#define SYS_READ 0
#define SYS_OPEN 2
#define SYS_STAT 4
#define SYS_FSTAT 5
#define SYS_GETUID 102
#define SYS_GETEUID 107
#define O_WRONLY_CREAT_TRUNC (01 | 0100 | 01000)

/* The fields of x86-64's struct stat that matter here. */
struct kstat {
    unsigned long dev, ino, nlink;
    unsigned int mode, uid, gid, pad;
    unsigned long rdev;
    long rest[12];
};

static int streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static long num(const char *s)
{
    long n = 0;
    while (*s >= '0' && *s <= '9')
        n = n * 10 + (*s++ - '0');
    return n;
}

static void put(int fd, const char *s)
{
    rt_write(fd, s, __builtin_strlen(s));
}

static void putnum(int fd, long n)
{
    char buf[24], *p = buf + sizeof buf;
    int neg = n < 0;
    unsigned long u = neg ? -(unsigned long)n : (unsigned long)n;
    do
        *--p = '0' + u % 10;
    while (u /= 10);
    if (neg)
        *--p = '-';
    rt_write(fd, p, buf + sizeof buf - p);
}

/* What fd is: "null" for /dev/null, else its file type, or "closed". */
static const char *kind(int fd)
{
    struct kstat st, null;
    if (rt_syscall(SYS_FSTAT, fd, (long)&st, 0, 0, 0, 0) < 0)
        return "closed";
    if (rt_syscall(SYS_STAT, (long)"/dev/null", (long)&null, 0, 0, 0, 0) == 0 && st.rdev == null.rdev &&
        (st.mode & 0170000) == 0020000)
        return "null";
    switch (st.mode & 0170000) {
    case 0010000:
        return "fifo";
    case 0100000:
        return "file";
    case 0140000:
        return "socket";
    case 0020000:
        return "chr";
    }
    return "other";
}

static int fds(const char *path)
{
    const char *k[3] = {kind(0), kind(1), kind(2)};
    long out = rt_write(1, "out\n", 4);
    long err = rt_write(2, "err\n", 4);
    long fd = rt_syscall(SYS_OPEN, (long)path, O_WRONLY_CREAT_TRUNC, 0644, 0, 0, 0);
    if (fd < 0)
        return 1;
    put(fd, "opened=");
    putnum(fd, fd);
    for (int i = 0; i < 3; i++) {
        put(fd, " fd");
        putnum(fd, i);
        put(fd, "=");
        put(fd, k[i]);
    }
    put(fd, " out=");
    putnum(fd, out);
    put(fd, " err=");
    putnum(fd, err);
    put(fd, "\n");
    return 0;
}

/* The line of /proc/self/status that starts with `key`, or "". */
static const char *status_line(const char *key)
{
    static char buf[4096];
    long fd = rt_syscall(SYS_OPEN, (long)"/proc/self/status", 0, 0, 0, 0, 0), n = 0, r;
    if (fd < 0)
        return "";
    while (n < (long)sizeof buf - 1 && (r = rt_syscall(SYS_READ, fd, (long)buf + n, sizeof buf - 1 - n, 0, 0, 0)) > 0)
        n += r;
    buf[n] = 0;
    for (char *line = buf; *line;) {
        char *end = line;
        while (*end && *end != '\n')
            end++;
        const char *k = key, *p = line;
        while (*k && *k == *p)
            k++, p++;
        if (!*k) {
            *end = 0;
            return line;
        }
        line = *end ? end + 1 : end;
    }
    return "";
}

/* Touches `kib` KiB of the stack below it, one page per frame. */
static long deep(long kib)
{
    volatile char page[4096];
    page[0] = (char)kib;
    page[sizeof page - 1] = 1;
    return kib <= 4 ? page[0] : deep(kib - 4) + page[sizeof page - 1];
}

static rt_waitgroup wg;
static long depth, reached;

static void on_goroutine(void *arg)
{
    (void)arg;
    reached = deep(depth);
    rt_waitgroup_done(&wg);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (streq(mode, "fds") && argc > 2)
        return fds(argv[2]);
    if (streq(mode, "ids")) {
        rt_printf("uid=%ld euid=%ld gomaxprocs=%d\n", rt_syscall(SYS_GETUID, 0, 0, 0, 0, 0, 0),
                  rt_syscall(SYS_GETEUID, 0, 0, 0, 0, 0, 0), rt_gomaxprocs());
        return 0;
    }
    if (streq(mode, "rss")) {
        rt_printf("gomaxprocs=%d %s\n", rt_gomaxprocs(), status_line("VmHWM:"));
        return 0;
    }
    if (streq(mode, "malloc")) {
        char *p = malloc(1 << 20);
        if (!p) {
            rt_printf("malloc failed errno=%d\n", errno);
            return 0;
        }
        __builtin_memset(p, 1, 1 << 20);
        free(p);
        rt_printf("malloc ok\n");
        return 0;
    }
    if (streq(mode, "stack") && argc > 2) {
        depth = num(argv[2]);
        long main_reached = deep(depth);
        rt_waitgroup_add(&wg, 1);
        rt_go(on_goroutine, 0);
        rt_waitgroup_wait(&wg);
        rt_printf("stack %s\n", main_reached > 0 && reached > 0 ? "ok" : "lost");
        return 0;
    }
    if (streq(mode, "procs")) {
        rt_waitgroup_add(&wg, 1);
        rt_go(on_goroutine, 0);
        rt_waitgroup_wait(&wg);
        rt_sleep(1100 * 1000 * 1000L);
        rt_printf("ncpu=%d gomaxprocs=%d quota=%ld\n", rt_ncpu(), rt_gomaxprocs(), (long)rt_cpuquota());
        return 0;
    }
    put(2, "usage: hostile fds PATH | ids | rss | malloc | stack KIB | procs\n");
    return 64;
}
