/* Shared by cxx_main.cc and cxx_other.cc: inline functions, a class with inline virtual
 * functions and templates, which each translation unit instantiates in a COMDAT group of its
 * own; the linker keeps one copy of each group, so the function-local static in next_ticket,
 * and Acc<T>::total, are one object for both units. (g++ makes those two STB_GNU_UNIQUE
 * symbols by default, weak ones with -fno-gnu-unique; tests/internal_link.rs builds both.) */
#ifndef CXX_SHARED_H
#define CXX_SHARED_H

#include <rtlink.h>

inline int next_ticket()
{
    static int n = 0;
    return ++n;
}

template <typename T> struct Acc {
    static T total;
    static void add(T v) { total += v; }
};
template <typename T> T Acc<T>::total = T(1000);

template <int N> inline long fact() { return N * fact<N - 1>(); }
template <> inline long fact<0>() { return 1; }

struct Shape {
    virtual int area() const { return 0; }
    virtual const char *name() const { return "shape"; }
};

struct Square : Shape {
    int side;
    explicit Square(int s) : side(s) {}
    int area() const override { return side * side; }
    const char *name() const override { return "square"; }
};

int other_tickets();
long other_acc(long v);
int other_area(const Shape &s);
const Shape &other_shape();

#endif
