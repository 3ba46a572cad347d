/* libtypes.so: the traced functions of types_app (see types_lib.h).  Each one
 * first prints an oracle line with the arguments it received and, just before
 * returning, one with its return value (see oracle.h); the integration tests
 * compare them with dwtrace's events.
 */
#include "types_lib.h"

#include <stdarg.h>
#include <string.h>

#include "oracle.h"

volatile int void_fn_sink; /* what t_void_fn leaves behind */

static const char *color_name(enum color c)
{
	switch (c) {
	case RED:   return "RED";
	case GREEN: return "GREEN";
	case BLUE:  return "BLUE";
	}
	return NULL;
}

static const char *level_name(enum level l)
{
	switch (l) {
	case LEVEL_LOW:  return "LEVEL_LOW";
	case LEVEL_MID:  return "LEVEL_MID";
	case LEVEL_HIGH: return "LEVEL_HIGH";
	}
	return NULL;
}

static void small_value(const char *key, struct small s)
{
	oracle_begin_object(key);
	oracle_int("id", s.id);
	oracle_double("ratio", s.ratio);
	oracle_double("value", s.value);
	oracle_end_object();
}

static void vec2_value(const char *key, struct vec2 v)
{
	oracle_begin_object(key);
	oracle_double("x", v.x);
	oracle_double("y", v.y);
	oracle_end_object();
}

static void vec3_value(const char *key, struct vec3 v)
{
	oracle_begin_object(key);
	oracle_double("a", v.a);
	oracle_double("b", v.b);
	oracle_double("c", v.c);
	oracle_end_object();
}

static void dpair_value(const char *key, struct dpair p)
{
	oracle_begin_object(key);
	oracle_double("a", p.a);
	oracle_double("b", p.b);
	oracle_end_object();
}

static void big_value(const char *key, const struct big *b)
{
	oracle_begin_object(key);
	oracle_int("a", b->a);
	oracle_int("b", b->b);
	oracle_int("c", b->c);
	oracle_double("d", b->d);
	oracle_chars("name", b->name, sizeof(b->name));
	oracle_end_object();
}

static void num_value(const char *key, union num u)
{
	oracle_begin_object(key);
	oracle_int("i", u.i);
	oracle_double("d", u.d);
	oracle_end_object();
}

int64_t t_int_widths(int8_t i8, uint8_t u8, int16_t i16, uint16_t u16,
		     int32_t i32, uint32_t u32)
{
	int64_t r;

	oracle_entry("t_int_widths");
	oracle_int("i8", i8);
	oracle_uint("u8", u8);
	oracle_int("i16", i16);
	oracle_uint("u16", u16);
	oracle_int("i32", i32);
	oracle_uint("u32", u32);
	oracle_end();
	r = (int64_t)i8 + u8 + i16 + u16 + i32 + u32;
	oracle_exit("t_int_widths");
	oracle_int("retval", r);
	oracle_end();
	return r;
}

uint64_t t_int64s(int64_t i64, uint64_t u64)
{
	uint64_t r;

	oracle_entry("t_int64s");
	oracle_int("i64", i64);
	oracle_uint("u64", u64);
	oracle_end();
	r = u64 ^ (uint64_t)i64;
	oracle_exit("t_int64s");
	oracle_uint("retval", r);
	oracle_end();
	return r;
}

int t_c_types(bool flag, char c, signed char sc, unsigned char uc, short s,
	      long long ll)
{
	int r;

	oracle_entry("t_c_types");
	oracle_bool("flag", flag);
	oracle_int("c", c);
	oracle_int("sc", sc);
	oracle_uint("uc", uc);
	oracle_int("s", s);
	oracle_int("ll", ll);
	oracle_end();
	r = flag + c + sc + uc + s + (int)(ll % 1000);
	oracle_exit("t_c_types");
	oracle_int("retval", r);
	oracle_end();
	return r;
}

bool t_ret_bool(int x)
{
	bool r;

	oracle_entry("t_ret_bool");
	oracle_int("x", x);
	oracle_end();
	r = x > 0;
	oracle_exit("t_ret_bool");
	oracle_bool("retval", r);
	oracle_end();
	return r;
}

char t_ret_char(int x)
{
	char r;

	oracle_entry("t_ret_char");
	oracle_int("x", x);
	oracle_end();
	r = (char)('a' + x);
	oracle_exit("t_ret_char");
	oracle_int("retval", r);
	oracle_end();
	return r;
}

int8_t t_ret_i8(int x)
{
	int8_t r;

	oracle_entry("t_ret_i8");
	oracle_int("x", x);
	oracle_end();
	r = (int8_t)-x;
	oracle_exit("t_ret_i8");
	oracle_int("retval", r);
	oracle_end();
	return r;
}

enum color t_enums(enum color c, enum level l)
{
	enum color r;

	oracle_entry("t_enums");
	oracle_enum("c", color_name(c), c);
	oracle_enum("l", level_name(l), l);
	oracle_end();
	r = (enum color)(c + 1);
	oracle_exit("t_enums");
	oracle_enum("retval", color_name(r), r);
	oracle_end();
	return r;
}

int t_pointers(void *vp, int *ip, int (*cb)(int), const void *np)
{
	int r;

	oracle_entry("t_pointers");
	oracle_ptr("vp", (uintptr_t)vp);
	oracle_ptr("ip", (uintptr_t)ip);
	oracle_ptr("cb", (uintptr_t)cb);
	oracle_ptr("np", (uintptr_t)np);
	oracle_end();
	r = cb ? cb(*ip) : *ip;
	oracle_exit("t_pointers");
	oracle_int("retval", r);
	oracle_end();
	return r;
}

int *t_ret_ptr(int *p)
{
	int *r;

	oracle_entry("t_ret_ptr");
	oracle_ptr("p", (uintptr_t)p);
	oracle_end();
	r = p + 1;
	oracle_exit("t_ret_ptr");
	oracle_ptr("retval", (uintptr_t)r);
	oracle_end();
	return r;
}

size_t t_string(const char *s)
{
	size_t r;

	oracle_entry("t_string");
	oracle_str("s", s);
	oracle_end();
	r = s ? strlen(s) : 0;
	oracle_exit("t_string");
	oracle_uint("retval", r);
	oracle_end();
	return r;
}

int t_strings(char *text, unsigned char *bytes, signed char *schars)
{
	int r;

	oracle_entry("t_strings");
	oracle_str("text", text);
	oracle_str("bytes", (const char *)bytes);
	oracle_str("schars", (const char *)schars);
	oracle_end();
	r = (int)(strlen(text) + strlen((const char *)bytes) +
		  strlen((const char *)schars));
	oracle_exit("t_strings");
	oracle_int("retval", r);
	oracle_end();
	return r;
}

const char *t_ret_str(int which)
{
	static const char *const words[] = {
		"zero", "one", "two \"quoted\"\tand tabbed",
	};
	const char *r;

	oracle_entry("t_ret_str");
	oracle_int("which", which);
	oracle_end();
	r = which >= 0 && which < 3 ? words[which] : NULL;
	oracle_exit("t_ret_str");
	oracle_str("retval", r);
	oracle_end();
	return r;
}

double t_floats(float f, double d, long double ld)
{
	double r;

	oracle_entry("t_floats");
	oracle_double("f", f);
	oracle_double("d", d);
	oracle_ldouble("ld", ld);
	oracle_end();
	r = (double)(f + d + ld);
	oracle_exit("t_floats");
	oracle_double("retval", r);
	oracle_end();
	return r;
}

float t_ret_float(float x)
{
	float r;

	oracle_entry("t_ret_float");
	oracle_double("x", x);
	oracle_end();
	r = x * 2.0f;
	oracle_exit("t_ret_float");
	oracle_double("retval", r);
	oracle_end();
	return r;
}

double t_ret_double(double x)
{
	double r;

	oracle_entry("t_ret_double");
	oracle_double("x", x);
	oracle_end();
	r = x / 3.0;
	oracle_exit("t_ret_double");
	oracle_double("retval", r);
	oracle_end();
	return r;
}

long double t_ret_ldouble(long double x)
{
	long double r;

	oracle_entry("t_ret_ldouble");
	oracle_ldouble("x", x);
	oracle_end();
	r = x / 3.0L;
	oracle_exit("t_ret_ldouble");
	oracle_ldouble("retval", r);
	oracle_end();
	return r;
}

struct small t_small(struct small s, double scale)
{
	struct small r;

	oracle_entry("t_small");
	small_value("s", s);
	oracle_double("scale", scale);
	oracle_end();
	r.id = s.id + 1;
	r.ratio = s.ratio * (float)scale;
	r.value = s.value * scale;
	oracle_exit("t_small");
	small_value("retval", r);
	oracle_end();
	return r;
}

struct vec2 t_vec2(struct vec2 v)
{
	struct vec2 r;

	oracle_entry("t_vec2");
	vec2_value("v", v);
	oracle_end();
	r.x = v.y;
	r.y = -v.x;
	oracle_exit("t_vec2");
	vec2_value("retval", r);
	oracle_end();
	return r;
}

struct vec3 t_vec3(struct vec3 v)
{
	struct vec3 r;

	oracle_entry("t_vec3");
	vec3_value("v", v);
	oracle_end();
	r.a = v.c;
	r.b = v.a;
	r.c = v.b;
	oracle_exit("t_vec3");
	vec3_value("retval", r);
	oracle_end();
	return r;
}

struct dpair t_dpair(struct dpair p)
{
	struct dpair r;

	oracle_entry("t_dpair");
	dpair_value("p", p);
	oracle_end();
	r.a = p.a + p.b;
	r.b = p.a - p.b;
	oracle_exit("t_dpair");
	dpair_value("retval", r);
	oracle_end();
	return r;
}

struct big t_big(struct big b, int k)
{
	struct big r;

	oracle_entry("t_big");
	big_value("b", &b);
	oracle_int("k", k);
	oracle_end();
	r.a = b.b;
	r.b = b.c;
	r.c = b.a + k;
	r.d = b.d / k;
	memcpy(r.name, "ret\0\0\0\0\0", sizeof(r.name));
	r.name[3] = (char)('0' + k % 10);
	oracle_exit("t_big");
	big_value("retval", &r);
	oracle_end();
	return r;
}

union num t_union(union num u)
{
	union num r;

	oracle_entry("t_union");
	num_value("u", u);
	oracle_end();
	r.d = u.d * 2.0;
	oracle_exit("t_union");
	num_value("retval", r);
	oracle_end();
	return r;
}

int t_rich(struct rich r)
{
	int ret;

	oracle_entry("t_rich");
	oracle_begin_object("r");
	oracle_begin_object("pos");
	oracle_int("x", r.pos.x);
	oracle_int("y", r.pos.y);
	oracle_end_object();
	oracle_enum("color", color_name(r.color), r.color);
	oracle_begin_array("v");
	for (int i = 0; i < 3; i++)
		oracle_int(NULL, r.v[i]);
	oracle_end_array();
	oracle_str("label", r.label);
	oracle_uint("flags", r.flags);
	oracle_uint("mode", r.mode);
	oracle_int("delta", r.delta);
	oracle_end_object();
	oracle_end();
	ret = r.pos.x + r.pos.y + (int)r.color + r.v[0] + r.v[1] + r.v[2] +
	      (int)r.flags + (int)r.mode + r.delta;
	oracle_exit("t_rich");
	oracle_int("retval", ret);
	oracle_end();
	return ret;
}

handle_t t_typedefs(handle_t h, const volatile handle_t cvh, const u32_t *p)
{
	handle_t r;

	oracle_entry("t_typedefs");
	oracle_uint("h", h);
	oracle_uint("cvh", cvh);
	oracle_ptr("p", (uintptr_t)p);
	oracle_end();
	r = h + cvh + *p;
	oracle_exit("t_typedefs");
	oracle_uint("retval", r);
	oracle_end();
	return r;
}

long t_many_ints(long a1, long a2, long a3, long a4, long a5, long a6,
		 long a7, long a8)
{
	long r;

	oracle_entry("t_many_ints");
	oracle_int("a1", a1);
	oracle_int("a2", a2);
	oracle_int("a3", a3);
	oracle_int("a4", a4);
	oracle_int("a5", a5);
	oracle_int("a6", a6);
	oracle_int("a7", a7);
	oracle_int("a8", a8);
	oracle_end();
	/* Weighted, so that swapped arguments change the result. */
	r = a1 + 2 * a2 + 3 * a3 + 4 * a4 + 5 * a5 + 6 * a6 + 7 * a7 + 8 * a8;
	oracle_exit("t_many_ints");
	oracle_int("retval", r);
	oracle_end();
	return r;
}

double t_many_doubles(double d1, double d2, double d3, double d4, double d5,
		      double d6, double d7, double d8, double d9, double d10)
{
	double r;

	oracle_entry("t_many_doubles");
	oracle_double("d1", d1);
	oracle_double("d2", d2);
	oracle_double("d3", d3);
	oracle_double("d4", d4);
	oracle_double("d5", d5);
	oracle_double("d6", d6);
	oracle_double("d7", d7);
	oracle_double("d8", d8);
	oracle_double("d9", d9);
	oracle_double("d10", d10);
	oracle_end();
	r = d1 + 2 * d2 + 3 * d3 + 4 * d4 + 5 * d5 + 6 * d6 + 7 * d7 +
	    8 * d8 + 9 * d9 + 10 * d10;
	oracle_exit("t_many_doubles");
	oracle_double("retval", r);
	oracle_end();
	return r;
}

double t_mixed(int i1, double d1, int i2, double d2, int i3, int i4, int i5,
	       int i6, struct small s, double d3, long tail)
{
	double r;

	oracle_entry("t_mixed");
	oracle_int("i1", i1);
	oracle_double("d1", d1);
	oracle_int("i2", i2);
	oracle_double("d2", d2);
	oracle_int("i3", i3);
	oracle_int("i4", i4);
	oracle_int("i5", i5);
	oracle_int("i6", i6);
	small_value("s", s);
	oracle_double("d3", d3);
	oracle_int("tail", tail);
	oracle_end();
	r = i1 + d1 + 2 * i2 + 2 * d2 + 3 * i3 + 4 * i4 + 5 * i5 + 6 * i6 +
	    s.id + s.ratio + s.value + 7 * d3 + 8 * (double)tail;
	oracle_exit("t_mixed");
	oracle_double("retval", r);
	oracle_end();
	return r;
}

int t_variadic(const char *fmt, int count, ...)
{
	va_list ap;
	int r = 0;

	oracle_entry("t_variadic");
	oracle_str("fmt", fmt);
	oracle_int("count", count);
	oracle_end();
	va_start(ap, count);
	for (int i = 0; i < count; i++)
		r += va_arg(ap, int);
	va_end(ap);
	oracle_exit("t_variadic");
	oracle_int("retval", r);
	oracle_end();
	return r;
}

int t_recurse(int n)
{
	int r;

	oracle_entry("t_recurse");
	oracle_int("n", n);
	oracle_end();
	/* The recursive result goes through a function of another translation
	 * unit before it is combined: no tail call, no accumulator loop. */
	r = n <= 0 ? 1 : recurse_combine(t_recurse(n - 1), n);
	oracle_exit("t_recurse");
	oracle_int("retval", r);
	oracle_end();
	return r;
}

void t_void_fn(int x)
{
	oracle_entry("t_void_fn");
	oracle_int("x", x);
	oracle_end();
	oracle_exit("t_void_fn");
	oracle_end();
	/* After the last call, so that -O2 returns instead of tail-calling. */
	void_fn_sink = x;
}
