/* TEST ORACLE ONLY (test_ust_desc_lttng): issue 11's sink internals, for
 * lttng_event_desc_ref.c.  Once: the LTTng-UST sink's parts (libdwtrace-lttng.so only): sink_lttng.c
 * writes events and is the sink; lttng_event_desc.c builds the event
 * descriptions lttng-ust registers, from event layouts (DWARF types). */
#ifndef DWTRACE_SINK_LTTNG_INTERNAL_H
#define DWTRACE_SINK_LTTNG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lttng/tracepoint-types.h>
#include <lttng/ust-events.h>
#include <lttng/ust-ringbuffer-context.h>
#include <lttng/ust-tracer.h>

#include "sink.h"

#define NULL_STRING "(null)"

/* How one field is written. */
/* LT_DEC128: an __int128 as its decimal digits in a string (CTF integers
 * stop at 64 bits; babeltrace2 shows the string as is). */
enum lt_kind { LT_INT, LT_FLOAT, LT_STRING, LT_CHARS, LT_DEC128 };

#define LT_MAX_DEPTH 8

/* A field, and where its value is: path[0] is the index of the event's
 * value (-1 pid, -2 tid, -3 duration), path[1..] member indices of nested
 * structures (which are flattened: see describe_flat()). */
struct lt_field {
	enum lt_kind kind;
	unsigned size;             /* LT_INT, LT_FLOAT: bytes; LT_CHARS: length */
	bool is_signed;
	int path[LT_MAX_DEPTH];
	int depth;
	bool filterable;
};

/* One event: its description for lttng-ust and how to write it. */
struct lt_event {
	struct lttng_ust_tracepoint tp;
	struct lttng_ust_event_desc desc;
	struct lttng_ust_tracepoint_class cls;
	struct lt_field *fields;
	size_t nfields;
	size_t nfilter_slots;
	size_t align;
};

struct lt_layout {
	const struct event_layout *layout;
	struct lt_event entry, exit;
	struct lt_layout *next;
};

struct lttng_sink {
	struct sink base;
	char *provider;
	struct lt_layout *layouts;
	struct lt_layout *pending;    /* built, not registered yet */
	size_t npending;
	struct lttng_ust_probe_desc *pending_probe; /* the probe they will be registered in */
	bool with_stack;              /* entry events carry the field "stack" */
};

/* What the probe callback receives besides the tracepoint's data. */
struct lt_payload {
	const struct lt_event *ev;
	const struct event_header *h;
	const struct value *values;   /* the event's values, in layout order */
	uint64_t duration_ns;
};


/* The alignment lttng-ust's ring buffer gives a field of size bytes. */
static inline size_t rb_alignof(size_t size)
{
#ifdef LTTNG_UST_RING_BUFFER_NATURAL_ALIGN
	return size;
#else
	(void)size;
	return 1;
#endif
}

/* sink_lttng.c: the probe callback every event's class names, the
 * signature its tracepoints carry, and the provider reference count. */
void lt_probe_callback(void *tp_data, const struct lt_payload *pl);
extern const char lt_signature[];
extern int lt_provider_ref;

/* lttng_event_desc.c: name made an identifier lttng-ust accepts
 * ([A-Za-z0-9_], not starting with a digit); malloc'ed. */
char *lt_mangle(const char *name);

/* lttng_event_desc.c: fills ev, the entry (exit false) or exit event of
 * layout l in probe, for sink s: its fields (pid, tid, the parameters or the
 * return value flattened, duration, stack), class and tracepoint.  The
 * strings and arrays it allocates are ev's. */
void lt_build_event(struct lttng_sink *s, struct lt_event *ev, const struct event_layout *l, bool exit,
		    const struct lttng_ust_probe_desc *probe);

#endif
