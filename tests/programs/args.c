/* Reports what main received: counts and checksums of argv and envp, so a test can compare
 * with what it passed. Exits with the number in argv[1] when it starts with "exit=". */
#include <rtlink.h>

static unsigned long sum(const char *s, unsigned long *len)
{
    unsigned long h = 5381;
    for (; *s; s++, (*len)++)
        h = h * 33 + (unsigned char)*s;
    return h;
}

int main(int argc, char **argv, char **envp)
{
    unsigned long alen = 0, elen = 0, ah = 0, eh = 0;
    int envc = 0;
    for (int i = 0; i < argc; i++)
        ah ^= sum(argv[i], &alen) + i;
    for (; envp[envc]; envc++)
        eh ^= sum(envp[envc], &elen) + envc;
    char **again = rt_args(0);
    rt_printf("argc=%d arglen=%lu arghash=%lx envc=%d envlen=%lu envhash=%lx same_argv=%d\n", argc, alen, ah, envc,
              elen, eh, again == argv);
    const char *probe = rt_getenv("RTLINK_PROBE");
    rt_printf("RTLINK_PROBE=%s\n", probe ? probe : "(unset)");
    if (argc > 1 && argv[1][0] == 'e' && argv[1][1] == 'x' && argv[1][2] == 'i' && argv[1][3] == 't' && argv[1][4] == '=') {
        int code = 0;
        for (const char *p = argv[1] + 5; *p >= '0' && *p <= '9'; p++)
            code = code * 10 + (*p - '0');
        return code;
    }
    return 0;
}
