/* --filter bound to the probes (filter_probes.h). */
#include "filter_probes.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

/* Sites with an event layout of their own (not internal ones). */
static bool has_events(const struct probe_site *site)
{
	return site->layout && !site->ifunc_resolver;
}

static bool has_exit(const struct event_layout *l)
{
	return l->kind == LAYOUT_CALL;
}

/* retval or duration_ns (with members or elements after it). */
static bool is_exit_name(const char *name)
{
	size_t n = strcspn(name, ".[");

	return (n == 6 && !strncmp(name, "retval", 6)) || (n == 11 && !strncmp(name, "duration_ns", 11));
}

/* A probe with no exit as -e names it: "point pt_sum+0x20", "inlined
 * copy of filter_doc". */
static void probe_kind(const struct event_layout *l, char *buf, size_t size)
{
	if (l->kind == LAYOUT_POINT)
		snprintf(buf, size, "point %s+%#" PRIx64, l->function, l->offset);
	else
		snprintf(buf, size, "inlined copy of %s%s%s", l->function, l->inlined_into ? " in " : "",
			 l->inlined_into ? l->inlined_into : "");
}

/* Whether msg is among *said (taking msg), else adds it. */
static bool said_before(char ***said, size_t *n, char *msg)
{
	for (size_t i = 0; i < *n; i++) {
		if (!strcmp((*said)[i], msg)) {
			free(msg);
			return true;
		}
	}
	*said = xrealloc(*said, (*n + 1) * sizeof(**said));
	(*said)[(*n)++] = msg;
	return false;
}

/* The names probe l offers, for "unknown field" messages. */
static void names_of(const struct event_layout *l, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < l->nfields + l->nlocals && n < size; i++) {
		const struct layout_field *lf = i < l->nfields ? &l->fields[i] : &l->locals[i - l->nfields];

		n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "", lf->name);
	}
	if (n < size)
		snprintf(buf + n, size - n, "%s%s%stid, pid, depth", n ? ", and " : "",
			 has_exit(l) && l->has_ret ? "retval, " : "", has_exit(l) ? "duration_ns, " : "");
}

/* Whether a probe may still come with names the placed ones lack: a spec
 * waiting for a program (-f), or a pending MODULE:... spec whose module
 * none of the placed probes is in.  A MODULE: spec found now stays pending
 * for a reload (dlopen after dlclose, -p): it brings the same names. */
static bool still_waiting(const struct probe_set *set)
{
	if (set->nwaiting)
		return true;
	for (size_t i = 0; i < set->npending; i++) {
		const char *spec = set->pending[i];
		size_t n = strcspn(spec, ":");
		bool found = false;
		char *mod, *real;

		if (spec[0] == '!')
			continue;       /* an exclusion brings no probe */
		if (!spec[n])
			return true;
		mod = xstrndup(spec, n);
		real = realpath(mod, NULL);
		for (size_t k = 0; k < set->len && !found; k++) {
			const struct probe_site *site = set->sites[k];

			found = has_events(site) && site->fn && site->fn->module &&
				dw_module_matches(site->fn->module, mod, real) > 0;
		}
		free(real);
		free(mod);
		if (!found)
			return true;
	}
	return false;
}

static const char LTTNG_AT_EXIT[] = "--filter: retval and duration_ns are known at the exit, and LTTng events are "
				    "written as they happen: filter on retval/duration_ns with text or JSON output, "
				    "or with babeltrace2";

int filter_probes_bind(struct probe_set *set)
{
	const struct filter *f = set->filter;
	const struct event_layout *first = NULL;
	char **said = NULL;
	size_t nsaid = 0;
	bool *found;
	char *err = NULL;
	int rc = 0;

	if (!f)
		return 0;
	found = xcalloc(f->nfields ? f->nfields : 1, sizeof(*found));
	for (size_t i = 0; i < set->len && rc == 0; i++) {
		struct probe_site *site = set->sites[i];
		struct event_layout *l = site->layout;

		if (!has_events(site) || l->filter)
			continue;
		l->filter = filter_bind(f, l, &err);
		if (!l->filter) {
			log_error("%s", err);
			free(err);
			rc = -1;
			break;
		}
		if (set->filter_lttng && l->filter->at_exit) {
			log_error("%s", LTTNG_AT_EXIT);
			rc = -1;
			break;
		}
		if (!first)
			first = l;
		for (size_t k = 0; k < f->nfields; k++)
			found[k] |= l->filter->fields[k].source != FILTER_SRC_MISSING;
	}
	for (size_t k = 0; rc == 0 && first && k < f->nfields; k++) {
		char names[512];

		if (found[k])
			continue;
		if (still_waiting(set)) {
			/* A probe to come (a library not loaded yet) may have it. */
			log_note("--filter: no probe placed now has '%s' (those waiting for their module may)",
				 f->fields[k]->name);
			continue;
		}
		names_of(first, names, sizeof(names));
		log_error("--filter: unknown field '%s' (no probe has it; probe '%s' has %s)", f->fields[k]->name,
			  first->function, names);
		rc = -1;
	}
	/* A name some probes lack: LTTng's rule, said once per probe. */
	for (size_t i = 0; i < set->len && rc == 0; i++) {
		const struct event_layout *l = set->sites[i]->layout;

		if (!has_events(set->sites[i]) || !l->filter || !l->filter->nmissing)
			continue;
		for (size_t k = 0; k < f->nfields; k++) {
			if (l->filter->fields[k].source != FILTER_SRC_MISSING)
				continue;
			if (!has_exit(l) && is_exit_name(f->fields[k]->name)) {
				char what[256];
				char *msg;

				probe_kind(l, what, sizeof(what));
				/* -x drops inlined copies a glob matched; a point was asked for. */
				msg = xasprintf("--filter: %s has no exit, so no '%s': comparisons with it are false "
						"there%s%s%s",
						what, f->fields[k]->name, l->kind == LAYOUT_INLINED ? " (-x '" : "",
						l->kind == LAYOUT_INLINED ? l->function : "",
						l->kind == LAYOUT_INLINED ? "' leaves it out)" : "");
				/* A glob matches many copies of one function in one caller: said once. */
				if (!said_before(&said, &nsaid, msg))
					log_note("%s", msg);
			} else {
				log_note("--filter: probe '%s' has no field '%s': comparisons with it are false there",
					 l->function, f->fields[k]->name);
			}
			break;
		}
	}
	for (size_t i = 0; i < nsaid; i++)
		free(said[i]);
	free(said);
	free(found);
	return rc;
}

void filter_probes_bind_late(struct probe_set *set, size_t first)
{
	const struct filter *f = set->filter;
	char *err = NULL;

	if (!f)
		return;
	for (size_t i = first; i < set->len; i++) {
		struct probe_site *site = set->sites[i];
		struct event_layout *l = site->layout;

		if (!has_events(site) || l->filter)
			continue;
		l->filter = filter_bind(f, l, &err);
		if (l->filter && set->filter_lttng && l->filter->at_exit) {
			filter_bound_free(l->filter);
			l->filter = NULL;
			err = xstrdup(LTTNG_AT_EXIT);
		}
		if (!l->filter) {
			log_warning("%s; probe '%s' in %s is not placed", err, l->function, l->module);
			free(err);
			l->filter = filter_bound_reject_all(f, l);
		}
	}
}

bool filter_site_refused(const struct probe_site *site)
{
	return site->layout && site->layout->filter && site->layout->filter->reject_all;
}
