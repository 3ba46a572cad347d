/* wide_types: calls each function of libwide_types.so (wide_types_lib.c)
 * with values that need every bit of their type; the functions print what
 * they received and return (the tests' oracle).  Exit status 0. */
#include <stdio.h>

#include "wide_types_lib.h"

static __int128 big(long long hi, unsigned long long lo)
{
	return (__int128)((unsigned __int128)(unsigned long long)hi << 64 | lo);
}

int main(void)
{
	struct wide_rec r = {big(-2, 12345)};
	struct wide_pair p = {-7, big(0x123456789abcdefLL, 0xfedcba9876543210ULL),
			      {(unsigned __int128)big(-1, ~0ULL), 42}};
	v4sf a = {1.5f, -2.25f, 3.0f, 1e-3f};
	v4si b = {-1, 2, 2147483647, -2147483647 - 1};
	__m128 c = _mm_set_ps(4.0f, 3.0f, 2.0f, 1.0f);
	v4hi h = {-3, 7, 32767, -32768};
	v4df wide = {1, 2, 3, 4};
	int sink = 0;

	w_i128(big(-0x7fffffffffffffffLL - 1, 0), (unsigned __int128)big(-1, ~0ULL)); /* INT128_MIN, UINT128_MAX */
	w_i128(-1, (unsigned __int128)1 << 64);
	w_i128_stack(1, 2, 3, 4, 5, big(0x1122334455667788LL, 0x99aabbccddeeff00ULL), -9);
	w_i128_many(big(1, 2), big(-3, 4), big(5, 6), big(-0x7000000000000000LL, 7));
	w_struct(r, p);
	w_rec(3, r);

	w_cdouble(1.5 - 2.0 * I, 0.25f + 8.0f * I);
	w_cfloat(-0.5f + 0.1f * I, 3.0f);
	w_cldouble(1.0L / 3 + 2.5L * I, 4);

	w_f128((_Float128)1 / 3, 0.1, -2.5e4000F128);
	w_sse_stack(1, 2, 3, 4, 5, 6, 7, 8, (_Float128)2 / 7, -1.25 + 0.5 * I, 2.0f - 4.0f * I);

	w_vec(a, b, c, h);
	w_vec_ret(5);
	sink += (int)w_vec32(11, wide, 22);
	return sink == 10 + 11 + 22 ? 0 : 1; /* 1 + 2 + 3 + 4, before, after */
}
