// Freestanding C++ (with cxx_other.cc and cxx_shared.h): COMDAT groups for the inline
// functions, template instantiations and vtables both units use; a global object whose
// constructor runs before main (static initialisation through .init_array); and a
// function-local static whose constructor runs once, on first use (through
// __cxa_guard_acquire/release, which cxx_other.cc provides). Prints what each computed.
#include "cxx_shared.h"

static int greeter_ctor_calls;

struct Greeter {
    int value;
    explicit Greeter(int v) : value(v * 2) { greeter_ctor_calls++; }
};

Greeter greeter(21);

struct Lazy {
    int built;
    explicit Lazy(int v) : built(v) { rt_printf("Lazy built with %d\n", v); }
};

static Lazy &lazy()
{
    static Lazy l(next_ticket() * 100);
    return l;
}

int main()
{
    int t1 = next_ticket();
    int t2 = other_tickets();
    int t3 = next_ticket();
    Acc<long>::add(5);
    long total = other_acc(7);
    Square sq(6);
    rt_printf("tickets=%d,%d,%d acc=%ld fact10=%ld\n", t1, t2, t3, total, fact<10>());
    rt_printf("greeter=%d ctor_calls=%d\n", greeter.value, greeter_ctor_calls);
    rt_printf("area=%d other_area=%d other_shape=%s:%d\n", sq.area(), other_area(sq), other_shape().name(),
              other_shape().area());
    int a = lazy().built, b = lazy().built;
    rt_printf("lazy=%d,%d\n", a, b);
    return 0;
}
