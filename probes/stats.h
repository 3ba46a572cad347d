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

#endif
