/* Floating-point values as the shortest decimal that reads back exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sink.h"

void format_float_shortest(char *buf, size_t size, long double v, size_t type_size)
{
	if (isnan(v)) {
		snprintf(buf, size, "%s", signbit(v) ? "-nan" : "nan");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, size, "%s", v < 0 ? "-inf" : "inf");
		return;
	}
	for (int prec = 1; prec <= 21; prec++) {
		snprintf(buf, size, "%.*Lg", prec, v);
		if (type_size == 4 && strtof(buf, NULL) == (float)v)
			return;
		if (type_size == 8 && strtod(buf, NULL) == (double)v)
			return;
		if (type_size > 8 && strtold(buf, NULL) == v)
			return;
	}
}
