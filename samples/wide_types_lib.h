/* libwide_types.so: functions taking and returning types wider than a
 * register (see wide_types_lib.c). */
#ifndef SAMPLES_WIDE_TYPES_LIB_H
#define SAMPLES_WIDE_TYPES_LIB_H

#include <complex.h>
#include <xmmintrin.h>

typedef float v4sf __attribute__((vector_size(16)));
typedef int v4si __attribute__((vector_size(16)));
typedef short v4hi __attribute__((vector_size(8)));
typedef double v4df __attribute__((vector_size(32)));

/* 16 bytes: INTEGER, INTEGER, in two registers. */
struct wide_rec {
	__int128 v;
};

/* 48 bytes: in memory, returned through the hidden pointer. */
struct wide_pair {
	long tag;
	__int128 v;
	unsigned __int128 arr[2];
};

__int128 w_i128(__int128 a, unsigned __int128 b);
unsigned __int128 w_i128_stack(long a1, long a2, long a3, long a4, long a5, __int128 x, int after);
__int128 w_i128_many(__int128 a, __int128 b, __int128 c, __int128 d);
struct wide_pair w_struct(struct wide_rec r, struct wide_pair p);
struct wide_rec w_rec(int k, struct wide_rec r);

double complex w_cdouble(double complex z, float complex f);
float complex w_cfloat(float complex a, float b);
long double complex w_cldouble(long double complex z, int k);

_Float128 w_f128(_Float128 x, double d, _Float128 y);
double w_sse_stack(double d0, double d1, double d2, double d3, double d4, double d5, double d6, double d7,
		   _Float128 q, double complex z, float complex f);

v4sf w_vec(v4sf a, v4si b, __m128 c, v4hi h);
v4si w_vec_ret(int k);
long w_vec32(int before, v4df v, int after);

#endif
