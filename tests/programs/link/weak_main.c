/* Weak symbols, with weak_strong.c: a weak definition here overridden by a strong one there
 * (weak_value, weak_data), a weak one there overridden by a strong one here (weak_late), a weak
 * one nobody overrides (weak_only), and undefined weak references nobody defines, whose
 * addresses must be 0. */
#include <rtlink.h>

__attribute__((weak)) int weak_value(void) { return 1; }
__attribute__((weak)) int weak_only(void) { return 2; }
__attribute__((weak)) int weak_data = 10;
int weak_late(void) { return 30; }

extern int undefined_weak_fn(void) __attribute__((weak));
extern int undefined_weak_data __attribute__((weak));

int strong_calls_late(void);

int main(void)
{
    rt_printf("value=%d only=%d data=%d late=%d late_from_other=%d\n", weak_value(), weak_only(), weak_data,
              weak_late(), strong_calls_late());
    int fn_null = undefined_weak_fn == 0, data_null = &undefined_weak_data == 0;
    rt_printf("undefined weak: fn_null=%d data_null=%d called=%d\n", fn_null, data_null,
              undefined_weak_fn ? undefined_weak_fn() : -1);
    return 0;
}
