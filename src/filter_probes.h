/* --filter bound to the probes: one struct filter_bound per probe's layout
 * (probes/filter.h), with the messages a user sees when it cannot apply. */
#ifndef DWTRACE_FILTER_PROBES_H
#define DWTRACE_FILTER_PROBES_H

#include <stdbool.h>

#include "filter.h"
#include "probe_site.h"

/* Binds set->filter to every site of set, before the program runs.
 * Returns 0, or -1 after log_error() said why: an expression that cannot
 * apply to a probe (a string compared with a number, p.z, retval or
 * duration_ns of a point), a name no probe has (a note when probes
 * wait for a module to come, which may have it), or with
 * set->filter_lttng an expression decided at the exit.  A name only some
 * probes lack: one note per such probe. */
int filter_probes_bind(struct probe_set *set);

/* Binds set->filter to the sites from index first on, found after the
 * program started (a library loaded, a program run by exec, a child).
 * A site it cannot apply to gets a warning and a binding that keeps
 * nothing (filter_site_refused then says not to place it). */
void filter_probes_bind_late(struct probe_set *set, size_t first);

/* Whether site is one the filter could not be bound to (not placed). */
bool filter_site_refused(const struct probe_site *site);

#endif
