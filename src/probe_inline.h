/* -e FUNC beyond FUNC's own code: its inlined copies (LAYOUT_INLINED sites)
 * and its compiler clones (.constprop, .isra, .part), whose parameters come
 * from DWARF locations instead of the calling convention (issue 13). */
#ifndef DWTRACE_PROBE_INLINE_H
#define DWTRACE_PROBE_INLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "dw_session.h"
#include "event_layout.h"
#include "probe_site.h"

/* Adds a site at the entry pc of every copy of a function pattern names
 * (exact, or a glob when glob) inlined anywhere in m, or in every module
 * of s when m is NULL but where another module exports the name
 * (dw_session_each_inlined): entry events only, the
 * parameters located there from DWARF, site->fn the function the copy
 * is part of.  A copy at an address probed already is left out.  Prints
 * one note ("also probing N inlined copies of FUNC").  Returns the sites
 * added. */
size_t probe_inline_add(struct probe_set *set, struct dw_session *s, struct dw_module *m, const char *pattern,
			bool glob);

/* When f is a compiler clone (f->clone_kind), replaces the plans of l's
 * fields (made by the calling convention) by those from DWARF locations at
 * f->params_pc (dw_function_plan_params_at), sets l->from_locations, and
 * names its events after its origin, with l->clone_kind; an .isra clone's
 * return value is unavailable.  Other functions are left as they are. */
void probe_layout_from_locations(struct event_layout *l, const struct dw_function *f);

/* Whether site's events are those of a function pattern names: an inlined
 * copy by the inlined function's name, not by the function it is part of
 * (exclusions). */
bool probe_site_matches(const struct probe_site *site, const char *pattern, bool glob);

#endif
