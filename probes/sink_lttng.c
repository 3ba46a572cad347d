/* LTTng-UST sink (dwtrace-side emission, the ptrace engine): every probed
 * function becomes two LTTng-UST events, PROVIDER:FUNCTION_entry and
 * PROVIDER:FUNCTION_exit (a point inside a function one event,
 * PROVIDER:FUNCTION_0xOFFSET; an inlined copy its entry only:
 * ust_desc_add_layout()), written from dwtrace's own process with the
 * traced pid and tid as payload fields.  The layouts are compiled into a
 * description blob (ust_desc.c, the compiler the agent engine uses too),
 * registered with lttng-ust by ust_lttng_register() and written by
 * ust_lttng_fire() from the field scalars ust_scalars_from_values()
 * computes from decoded values: the same builder and writer as the
 * in-process emitter's (libdwtrace-ust.so).
 *
 * Built as a module (libdwtrace-lttng.so) that dwtrace loads only for
 * --lttng and --ctf: lttng-ust starts its threads and reads its environment
 * (LTTNG_UST_ALLOW_BLOCKING) when it is loaded. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sink_lttng.h"
#include "ust_desc.h"
#include "ust_lttng.h"
#include "xalloc.h"

/* The most bytes of a string field read (what the sink of issue 11 wrote:
 * strings of fewer than 4096 bytes). */
#define STRING_LIMIT 4096
/* ust_scalars_from_values()'s buffer: the stack string and DEC128 digits. */
#define SCALAR_BUF (4096 + 48 * UST_LTTNG_MAX_FIELDS)

/* One registration: the blob of the layouts announced since the previous
 * one, and their fields' value paths. */
struct lt_batch {
	void *blob;
	size_t size;
	struct ust_desc_paths *paths;
	struct lt_batch *next;
};

struct lt_layout {
	const struct event_layout *layout;
	const struct lt_batch *batch;   /* NULL while pending */
	uint32_t entry_ev, exit_ev;     /* event indices in the batch's blob */
	uint32_t entry_slot, exit_slot; /* 0: not registered (ust_lttng_register failed) */
	struct lt_layout *next;
};

struct lttng_sink {
	struct sink base;
	char *provider;
	bool with_stack;                /* entry events carry the field "stack" */
	struct lt_layout *layouts;      /* registered */
	struct lt_layout *pending;      /* announced, not registered yet */
	struct lt_batch *batches;
	char error[256];                /* the last registration's failure, for a debugger */
};

/* Compiles and registers every pending layout, as one blob. */
static void register_pending(struct lttng_sink *s)
{
	struct ust_desc_opts o = {.with_pid_tid = true, .with_stack = s->with_stack, .string_limit = STRING_LIMIT};
	struct ust_desc_builder *b;
	struct lt_batch *batch;
	struct lt_layout *ll, *last = NULL;

	if (!s->pending)
		return;
#ifdef LTTNG_UST_RING_BUFFER_NATURAL_ALIGN
	o.natural_align = true;
#endif
	b = ust_desc_builder_new(s->provider, &o);
	for (ll = s->pending; ll; ll = ll->next)
		ust_desc_add_layout(b, ll->layout, &ll->entry_ev, &ll->exit_ev);
	batch = xcalloc(1, sizeof(*batch));
	batch->blob = ust_desc_finish(b, &batch->size, &batch->paths);
	/* A blob past 4 GiB (EFBIG) or refused by lttng-ust leaves its events
	 * with slot 0: they are not written, as before when lttng-ust refused
	 * a probe. */
	if (batch->blob)
		ust_lttng_register(batch->blob, batch->size, s->error, sizeof(s->error));
	for (ll = s->pending; ll; last = ll, ll = ll->next) {
		const struct dwt_ust_event_desc *en = NULL, *ex = NULL;
		if (batch->blob) {
			en = ust_desc_event(batch->blob, batch->size, ll->entry_ev);
			ex = ust_desc_event(batch->blob, batch->size, ll->exit_ev);
		}
		ll->batch = batch;
		ll->entry_slot = en ? en->slot : 0;
		ll->exit_slot = ex ? ex->slot : 0;
	}
	last->next = s->layouts;
	s->layouts = s->pending;
	s->pending = NULL;
	batch->next = s->batches;
	s->batches = batch;
}

static struct lt_layout *find_layout(struct lt_layout *list, const struct event_layout *l)
{
	for (struct lt_layout *ll = list; ll; ll = ll->next)
		if (ll->layout == l)
			return ll;
	return NULL;
}

static void lttng_layout_added(struct sink *base, const struct event_layout *l)
{
	struct lttng_sink *s = (struct lttng_sink *)base;
	struct lt_layout *ll;

	if (find_layout(s->layouts, l) || find_layout(s->pending, l))
		return;
	ll = xcalloc(1, sizeof(*ll));
	ll->layout = l;
	ll->next = s->pending;
	s->pending = ll;
}

static struct lt_layout *layout_of(struct lttng_sink *s, const struct event_layout *l)
{
	struct lt_layout *ll = find_layout(s->layouts, l);

	if (!ll) {
		/* A probe placed later (dlopen, fork, exec): registered on first use. */
		lttng_layout_added(&s->base, l);
		register_pending(s);
		ll = find_layout(s->layouts, l);
	}
	return ll;
}

/* Writes event ev_index of ll's batch (slot) from values. */
static void write_event(const struct lt_layout *ll, uint32_t ev_index, uint32_t slot, const struct event_header *h,
		  const struct value *values, uint64_t duration_ns)
{
	const struct lt_batch *batch = ll->batch;
	const struct dwt_ust_event_desc *ev;
	struct ust_scalar sc[UST_LTTNG_MAX_FIELDS];
	char buf[SCALAR_BUF];

	if (!slot || !ust_lttng_enabled(slot))
		return;
	ev = ust_desc_event(batch->blob, batch->size, ev_index);
	if (!ev || ev->nfields > UST_LTTNG_MAX_FIELDS)
		return;
	ust_scalars_from_values(batch->blob, batch->size, ev, ust_desc_event_paths(batch->paths, ev_index), values, h,
				duration_ns, sc, buf, sizeof(buf));
	ust_lttng_fire(slot, sc, 0);
}

static void lttng_entry(struct sink *base, const struct event_layout *l, const struct event_header *h,
			const struct value *args)
{
	struct lt_layout *ll = layout_of((struct lttng_sink *)base, l);

	write_event(ll, ll->entry_ev, ll->entry_slot, h, args, 0);
}

static void lttng_exit(struct sink *base, const struct event_layout *l, const struct event_header *h,
		       const struct value *ret, uint64_t duration_ns)
{
	struct lt_layout *ll = layout_of((struct lttng_sink *)base, l);

	write_event(ll, ll->exit_ev, ll->exit_slot, h, ret, duration_ns);
}

static int lttng_flush(struct sink *base)
{
	register_pending((struct lttng_sink *)base);
	return 0;
}

/* The descriptions stay registered until the process ends (lttng-ust may
 * still read them while it flushes), and the blobs with them: kept
 * reachable from here. */
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
	s->provider = ust_desc_mangle(provider);
	s->with_stack = with_stack;
	live_sink = s;
	return &s->base;
}
