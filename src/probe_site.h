/* Probe specs (-e) resolved to probe sites: a function, its entry address,
 * and the layout of its events with the plans that fetch its values. */
#ifndef DWTRACE_PROBE_SITE_H
#define DWTRACE_PROBE_SITE_H

#include <stddef.h>
#include <stdint.h>

#include "dw_session.h"
#include "event_layout.h"

struct probe_site {
	struct dw_function *fn;
	struct event_layout *layout;
	uint64_t addr;               /* where the breakpoint goes */
	unsigned long hits;
};

struct probe_set {
	struct probe_site **sites;
	size_t len, cap;
};

/* Resolves every spec against the modules of s.  Addresses in skip (e.g. the
 * entry point) cannot be probed.  Returns 0, or -1 after printing a one-line
 * error naming the spec. */
int probe_set_resolve(struct probe_set *set, struct dw_session *s, char **specs, size_t nspecs,
		      const char *program, uint64_t skip);

void probe_set_free(struct probe_set *set);

#endif
