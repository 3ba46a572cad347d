/* Records to events (record_events.h). */
#include "record_events.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filter.h"
#include "held_entry.h"
#include "probe_site.h"
#include "stats.h"
#include "xalloc.h"

/* Go's goroutines move between threads and their stacks are copied to grow
 * (runtime/stack.go: copystack keeps every frame's distance from the top
 * of the stack, g.stack.hi).  Their calls are tracked per goroutine, by
 * that distance, as a stack pointer that orders frames the same way. */
#define GO_STACK_TOP (1ull << 62)

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void event_stream_init(struct event_stream *es, struct sink *sink, const struct decode_opts *opts)
{
	memset(es, 0, sizeof(*es));
	es->sink = sink;
	es->dopts = *opts;
	es->real_minus_mono = (int64_t)(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));
}

/* The calls of cs in flight from frame i on never returned while traced:
 * the summary counts them apart. */
static void count_unfinished(struct stats *st, const struct call_stack *cs, size_t i)
{
	for (; st && i < cs->len; i++)
		if (!cs->frames[i].site->ifunc_resolver && !cs->frames[i].rejected)
			stats_unfinished(st, cs->frames[i].site->layout);
}

static void finish_calls(uint64_t key, void *value, void *arg)
{
	struct call_stack *cs = value;

	count_unfinished(arg, cs, 0);
	call_stack_clear(cs);   /* frees the entries held for --filter */
}

static void finish_goroutines(uint64_t key, void *value, void *arg)
{
	u64_map_each(value, finish_calls, arg);
}

void event_stream_finish(struct event_stream *es)
{
	u64_map_each(&es->calls, finish_calls, es->stats);
	u64_map_each(&es->go_calls, finish_goroutines, es->stats);
}

static void free_calls(uint64_t key, void *value, void *arg)
{
	call_stack_free(value);
	free(value);
}

static void free_goroutines(uint64_t key, void *value, void *arg)
{
	u64_map_each(value, free_calls, NULL);
	u64_map_free(value);
	free(value);
}

void event_stream_free(struct event_stream *es)
{
	u64_map_each(&es->calls, free_calls, NULL);
	u64_map_free(&es->calls);
	u64_map_each(&es->go_calls, free_goroutines, NULL);
	u64_map_free(&es->go_calls);
	arena_free(&es->arena);
}

struct call_stack *event_stream_calls(struct event_stream *es, int32_t tid)
{
	struct call_stack *cs = u64_map_get(&es->calls, (uint64_t)(uint32_t)tid);

	if (!cs) {
		cs = xcalloc(1, sizeof(*cs));
		u64_map_put(&es->calls, (uint64_t)(uint32_t)tid, cs);
	}
	return cs;
}

void event_stream_thread_copy(struct event_stream *es, int32_t parent, int32_t child)
{
	struct call_stack *from = u64_map_get(&es->calls, (uint64_t)(uint32_t)parent);
	struct call_stack *to = event_stream_calls(es, child);

	call_stack_clear(to);
	if (from)
		call_stack_copy(to, from);
}

void event_stream_thread_gone(struct event_stream *es, int32_t tid)
{
	struct call_stack *cs = u64_map_del(&es->calls, (uint64_t)(uint32_t)tid);

	if (cs)
		count_unfinished(es->stats, cs, 0);
	if (cs)
		free_calls(0, cs, NULL);
}

void event_stream_process_gone(struct event_stream *es, int32_t pid)
{
	struct u64_map *gs = u64_map_del(&es->go_calls, (uint64_t)(uint32_t)pid);

	if (gs)
		finish_goroutines(0, gs, es->stats);
	if (gs)
		free_goroutines(0, gs, NULL);
}

/* The calls in flight r is matched against, in *sp the stack pointer as
 * they record it and in *top the top of a goroutine's stack (0 for other
 * code): the goroutine's (g.stack.hi copied at the hit) in Go code, else
 * the thread's. */
static struct call_stack *calls_of(struct event_stream *es, const struct probe_site *site,
				   const struct capture_record *r, uint64_t *sp, uint64_t *top)
{
	uint64_t g = r->regs.gpr[DWT_DW_GO_G], hi = 0;
	const struct record_blob *b;
	struct u64_map *gs;
	struct call_stack *cs;

	*sp = r->regs.gpr[DWT_DW_SP];
	/* An entry probed after the prologue: where the return address is. */
	if (r->kind == DWT_REC_ENTRY && site->entry_ra_from_reg && site->entry_ra_reg < DWT_NGPR)
		*sp = r->regs.gpr[site->entry_ra_reg] + (uint64_t)site->entry_ra_off;
	*top = 0;
	if (!site->go || !g || r->go_stack_hi_op < 0 || (uint32_t)r->go_stack_hi_op >= r->nblobs)
		return event_stream_calls(es, (int32_t)r->tid);
	b = &r->blobs[r->go_stack_hi_op];
	if (b->len != 8)
		return event_stream_calls(es, (int32_t)r->tid);
	memcpy(&hi, b->data, 8);
	if (hi < *sp || hi - *sp >= GO_STACK_TOP)
		return event_stream_calls(es, (int32_t)r->tid);
	*sp = GO_STACK_TOP - (hi - *sp);
	*top = hi;
	gs = u64_map_get(&es->go_calls, (uint64_t)(uint32_t)r->pid);
	if (!gs) {
		gs = xcalloc(1, sizeof(*gs));
		u64_map_put(&es->go_calls, (uint64_t)(uint32_t)r->pid, gs);
	}
	cs = u64_map_get(gs, g);
	if (!cs) {
		cs = xcalloc(1, sizeof(*cs));
		u64_map_put(gs, g, cs);
	}
	return cs;
}

bool event_stream_reentry(struct event_stream *es, struct probe_site *site, const struct capture_record *r)
{
	uint64_t sp, top;
	struct call_frame *last;

	if (site->entry_only)
		return false;
	last = call_top(calls_of(es, site, r, &sp, &top));
	if (last && (top || site->reentered) && last->site == site && last->sp == sp) {
		/* The same call at its entry again: a function whose code
		 * jumps back to its first instruction, or Go's prologue, which
		 * found the stack too small or a preemption request, so that
		 * runtime.morestack (after copying the stack, or rescheduling
		 * the goroutine) starts the call again from its entry.  (A call
		 * a panic or longjmp left is then taken for the next one at the
		 * same depth.) */
		last->stack_top = top;
		return true;
	}
	return false;
}

bool event_stream_in_flight(struct event_stream *es, struct probe_site *site, const struct capture_record *r)
{
	uint64_t sp, top;
	struct call_frame *f;

	if (site->entry_only)
		return false;
	f = call_top(calls_of(es, site, r, &sp, &top));
	return f && f->sp <= sp;
}

static void header(const struct event_stream *es, const struct capture_record *r, struct event_header *h)
{
	memset(h, 0, sizeof(*h));
	h->ts_ns = r->ts_ns + (uint64_t)es->real_minus_mono;
	h->pid = r->pid;
	h->tid = (int32_t)r->tid;
}

/* Every entry event leaves through here (after --filter kept it): the
 * sink, and the summary's counts. */
static void emit_entry(struct event_stream *es, const struct event_layout *l, const struct event_header *h,
		       const struct value *args)
{
	if (es->stats && h->entry_only)
		stats_hit(es->stats, l);
	if (!es->no_events)
		es->sink->ops->entry(es->sink, l, h, args);
	es->events++;
}

/* Every exit event leaves through here (after --filter kept it). */
static void emit_exit(struct event_stream *es, const struct event_layout *l, const struct event_header *h,
		      const struct value *ret, uint64_t duration_ns, const struct call_frame *f)
{
	if (es->stats)
		stats_call(es->stats, l, duration_ns, f->nested_hits);
	if (!es->no_events)
		es->sink->ops->exit(es->sink, l, h, ret, duration_ns);
	es->events++;
}

/* --filter at an entry: whether it is written now.  Rejected: nothing
 * is written, and its frame (*rejected) says so to its exit.  Decided at
 * the exit (retval, duration_ns): the entry is copied into *held and
 * written, or not, at its exit (exit_filter). */
static bool entry_filter(struct event_stream *es, const struct probe_site *site, const struct capture_record *r,
			 const struct event_header *h, const struct value *args, bool *rejected, void **held)
{
	const struct filter_bound *b = site->layout->filter;

	*rejected = false;
	*held = NULL;
	if (!b)
		return true;
	if (b->at_exit && !site->entry_only && !b->reject_all) {
		/* Held only when the exit decides: an entry that decides
		 * alone is written or rejected now, so a call that never
		 * returns (longjmp, an exception, still running) is not lost. */
		switch (filter_eval_entry(b, h, args)) {
		case FILTER_TRUE:
			return true;
		case FILTER_FALSE:
			*rejected = true;
			es->filtered++;
			return false;
		case FILTER_UNKNOWN:
			break;
		}
		*held = held_entry_new(r, h->stack, h);
		return false;
	}
	/* Entry-only calls (no exit will come): retval and duration_ns
	 * are unavailable there, their comparisons false. */
	if (filter_eval(b, h, args, NULL, 0))
		return true;
	*rejected = true;
	es->filtered++;
	return false;
}

/* call_drop_below, the calls dropped counted as unfinished. */
static size_t drop_left(struct event_stream *es, struct call_stack *calls, uint64_t sp, int inclusive)
{
	size_t n = call_drop_below(calls, sp, inclusive);

	if (es->stats) {
		calls->len += n;
		count_unfinished(es->stats, calls, calls->len - n);
		calls->len -= n;
	}
	return n;
}

/* A hit in calls' thread: the frames in flight count it as nested (each
 * keeps the count at its entry), and the gap since the thread's previous
 * hit measures what the engine adds to durations.  Records with the same
 * timestamp are one hit (the ptrace engine tries the sites of a shared
 * exit one by one; one instruction can end several calls). */
static void count_hit(struct event_stream *es, struct call_stack *calls, uint64_t ts_ns)
{
	if (ts_ns == calls->last_hit_ns) {
		if (!calls->hits)
			calls->hits++;
		return;
	}
	calls->hits++;
	if (es->stats && calls->last_hit_ns && ts_ns >= calls->last_hit_ns)
		stats_gap(es->stats, ts_ns - calls->last_hit_ns);
	calls->last_hit_ns = ts_ns;
}

static bool record_entry(struct event_stream *es, struct probe_site *site, const struct capture_record *r,
			 const struct stack_trace *stack)
{
	const struct value *args;
	bool rejected = false;
	void *held = NULL;
	struct value_source src = record_value_source(r);
	struct event_layout *l = site->layout;
	struct event_header h;
	struct call_stack *calls;
	uint64_t sp = 0, top = 0;

	if (event_stream_reentry(es, site, r))
		return false;
	calls = calls_of(es, site, r, &sp, &top);
	count_hit(es, calls, r->ts_ns);
	header(es, r, &h);
	h.stack = stack;
	h.entry_only = site->entry_only;
	if (site->entry_only) {
		/* The calls it is inside: those entered above its stack pointer. */
		for (size_t i = 0; i < calls->len; i++)
			h.depth += calls->frames[i].sp > sp;
	} else {
		/* In flight until an exit of the function finds the stack
		 * pointer where it is now (pointing at the return address).
		 * Calls whose stack this one reuses were left without
		 * returning. */
		es->lost_returns += drop_left(es, calls, sp, 1);
		/* Calls --filter rejected count: depth is the call's, filtered or not. */
		h.depth = (uint32_t)calls->len;
	}
	/* And those the agent's filter rejected in the program, never seen here. */
	h.depth += r->rejected_above;
	args = decode_entry(l, &src, &es->dopts, &es->arena);
	if (entry_filter(es, site, r, &h, args, &rejected, &held)) {
		h.call_id = ++es->last_call_id;
		emit_entry(es, l, &h, args);
	} else if (held) {
		/* Its id now: ids keep the order of the entries. */
		h.call_id = ++es->last_call_id;
		((struct held_entry *)held)->h.call_id = h.call_id;
	}
	arena_reset(&es->arena);
	if (site->entry_only)
		return true;
	call_push(calls, &(struct call_frame){.sp = sp,
					      .entry_mono_ns = r->ts_ns,
					      .stack_top = top,
					      .site = site,
					      .call_id = h.call_id,
					      .depth = h.depth,
					      .rejected = rejected,
					      .held = held,
					      .nested_hits = calls->hits});
	return true;
}

/* An entry held for a filter decided at the exit: decoded now from its
 * copy and, when the filter keeps the call, written just before its exit
 * (with its own header: ts, call id, depth, stack).  Whether the exit is
 * written too. */
static bool exit_filter(struct event_stream *es, const struct event_layout *l, void *held_ptr,
			const struct value *ret, uint64_t duration_ns)
{
	struct held_entry *held = held_ptr;
	struct value_source src = record_value_source(held->rec);
	const struct value *args = decode_entry(l, &src, &es->dopts, &es->arena);

	if (!filter_eval(l->filter, &held->h, args, ret, duration_ns)) {
		es->filtered++;
		return false;
	}
	emit_entry(es, l, &held->h, args);
	return true;
}

static bool record_exit(struct event_stream *es, struct probe_site *site, const struct capture_record *r,
			const char *tail_call)
{
	struct value_source src = record_value_source(r);
	struct event_layout *l = site->layout;
	const struct value *ret = NULL;
	struct event_header h;
	struct call_stack *calls;
	struct call_frame *f;
	uint64_t sp, top, duration;

	if (site->entry_only)
		return false;
	/* Calls below the stack pointer were left without returning. */
	calls = calls_of(es, site, r, &sp, &top);
	count_hit(es, calls, r->ts_ns);
	es->lost_returns += drop_left(es, calls, sp, 0);
	f = call_top(calls);
	if (!f || f->sp != sp || f->site != site)
		return false; /* entered before tracing began, or not by a call */
	if (site->ifunc_resolver) {
		/* Internal: no event (the ptrace engine reads what it returned). */
		call_pop(calls);
		return true;
	}
	/* From here on, nested_hits: the hits between the entry and this exit. */
	f->nested_hits = calls->hits - 1 > f->nested_hits ? calls->hits - 1 - f->nested_hits : 0;
	duration = r->ts_ns > f->entry_mono_ns ? r->ts_ns - f->entry_mono_ns : 0;
	/* The overhead is measured on every call, kept by --filter or not. */
	if (es->stats && !f->nested_hits)
		stats_bare_call(es->stats, duration);
	if (f->rejected) {
		call_pop(calls);
		return true;
	}
	header(es, r, &h);
	h.tail_call = tail_call;
	h.call_id = f->call_id;
	h.depth = f->depth;
	if (!tail_call)
		ret = decode_return(l, &src, &es->dopts, &es->arena);
	if (!f->held || exit_filter(es, l, f->held, ret, duration))
		emit_exit(es, l, &h, ret, duration, f);
	arena_reset(&es->arena);
	call_pop(calls);
	return true;
}

bool event_stream_record(struct event_stream *es, struct probe_site *site, const struct capture_record *r,
			 const struct stack_trace *stack, const char *tail_call)
{
	if (r->kind == DWT_REC_ENTRY)
		return record_entry(es, site, r, stack);
	if (r->kind == DWT_REC_EXIT)
		return record_exit(es, site, r, tail_call);
	return false;
}
