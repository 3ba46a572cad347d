/* cxx_types: calls every function of libcxxtypes.so (cxx_types_lib.cpp) once
 * or twice and prints what each returned ("RETURN <function> <json>"), after
 * the callee's own "ORACLE" line with what it received.  The values are
 * what test_cxx_types.py expects dwtrace to show. */
#include "cxx_types.h"

#include <cstdio>
#include <utility>

using namespace ct;

static void print_counted(const char *fn, const Counted &c)
{
	std::printf("RETURN %s {\"id\":%d,\"v\":%ld}\n", fn, c.id, c.v);
}

int main()
{
	Point2 p = ct_point(Point2{3, -4});
	std::printf("RETURN ct_point {\"x\":%d,\"y\":%d}\n", p.x, p.y);

	Big b = ct_big(Big{1, 2, 3, 0.5});
	std::printf("RETURN ct_big {\"a\":%ld,\"b\":%ld,\"c\":%ld,\"d\":%.17g}\n", b.a, b.b, b.c, b.d);

	Counted c0(7, 1234567890123L);
	Counted c1 = ct_counted(c0);
	print_counted("ct_counted", c1);

	Named n{"a name longer than fifteen", 4};
	std::printf("RETURN ct_named %ld\n", ct_named(n));

	std::string heap = "heap string beyond the SSO buffer";
	std::string sso = "short";
	std::printf("RETURN ct_str_val %ld\n", ct_str_val(heap));
	std::printf("RETURN ct_str_val %ld\n", ct_str_val(sso));
	std::printf("RETURN ct_str_cref %ld\n", ct_str_cref(heap));
	std::printf("RETURN ct_str_rref %ld\n", ct_str_rref(std::string("moved away, and long enough")));

	std::string r = ct_str_ret(20);
	std::printf("RETURN ct_str_ret \"%s\"\n", r.c_str());
	r = ct_str_ret(3);
	std::printf("RETURN ct_str_ret \"%s\"\n", r.c_str());

	std::string_view view(heap);
	std::printf("RETURN ct_sv %ld\n", ct_sv(view.substr(5, 6)));

	int counter = 41;
	ct_inc(counter);
	std::printf("RETURN ct_inc void %d\n", counter);

	Point2 q{6, 7};
	std::printf("RETURN ct_pref %ld\n", ct_pref(q));

	Color col = ct_color(Color::Red);
	std::printf("RETURN ct_color \"%s\"\n", col == Color::Blue ? "Blue" : "other");
	col = ct_color(Color::Green);
	std::printf("RETURN ct_color \"%s\"\n", col == Color::Green ? "Green" : "other");

	Circle ci;
	ci.id = 12;
	ci.r = 1.5;
	std::printf("RETURN ct_circle %.17g\n", ct_circle(ci));

	Derived2 d;
	d.b = 8;
	d.d = 9;
	std::printf("RETURN ct_derived %ld\n", ct_derived(d));

	Dyn dyn;
	dyn.k = 21;
	std::printf("RETURN ct_dyn %ld\n", ct_dyn(dyn));

	Counted k(3, 40);
	std::printf("RETURN ct_stack %ld\n", ct_stack(1, 2, 3, 4, 5, 6, k));

	Account acc;
	acc.balance = 100;
	acc.owner = 5;
	std::printf("RETURN deposit %ld\n", acc.deposit(25, Color::Blue));
	return 0;
}
