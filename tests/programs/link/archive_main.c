/* Archive member selection, linked as
 *     archive_main.o --start-group libarc_c.a libarc_ab.a --end-group
 * where libarc_ab.a holds archive_b.o, archive_a.o and archive_unused.o in that order, and
 * libarc_c.a holds archive_c.o. main needs a_value (member A); A needs b_value from B, which
 * comes before A in its archive (a second scan of it); B needs c_value from C, in the archive
 * given earlier on the line (a second scan of the group). archive_unused.o defines nothing
 * anyone needs: it must stay out, and its constructor would say so if it were linked. */
#include <rtlink.h>

int a_value(int);

int main(void)
{
    rt_printf("a_value(2)=%d\n", a_value(2));
    return 0;
}
