/* What is in scope at a code address (dw_loc.h: dw_scope_at): the concrete
 * function containing it, its parameters, the variables of every lexical
 * block (DWARF 5 section 3.5) and inlined subroutine (section 3.3.8)
 * containing it, innermost first, each located at that address, and the
 * line table's row for it. */
#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dw_loc_internal.h"
#include "xalloc.h"

#define MAX_DEPTH 64

static const char *const unnamed_params[] = {"arg0", "arg1", "arg2", "arg3", "arg4",  "arg5",
					     "arg6", "arg7", "arg8", "arg9", "arg10", "arg11"};

struct var_list {
	struct dw_var *v;
	size_t n, cap;
};

static struct dw_var *add_var(struct var_list *l)
{
	xgrow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	return &l->v[l->n++];
}

/* Fills v from the variable or parameter DIE die (a concrete one, whose
 * name and type may come from its abstract origin: libdw integrates). */
static void fill_var(const struct dw_plan_ctx *c, Dwarf_Die *die, struct dw_var *v, size_t position, int depth,
		     const char *inlined_in)
{
	v->name = dwarf_diename(die);
	v->is_param = dwarf_tag(die) == DW_TAG_formal_parameter;
	v->unnamed = !v->name;
	if (!v->name)
		v->name = position < 12 ? unnamed_params[position] : "arg";
	v->type = dw_type_of_attr(c->m, die);
	v->artificial = dwarf_hasattr_integrate(die, DW_AT_artificial);
	v->depth = depth;
	v->inlined_in = inlined_in;
	dw_plan_die(c, die, (uint32_t)dw_type_size(v->type), &v->plan);
}

/* The variables (and parameters, for an inlined subroutine) that are
 * direct children of scope: declarations of other objects are not. */
static void scope_vars(const struct dw_plan_ctx *c, Dwarf_Die *scope, int depth, const char *inlined_in,
		       bool with_params, struct var_list *out)
{
	Dwarf_Die child;
	size_t position = 0;

	if (dwarf_child(scope, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);
		if (tag == DW_TAG_formal_parameter) {
			if (with_params)
				fill_var(c, &child, add_var(out), position, depth, inlined_in);
			position++;
		} else if (tag == DW_TAG_variable && !dwarf_hasattr(&child, DW_AT_declaration)) {
			fill_var(c, &child, add_var(out), 0, depth, inlined_in);
		}
	} while (dwarf_siblingof(&child, &child) == 0);
}

/* The child of die that is a lexical block or inlined subroutine
 * containing dpc (a DWARF address), into *out. */
static bool inner_scope(Dwarf_Die *die, Dwarf_Addr dpc, Dwarf_Die *out)
{
	Dwarf_Die child;

	if (dwarf_child(die, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);
		if ((tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) && dwarf_haspc(&child, dpc) == 1) {
			*out = child;
			return true;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

struct find_fn {
	Dwarf_Addr dpc;
	Dwarf_Die found;
	bool ok;
};

static int find_fn_cb(Dwarf_Die *die, void *arg)
{
	struct find_fn *ff = arg;

	if (dwarf_haspc(die, ff->dpc) != 1)
		return DWARF_CB_OK;
	ff->found = *die;
	ff->ok = true;
	return DWARF_CB_ABORT;
}

/* The concrete subprogram containing dpc.  (dwarf_getscopes would give
 * an inlined subroutine's abstract origin's scopes, not the function it
 * was inlined into.) */
static bool concrete_function(Dwarf_Die *cu, Dwarf_Addr dpc, Dwarf_Die *out)
{
	struct find_fn ff = {.dpc = dpc};

	dwarf_getfuncs(cu, find_fn_cb, &ff, 0);
	if (ff.ok)
		*out = ff.found;
	return ff.ok;
}

/* The function's own parameters, in declaration order: the abstract
 * origin's list, each located through its concrete DIE (an optimized-out
 * one has none, and is unavailable). */
static void function_params(const struct dw_plan_ctx *c, Dwarf_Die *fn, struct var_list *out)
{
	Dwarf_Attribute attr;
	Dwarf_Die origin, child;
	size_t position = 0;

	if (!dwarf_attr(fn, DW_AT_abstract_origin, &attr) || !dwarf_formref_die(&attr, &origin)) {
		scope_vars(c, fn, 0, NULL, true, out);
		/* scope_vars put the locals in too: keep parameters only. */
		size_t k = 0;
		for (size_t i = 0; i < out->n; i++)
			if (out->v[i].is_param)
				out->v[k++] = out->v[i];
		out->n = k;
		return;
	}
	if (dwarf_child(&origin, &child) != 0)
		return;
	do {
		Dwarf_Die concrete, o, cchild;
		bool found = false;

		if (dwarf_tag(&child) != DW_TAG_formal_parameter)
			continue;
		if (dwarf_child(fn, &cchild) == 0) {
			do {
				if (dwarf_tag(&cchild) == DW_TAG_formal_parameter &&
				    dwarf_attr(&cchild, DW_AT_abstract_origin, &attr) && dwarf_formref_die(&attr, &o) &&
				    dwarf_dieoffset(&o) == dwarf_dieoffset(&child)) {
					concrete = cchild;
					found = true;
					break;
				}
			} while (dwarf_siblingof(&cchild, &cchild) == 0);
		}
		if (found) {
			fill_var(c, &concrete, add_var(out), position, 0, NULL);
		} else {
			/* Declared, never passed to this copy: no location. */
			struct dw_var *v = add_var(out);
			fill_var(c, &child, v, position, 0, NULL);
			memset(&v->plan, 0, sizeof(v->plan));
			v->plan.size = (uint32_t)dw_type_size(v->type);
			v->plan.why = "optimized out";
		}
		position++;
	} while (dwarf_siblingof(&child, &child) == 0);
}

static const char *function_name(struct dw_module *m, Dwarf_Die *fn)
{
	Dwarf_Attribute attr;
	const char *name = NULL;

	if (dwarf_attr_integrate(fn, DW_AT_linkage_name, &attr))
		name = dw_session_demangled(m->session, dwarf_formstring(&attr));
	return name ? name : dwarf_diename(fn);
}

static struct dw_scope *build_scope(struct dw_module *m, uint64_t pc, Dwarf_Die *cu, Dwarf_Addr bias)
{
	Dwarf_Addr dpc = pc - bias, entry;
	Dwarf_Die fn, chain[MAX_DEPTH];
	struct dw_plan_ctx c;
	struct var_list params = {0}, locals = {0};
	struct dw_scope *sc;
	const char **inlined;
	size_t depth = 0, ninlined = 0;
	Dwfl_Line *line;

	if (!concrete_function(cu, dpc, &fn))
		return NULL;
	sc = dw_loc_keep(m->session, sizeof(*sc));
	sc->pc = pc;
	sc->function = function_name(m, &fn);
	if (dwarf_entrypc(&fn, &entry) == 0 || dwarf_lowpc(&fn, &entry) == 0)
		sc->function_start = entry + bias;
	dw_plan_ctx_init(&c, m, &fn, pc);
	/* The nested scopes containing pc, outermost first. */
	chain[0] = fn;
	while (depth + 1 < MAX_DEPTH && inner_scope(&chain[depth], dpc, &chain[depth + 1]))
		depth++;
	function_params(&c, &fn, &params);
	inlined = dw_loc_keep(m->session, (depth + 1) * sizeof(*inlined));
	for (size_t i = depth + 1; i-- > 0;) {
		bool is_inline = dwarf_tag(&chain[i]) == DW_TAG_inlined_subroutine;
		const char *in = NULL;

		/* The innermost inlined subroutine names what its variables
		 * belong to; a block inside one inherits it. */
		for (size_t k = i + 1; k-- > 1 && !in;)
			if (dwarf_tag(&chain[k]) == DW_TAG_inlined_subroutine)
				in = dwarf_diename(&chain[k]);
		if (is_inline)
			inlined[ninlined++] = dwarf_diename(&chain[i]) ? dwarf_diename(&chain[i]) : "?";
		scope_vars(&c, &chain[i], (int)i, in, is_inline, &locals);
	}
	sc->params = dw_loc_keep(m->session, params.n * sizeof(*params.v));
	if (params.n)
		memcpy(sc->params, params.v, params.n * sizeof(*params.v));
	sc->nparams = params.n;
	sc->locals = dw_loc_keep(m->session, locals.n * sizeof(*locals.v));
	if (locals.n)
		memcpy(sc->locals, locals.v, locals.n * sizeof(*locals.v));
	sc->nlocals = locals.n;
	sc->inlined = inlined;
	sc->ninlined = ninlined;
	free(params.v);
	free(locals.v);
	line = dwfl_module_getsrc(m->mod, pc);
	if (line) {
		Dwarf_Addr lbias;
		Dwarf_Line *dl = dwfl_dwarf_line(line, &lbias);
		bool stmt = false;
		sc->file = dwfl_lineinfo(line, NULL, &sc->line, NULL, NULL, NULL);
		if (dl && dwarf_linebeginstatement(dl, &stmt) == 0)
			sc->is_stmt = stmt;
	} else if (dw_module_row_at(m, pc, &sc->file, &sc->line, &sc->is_stmt) != 0) {
		/* dwfl_module_getsrc finds the CU through .debug_aranges
		 * alone (libdwfl/dwfl_module_getsrc.c); Go writes none. */
		sc->file = NULL;
		sc->line = 0;
	}
	return sc;
}

int dw_scope_at(struct dw_module *m, uint64_t pc, const struct dw_scope **out)
{
	struct dw_scope *sc;
	Dwarf_Addr bias;
	Dwarf_Die *cu, cu_buf;

	*out = NULL;
	sc = u64_map_get(&m->scopes, pc);
	if (sc) {
		*out = sc;
		return 0;
	}
	if (!dw_module_has_dwarf(m) || !(cu = dw_module_addrdie(m, pc, &cu_buf, &bias)))
		return -ENOENT;
	sc = build_scope(m, pc, cu, bias);
	if (!sc) {
		dw_set_error(m->session, "%s: no DWARF function contains %#llx", m->name ? m->name : "?",
			     (unsigned long long)pc);
		return -ENOENT;
	}
	u64_map_put(&m->scopes, pc, sc);
	*out = sc;
	return 0;
}
