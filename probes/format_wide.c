/* Values wider than 64 bits as text: __int128 in decimal, _Float128 as the
 * shortest decimal that reads back exactly (with libquadmath, the only
 * binary128 formatter on the system). */
#include <quadmath.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include "sink.h"

void format_int128(char *buf, size_t size, const uint8_t *bytes, bool is_signed)
{
	char digits[48];
	size_t n = 0, len = 0;
	unsigned __int128 u;
	bool neg = false;

	if (!size)
		return;
	memcpy(&u, bytes, 16);
	if (is_signed && (__int128)u < 0) {
		neg = true;
		u = -u; /* well defined on the unsigned type, INT128_MIN included */
	}
	do {
		digits[n++] = (char)('0' + (unsigned)(u % 10));
		u /= 10;
	} while (u);
	if (neg && len + 1 < size)
		buf[len++] = '-';
	while (n && len + 1 < size)
		buf[len++] = digits[--n];
	buf[len] = '\0';
}

void format_float128(char *buf, size_t size, const uint8_t *bytes)
{
	__float128 q;

	memcpy(&q, bytes, 16);
	if (isnanq(q)) {
		snprintf(buf, size, "%s", signbitq(q) ? "-nan" : "nan");
		return;
	}
	if (isinfq(q)) {
		snprintf(buf, size, "%s", q < 0 ? "-inf" : "inf");
		return;
	}
	/* 36 significant digits always read back (FLT128_DIG + 3). */
	for (int prec = 1; prec <= 36; prec++) {
		quadmath_snprintf(buf, size, "%.*Qg", prec, q);
		if (strtoflt128(buf, NULL) == q)
			return;
	}
}

bool value_is_int128(const struct value *v)
{
	const struct dw_type *t = dw_type_strip(v->type);

	return t && (t->kind == DW_KIND_SINT || t->kind == DW_KIND_UINT) && v->size == 16;
}

bool value_is_float128(const struct value *v)
{
	const struct dw_type *t = dw_type_strip(v->type);

	return t && t->kind == DW_KIND_FLOAT && t->float_format == DW_FLOAT_BINARY128 && v->size == 16;
}
