/* Copies of functions inlined into others (DW_TAG_inlined_subroutine,
 * DWARF 5 section 3.3.8.2), found by the name of their abstract origin.
 *
 * A module's DIE trees are walked once, on the first question, and only
 * where code can be (concrete subprograms, lexical blocks, inlined
 * subroutines, namespaces): every inlined subroutine is indexed by its
 * abstract origin, whose names (DW_AT_name, a C++ DW_AT_linkage_name
 * demangled) are computed once per origin.  A copy's entry pc, call site
 * and parameter plans are built only for the copies a pattern matches. */
#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dw_demangle.h"
#include "dw_internal.h"
#include "dw_loc.h"
#include "xalloc.h"

/* One DW_TAG_inlined_subroutine with code. */
struct inl_entry {
	uint64_t die;                /* its DIE offset */
	uint64_t caller;             /* the concrete subprogram containing it */
	size_t next;                 /* next entry of the same origin + 1, 0: none */
	struct dw_inline *built;     /* NULL until a pattern matched it */
};

/* An abstract origin of inlined copies: a function's abstract DIE. */
struct inl_origin {
	Dwarf_Die die;
	const char *name;            /* DW_AT_name (C: the name; C++: demangled when linkage) */
	const char *linkage;         /* C++ DW_AT_linkage_name, else NULL */
	size_t first, last;          /* entries + 1 */
};

struct dw_inline_index {
	struct inl_entry *v;
	size_t n, cap;
	struct inl_origin *origins;
	size_t norigins, origins_cap;
	struct u64_map by_origin;    /* origin DIE offset -> index + 1 */
};

/* The DIE an abstract origin chain ends at (a concrete out-of-line instance
 * may itself name an abstract origin). */
static void final_origin(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Die next;

	for (int i = 0; i < 8 && dwarf_attr(die, DW_AT_abstract_origin, &attr) && dwarf_formref_die(&attr, &next); i++)
		*die = next;
}

static const char *die_linkage(Dwarf_Die *die)
{
	Dwarf_Attribute attr;

	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
		return dwarf_formstring(&attr);
	return NULL;
}

/* A function DIE's name as dwtrace shows functions: a C++ one demangled
 * (interned by the session), else DW_AT_name through its origin or
 * specification; NULL when none. */
static const char *die_function_name(struct dw_module *m, Dwarf_Die *die, const char **linkage)
{
	const char *lk = die_linkage(die), *dm = lk ? dw_session_demangled(m->session, lk) : NULL;
	Dwarf_Attribute attr;

	*linkage = dm ? lk : NULL;
	if (dm)
		return dm;
	return dwarf_attr_integrate(die, DW_AT_name, &attr) ? dwarf_formstring(&attr) : NULL;
}

static bool has_code(Dwarf_Die *die)
{
	return dwarf_hasattr(die, DW_AT_low_pc) || dwarf_hasattr(die, DW_AT_ranges);
}

static void add_entry(struct dw_module *m, struct dw_inline_index *ix, Dwarf_Die *die, uint64_t caller)
{
	Dwarf_Attribute attr;
	Dwarf_Die origin;
	size_t o;
	struct inl_entry *e;

	if (!has_code(die) || !dwarf_attr(die, DW_AT_abstract_origin, &attr) || !dwarf_formref_die(&attr, &origin))
		return;
	final_origin(&origin);
	o = (size_t)(uintptr_t)u64_map_get(&ix->by_origin, dwarf_dieoffset(&origin));
	if (!o) {
		struct inl_origin *org;
		const char *linkage;
		const char *name = die_function_name(m, &origin, &linkage);

		if (!name)
			return;
		xgrow(&ix->origins, &ix->origins_cap, ix->norigins + 1, sizeof(*ix->origins));
		org = &ix->origins[ix->norigins++];
		*org = (struct inl_origin){.die = origin, .name = name, .linkage = linkage};
		o = ix->norigins;
		u64_map_put(&ix->by_origin, dwarf_dieoffset(&origin), (void *)(uintptr_t)o);
	}
	xgrow(&ix->v, &ix->cap, ix->n + 1, sizeof(*ix->v));
	e = &ix->v[ix->n++];
	*e = (struct inl_entry){.die = dwarf_dieoffset(die), .caller = caller};
	if (ix->origins[o - 1].last)
		ix->v[ix->origins[o - 1].last - 1].next = ix->n;
	else
		ix->origins[o - 1].first = ix->n;
	ix->origins[o - 1].last = ix->n;
}

/* Walks die and its siblings; caller: the DIE offset of the concrete
 * subprogram around them, 0 outside any. */
static void walk(struct dw_module *m, struct dw_inline_index *ix, Dwarf_Die *first, uint64_t caller, int depth)
{
	Dwarf_Die die = *first, child;

	if (depth > 200)
		return;
	do {
		uint64_t c = caller;
		bool descend;

		switch (dwarf_tag(&die)) {
		case DW_TAG_subprogram:
			/* Abstract instances and declarations hold no code. */
			descend = has_code(&die);
			if (descend)
				c = dwarf_dieoffset(&die);
			break;
		case DW_TAG_inlined_subroutine:
			if (caller)
				add_entry(m, ix, &die, caller);
			descend = true;
			break;
		case DW_TAG_lexical_block:
		case DW_TAG_namespace:
		case DW_TAG_module:
		case DW_TAG_try_block:
		case DW_TAG_catch_block:
			descend = true;
			break;
		default:
			descend = false;
		}
		if (descend && dwarf_child(&die, &child) == 0)
			walk(m, ix, &child, c, depth + 1);
	} while (dwarf_siblingof(&die, &die) == 0);
}

static struct dw_inline_index *build_index(struct dw_module *m)
{
	struct dw_inline_index *ix = xcalloc(1, sizeof(*ix));
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (dwarf_nextcu(m->dwarf, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, child;

		if (dwarf_offdie(m->dwarf, off + hsize, &cu) && dwarf_child(&cu, &child) == 0)
			walk(m, ix, &child, 0, 0);
		off = next;
	}
	return ix;
}

static bool is_constant_form(unsigned form)
{
	return form == DW_FORM_data1 || form == DW_FORM_data2 || form == DW_FORM_data4 || form == DW_FORM_data8 ||
	       form == DW_FORM_udata || form == DW_FORM_implicit_const;
}

/* Where the copy's code starts: DW_AT_entry_pc, else DW_AT_low_pc, else the
 * lowest start of its DW_AT_ranges (DWARF 5 section 3.3.8.2 and 2.18);
 * DWARF addresses, false when none. */
static bool entry_pc(Dwarf_Die *die, Dwarf_Addr *pc)
{
	Dwarf_Addr base, start, end, low = (Dwarf_Addr)-1;
	Dwarf_Attribute attr;
	Dwarf_Word delta;
	ptrdiff_t off = 0;

	/* DWARF 5 also allows a constant: an offset from the DIE's base
	 * address (its low_pc), which libdw's dwarf_entrypc does not read. */
	if (dwarf_attr(die, DW_AT_entry_pc, &attr) && is_constant_form(dwarf_whatform(&attr)) &&
	    dwarf_formudata(&attr, &delta) == 0) {
		if (dwarf_lowpc(die, pc) != 0)
			return false;
		*pc += delta;
		return true;
	}
	if (dwarf_entrypc(die, pc) == 0)
		return true;
	while ((off = dwarf_ranges(die, off, &base, &start, &end)) > 0)
		if (start < end && start < low)
			low = start;
	*pc = low;
	return low != (Dwarf_Addr)-1;
}

/* The child of concrete (an inlined subroutine) that is the concrete
 * instance of the origin's parameter param: false when the copy lists
 * none (it was optimized away). */
static bool concrete_param(Dwarf_Die *concrete, Dwarf_Die *param, Dwarf_Die *out)
{
	Dwarf_Attribute attr;
	Dwarf_Die child, origin;

	if (dwarf_child(concrete, &child) != 0)
		return false;
	do {
		if (dwarf_tag(&child) != DW_TAG_formal_parameter || !dwarf_attr(&child, DW_AT_abstract_origin, &attr) ||
		    !dwarf_formref_die(&attr, &origin))
			continue;
		final_origin(&origin);
		if (dwarf_dieoffset(&origin) == dwarf_dieoffset(param)) {
			*out = child;
			return true;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/* The parameters of the copy die of origin at pc (load address), planned
 * within the subprogram caller. */
static void plan_params(struct dw_module *m, struct dw_inline *in, Dwarf_Die *origin, Dwarf_Die *die,
			Dwarf_Die *caller, uint64_t pc)
{
	static const char *const names[] = {"arg0", "arg1", "arg2", "arg3", "arg4", "arg5",
					    "arg6", "arg7", "arg8", "arg9", "arg10", "arg11"};
	Dwarf_Die child, concrete;
	size_t cap = 0;

	if (dwarf_child(origin, &child) != 0)
		return;
	do {
		struct dw_var *v;

		if (dwarf_tag(&child) != DW_TAG_formal_parameter)
			continue;
		xgrow(&in->params, &cap, in->nparams + 1, sizeof(*in->params));
		v = &in->params[in->nparams];
		memset(v, 0, sizeof(*v));
		v->name = dwarf_diename(&child);
		v->unnamed = !v->name;
		if (!v->name)
			v->name = in->nparams < 12 ? names[in->nparams] : "arg";
		v->type = dw_type_of_attr(m, &child);
		v->is_param = true;
		v->artificial = dwarf_hasattr(&child, DW_AT_artificial);
		v->inlined_in = in->name;
		if (concrete_param(die, &child, &concrete)) {
			dw_loc_plan(m, &concrete, caller, pc, (uint32_t)dw_type_size(v->type), &v->plan);
		} else {
			/* The copy does not list it: nothing says where it is. */
			v->plan.size = (uint32_t)dw_type_size(v->type);
			v->plan.why = "optimized out";
		}
		in->nparams++;
	} while (dwarf_siblingof(&child, &child) == 0);
}

/* The dw_inline of entry e (origin o), built once; NULL when its DIEs
 * cannot be read again or it has no entry pc. */
static struct dw_inline *build_inline(struct dw_module *m, struct inl_origin *o, struct inl_entry *e)
{
	Dwarf_Die die, caller, origin = o->die;
	Dwarf_Addr pc, cpc;
	struct dw_inline *in;
	const char *linkage;

	if (e->built)
		return e->built;
	if (!dwarf_offdie(m->dwarf, e->die, &die) || !dwarf_offdie(m->dwarf, e->caller, &caller) ||
	    !entry_pc(&die, &pc))
		return NULL;
	in = xcalloc(1, sizeof(*in));
	in->name = o->linkage ? xstrndup(o->name, dw_demangled_qualified_len(o->name)) : xstrdup(o->name);
	in->module = m;
	in->addr = pc + m->dwarf_bias;
	in->caller = die_function_name(m, &caller, &linkage);
	in->caller_start = entry_pc(&caller, &cpc) ? cpc + m->dwarf_bias : 0;
	in->call_file = dw_call_file(&die);
	in->call_line = dw_call_line(&die);
	in->ret = dw_type_of_attr(m, &origin);
	plan_params(m, in, &origin, &die, &caller, in->addr);
	e->built = in;
	return in;
}

/* Whether origin o's names match as dw_function_matches matches a function. */
static bool origin_matches(const struct inl_origin *o, const char *pattern, bool glob)
{
	struct dw_function f = {.name = o->name, .linkage_name = o->linkage};

	return dw_function_matches(&f, pattern, glob);
}

int dw_module_each_inlined(struct dw_module *m, const char *pattern, bool glob,
			   int (*fn)(const struct dw_inline *in, void *arg), void *arg)
{
	struct dw_inline_index *ix;
	int count = 0;

	if (!dw_module_has_dwarf(m))
		return 0;
	if (!m->inlines)
		m->inlines = build_index(m);
	ix = m->inlines;
	for (size_t k = 0; k < ix->norigins; k++) {
		struct inl_origin *o = &ix->origins[k];

		if (!origin_matches(o, pattern, glob))
			continue;
		for (size_t i = o->first; i; i = ix->v[i - 1].next) {
			struct dw_inline *in = build_inline(m, o, &ix->v[i - 1]);

			if (!in)
				continue;
			count++;
			if (fn(in, arg))
				return count;
		}
	}
	return count;
}

void dw_inline_forget(struct dw_module *m)
{
	struct dw_inline_index *ix = m->inlines;

	if (!ix)
		return;
	for (size_t i = 0; i < ix->n; i++) {
		struct dw_inline *in = ix->v[i].built;
		if (!in)
			continue;
		free((char *)in->name);
		free(in->params);
		free(in);
	}
	free(ix->v);
	free(ix->origins);
	u64_map_free(&ix->by_origin);
	free(ix);
	m->inlines = NULL;
}
