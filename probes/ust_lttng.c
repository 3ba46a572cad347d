/* Writing an event of the table (ust_lttng_desc.c) from field scalars:
 * what the code lttng/ust-tracepoint-event.h generates for a
 * TRACEPOINT_EVENT does (lttng-ust 2.13: __event_probe__*): check that the
 * session, channel and event are enabled, prepare the filter's interpreter
 * stack and run the filter, reserve the exact payload size, write each
 * field, commit; or send an event notifier's notification with its
 * captures.  Runs on traced programs' threads: no allocation, no lock but
 * lttng-ust's RCU read side, bounded stack (~6 KiB). */
#define _GNU_SOURCE
#include <stdbool.h>
#include <string.h>

#include "ust_lttng_internal.h"

void lttng_ust_tp_rcu_read_lock(void);
void lttng_ust_tp_rcu_read_unlock(void);
void *lttng_ust_tp_rcu_dereference_sym(void *p);

#define NULL_STRING "(null)"
/* The filter stack's slots: one per filterable field, two for an array
 * (struct lttng_ust_event_field.nofilter; lttng-ust's filter reads
 * 8-byte slots: integers as int64/uint64, doubles, string pointers,
 * array length + pointer).  An event with more filterable fields is
 * written unfiltered, as the sink of issue 11 did. */
#define FILTER_SLOTS 128
/* NUL-terminated copies of the strings the filter reads. */
#define FILTER_STRINGS 2048

struct writer {
	struct lttng_ust_channel_buffer *chan; /* NULL: measure or stack only */
	struct lttng_ust_ring_buffer_ctx *ctx;
	size_t len;
	char *stack;                           /* filter stack, or NULL */
	char *strings;                         /* FILTER_STRINGS bytes with stack */
	size_t strings_len;
};

static const char zeros[64];

static void put(struct writer *w, const void *src, size_t len, size_t align)
{
	w->len += lttng_ust_ring_buffer_align(w->len, align) + len;
	if (w->chan)
		w->chan->ops->event_write(w->ctx, src, len, align);
}

static void push(struct writer *w, const void *slot, size_t len)
{
	memcpy(w->stack, slot, len);
	w->stack += len;
}

/* A NUL-terminated copy of s (len bytes) for the filter, cut to what is left
 * of the strings buffer. */
static const char *filter_string(struct writer *w, const char *s, size_t len)
{
	char *dst = w->strings + w->strings_len;
	size_t room = FILTER_STRINGS - w->strings_len;

	if (room == 0)
		return "";
	if (len > room - 1)
		len = room - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
	w->strings_len += len + 1;
	return dst;
}

static void write_string(struct writer *w, const struct ust_out_field *o, const struct ust_scalar *sc)
{
	const char *s = sc->available && sc->str ? sc->str : NULL_STRING;
	size_t len = sc->available && sc->str ? strnlen(s, sc->len) : strlen(NULL_STRING);

	/* event_strcpy copies len - 1 bytes (stopping at a NUL) and writes
	 * the NUL: the measured length is the written one. */
	w->len += len + 1;
	if (w->chan)
		w->chan->ops->event_strcpy(w->ctx, s, len + 1);
	if (w->stack && o->filter) {
		const char *p = filter_string(w, s, len);
		push(w, &p, sizeof(p));
	}
}

/* ctf_array_text: length bytes, the text up to its first NUL, then NULs. */
static void write_chars(struct writer *w, const struct ust_out_field *o, const struct ust_scalar *sc)
{
	const char *s = sc->available && sc->str ? sc->str : "";
	size_t n = sc->available && sc->str ? sc->len : 0;

	if (n > o->length)
		n = o->length;
	w->len += o->length;
	if (w->chan) {
		if (n)
			w->chan->ops->event_pstrcpy_pad(w->ctx, s, n);
		for (size_t left = o->length - n; left;) {
			size_t k = left < sizeof(zeros) ? left : sizeof(zeros);
			w->chan->ops->event_write(w->ctx, zeros, k, 1);
			left -= k;
		}
	}
	if (w->stack && o->filter) {
		unsigned long len = n;
		push(w, &len, sizeof(len));
		push(w, &s, sizeof(s));
	}
}

static void write_field(struct writer *w, const struct ust_out_field *o, const struct ust_scalar *sc)
{
	switch (o->type) {
	case DWT_UST_INT:
	case DWT_UST_ENUM: {
		/* sc->u is sign- or zero-extended to 64 bits already: its low
		 * bytes are the value (little-endian), and it is the filter's
		 * int64/uint64 as it is. */
		uint64_t u = sc->available ? sc->u : 0;
		put(w, &u, o->size, ust_rb_alignof(o->size));
		if (w->stack && o->filter)
			push(w, &u, 8);
		break;
	}
	case DWT_UST_FLOAT: {
		double d = sc->available ? sc->d : 0;
		float f = (float)d;
		put(w, o->size == 4 ? (void *)&f : (void *)&d, o->size, ust_rb_alignof(o->size));
		if (w->stack && o->filter)
			push(w, &d, 8);
		break;
	}
	case DWT_UST_STRING:
	case DWT_UST_DEC128:
		write_string(w, o, sc);
		break;
	case DWT_UST_CHARS:
		write_chars(w, o, sc);
		break;
	}
}

static void write_event(struct writer *w, const struct ust_lttng_payload *pl)
{
	for (uint32_t i = 0; i < pl->ev->nfields; i++)
		write_field(w, &pl->ev->out[i], &pl->sc[i]);
}

void ust_lttng_callback(void *tp_data, const struct ust_lttng_payload *pl)
{
	struct lttng_ust_event_common *event = tp_data;
	struct lttng_ust_probe_ctx probe_ctx;
	char stack[FILTER_SLOTS * 8];
	char strings[FILTER_STRINGS];
	bool stack_ready = false;
	bool can_filter = pl->ev->nfilter_slots <= FILTER_SLOTS;

	switch (event->type) {
	case LTTNG_UST_EVENT_TYPE_RECORDER: {
		struct lttng_ust_event_recorder *rec = event->child;
		struct lttng_ust_channel_common *chan = rec->chan->parent;
		if (!__atomic_load_n(&chan->session->active, __ATOMIC_RELAXED) ||
		    !__atomic_load_n(&chan->enabled, __ATOMIC_RELAXED))
			return;
		break;
	}
	case LTTNG_UST_EVENT_TYPE_NOTIFIER:
		break;
	}
	if (!__atomic_load_n(&event->enabled, __ATOMIC_RELAXED))
		return;
	probe_ctx.struct_size = sizeof(probe_ctx);
	probe_ctx.ip = pl->ip;
	if (__atomic_load_n(&event->eval_filter, __ATOMIC_RELAXED) && can_filter) {
		struct writer w = {.stack = stack, .strings = strings};
		write_event(&w, pl);
		stack_ready = true;
		if (event->run_filter(event, stack, &probe_ctx, NULL) != LTTNG_UST_EVENT_FILTER_ACCEPT)
			return;
	}
	switch (event->type) {
	case LTTNG_UST_EVENT_TYPE_RECORDER: {
		struct lttng_ust_event_recorder *rec = event->child;
		struct lttng_ust_ring_buffer_ctx ctx;
		struct writer measure = {0}, w = {0};

		write_event(&measure, pl);
		lttng_ust_ring_buffer_ctx_init(&ctx, rec, measure.len, (int)pl->ev->align, &probe_ctx);
		if (rec->chan->ops->event_reserve(&ctx) < 0)
			return;
		w.chan = rec->chan;
		w.ctx = &ctx;
		write_event(&w, pl);
		rec->chan->ops->event_commit(&ctx);
		break;
	}
	case LTTNG_UST_EVENT_TYPE_NOTIFIER: {
		struct lttng_ust_event_notifier *notifier = event->child;
		struct lttng_ust_notification_ctx nctx;

		nctx.struct_size = sizeof(nctx);
		nctx.eval_capture = __atomic_load_n(&notifier->eval_capture, __ATOMIC_RELAXED);
		if (!stack_ready && nctx.eval_capture) {
			struct writer w = {.stack = stack, .strings = strings};
			if (!can_filter)
				nctx.eval_capture = 0;
			else
				write_event(&w, pl);
		}
		notifier->notification_send(notifier, stack, &probe_ctx, &nctx);
		break;
	}
	}
}

int ust_lttng_enabled(uint32_t slot)
{
	struct ust_event *ev = ust_lttng_event(slot);

	return ev && __atomic_load_n(&ev->tp.state, __ATOMIC_RELAXED);
}

void ust_lttng_fire(uint32_t slot, const struct ust_scalar *sc, uint64_t ip)
{
	struct ust_event *ev = ust_lttng_event(slot);
	struct ust_lttng_payload pl = {ev, sc, (void *)(uintptr_t)ip};
	struct lttng_ust_tracepoint_probe *probe;

	if (!ev || !__atomic_load_n(&ev->tp.state, __ATOMIC_RELAXED))
		return;
	lttng_ust_tp_rcu_read_lock();
	probe = lttng_ust_tp_rcu_dereference_sym(ev->tp.probes);
	if (probe) {
		do {
			void (*cb)(void *, const struct ust_lttng_payload *) =
				(void (*)(void *, const struct ust_lttng_payload *))probe->func;
			cb(probe->data, &pl);
		} while ((++probe)->func);
	}
	lttng_ust_tp_rcu_read_unlock();
}
