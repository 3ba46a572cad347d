/* Sinks take an event layout plus decoded values and write them somewhere.
 * Adding a sink touches nothing else. */
#ifndef DWTRACE_SINK_H
#define DWTRACE_SINK_H

#include <stdint.h>
#include <stdio.h>

#include "decode.h"
#include "event_layout.h"

struct sink;

struct sink_ops {
	/* args: l->nfields values. */
	void (*entry)(struct sink *s, const struct event_layout *l, const struct event_header *h,
		      const struct value *args);
	/* ret: NULL when the function returns void. */
	void (*exit)(struct sink *s, const struct event_layout *l, const struct event_header *h,
		     const struct value *ret, uint64_t duration_ns);
	/* Flushes; returns 0, or -errno when output was lost. */
	int (*flush)(struct sink *s);
	void (*destroy)(struct sink *s);
	/* Optional: a probe with layout l was placed (announce it now, not
	 * on the hot path). */
	void (*layout_added)(struct sink *s, const struct event_layout *l);
};

struct sink {
	const struct sink_ops *ops;
	FILE *out;
};

struct sink *sink_text_new(FILE *out);
struct sink *sink_json_new(FILE *out);

/* Shortest decimal that reads back as the same value ("3.14159"). */
void format_float_shortest(char *buf, size_t size, long double v, size_t type_size);

/* The 16 bytes of an __int128 (is_signed) or unsigned __int128 in decimal,
 * "-170141183460469231731687303715884105728"; 41 bytes are always enough. */
void format_int128(char *buf, size_t size, const uint8_t *bytes, bool is_signed);

/* The 16 bytes of a _Float128 as the shortest decimal that reads back as the
 * same value ("0.1", "1e+4000"), or nan, -nan, inf, -inf; 48 bytes are enough. */
void format_float128(char *buf, size_t size, const uint8_t *bytes);

/* True for values formatted by the two functions above. */
bool value_is_int128(const struct value *v);
bool value_is_float128(const struct value *v);

/* A LAYOUT_POINT's locals come innermost block first (event_layout.h), and
 * an inner block's variable may shadow an outer one of the same name (C11
 * 6.2.1p4): every output keeps both.  Returns how many locals before local i
 * have its name: 0 for the innermost of that name, which keeps it; N > 0 is
 * shown as "NAME@N" (text, JSON: object keys stay unique) and as the field
 * NAME_N in LTTng.  0 when i is out of range. */
unsigned layout_local_shadow(const struct event_layout *l, size_t i);

/* The last component of a source path ("mylib.c" for
 * "/work/samples/mylib.c"), as the text sink shows positions; NULL for
 * NULL.  Points into path. */
const char *sink_file_base(const char *path);

#endif
