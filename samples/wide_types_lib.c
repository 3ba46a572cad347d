/* libwide_types.so: the traced functions of wide_types (see wide_types_lib.h).
 * Each prints, on stdout, one JSON line with the arguments it received and one
 * with the value it returns, in the form of dwtrace's JSON events:
 *   {"type":"entry","function":"w_i128","args":{"a":-1,"b":18446744073709551616}}
 *   {"type":"exit","function":"w_i128","retval":18446744073709551615}
 * __int128 in decimal (its own printer: printf has none), complex values with
 * creal()/cimag(), _Float128 with libquadmath, as the shortest decimal that
 * reads back (%.17g for double, %.21Lg for long double, as dwtrace writes). */
#include "wide_types_lib.h"

#include <quadmath.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool first;

static void begin(const char *type, const char *fn)
{
	printf("{\"type\":\"%s\",\"function\":\"%s\"", type, fn);
	/* An exit line goes on after "function" with a comma. */
	first = !strcmp(type, "entry");
	if (first)
		fputs(",\"args\":{", stdout);
}

static void key(const char *k)
{
	if (!first)
		putchar(',');
	first = false;
	if (k)
		printf("\"%s\":", k);
}

static void end_entry(void)
{
	puts("}}");
}

static void end_exit(void)
{
	puts("}");
}

static void pr_i128(const char *k, unsigned __int128 u, bool is_signed)
{
	char d[48];
	int n = 0;

	key(k);
	if (is_signed && (__int128)u < 0) {
		putchar('-');
		u = -u;
	}
	do {
		d[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	while (n)
		putchar(d[--n]);
}

static void pr_double(const char *k, double v)
{
	key(k);
	printf("%.17g", v);
}

static void pr_f128(const char *k, _Float128 q)
{
	char buf[64];

	key(k);
	for (int prec = 1; prec <= 36; prec++) {
		quadmath_snprintf(buf, sizeof(buf), "%.*Qg", prec, (__float128)q);
		if (strtoflt128(buf, NULL) == q)
			break;
	}
	fputs(buf, stdout);
}

static void pr_cdouble(const char *k, double complex z)
{
	key(k);
	printf("{\"real\":%.17g,\"imag\":%.17g}", creal(z), cimag(z));
}

static void pr_cldouble(const char *k, long double complex z)
{
	key(k);
	printf("{\"real\":%.21Lg,\"imag\":%.21Lg}", creall(z), cimagl(z));
}

static void pr_long(const char *k, long v)
{
	key(k);
	printf("%ld", v);
}

static void pr_rec(const char *k, struct wide_rec r)
{
	key(k);
	first = true;
	putchar('{');
	pr_i128("v", (unsigned __int128)r.v, true);
	putchar('}');
	first = false;
}

static void pr_pair(const char *k, struct wide_pair p)
{
	key(k);
	first = true;
	putchar('{');
	pr_long("tag", p.tag);
	pr_i128("v", (unsigned __int128)p.v, true);
	key("arr");
	printf("[");
	first = true;
	pr_i128(NULL, p.arr[0], false);
	pr_i128(NULL, p.arr[1], false);
	printf("]}");
	first = false;
}

__int128 w_i128(__int128 a, unsigned __int128 b)
{
	__int128 ret = a + (__int128)(b >> 1);

	begin("entry", __func__);
	pr_i128("a", (unsigned __int128)a, true);
	pr_i128("b", b, false);
	end_entry();
	begin("exit", __func__);
	pr_i128("retval", (unsigned __int128)ret, true);
	end_exit();
	return ret;
}

unsigned __int128 w_i128_stack(long a1, long a2, long a3, long a4, long a5, __int128 x, int after)
{
	unsigned __int128 ret = (unsigned __int128)x * 3 + (unsigned __int128)(a1 + a2 + a3 + a4 + a5 + after);

	begin("entry", __func__);
	pr_long("a1", a1);
	pr_long("a2", a2);
	pr_long("a3", a3);
	pr_long("a4", a4);
	pr_long("a5", a5);
	pr_i128("x", (unsigned __int128)x, true);
	pr_long("after", after);
	end_entry();
	begin("exit", __func__);
	pr_i128("retval", ret, false);
	end_exit();
	return ret;
}

__int128 w_i128_many(__int128 a, __int128 b, __int128 c, __int128 d)
{
	__int128 ret = a - b + c - d;

	begin("entry", __func__);
	pr_i128("a", (unsigned __int128)a, true);
	pr_i128("b", (unsigned __int128)b, true);
	pr_i128("c", (unsigned __int128)c, true);
	pr_i128("d", (unsigned __int128)d, true);
	end_entry();
	begin("exit", __func__);
	pr_i128("retval", (unsigned __int128)ret, true);
	end_exit();
	return ret;
}

struct wide_pair w_struct(struct wide_rec r, struct wide_pair p)
{
	struct wide_pair ret = p;

	ret.tag = p.tag * 2;
	ret.v = r.v - p.v;
	ret.arr[1] = p.arr[1] << 70;
	begin("entry", __func__);
	pr_rec("r", r);
	pr_pair("p", p);
	end_entry();
	begin("exit", __func__);
	pr_pair("retval", ret);
	end_exit();
	return ret;
}

struct wide_rec w_rec(int k, struct wide_rec r)
{
	struct wide_rec ret = {r.v * k};

	begin("entry", __func__);
	pr_long("k", k);
	pr_rec("r", r);
	end_entry();
	begin("exit", __func__);
	pr_rec("retval", ret);
	end_exit();
	return ret;
}

double complex w_cdouble(double complex z, float complex f)
{
	double complex ret = z * 2 + f;

	begin("entry", __func__);
	pr_cdouble("z", z);
	pr_cdouble("f", f);
	end_entry();
	begin("exit", __func__);
	pr_cdouble("retval", ret);
	end_exit();
	return ret;
}

float complex w_cfloat(float complex a, float b)
{
	float complex ret = a * b;

	begin("entry", __func__);
	pr_cdouble("a", a);
	pr_double("b", b);
	end_entry();
	begin("exit", __func__);
	pr_cdouble("retval", ret);
	end_exit();
	return ret;
}

long double complex w_cldouble(long double complex z, int k)
{
	long double complex ret = z * k - 1.0L * I;

	begin("entry", __func__);
	pr_cldouble("z", z);
	pr_long("k", k);
	end_entry();
	begin("exit", __func__);
	pr_cldouble("retval", ret);
	end_exit();
	return ret;
}

_Float128 w_f128(_Float128 x, double d, _Float128 y)
{
	_Float128 ret = x * 3 + y / 2;

	begin("entry", __func__);
	pr_f128("x", x);
	pr_double("d", d);
	pr_f128("y", y);
	end_entry();
	begin("exit", __func__);
	pr_f128("retval", ret);
	end_exit();
	return ret;
}

double w_sse_stack(double d0, double d1, double d2, double d3, double d4, double d5, double d6, double d7,
		   _Float128 q, double complex z, float complex f)
{
	double ret = d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7 + (double)q + creal(z) + cimag(f);

	begin("entry", __func__);
	pr_double("d0", d0);
	pr_double("d1", d1);
	pr_double("d2", d2);
	pr_double("d3", d3);
	pr_double("d4", d4);
	pr_double("d5", d5);
	pr_double("d6", d6);
	pr_double("d7", d7);
	pr_f128("q", q);
	pr_cdouble("z", z);
	pr_cdouble("f", f);
	end_entry();
	begin("exit", __func__);
	pr_double("retval", ret);
	end_exit();
	return ret;
}

static void pr_v4sf(const char *k, v4sf v)
{
	key(k);
	printf("[%.17g,%.17g,%.17g,%.17g]", v[0], v[1], v[2], v[3]);
}

static void pr_v4si(const char *k, v4si v)
{
	key(k);
	printf("[%d,%d,%d,%d]", v[0], v[1], v[2], v[3]);
}

v4sf w_vec(v4sf a, v4si b, __m128 c, v4hi h)
{
	v4sf ret = a * 2 + (v4sf)c;

	begin("entry", __func__);
	pr_v4sf("a", a);
	pr_v4si("b", b);
	pr_v4sf("c", (v4sf)c);
	key("h");
	printf("[%d,%d,%d,%d]", h[0], h[1], h[2], h[3]);
	end_entry();
	begin("exit", __func__);
	pr_v4sf("retval", ret);
	end_exit();
	return ret;
}

v4si w_vec_ret(int k)
{
	v4si ret = {k, -k, k * 1000, -2147483647 - 1};

	begin("entry", __func__);
	pr_long("k", k);
	end_entry();
	begin("exit", __func__);
	pr_v4si("retval", ret);
	end_exit();
	return ret;
}

/* A 32-byte vector: in memory without AVX (this library), in ymm0 with it;
 * dwtrace shows it, and what comes after it in xmm registers or on the
 * stack, as unavailable ("v": {"unavailable": "location unknown"}: the ABI
 * alone does not say where it is), never as garbage. */
long w_vec32(int before, v4df v, int after)
{
	long ret = before + after + (long)(v[0] + v[1] + v[2] + v[3]);

	begin("entry", __func__);
	pr_long("before", before);
	key("v");
	fputs("{\"unavailable\":\"location unknown\"}", stdout);
	pr_long("after", after);
	end_entry();
	begin("exit", __func__);
	pr_long("retval", ret);
	end_exit();
	return ret;
}
