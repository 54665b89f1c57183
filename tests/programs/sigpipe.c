/* Writes lines to stdout until a write fails, then says so on stderr and exits 3. Builds both
 * with rtlink and against the system's libc, so a test can compare what happens to each when
 * the reader goes away: killed by SIGPIPE, or (SIGPIPE ignored) EPIPE. */
#if __has_include(<rtlink.h>)
#include <rtlink.h>
#define write_all(buf, n) rt_write(1, buf, n)
#define report(msg) rt_write(2, msg, sizeof msg - 1)
#else
#include <unistd.h>
#define write_all(buf, n) write(1, buf, n)
#define report(msg) write(2, msg, sizeof msg - 1)
#endif

int main(void)
{
    static const char line[] = "a line nobody reads\n";
    for (;;)
        if (write_all(line, sizeof line - 1) < 0) {
            report("write failed\n");
            return 3;
        }
}
