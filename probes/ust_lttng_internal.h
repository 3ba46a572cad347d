/* What ust_lttng_desc.c (descriptions, the table) and ust_lttng.c (the
 * writer) share.  lttng-ust's types are in lttng/ust-events.h. */
#ifndef DWTRACE_UST_LTTNG_INTERNAL_H
#define DWTRACE_UST_LTTNG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <lttng/tracepoint-types.h>
#include <lttng/ust-events.h>
#include <lttng/ust-ringbuffer-context.h>
#include <lttng/ust-tracer.h>

#include "ust_lttng.h"

/* Where an event's scalars come from: a private copy of the blob its
 * registration (or latest reuse) came in, and the event in it. */
struct ust_source {
	const void *blob;
	size_t size;
	const struct dwt_ust_event_desc *ev;
};

/* How the writer writes one field (the blob's type, copied). */
struct ust_out_field {
	uint8_t type;            /* enum dwt_ust_type */
	uint8_t size;            /* INT, ENUM, FLOAT: bytes written */
	uint8_t filter;          /* has filter stack slots */
	uint32_t length;         /* CHARS */
};

/* A registered event: lttng-ust's tracepoint and description of it, how to
 * write it, and its current sources. */
struct ust_event {
	struct lttng_ust_tracepoint tp;
	struct lttng_ust_event_desc desc;
	struct lttng_ust_tracepoint_class cls;
	char *provider, *name;
	char *fields_text;       /* the fields as lttng-ust sees them, for reuse */
	struct ust_out_field *out;
	uint32_t nfields;
	size_t nfilter_slots;
	size_t align;            /* the largest field alignment in the ring buffer */
	struct ust_source *src;  /* swapped (release) when a blob reuses the event */
};

/* What the probe callback receives (the tracepoint's argument). */
struct ust_lttng_payload {
	const struct ust_event *ev;
	const struct ust_scalar *sc;
	void *ip;
};

extern struct ust_event *ust_lttng_table[UST_LTTNG_MAX_EVENTS];
extern const char ust_lttng_signature[];

/* The event of slot, NULL when not registered (lock-free: the table's
 * entries are published before the count). */
struct ust_event *ust_lttng_event(uint32_t slot);

/* The callback every event's class names (ust_lttng.c). */
void ust_lttng_callback(void *tp_data, const struct ust_lttng_payload *pl);

/* The alignment lttng-ust's ring buffer gives a field of size bytes. */
static inline size_t ust_rb_alignof(size_t size)
{
#ifdef LTTNG_UST_RING_BUFFER_NATURAL_ALIGN
	return size;
#else
	(void)size;
	return 1;
#endif
}

#endif
