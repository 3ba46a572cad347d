/* types_app: calls every traced function of libtypes.so (the t_* functions),
 * some twice with different values, in a fixed order.  Each traced function
 * prints its own oracle lines on stdout (see oracle.h); this program prints
 * nothing else and exits 0.
 */
#include <float.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "types_lib.h"

static int twice(int x)
{
	return 2 * x;
}

static int global_int = 7;
static char long_text[1001]; /* 1000 characters, for the string limit */

int main(void)
{
	static const char escapes[] = "quote\" backslash\\ newline\n tab\t ctl\001 end";
	char mutable_text[] = "mutable";
	unsigned char ubytes[] = "unsigned bytes";
	signed char sbytes[] = "signed chars";
	int ints[2] = { 11, 22 };
	u32_t third = 300;
	struct small s1 = { 7, 0.5f, 2.25 };
	struct small s2 = { -3, 3.14159f, -1e-300 };
	struct vec2 v2 = { 1.5f, -0.25f };
	struct vec3 v3 = { 0.1f, 0.2f, 0.3f };
	struct dpair dp = { 3.14159, 2.71828 };
	struct big b1 = { INT64_MIN, INT64_MAX, -1, 1e300, "big" };
	struct big b2 = { 1, 2, 3, 0.125, "ABCDEFGH" }; /* no NUL inside */
	union num u = { .d = 2.5 };
	struct rich r = {
		.pos = { -2, 30000 },
		.color = GREEN,
		.v = { 1, -2, 3 },
		.label = "rich \"label\"",
		.flags = 5,
		.mode = 17,
		.delta = -3,
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < 1000; i++)
		long_text[i] = (char)('0' + i % 10);

	t_int_widths(-5, 200, -300, 60000, -70000, 4000000000u);
	t_int_widths(INT8_MIN, UINT8_MAX, INT16_MIN, UINT16_MAX, INT32_MIN, UINT32_MAX);
	t_int64s(INT64_MIN, UINT64_MAX);
	t_int64s(-1, 0);
	t_c_types(true, 'A', -128, 255, -32768, LLONG_MIN);
	t_c_types(false, '\n', 127, 0, 32767, LLONG_MAX);
	t_ret_bool(1);
	t_ret_bool(-1);
	t_ret_char(2);
	t_ret_i8(100);

	t_enums(GREEN, LEVEL_LOW);
	t_enums((enum color)42, LEVEL_HIGH);

	t_pointers(&global_int, &ints[0], twice, NULL);
	t_pointers(NULL, &ints[1], NULL, NULL);
	t_ret_ptr(&ints[0]);

	t_string("hello, world");
	t_string(escapes);
	t_string("");
	t_string(NULL);
	t_string(long_text);
	t_strings(mutable_text, ubytes, sbytes);
	t_ret_str(2);
	t_ret_str(5);

	t_floats(-0.5f, 3.14159, 1.5L);
	t_floats(3.14159f, 1e300, -1.1L);
	t_ret_float(-0.5f);
	t_ret_double(1e300);
	t_ret_double(3.14159);
	t_ret_ldouble(1.1L);

	t_small(s1, 2.0);
	t_small(s2, -0.5);
	t_vec2(v2);
	t_vec3(v3);
	t_dpair(dp);
	t_big(b1, 4);
	t_big(b2, 3);
	t_union(u);
	t_rich(r);

	t_typedefs(100, 200, &third);

	t_many_ints(1, -2, 3, -4, 5, -6, 7, -1234567890123456L);
	t_many_doubles(1.5, -2.5, 3.25, -4.75, 5.0, 6.125, -7.5, 8.0625, 9.5, -1e300);
	t_mixed(1, 0.5, 2, -0.25, 3, 4, 5, 6, s1, 1e-10, -99);

	t_variadic("%d %d %d", 3, 10, 20, 30);
	t_recurse(4);
	t_void_fn(99);
	return 0;
}
