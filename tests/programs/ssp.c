/* Built with -fstack-protector-all: a long argv[1] overruns buf and must end in the runtime's
 * "stack smashing detected", never in a return through a corrupted frame. */
#include <rtlink.h>

__attribute__((noinline)) static void copy(const char *s)
{
    char buf[8];
    char *d = buf;
    while ((*d++ = *s++))
        ;
    rt_print(buf);
    rt_print("\n");
}

int main(int argc, char **argv)
{
    copy(argc > 1 ? argv[1] : "fits");
    return 0;
}
