/* The summary of -c / -C: per probed function, how many calls and how long
 * they took (from the hits' timestamps: each call's own entry-to-exit
 * time), with percentiles and, on request, a log2 latency histogram.
 *
 * Owned by the caller (stats_new/stats_free); fed by record_events.c at
 * every event, read by the sinks' summary op at the end. */
#ifndef DWTRACE_STATS_H
#define DWTRACE_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "event_layout.h"

struct stats;

/* histogram: keep a log2 histogram per function (--histogram). */
struct stats *stats_new(bool histogram);
void stats_free(struct stats *st);

/* A call of l ended: duration_ns from its entry's hit to its exit's,
 * nested_hits the hits of traced functions in its thread in between
 * (each adds the engine's cost to duration_ns). */
void stats_call(struct stats *st, const struct event_layout *l, uint64_t duration_ns, uint64_t nested_hits);

/* An event of l with no duration: an entry-only probe's hit (a point, an
 * inlined copy). */
void stats_hit(struct stats *st, const struct event_layout *l);

/* What follows was added with the writers (probes/sink_summary.c). */

/* Hits of one thread (Go: goroutine) gap_ns apart, with nothing traced in
 * between: the shortest such gap bounds from above what one hit costs
 * inside the durations (the time a hit takes after its timestamp plus the
 * next one's before it). */
void stats_gap(struct stats *st, uint64_t gap_ns);

/* A call with no traced hit inside ended after duration_ns (whether
 * --filter kept it or not): the shortest bounds from above what a call's
 * own two hits add to its duration. */
void stats_bare_call(struct stats *st, uint64_t duration_ns);

/* A call of l that never returned while traced: the thread or program
 * ended inside it, longjmp or an exception left it, or tracing stopped. */
void stats_unfinished(struct stats *st, const struct event_layout *l);

/* The log-linear histogram: exact below 64 ns, then 64 buckets per power
 * of two, so a percentile (the bucket's middle, within [min, max]) is
 * within 1/128 (0.78 %) of a duration some call really took. */
#define STATS_SUB 64
#define STATS_CHUNKS 59          /* chunk 0: 0..63; chunk c: [2^(c+5), 2^(c+6)) */
#define STATS_LOG2 65            /* log2 buckets: [0], [1], [2, 4), ... [2^63, 2^64) */

/* One row of the summary: the calls of one function (several layouts of
 * the same function, module and kind share it: clones, several sites). */
struct stats_row {
	const char *function;        /* the first layout's (borrowed: layouts outlive the stats) */
	const char *module;          /* may be NULL */
	enum layout_kind kind;       /* LAYOUT_POINT rows are per offset */
	uint64_t offset;             /* LAYOUT_POINT: the offset in function */
	uint64_t calls;              /* calls that ended, with a duration */
	uint64_t hits;               /* events without durations (entry-only probes) */
	uint64_t unfinished;         /* calls that never returned while traced */
	uint64_t total_ns;           /* sum of the durations (saturates at UINT64_MAX) */
	uint64_t min_ns, max_ns;     /* exact; 0 when calls == 0 */
	uint64_t nested_hits;        /* traced hits inside these calls, summed */
	uint64_t *chunk[STATS_CHUNKS]; /* stats.c's: STATS_SUB counts each, NULL while empty */
	/* The calls with no traced hit inside (nested_hits 0): their own
	 * time plus what their own two hits add (stats_bare_p50). */
	uint64_t bare_calls;
	uint64_t bare_min_ns, bare_max_ns;
	uint64_t *bare_chunk[STATS_CHUNKS];
};

/* Whether the summary shows the log2 histograms (stats_new's argument). */
bool stats_histogram(const struct stats *st);

/* The rows, longest total time first (then most calls or hits, then by
 * name); *n their number.  A new array (free it), of rows owned by st. */
const struct stats_row **stats_sorted(const struct stats *st, size_t *n);

/* The duration of rank ceil(q * calls) (nearest rank, q in [0, 1]) within
 * the bound above; 0 without calls. */
uint64_t stats_percentile(const struct stats_row *r, double q);

/* counts[k]: calls whose duration is 0 (k = 0) or in [2^(k-1), 2^k). */
void stats_log2(const struct stats_row *r, uint64_t counts[STATS_LOG2]);

/* The median of r's calls with no traced hit inside (bare_calls); 0
 * without such calls. */
uint64_t stats_bare_p50(const struct stats_row *r);

/* The tracing overhead estimated from this run: *per_call_ns what
 * stats_overhead_call() returns; *per_hit_ns the shortest gap between two
 * hits of one thread (what a nested traced hit adds, at most), only when
 * some call had nested hits.  Each is UINT64_MAX when the run gave no such
 * measure. */
void stats_overhead(const struct stats *st, uint64_t *per_call_ns, uint64_t *per_hit_ns);

/* What a call's own two hits add at most, its function's own time
 * included: the smallest stats_bare_p50() over the rows, *row the row
 * that has it (a typical call rather than the luckiest one: the minimum
 * is rarely what calls carry); without any, the shortest stats_bare_call
 * (calls --filter rejected) and *row NULL; UINT64_MAX when neither. */
uint64_t stats_overhead_call(const struct stats *st, const struct stats_row **row);

/* What the summary says of the run, from main.c: engine "agent" or
 * "ptrace" (static; NULL: unknown), dropped the events the engine lost
 * (full rings), so that counts are lower than the program's. */
void stats_set_run(struct stats *st, const char *engine, uint64_t dropped);
const char *stats_engine(const struct stats *st);
uint64_t stats_dropped(const struct stats *st);

/* Totals over the rows: calls, hits, unfinished, nested hits. */
void stats_totals(const struct stats *st, uint64_t *calls, uint64_t *hits, uint64_t *unfinished, uint64_t *nested);

#endif
