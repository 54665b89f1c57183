/* args.c: arguments, environment and what the runtime learned at start-up.
 * Usage: args [ARG...]; prints each argument, $HOME, and the CPU/P counts; exits with the
 * number of arguments. */
#include <rtlink.h>

int main(int argc, char **argv, char **envp)
{
    int n = 0;
    for (int i = 0; i < argc; i++)
        rt_printf("argv[%d] = %s\n", i, argv[i]);
    while (envp[n])
        n++;
    const char *home = rt_getenv("HOME");
    rt_printf("%d environment variables, HOME=%s\n", n, home ? home : "(unset)");
    rt_printf("ncpu=%d gomaxprocs=%d pagesize=%ld goroutine=%ld\n", rt_ncpu(), rt_gomaxprocs(),
              rt_pagesize(), (long)rt_goid());
    return argc - 1;
}
