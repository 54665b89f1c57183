// The second unit of cxx_main.cc, and the guard functions a function-local static needs
// (a freestanding program has no libsupc++; these hold for one thread, which is all the
// test uses).
#include "cxx_shared.h"

extern "C" int __cxa_guard_acquire(long long *guard) { return *reinterpret_cast<char *>(guard) == 0; }
extern "C" void __cxa_guard_release(long long *guard) { *reinterpret_cast<char *>(guard) = 1; }
extern "C" void __cxa_guard_abort(long long *) {}

int other_tickets() { return next_ticket() * 10; }

long other_acc(long v)
{
    Acc<long>::add(v);
    return Acc<long>::total + fact<5>();
}

int other_area(const Shape &s) { return s.area() + 1; }

static Square other_square(3);

const Shape &other_shape() { return other_square; }
