/* For the static-PIE tests (tests/static_pie.rs). No argument: prints where main, a string
 * constant and a table of pointers ended up, and reads through the table (which the runtime's
 * self-relocation must have fixed up). "relro": then writes to that table, which lives in
 * .data.rel.ro and must be read-only once relocated (a fatal SIGSEGV). "canary": overflows a
 * local array, which -fstack-protector-strong must catch. */
#include <rtlink.h>

static const char *const names[] = {"zero", "one", "two"};

__attribute__((noinline)) static void smash(const char *s)
{
    volatile char buf[8];
    for (int i = 0; s[i]; i++)
        buf[i] = s[i];
    (void)buf[0];
}

int main(int argc, char **argv)
{
    rt_printf("main=%p names=%p %s %s %s\n", (void *)main, (void *)names, names[0], names[1], names[2]);
    if (argc > 1 && argv[1][0] == 'r') {
        ((const char **)names)[1] = "written";
        rt_printf("wrote %s\n", names[1]);
    }
    if (argc > 1 && argv[1][0] == 'c')
        smash("this string is far longer than eight bytes, so it runs over the canary");
    return 0;
}
