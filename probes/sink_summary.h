/* The summary of -c / -C written by the text and JSON sinks (their
 * sink_ops.summary): the rows of probes/stats.h, in the sink's stream. */
#ifndef DWTRACE_SINK_SUMMARY_H
#define DWTRACE_SINK_SUMMARY_H

#include "sink.h"
#include "stats.h"

/* A table like strace -c's (longest total time first, durations in
 * ns/us/ms/s), the overhead estimate, then with --histogram one log2
 * histogram per function as bpftrace prints them. */
void sink_summary_text(struct sink *s, const struct stats *st);

/* One {"type":"summary",...} line per row, then {"type":"summary_end",...}
 * (durations in ns; null where there is none). */
void sink_summary_json(struct sink *s, const struct stats *st);

#endif
