/* Sinks take an event layout plus decoded values and write them somewhere.
 * Adding a sink touches nothing else. */
#ifndef DWTRACE_SINK_H
#define DWTRACE_SINK_H

#include <stdint.h>
#include <stdio.h>

#include "decode.h"
#include "event_layout.h"

struct sink;
struct stats;

/* How the text and JSON sinks write events (the command line's -t/-tt/-ttt/
 * -r/-T, --color, the locale, --json-int-strings). */
enum sink_time {
	SINK_TIME_CLOCK_US = 0,  /* "12:00:01.123456" (the default, strace's -tt) */
	SINK_TIME_CLOCK_S,       /* "12:00:01" (-t) */
	SINK_TIME_EPOCH_US,      /* "1764502801.123456" (-ttt) */
	SINK_TIME_RELATIVE,      /* "+0.000123" since the previous event, "+0.000000" first (-r) */
};

struct sink_opts {
	enum sink_time time;     /* text only: JSON always has ts_ns */
	bool durations;          /* text: " <0.000344834>" on exit lines (true by default; -T) */
	bool color;              /* text: ANSI SGR colors (--color, decided by the caller) */
	bool ascii;              /* text: "->" for "→" (the locale's codeset is not UTF-8) */
	bool json_int_strings;   /* JSON: integers beyond +-2^53 as strings ("18446744073709551615") */
};

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
	/* Optional: the summary (-c, -C, probes/stats.h), written once at the
	 * end of tracing, before flush. */
	void (*summary)(struct sink *s, const struct stats *st);
	/* Optional: completes a line the sink left open (the text sink's
	 * entry waiting for its exit: " <unfinished ...>") so that other text
	 * can follow it on the same stream -- the summary, the final flush,
	 * a message on a shared terminal.  Events may still follow. */
	void (*end_line)(struct sink *s);
	/* Optional: when (CLOCK_REALTIME, ns) a flush will write what the
	 * sink holds back -- the text sink's entry waiting for its exit, 50 ms
	 * after the entry's time -- or 0 when it holds nothing.  An engine
	 * about to block flushes again then, so that a call blocked in the
	 * program shows while it blocks (ptrace/tracer.c). */
	uint64_t (*held_until)(struct sink *s);
};

struct sink {
	const struct sink_ops *ops;
	FILE *out;
	struct sink_opts opts;
};

/* The defaults: {SINK_TIME_CLOCK_US, durations on}. */
extern const struct sink_opts sink_opts_default;

/* opts: NULL for the defaults ({SINK_TIME_CLOCK_US, durations}); copied. */
struct sink *sink_text_new(FILE *out, const struct sink_opts *opts);
struct sink *sink_json_new(FILE *out, const struct sink_opts *opts);

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
