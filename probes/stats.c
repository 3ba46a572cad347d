/* Per-function call statistics for -c / -C (stats.h).  Memory stays
 * bounded whatever the number of calls: counts, sums and extremes are
 * exact, the distribution is a log-linear histogram (HDR-style) whose
 * chunks of 64 buckets are allocated per power of two actually seen. */
#include "stats.h"

#include <stdlib.h>
#include <string.h>

#include "u64_map.h"
#include "xalloc.h"

struct stats {
	bool histogram;
	struct stats_row **rows;
	size_t nrows, cap;
	struct u64_map by_layout;    /* event_layout pointer -> struct stats_row */
	uint64_t min_lone_ns;        /* shortest call with no nested hit */
	uint64_t min_gap_ns;         /* shortest gap between two hits of a thread */
	const char *engine;          /* stats_set_run() */
	uint64_t dropped;
};

struct stats *stats_new(bool histogram)
{
	struct stats *st = xcalloc(1, sizeof(*st));

	st->histogram = histogram;
	st->min_lone_ns = UINT64_MAX;
	st->min_gap_ns = UINT64_MAX;
	return st;
}

void stats_free(struct stats *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->nrows; i++) {
		for (size_t c = 0; c < STATS_CHUNKS; c++) {
			free(st->rows[i]->chunk[c]);
			free(st->rows[i]->bare_chunk[c]);
		}
		free(st->rows[i]);
	}
	free(st->rows);
	u64_map_free(&st->by_layout);
	free(st);
}

bool stats_histogram(const struct stats *st)
{
	return st->histogram;
}

static bool same_name(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* l's row: the one of its function, module and kind (and offset, for
 * points) when another layout made it, else a new one.  A layout is
 * looked up by name once; later by its pointer. */
static struct stats_row *row_of(struct stats *st, const struct event_layout *l)
{
	struct stats_row *r = u64_map_get(&st->by_layout, (uint64_t)(uintptr_t)l);
	uint64_t offset = l->kind == LAYOUT_POINT ? l->offset : 0;

	if (r)
		return r;
	for (size_t i = 0; i < st->nrows && !r; i++) {
		struct stats_row *o = st->rows[i];
		if (o->kind == l->kind && o->offset == offset && same_name(o->function, l->function) &&
		    same_name(o->module, l->module))
			r = o;
	}
	if (!r) {
		r = xcalloc(1, sizeof(*r));
		r->function = l->function;
		r->module = l->module;
		r->kind = l->kind;
		r->offset = offset;
		xgrow(&st->rows, &st->cap, st->nrows + 1, sizeof(*st->rows));
		st->rows[st->nrows++] = r;
	}
	u64_map_put(&st->by_layout, (uint64_t)(uintptr_t)l, r);
	return r;
}

/* The chunk and bucket of v: chunk 0 holds 0..63 one per bucket; chunk c
 * holds [2^e, 2^(e+1)) with e = c + 5, in buckets 2^(e-6) wide. */
static void bucket_of(uint64_t v, size_t *chunk, size_t *sub)
{
	int e;

	if (v < STATS_SUB) {
		*chunk = 0;
		*sub = (size_t)v;
		return;
	}
	e = 63 - __builtin_clzll(v);
	*chunk = (size_t)e - 5;
	*sub = (size_t)((v >> (e - 6)) - STATS_SUB);
}

/* The lowest value of bucket sub of chunk c, and the bucket's width. */
static uint64_t bucket_lo(size_t c, size_t sub, uint64_t *width)
{
	if (c == 0) {
		*width = 1;
		return sub;
	}
	*width = 1ull << (c - 1);
	return (uint64_t)(STATS_SUB + sub) << (c - 1);
}

void stats_call(struct stats *st, const struct event_layout *l, uint64_t duration_ns, uint64_t nested_hits)
{
	struct stats_row *r = row_of(st, l);
	size_t c, sub;

	if (!r->calls || duration_ns < r->min_ns)
		r->min_ns = duration_ns;
	if (duration_ns > r->max_ns)
		r->max_ns = duration_ns;
	r->calls++;
	r->total_ns = r->total_ns > UINT64_MAX - duration_ns ? UINT64_MAX : r->total_ns + duration_ns;
	r->nested_hits += nested_hits;
	bucket_of(duration_ns, &c, &sub);
	if (!r->chunk[c])
		r->chunk[c] = xcalloc(STATS_SUB, sizeof(uint64_t));
	r->chunk[c][sub]++;
	/* With no traced hit inside, the call's duration is its own time
	 * plus what its own two hits add: the overhead's measure. */
	if (nested_hits)
		return;
	if (!r->bare_calls || duration_ns < r->bare_min_ns)
		r->bare_min_ns = duration_ns;
	if (duration_ns > r->bare_max_ns)
		r->bare_max_ns = duration_ns;
	r->bare_calls++;
	if (!r->bare_chunk[c])
		r->bare_chunk[c] = xcalloc(STATS_SUB, sizeof(uint64_t));
	r->bare_chunk[c][sub]++;
}

void stats_bare_call(struct stats *st, uint64_t duration_ns)
{
	if (duration_ns < st->min_lone_ns)
		st->min_lone_ns = duration_ns;
}

void stats_hit(struct stats *st, const struct event_layout *l)
{
	row_of(st, l)->hits++;
}

void stats_unfinished(struct stats *st, const struct event_layout *l)
{
	row_of(st, l)->unfinished++;
}

void stats_gap(struct stats *st, uint64_t gap_ns)
{
	if (gap_ns < st->min_gap_ns)
		st->min_gap_ns = gap_ns;
}

static int by_total(const void *pa, const void *pb)
{
	const struct stats_row *a = *(const struct stats_row *const *)pa, *b = *(const struct stats_row *const *)pb;
	int names;

	if (a->total_ns != b->total_ns)
		return a->total_ns > b->total_ns ? -1 : 1;
	if (a->calls + a->hits != b->calls + b->hits)
		return a->calls + a->hits > b->calls + b->hits ? -1 : 1;
	names = strcmp(a->function ? a->function : "", b->function ? b->function : "");
	if (names)
		return names;
	return a->offset < b->offset ? -1 : a->offset > b->offset;
}

const struct stats_row **stats_sorted(const struct stats *st, size_t *n)
{
	const struct stats_row **v = xcalloc(st->nrows + 1, sizeof(*v));

	memcpy(v, st->rows, st->nrows * sizeof(*v));
	qsort(v, st->nrows, sizeof(*v), by_total);
	*n = st->nrows;
	return v;
}

/* The percentile q of count durations in chunks, within [min_ns, max_ns]. */
static uint64_t percentile(uint64_t *const chunks[STATS_CHUNKS], uint64_t count, uint64_t min_ns, uint64_t max_ns,
			   double q)
{
	uint64_t rank, seen = 0;

	if (!count)
		return 0;
	if (q <= 0)
		return min_ns;
	if (q >= 1)
		return max_ns;
	/* Nearest rank: the smallest duration with at least q of the calls
	 * at or below it. */
	rank = (uint64_t)((long double)q * (long double)count);
	if ((long double)rank < (long double)q * (long double)count)
		rank++;
	if (!rank)
		rank = 1;
	for (size_t c = 0; c < STATS_CHUNKS; c++) {
		if (!chunks[c])
			continue;
		for (size_t sub = 0; sub < STATS_SUB; sub++) {
			uint64_t width, lo, mid;

			seen += chunks[c][sub];
			if (seen < rank)
				continue;
			lo = bucket_lo(c, sub, &width);
			mid = lo + width / 2;
			/* The middle is within half a bucket of every value in
			 * it; the extremes are exact. */
			return mid < min_ns ? min_ns : mid > max_ns ? max_ns : mid;
		}
	}
	return max_ns;
}

uint64_t stats_percentile(const struct stats_row *r, double q)
{
	return percentile(r->chunk, r->calls, r->min_ns, r->max_ns, q);
}

uint64_t stats_bare_p50(const struct stats_row *r)
{
	return percentile(r->bare_chunk, r->bare_calls, r->bare_min_ns, r->bare_max_ns, 0.5);
}

void stats_log2(const struct stats_row *r, uint64_t counts[STATS_LOG2])
{
	memset(counts, 0, STATS_LOG2 * sizeof(counts[0]));
	for (size_t c = 0; c < STATS_CHUNKS; c++) {
		if (!r->chunk[c])
			continue;
		for (size_t sub = 0; sub < STATS_SUB; sub++) {
			uint64_t width, lo = bucket_lo(c, sub, &width);
			/* A bucket never straddles a power of two. */
			size_t k = lo ? (size_t)(64 - __builtin_clzll(lo)) : 0;
			counts[k] += r->chunk[c][sub];
		}
	}
}

void stats_overhead(const struct stats *st, uint64_t *per_call_ns, uint64_t *per_hit_ns)
{
	const struct stats_row *r;
	uint64_t calls, hits, unfinished, nested;

	*per_call_ns = stats_overhead_call(st, &r);
	stats_totals(st, &calls, &hits, &unfinished, &nested);
	*per_hit_ns = nested ? st->min_gap_ns : UINT64_MAX;
}

uint64_t stats_overhead_call(const struct stats *st, const struct stats_row **row)
{
	uint64_t best = UINT64_MAX;

	*row = NULL;
	for (size_t i = 0; i < st->nrows; i++) {
		const struct stats_row *r = st->rows[i];
		uint64_t p50;

		if (!r->bare_calls)
			continue;
		p50 = stats_bare_p50(r);
		if (p50 < best || (p50 == best && *row && r->bare_calls > (*row)->bare_calls)) {
			best = p50;
			*row = r;
		}
	}
	/* Only calls --filter rejected had no hit inside: the shortest. */
	if (!*row)
		best = st->min_lone_ns;
	return best;
}

void stats_set_run(struct stats *st, const char *engine, uint64_t dropped)
{
	st->engine = engine;
	st->dropped = dropped;
}

const char *stats_engine(const struct stats *st)
{
	return st->engine;
}

uint64_t stats_dropped(const struct stats *st)
{
	return st->dropped;
}

void stats_totals(const struct stats *st, uint64_t *calls, uint64_t *hits, uint64_t *unfinished, uint64_t *nested)
{
	*calls = *hits = *unfinished = *nested = 0;
	for (size_t i = 0; i < st->nrows; i++) {
		*calls += st->rows[i]->calls;
		*hits += st->rows[i]->hits;
		*unfinished += st->rows[i]->unfinished;
		*nested += st->rows[i]->nested_hits;
	}
}
