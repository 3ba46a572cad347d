/* The agent engine's side of --filter (issue 14): the filter of each
 * probe compiled for the agent (probes/filter_agent.h) and written into
 * its op area with the probe's sites, so that the program itself rejects
 * calls (src/agent/filter_run.c). */
#ifndef DWTRACE_ENGINE_FILTER_H
#define DWTRACE_ENGINE_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "capture_prog.h"
#include "loader.h"
#include "patch.h"
#include "probe_site.h"
#include "ring_reader.h"

/* Compiles site's layout filter (none: nothing to do) against its entry
 * capture program entry and decode options o, writes it into the op area
 * of the agent h (through the shared mapping rr; h->agent.nops grows, the
 * caller writes it back) and describes it in *rq (filter, filter_nops,
 * filter_size, filter_regs).  A filter the agent cannot run is left to
 * dwtrace: verbose says so in one note.  0, or -1 when the op area is
 * full. */
int agent_filter_place(struct agent_handle *h, struct ring_reader *rr, const struct probe_site *site,
		       const struct capture_prog *entry, const struct decode_opts *o, bool verbose,
		       struct patch_request *rq);

/* With --lttng/--ctf on the agent engine the program writes its events
 * without dwtrace, so a filter the agent cannot run would not be applied:
 * why, naming the first such probe of sites[n] (static text, valid until
 * the next call), or NULL when every probe's filter runs in the agent. */
const char *agent_filter_ust_unsuitable(struct probe_site *const *sites, size_t n, const struct decode_opts *o);

#endif
