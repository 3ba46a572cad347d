/* LTTng-UST sink: every probed function becomes two LTTng-UST events,
 * PROVIDER:FUNCTION_entry and PROVIDER:FUNCTION_exit, whose descriptions are
 * built at run time from the event layout (DWARF types) and registered with
 * lttng_ust_probe_register(); their tracepoints are registered with
 * lttng_ust_tracepoint_module_register().  One generic probe callback does
 * what the code generated from a TRACEPOINT_EVENT does: check that the
 * session, channel and event are enabled, run the filter on an interpreter
 * stack, reserve, write every field, commit; or send the notification of an
 * event notifier.
 *
 * Built as a module (libdwtrace-lttng.so) that dwtrace loads only for
 * --lttng and --ctf: lttng-ust starts its threads and reads its environment
 * (LTTNG_UST_ALLOW_BLOCKING) when it is loaded. */
#define _GNU_SOURCE
#include <float.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink_lttng.h"
#include "sink_lttng_internal.h"
#include "xalloc.h"

int lttng_ust_tracepoint_module_register(struct lttng_ust_tracepoint *const *tracepoints_start, int count);
void lttng_ust_tp_rcu_read_lock(void);
void lttng_ust_tp_rcu_read_unlock(void);
void *lttng_ust_tp_rcu_dereference_sym(void *p);

const char lt_signature[] = "const struct lt_payload *, payload";
int lt_provider_ref;

/* ---- writing --------------------------------------------------------- */

struct writer {
	struct lttng_ust_channel_buffer *chan; /* NULL: only measure */
	struct lttng_ust_ring_buffer_ctx *ctx;
	size_t len;
	char *stack;                           /* filter stack, or NULL */
};

static void put(struct writer *w, const void *src, size_t len, size_t align)
{
	w->len += lttng_ust_ring_buffer_align(w->len, align) + len;
	if (w->chan)
		w->chan->ops->event_write(w->ctx, src, len, align);
}

static const char *string_of(const struct value *v, char *buf, size_t size)
{
	if (!v || !v->available || !v->has_string)
		return NULL_STRING;
	if (v->str_len < size) {
		memcpy(buf, v->str, v->str_len);
		buf[v->str_len] = '\0';
		return buf;
	}
	return NULL_STRING;
}

static void write_field(struct writer *w, const struct lt_field *lf, const struct value *v, int64_t special)
{
	switch (lf->kind) {
	case LT_INT: {
		uint64_t u = 0;
		if (special != INT64_MIN)
			u = (uint64_t)special;
		else if (v && v->available)
			u = lf->is_signed ? (uint64_t)value_as_s64(v) : value_as_u64(v);
		put(w, &u, lf->size, rb_alignof(lf->size));
		if (w->stack && lf->filterable) {
			int64_t sv = lf->size < 8 && lf->is_signed
					     ? (int64_t)(u << (64 - 8 * lf->size)) >> (64 - 8 * lf->size)
					     : (int64_t)u;
			memcpy(w->stack, lf->is_signed ? (void *)&sv : (void *)&u, 8);
			w->stack += 8;
		}
		break;
	}
	case LT_FLOAT: {
		double d = v && v->available ? (double)value_as_float(v) : 0;
		float f = (float)d;
		put(w, lf->size == 4 ? (void *)&f : (void *)&d, lf->size, rb_alignof(lf->size));
		if (w->stack && lf->filterable) {
			memcpy(w->stack, &d, 8);
			w->stack += 8;
		}
		break;
	}
	case LT_STRING: {
		char buf[4096];
		const char *s = string_of(v, buf, sizeof(buf));
		size_t len = strlen(s) + 1;
		w->len += len;
		if (w->chan)
			w->chan->ops->event_strcpy(w->ctx, s, len);
		if (w->stack && lf->filterable) {
			/* the filter reads the string after the event: it must live on */
			const char *p = v && v->available && v->has_string ? v->str : NULL_STRING;
			memcpy(w->stack, &p, sizeof(p));
			w->stack += sizeof(p);
		}
		break;
	}
	case LT_DEC128: {
		char buf[48] = "0";
		if (v && v->available && v->size == 16)
			format_int128(buf, sizeof(buf), v->bytes, lf->is_signed);
		w->len += strlen(buf) + 1;
		if (w->chan)
			w->chan->ops->event_strcpy(w->ctx, buf, strlen(buf) + 1);
		break;
	}
	case LT_CHARS: {
		const char *src = v && v->available ? (const char *)v->bytes : "";
		w->len += lf->size;
		if (w->chan)
			w->chan->ops->event_pstrcpy_pad(w->ctx, src, lf->size);
		if (w->stack && lf->filterable) {
			unsigned long n = lf->size;
			memcpy(w->stack, &n, sizeof(n));
			memcpy(w->stack + sizeof(n), &src, sizeof(src));
			w->stack += sizeof(n) + sizeof(src);
		}
		break;
	}
	}
}

/* The stack as one string: "f+0x1a (mod) file.c:12; g+0x7 (mod); ...". */
static void write_stack(struct writer *w, const struct stack_trace *st)
{
	char buf[4096];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; st && i < st->n && len < sizeof(buf) - 1; i++) {
		const struct stack_frame *f = &st->frames[i];
		int k = snprintf(buf + len, sizeof(buf) - len, "%s%s+0x%llx (%s)", i ? "; " : "",
				 f->function ? f->function : "??", (unsigned long long)f->offset,
				 f->module ? f->module : "??");
		if (k > 0)
			len += (size_t)k;
		if (f->file && len < sizeof(buf) - 1) {
			k = snprintf(buf + len, sizeof(buf) - len, " %s:%d", f->file, f->line);
			if (k > 0)
				len += (size_t)k;
		}
	}
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	buf[len] = '\0';
	w->len += len + 1;
	if (w->chan)
		w->chan->ops->event_strcpy(w->ctx, buf, len + 1);
	if (w->stack) {
		/* not filterable: no slot */
	}
}

static void write_event(struct writer *w, const struct lt_payload *pl)
{
	const struct lt_event *ev = pl->ev;

	for (size_t i = 0; i < ev->nfields; i++) {
		const struct lt_field *lf = &ev->fields[i];
		int64_t special = INT64_MIN;
		const struct value *v = NULL;

		if (lf->path[0] == -1) {
			special = pl->h->pid;
		} else if (lf->path[0] == -2) {
			special = pl->h->tid;
		} else if (lf->path[0] == -3) {
			special = (int64_t)pl->duration_ns;
		} else if (lf->path[0] == -4) {
			write_stack(w, pl->h->stack);
			continue;
		} else {
			/* No values: an exit by tail call, whose return value is
			 * not known (written as 0). */
			v = pl->values ? &pl->values[lf->path[0]] : NULL;
			for (int d = 1; d < lf->depth && v; d++)
				v = v->available && (size_t)lf->path[d] < v->nchildren ? &v->children[lf->path[d]] : NULL;
		}
		write_field(w, lf, v, special);
	}
}

/* The probe callback lttng-ust connects to the tracepoint: __tp_data is the
 * lttng-ust event (recorder or notifier). */
void lt_probe_callback(void *tp_data, const struct lt_payload *pl)
{
	struct lttng_ust_event_common *event = tp_data;
	struct lttng_ust_probe_ctx probe_ctx;
	char stack[2 * sizeof(unsigned long) * 128];
	bool stack_ready = false;
	size_t nslots = pl->ev->nfilter_slots;

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
	probe_ctx.ip = NULL;
	if (__atomic_load_n(&event->eval_filter, __ATOMIC_RELAXED) && nslots <= 128) {
		struct writer w = {.stack = stack};
		write_event(&w, pl);
		stack_ready = true;
		if (event->run_filter(event, stack, &probe_ctx, NULL) != LTTNG_UST_EVENT_FILTER_ACCEPT)
			return;
	}
	switch (event->type) {
	case LTTNG_UST_EVENT_TYPE_RECORDER: {
		struct lttng_ust_event_recorder *rec = event->child;
		struct lttng_ust_ring_buffer_ctx ctx;
		struct writer measure = {0}, w;

		write_event(&measure, pl);
		lttng_ust_ring_buffer_ctx_init(&ctx, rec, measure.len, (int)pl->ev->align, &probe_ctx);
		if (rec->chan->ops->event_reserve(&ctx) < 0)
			return;
		memset(&w, 0, sizeof(w));
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
		if (!stack_ready && nctx.eval_capture && nslots <= 128) {
			struct writer w = {.stack = stack};
			write_event(&w, pl);
		}
		notifier->notification_send(notifier, stack, &probe_ctx, &nctx);
		break;
	}
	}
}

/* Calls the probes lttng-ust connected to the event's tracepoint. */
static void fire(struct lt_event *ev, const struct lt_payload *pl)
{
	struct lttng_ust_tracepoint_probe *probe;

	if (!__atomic_load_n(&ev->tp.state, __ATOMIC_RELAXED))
		return;
	lttng_ust_tp_rcu_read_lock();
	probe = lttng_ust_tp_rcu_dereference_sym(ev->tp.probes);
	if (probe) {
		do {
			void (*cb)(void *, const struct lt_payload *) =
				(void (*)(void *, const struct lt_payload *))probe->func;
			cb(probe->data, pl);
		} while ((++probe)->func);
	}
	lttng_ust_tp_rcu_read_unlock();
}

/* Registers every layout built since the last call, as one probe. */
static void register_pending(struct lttng_sink *s)
{
	struct lttng_ust_probe_desc *probe = s->pending_probe;
	const struct lttng_ust_event_desc **descs;
	struct lttng_ust_tracepoint **tps;
	struct lt_layout *ll, *last = NULL;
	size_t n = 0;

	if (!s->npending)
		return;
	descs = xcalloc(2 * s->npending, sizeof(*descs));
	tps = xcalloc(2 * s->npending, sizeof(*tps));
	for (ll = s->pending; ll; last = ll, ll = ll->next) {
		descs[n] = &ll->entry.desc;
		tps[n++] = &ll->entry.tp;
		descs[n] = &ll->exit.desc;
		tps[n++] = &ll->exit.tp;
	}
	last->next = s->layouts;
	s->layouts = s->pending;
	probe->struct_size = sizeof(*probe);
	probe->provider_name = s->provider;
	probe->event_desc = descs;
	probe->nr_events = (unsigned)n;
	probe->major = LTTNG_UST_PROVIDER_MAJOR;
	probe->minor = LTTNG_UST_PROVIDER_MINOR;
	s->pending = NULL;
	s->npending = 0;
	s->pending_probe = NULL;
	lttng_ust_tracepoint_module_register(tps, (int)n);
	/* It fails only for a provider of another major version (not this
	 * build's) or out of memory, and lttng-ust logs why itself
	 * (LTTNG_UST_DEBUG); the events then stay unregistered. */
	lttng_ust_probe_register(probe);
}

static struct lt_layout *find_layout(struct lttng_sink *s, const struct event_layout *l)
{
	for (struct lt_layout *ll = s->layouts; ll; ll = ll->next)
		if (ll->layout == l)
			return ll;
	return NULL;
}

static void lttng_layout_added(struct sink *base, const struct event_layout *l)
{
	struct lttng_sink *s = (struct lttng_sink *)base;
	struct lt_layout *ll;

	if (find_layout(s, l))
		return;
	for (ll = s->pending; ll; ll = ll->next)
		if (ll->layout == l)
			return;
	if (!s->pending_probe)
		s->pending_probe = xcalloc(1, sizeof(*s->pending_probe));
	ll = xcalloc(1, sizeof(*ll));
	ll->layout = l;
	lt_build_event(s, &ll->entry, l, false, s->pending_probe);
	lt_build_event(s, &ll->exit, l, true, s->pending_probe);
	ll->next = s->pending;
	s->pending = ll;
	s->npending++;
}

static struct lt_layout *layout_of(struct lttng_sink *s, const struct event_layout *l)
{
	struct lt_layout *ll = find_layout(s, l);

	if (!ll) {
		/* A probe placed later (dlopen, fork, exec): registered on first use. */
		lttng_layout_added(&s->base, l);
		register_pending(s);
		ll = find_layout(s, l);
	}
	return ll;
}

static void lttng_entry(struct sink *base, const struct event_layout *l, const struct event_header *h,
			const struct value *args)
{
	struct lttng_sink *s = (struct lttng_sink *)base;
	struct lt_layout *ll = layout_of(s, l);
	struct lt_payload pl = {&ll->entry, h, args, 0};

	fire(&ll->entry, &pl);
}

static void lttng_exit(struct sink *base, const struct event_layout *l, const struct event_header *h,
		       const struct value *ret, uint64_t duration_ns)
{
	struct lttng_sink *s = (struct lttng_sink *)base;
	struct lt_layout *ll = layout_of(s, l);
	struct lt_payload pl = {&ll->exit, h, ret, duration_ns};

	fire(&ll->exit, &pl);
}

static int lttng_flush(struct sink *base)
{
	struct lttng_sink *s = (struct lttng_sink *)base;
	register_pending(s);
	return 0;
}

/* The descriptions stay registered until the process ends (lttng-ust may
 * still read them while it flushes): kept reachable from here. */
static struct lttng_sink *volatile live_sink;

static void lttng_destroy(struct sink *base)
{
	(void)base;
}

static const struct sink_ops lttng_ops = {
	.entry = lttng_entry,
	.exit = lttng_exit,
	.flush = lttng_flush,
	.destroy = lttng_destroy,
	.layout_added = lttng_layout_added,
};

struct sink *dwtrace_lttng_sink_new(const char *provider, bool with_stack)
{
	struct lttng_sink *s = xcalloc(1, sizeof(*s));

	s->base.ops = &lttng_ops;
	s->provider = lt_mangle(provider);
	s->with_stack = with_stack;
	live_sink = s;
	return &s->base;
}
