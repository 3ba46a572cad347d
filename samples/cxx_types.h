/* cxx_types: C++ classes, references, std::string and friends by value and
 * by reference (libcxxtypes.so, called by cxx_types). */
#ifndef CXX_TYPES_H
#define CXX_TYPES_H

#include <cstdint>
#include <string>
#include <string_view>

namespace ct {

/* Trivially copyable: passed in registers (rdi). */
struct Point2 {
	int x;
	int y;
};

/* Trivially copyable, 32 bytes: passed in memory, returned through rdi. */
struct Big {
	long a, b, c;
	double d;
};

/* A user-provided copy constructor: passed by invisible reference. */
class Counted {
public:
	int id;
	long v;
	Counted(int i, long x) : id(i), v(x) {}
	Counted(const Counted &o);
	~Counted();
};

/* Not trivially copyable through its member (std::string). */
struct Named {
	std::string name;
	int n;
};

enum class Color : uint8_t { Red = 1, Green = 5, Blue = 9 };

struct Shape {
	int id;
	static int count; /* a static member: not part of the value */
};

/* Trivially copyable with a base: INTEGER + SSE eightbytes. */
struct Circle : Shape {
	double r;
};

/* Not trivially copyable through its base (user-provided destructor). */
struct Base2 {
	int b;
	~Base2();
};
struct Derived2 : Base2 {
	int d;
};

/* Trivial copy constructor and destructor, but a dynamic class (a virtual
 * function): passed by invisible reference. */
struct Dyn {
	int k;
	virtual int get() const;
};

class Account {
public:
	long balance;
	int owner;
	long deposit(long amount, Color c);
};

Point2 ct_point(Point2 p);
Big ct_big(Big b);
Counted ct_counted(Counted c);
long ct_named(Named n);
long ct_str_val(std::string s);
long ct_str_cref(const std::string &s);
long ct_str_rref(std::string &&s);
std::string ct_str_ret(int n);
long ct_sv(std::string_view sv);
void ct_inc(int &r);
long ct_pref(const Point2 &p);
Color ct_color(Color c);
double ct_circle(Circle c);
long ct_derived(Derived2 d);
long ct_dyn(Dyn d);
long ct_stack(long a, long b, long c, long d, long e, long f, Counted k);

} // namespace ct

#endif
