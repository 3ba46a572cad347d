/* Probe specs (-e) resolved to probe sites: a function, its entry address,
 * and the layout of its events with the plans that fetch its values. */
#ifndef DWTRACE_PROBE_SITE_H
#define DWTRACE_PROBE_SITE_H

#include <stddef.h>
#include <stdint.h>

#include "dw_session.h"
#include "event_layout.h"
#include "u64_map.h"

struct probe_site {
	struct dw_function *fn;
	struct event_layout *layout;
	uint64_t addr;               /* where the breakpoint goes */
	unsigned long hits;
	bool placed;                 /* its breakpoint is in the target */
	bool gone;                   /* its module was unloaded */
	/* No exit events: the function is not entered by a call (the entry
	 * point, a signal trampoline, noreturn), or its exits are not all
	 * known.  Its calls are then not tracked in flight. */
	bool entry_only;
	bool go;                     /* Go code: calls are tracked per goroutine */
	bool reentered;              /* it jumps back to its own entry (a loop there) */
	size_t nexits;               /* exit breakpoints placed for it */
	/* Late binding (ifunc_late.c): an internal probe on the resolver of
	 * an unbound IFUNC (fn, fn->ifunc_late); no events.  Where it
	 * returns, its implementation is probed (done: that happened). */
	bool ifunc_resolver;
	bool ifunc_done;
	/* addr is after the function's prologue (probe_lang.c: parameters
	 * read where their locations say, fn->params_pc): the return address
	 * is not at the entry hit's stack pointer but at DWARF register
	 * entry_ra_reg plus entry_ra_off there (from the CFI). */
	bool entry_ra_from_reg;
	uint16_t entry_ra_reg;
	int64_t entry_ra_off;
};

struct probe_set {
	struct probe_site **sites;   /* in the order they were found */
	size_t len, cap;
	char **pending;              /* MODULE:... specs whose module may come later */
	size_t npending, pending_cap;
	struct u64_map by_addr;      /* probe_site_key (a function's entry) → live site */
	/* Functions a spec matched that are not probed, and why (-v,
	 * --list-probes): excluded by a '!GLOB' spec, or an alias of a
	 * function probed already. */
	struct probe_left_out *left_out;
	size_t nleft_out, left_out_cap;
	size_t nleft_out_said;       /* left_out[] said in warnings so far */
	/* -f: a bare name that no module has is pending too (in pending[],
	 * without a MODULE:), for the libraries and programs to come. */
	bool keep_missing;
	const char **waiting;        /* those specs (not owned) */
	size_t nwaiting, waiting_cap;
	/* --list-probes: an IFUNC whose implementation is not known is listed
	 * (at its resolver, "implementation not bound yet"), not refused. */
	bool dry_run;
	/* -v: each IFUNC probed at its resolver is named, and what it binds. */
	bool verbose;
	/* --filter (probes/filter.h), NULL without; not owned.  Sites found
	 * after the start are bound to it as they are added
	 * (filter_probes_bind_late). */
	const struct filter *filter;
	bool filter_lttng;           /* --lttng/--ctf: no filter decided at the exit */
};

/* A function matched and not probed: fn (owned by its session), why in
 * words, and the spec that decided it (NULL for an alias); exported_by:
 * fn is a local symbol and this module exports its name, which a bare
 * name means. */
struct probe_left_out {
	struct dw_function *fn;
	const char *why;
	const char *spec;
	const struct dw_module *exported_by;
};

/* The key of site in probe_set.by_addr: a call site's function entry
 * (its breakpoint may be later, after the prologue: probe_lang.c), any
 * other site's own address. */
static inline uint64_t probe_site_key(const struct probe_site *site)
{
	return site->layout && site->layout->kind == LAYOUT_CALL ? site->fn->addr : site->addr;
}

/* Whether spec is an exclusion: '!GLOB' or '!MODULE:GLOB' (-x GLOB). */
static inline bool probe_spec_is_exclusion(const char *spec)
{
	return spec[0] == '!';
}

/* Resolves every spec against the modules of s.  A spec naming a module
 * that is not loaded is pending (with a note on stderr) and is resolved
 * again whenever a matching module appears.  Returns 0, or -1 after
 * printing a one-line error naming the spec. */
int probe_set_resolve(struct probe_set *set, struct dw_session *s, char **specs, size_t nspecs,
		      const char *program);

/* The same for a program image found while tracing (-f): a spec that
 * resolves to nothing is left out silently. */
void probe_set_resolve_quiet(struct probe_set *set, struct dw_session *s, char **specs, size_t nspecs,
			     const char *program);

/* Resolves the pending specs in module m, just loaded.  New sites are
 * appended to set->sites; returns how many. */
size_t probe_set_resolve_pending(struct probe_set *set, struct dw_session *s, struct dw_module *m);

/* An entry probe of f appended to set (as -e names it), for FUNC+0.
 * Returns 0, or -1 after printing why not. */
int probe_set_add_entry(struct probe_set *set, struct dw_function *f);

/* Late binding: a site for f, the IFUNC an internal resolver probe just
 * saw bound, appended to set; NULL when a site probes its address already. */
struct probe_site *probe_set_add_late(struct probe_set *set, struct dw_function *f);

/* Marks the sites of module m gone (it was unloaded). */
void probe_set_drop_module(struct probe_set *set, const struct dw_module *m);

/* Whether addr is in the code of site's function (any of its ranges). */
bool probe_site_contains(const struct probe_site *site, uint64_t addr);

void probe_set_free(struct probe_set *set);

#endif
