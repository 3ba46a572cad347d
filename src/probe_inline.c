/* Inlined copies and compiler clones of probed functions (probe_inline.h). */
#define _GNU_SOURCE
#include "probe_inline.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "dw_loc.h"
#include "log.h"
#include "probe_point.h"
#include "xalloc.h"

/* The layout of the copy in, part of function f: one entry event named
 * after the inlined function, its parameters located at its entry pc. */
static struct event_layout *inline_layout(const struct dw_inline *in, struct dw_session *s, struct dw_function *f,
					  unsigned id)
{
	struct event_layout *l = event_layout_new(f, id);
	struct dw_frame frames[8];
	size_t n;

	free(l->fields);
	l->kind = LAYOUT_INLINED;
	l->from_locations = true;
	l->function = in->name;
	/* The event is the inlined function's: not f's linkage name or IFUNC. */
	l->fn = NULL;
	l->raw = false;
	l->variadic = false;
	l->has_ret = false;
	l->offset = in->addr - f->addr;
	l->inlined_into = in->caller ? in->caller : f->name;
	l->call_file = in->call_file;
	l->call_line = in->call_line;
	/* The line table's row at the entry pc: the innermost frame there. */
	n = dw_session_symbolize(s, in->addr, false, frames, sizeof(frames) / sizeof(*frames));
	if (n && frames[0].file) {
		l->file = frames[0].file;
		l->line = frames[0].line;
	}
	l->nfields = in->nparams;
	l->fields = probe_point_fields(in->params, in->nparams, &l->entry_vregs);
	return l;
}

struct inline_ctx {
	struct probe_set *set;
	struct dw_session *s;
	size_t added;
	size_t dup;                  /* at an address probed already */
	size_t nofunc;               /* in no function symbol */
	size_t notinsn;              /* entry pc at no instruction start */
	/* Copies in the program left out for another module's export of
	 * their name: how many, one of them, that module. */
	size_t nshadowed;
	const struct dw_inline *shadowed;
	const struct dw_module *owner;
	const char *first;           /* the first copy's function name */
};

static int add_copy(const struct dw_inline *in, void *arg)
{
	struct inline_ctx *c = arg;
	struct probe_set *set = c->set;
	struct probe_site *site;
	struct dw_function *f;
	bool bad;

	if (u64_map_get(&set->by_addr, in->addr)) {
		/* One probe per address: a copy nested at the entry of another
		 * copy, or at a function's entry, shows as that one. */
		c->dup++;
		return 0;
	}
	if (dw_module_function_at(in->module, in->addr, &f) != 0 || !f->has_dwarf) {
		c->nofunc++;
		return 0;
	}
	/* A breakpoint anywhere but an instruction start corrupts one: DWARF
	 * could be wrong.  Checked as points are, its message held back. */
	log_quiet(true);
	bad = probe_point_check_insn(f, in->addr, in->name) != 0;
	log_quiet(false);
	if (bad) {
		c->notinsn++;
		return 0;
	}
	site = xcalloc(1, sizeof(*site));
	site->fn = f;
	site->addr = in->addr;
	site->layout = inline_layout(in, c->s, f, (unsigned)set->len);
	site->go = dw_module_is_go(f->module);
	/* The copy has no return of its own to probe. */
	site->entry_only = true;
	xgrow(&set->sites, &set->cap, set->len + 1, sizeof(*set->sites));
	set->sites[set->len++] = site;
	u64_map_put(&set->by_addr, in->addr, site);
	if (!c->added++)
		c->first = in->name;
	return 0;
}

static void note_shadowed(const struct dw_inline *in, struct dw_module *owner, void *arg)
{
	struct inline_ctx *c = arg;

	log_debug("probe", "%s: its copy inlined into %s in %s left out: %s exports the name", in->name,
		  in->caller ? in->caller : "?", dw_module_name(in->module), dw_module_name(owner));
	/* The program's own copies are most likely the ones meant. */
	if (dw_module_is_main(in->module) && !c->nshadowed++) {
		c->shadowed = in;
		c->owner = owner;
	}
}

size_t probe_inline_add(struct probe_set *set, struct dw_session *s, struct dw_module *m, const char *pattern,
			bool glob)
{
	struct inline_ctx c = {.set = set, .s = s};

	if (m)
		dw_module_each_inlined(m, pattern, glob, add_copy, &c);
	else
		dw_session_each_inlined(s, pattern, glob, add_copy, &c, note_shadowed);
	if (c.added == 1)
		log_note("also probing 1 inlined copy of %s (entry events only)", c.first);
	else if (c.added && glob)
		log_note("also probing %zu inlined copies of functions matching '%s' (entry events only)", c.added,
			 pattern);
	else if (c.added)
		log_note("also probing %zu inlined copies of %s (entry events only)", c.added, c.first);
	if (c.dup)
		log_debug("probe", "'%s': %zu inlined copies start where another probe is, and show as that one",
			  pattern, c.dup);
	if (c.nshadowed)
		log_note("%zu inlined %s of %s in %s left out: %s exports the name; probe %s:%s for %s",
			 c.nshadowed, c.nshadowed == 1 ? "copy" : "copies", c.shadowed->name, dw_module_name(c.shadowed->module), dw_module_name(c.owner),
			 dw_module_name(c.shadowed->module), c.shadowed->name, c.nshadowed == 1 ? "it" : "them");
	if (c.notinsn)
		log_warning("'%s': %zu inlined copies have an entry that starts no instruction (corrupt DWARF?): left "
			    "out",
			    pattern, c.notinsn);
	if (c.nofunc)
		log_warning("'%s': %zu inlined copies are in code no function symbol with DWARF covers: left out",
			    pattern, c.nofunc);
	return c.added;
}

void probe_layout_from_locations(struct event_layout *l, const struct dw_function *f)
{
	struct fetch_plan *plans;

	/* Other languages are probe_lang.c's (helper L): clones only here. */
	if (!f->clone_kind || !f->params_from_locations || !f->has_dwarf)
		return;
	plans = xcalloc(f->nparams ? f->nparams : 1, sizeof(*plans));
	if (dw_function_plan_params_at(f, f->params_pc, plans) == 0) {
		l->from_locations = true;
		l->entry_vregs = false;
		for (size_t i = 0; i < f->nparams && i < l->nfields; i++) {
			l->fields[i].plan = plans[i];
			l->entry_vregs |= arch_plan_reads_vregs(&plans[i]);
		}
	}
	free(plans);
	if (f->clone_kind) {
		l->function = f->origin_name;
		l->clone_kind = f->clone_kind;
	}
	/* GCC's IPA-SRA drops a return value no caller uses (ipa-sra.c,
	 * "return value removal") and its DWARF still gives the origin's
	 * return type: rax may then hold anything.  Not a guess: unavailable. */
	if (f->clone_kind && l->has_ret && strstr(f->linkage_name ? f->linkage_name : f->name, ".isra.")) {
		l->ret.plan.available = false;
		l->ret.plan.why = "maybe not returned";
	}
}

bool probe_site_matches(const struct probe_site *site, const char *pattern, bool glob)
{
	struct dw_function named = {0};

	if (!site->layout || site->layout->kind != LAYOUT_INLINED)
		return dw_function_matches(site->fn, pattern, glob);
	named.name = site->layout->function;
	return dw_function_matches(&named, pattern, glob);
}
