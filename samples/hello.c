/* hello.c: the smallest rtlink program. The runtime has already started g0/m0, TLS, the
 * scheduler and the main goroutine by the time main runs. */
#include <rtlink.h>

int main(void)
{
    rt_print("hello, world\n");
    return 0;
}
