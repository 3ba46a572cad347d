/* libcxxtypes.so: each function prints, on stdout, one oracle line with what
 * it received, in dwtrace's JSON value format:
 *   ORACLE <function> <json object of the arguments>
 * and the caller (cxx_types.cpp) prints the values returned:
 *   RETURN <function> <json value>
 * Kept in a shared library, noinline, so that -O2 keeps every call. */
#include "cxx_types.h"

#include <cstdio>
#include <cstring>

#define NOINLINE __attribute__((noinline))

namespace ct {

int Shape::count = 0;

Counted::Counted(const Counted &o) : id(o.id), v(o.v)
{
	std::printf("copy of Counted %d\n", id);
}

Counted::~Counted()
{
	asm volatile("" ::: "memory");
}

Base2::~Base2()
{
	asm volatile("" ::: "memory");
}

NOINLINE Point2 ct_point(Point2 p)
{
	std::printf("ORACLE ct_point {\"p\":{\"x\":%d,\"y\":%d}}\n", p.x, p.y);
	return Point2{p.y, p.x};
}

NOINLINE Big ct_big(Big b)
{
	std::printf("ORACLE ct_big {\"b\":{\"a\":%ld,\"b\":%ld,\"c\":%ld,\"d\":%.17g}}\n", b.a, b.b, b.c, b.d);
	return Big{b.a + 1, b.b + 1, b.c + 1, b.d * 2};
}

NOINLINE Counted ct_counted(Counted c)
{
	std::printf("ORACLE ct_counted {\"c\":{\"id\":%d,\"v\":%ld}}\n", c.id, c.v);
	return Counted(c.id + 100, c.v * 3);
}

NOINLINE long ct_named(Named n)
{
	std::printf("ORACLE ct_named {\"n\":{\"name\":\"%s\",\"n\":%d}}\n", n.name.c_str(), n.n);
	return (long)n.name.size() + n.n;
}

NOINLINE long ct_str_val(std::string s)
{
	std::printf("ORACLE ct_str_val {\"s\":\"%s\"}\n", s.c_str());
	return (long)s.size();
}

NOINLINE long ct_str_cref(const std::string &s)
{
	std::printf("ORACLE ct_str_cref {\"s\":{\"ref\":\"%p\",\"value\":\"%s\"}}\n", (const void *)&s, s.c_str());
	return (long)s.size();
}

NOINLINE long ct_str_rref(std::string &&s)
{
	std::printf("ORACLE ct_str_rref {\"s\":{\"ref\":\"%p\",\"value\":\"%s\"}}\n", (const void *)&s, s.c_str());
	std::string taken(std::move(s));
	return (long)taken.size();
}

NOINLINE std::string ct_str_ret(int n)
{
	std::printf("ORACLE ct_str_ret {\"n\":%d}\n", n);
	return std::string((size_t)n, 'z') + "!";
}

NOINLINE long ct_sv(std::string_view sv)
{
	std::printf("ORACLE ct_sv {\"sv\":\"%.*s\"}\n", (int)sv.size(), sv.data());
	return (long)sv.size();
}

NOINLINE void ct_inc(int &r)
{
	std::printf("ORACLE ct_inc {\"r\":{\"ref\":\"%p\",\"value\":%d}}\n", (void *)&r, r);
	r++;
}

NOINLINE long ct_pref(const Point2 &p)
{
	std::printf("ORACLE ct_pref {\"p\":{\"ref\":\"%p\",\"value\":{\"x\":%d,\"y\":%d}}}\n", (const void *)&p, p.x,
		    p.y);
	return p.x * 10L + p.y;
}

NOINLINE Color ct_color(Color c)
{
	const char *name = c == Color::Red ? "Red" : c == Color::Green ? "Green" : "Blue";
	std::printf("ORACLE ct_color {\"c\":\"%s\"}\n", name);
	return c == Color::Red ? Color::Blue : Color::Green;
}

NOINLINE double ct_circle(Circle c)
{
	std::printf("ORACLE ct_circle {\"c\":{\"<Shape>\":{\"id\":%d},\"r\":%.17g}}\n", c.id, c.r);
	return c.r * c.r * 3;
}

NOINLINE long ct_derived(Derived2 d)
{
	std::printf("ORACLE ct_derived {\"d\":{\"<Base2>\":{\"b\":%d},\"d\":%d}}\n", d.b, d.d);
	return d.b * 100L + d.d;
}

int Dyn::get() const
{
	return k;
}

NOINLINE long ct_dyn(Dyn d)
{
	void *vptr;
	std::memcpy(&vptr, (const void *)&d, sizeof(vptr));
	std::printf("ORACLE ct_dyn {\"d\":{\"_vptr.Dyn\":\"%p\",\"k\":%d}}\n", vptr, d.k);
	return d.get() * 2L;
}

NOINLINE long ct_stack(long a, long b, long c, long d, long e, long f, Counted k)
{
	std::printf("ORACLE ct_stack {\"a\":%ld,\"b\":%ld,\"c\":%ld,\"d\":%ld,\"e\":%ld,\"f\":%ld,"
		    "\"k\":{\"id\":%d,\"v\":%ld}}\n",
		    a, b, c, d, e, f, k.id, k.v);
	return a + b + c + d + e + f + k.id + k.v;
}

NOINLINE long Account::deposit(long amount, Color c)
{
	std::printf("ORACLE deposit {\"this\":\"%p\",\"amount\":%ld,\"c\":\"%s\"}\n", (void *)this, amount,
		    c == Color::Red ? "Red" : c == Color::Green ? "Green" : "Blue");
	balance += amount;
	return balance;
}

} // namespace ct
