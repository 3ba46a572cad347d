/* Tail-call frames: functions that left no frame on the stack because they
 * ended in a jump to the next one, found from DWARF call-site information
 * the way gdb finds them (gdb/dwarf2/frame-tailcall.c, call_site_find_chain
 * in gdb/dwarf2/loc.c).
 *
 * A caller's DW_TAG_call_site at the return address names the function it
 * calls (DWARF 5 section 3.4.1: DW_AT_call_origin, or DW_AT_call_target as
 * an address); when that is not the function the stack shows above it, a
 * chain of call sites flagged DW_AT_call_tail_call leads from the one to the
 * other.  GCC writes the same with the GNU extensions of DWARF 4
 * (DW_TAG_GNU_call_site, DW_AT_GNU_tail_call, DW_AT_abstract_origin,
 * DW_AT_low_pc for the return address, DW_AT_GNU_call_site_target). */
#define _GNU_SOURCE
#include <dwarf.h>
#include <string.h>

#include "dw_internal.h"

#ifndef DW_TAG_GNU_call_site
#define DW_TAG_GNU_call_site 0x4109
#endif
#ifndef DW_AT_GNU_tail_call
#define DW_AT_GNU_tail_call 0x2115
#endif
#ifndef DW_AT_GNU_call_site_target
#define DW_AT_GNU_call_site_target 0x2113
#endif

/* Longest chain followed, and how many functions a search may look at: a
 * stack is symbolized while the program waits. */
#define MAX_CHAIN 8
#define MAX_VISITS 64
#define MAX_SCOPES 64

/* A function: the DW_TAG_subprogram holding some code address. */
struct fn_ref {
	Dwfl_Module *mod;
	Dwarf_Addr bias;
	Dwarf_Die die;
};

static bool same_fn(const struct fn_ref *a, const struct fn_ref *b)
{
	return a->mod == b->mod && dwarf_dieoffset((Dwarf_Die *)&a->die) == dwarf_dieoffset((Dwarf_Die *)&b->die);
}

/* The subprogram whose code holds addr (a load address); false when none. */
static bool function_at(struct dw_session *s, uint64_t addr, struct fn_ref *out)
{
	Dwarf_Die *cu, cu_buf, scopes[MAX_SCOPES];
	struct dw_module *m;

	out->mod = dwfl_addrmodule(s->dwfl, addr);
	if (!out->mod)
		return false;
	/* Go writes no .debug_aranges: dw_module_addrdie also looks at the
	 * CU DIEs' ranges. */
	m = u64_map_get(&s->by_mod, (uint64_t)(uintptr_t)out->mod);
	cu = m ? dw_module_addrdie(m, addr, &cu_buf, &out->bias) : dwfl_module_addrdie(out->mod, addr, &out->bias);
	if (!cu)
		return false;
	if (dw_pc_scopes(cu, addr - out->bias, scopes, MAX_SCOPES) < 1 || dwarf_tag(&scopes[0]) != DW_TAG_subprogram)
		return false;
	out->die = scopes[0];
	return true;
}

static bool is_call_site(Dwarf_Die *die)
{
	int tag = dwarf_tag(die);
	return tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site;
}

/* The return address of a call site, as a module address. */
static bool call_site_return_pc(Dwarf_Die *site, Dwarf_Addr *pc)
{
	Dwarf_Attribute attr;

	if (!dwarf_attr(site, DW_AT_call_return_pc, &attr) && !dwarf_attr(site, DW_AT_low_pc, &attr))
		return false;
	return dwarf_formaddr(&attr, pc) == 0;
}

static bool call_site_is_tail(Dwarf_Die *site)
{
	return dwarf_hasattr(site, DW_AT_call_tail_call) || dwarf_hasattr(site, DW_AT_GNU_tail_call);
}

/* A function symbol named name (no IFUNC: its value is the resolver), in
 * mod first (a static function, or glibc's __GI_ aliases), else in any
 * module; its load address. */
static bool find_function(struct dw_session *s, Dwfl_Module *mod, const char *name, uint64_t *addr)
{
	for (size_t k = 0; k <= s->nmodules; k++) {
		struct dw_module *m = k ? s->modules[k - 1] : u64_map_get(&s->by_mod, (uint64_t)(uintptr_t)mod);
		GElf_Sym sym;
		GElf_Addr a;
		GElf_Word shndx;
		int i;

		if (!m || (k && m->mod == mod) || !(i = dw_module_plain_function(m, name)))
			continue;
		if (dwfl_module_getsym_info(m->mod, i, &sym, &a, &shndx, NULL, NULL) &&
		    GELF_ST_TYPE(sym.st_info) == STT_FUNC) {
			*addr = a;
			return true;
		}
	}
	return false;
}

/* The load address a call site calls, when DWARF says it without the
 * caller's registers: its origin's entry (a definition in this module), or
 * the symbol of the origin's name (a declaration: another CU with LTO,
 * another module through the PLT), or a constant DW_AT_call_target. */
static bool call_site_target(struct dw_session *s, const struct fn_ref *in, Dwarf_Die *site, uint64_t *addr)
{
	Dwarf_Attribute attr;
	Dwarf_Die origin;
	Dwarf_Addr entry;
	Dwarf_Op *ops;
	size_t nops;

	if ((dwarf_attr(site, DW_AT_call_origin, &attr) || dwarf_attr(site, DW_AT_abstract_origin, &attr)) &&
	    dwarf_formref_die(&attr, &origin)) {
		const char *name;
		if (!dwarf_hasattr(&origin, DW_AT_declaration) && dwarf_entrypc(&origin, &entry) == 0) {
			*addr = entry + in->bias;
			return true;
		}
		if (dwarf_attr_integrate(&origin, DW_AT_linkage_name, &attr) && (name = dwarf_formstring(&attr)) &&
		    find_function(s, in->mod, name, addr))
			return true;
		if (dwarf_attr_integrate(&origin, DW_AT_name, &attr) && (name = dwarf_formstring(&attr)) &&
		    find_function(s, in->mod, name, addr))
			return true;
		return false;
	}
	if ((dwarf_attr(site, DW_AT_call_target, &attr) || dwarf_attr(site, DW_AT_GNU_call_site_target, &attr)) &&
	    dwarf_getlocation(&attr, &ops, &nops) == 0 && nops == 1 && ops[0].atom == DW_OP_addr) {
		*addr = ops[0].number + in->bias;
		return true;
	}
	return false;
}

/* Calls fn on each call site among the descendants of die (inlined code
 * included) until it returns true; true then. */
static bool each_call_site(Dwarf_Die *die, bool (*fn)(Dwarf_Die *site, void *arg), void *arg, int depth)
{
	Dwarf_Die child;

	if (depth > 128 || dwarf_child(die, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);
		if (is_call_site(&child)) {
			if (fn(&child, arg))
				return true;
		} else if ((tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) &&
			   each_call_site(&child, fn, arg, depth + 1)) {
			return true;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/* One tail call of a chain: the function and its call site's return pc
 * (a load address). */
struct hop {
	struct fn_ref fn;
	uint64_t return_pc;
};

struct search {
	struct dw_session *s;
	struct fn_ref goal;
	struct hop path[MAX_CHAIN];
	size_t depth;
	struct hop chain[MAX_CHAIN];
	size_t nchain;
	int found;                   /* chains found; more than one: ambiguous */
	int visits;
	/* each_call_site's argument: the return pc looked for */
	Dwarf_Addr want;
	Dwarf_Die site;
};

static void follow(struct search *x, const struct fn_ref *fn);

static bool tail_site(Dwarf_Die *site, void *arg)
{
	struct search *x = arg;
	const struct fn_ref *fn = &x->path[x->depth - 1].fn;
	struct fn_ref next;
	Dwarf_Addr ret;
	uint64_t target;

	if (!call_site_is_tail(site) || !call_site_return_pc(site, &ret) ||
	    !call_site_target(x->s, fn, site, &target) || !function_at(x->s, target, &next))
		return false;
	x->path[x->depth - 1].return_pc = ret + fn->bias;
	if (same_fn(&next, &x->goal)) {
		if (x->found++)
			return true; /* two chains: which one ran is not known */
		memcpy(x->chain, x->path, x->depth * sizeof(x->path[0]));
		x->nchain = x->depth;
		return false;
	}
	for (size_t i = 0; i < x->depth; i++)
		if (same_fn(&x->path[i].fn, &next))
			return false;
	follow(x, &next);
	return x->found > 1;
}

/* Looks for chains of tail calls from fn to x->goal. */
static void follow(struct search *x, const struct fn_ref *fn)
{
	Dwarf_Die die;

	if (x->depth >= MAX_CHAIN || ++x->visits > MAX_VISITS) {
		x->found += 2; /* not searched through: not known to be unique */
		return;
	}
	x->path[x->depth++].fn = *fn;
	die = fn->die;
	each_call_site(&die, tail_site, x, 0);
	x->depth--;
}

static bool site_at(Dwarf_Die *site, void *arg)
{
	struct search *x = arg;
	Dwarf_Addr ret;

	if (!call_site_return_pc(site, &ret) || ret != x->want)
		return false;
	x->site = *site;
	return true;
}

size_t dw_session_tail_calls(struct dw_session *s, uint64_t callee_pc, bool callee_is_return, uint64_t return_pc,
			     struct dw_frame *out, size_t max)
{
	struct search x = {.s = s};
	struct fn_ref caller, first;
	uint64_t target;
	size_t n = 0;

	if (!max || !return_pc || !function_at(s, callee_is_return ? callee_pc - 1 : callee_pc, &x.goal) ||
	    !function_at(s, return_pc - 1, &caller))
		return 0;
	x.want = return_pc - caller.bias;
	if (!each_call_site(&caller.die, site_at, &x, 0) || call_site_is_tail(&x.site) ||
	    !call_site_target(s, &caller, &x.site, &target) || !function_at(s, target, &first) ||
	    same_fn(&first, &x.goal))
		return 0;
	follow(&x, &first);
	if (x.found != 1)
		return 0;
	/* Innermost first: the function that jumped to the goal, at its tail
	 * call (symbolized as a return address: the jump may be its last
	 * instruction), its inlined frames included. */
	for (size_t i = x.nchain; i-- > 0 && n < max;) {
		struct dw_frame f[MAX_CHAIN * 4];
		size_t k = dw_session_symbolize(s, x.chain[i].return_pc, true, f, sizeof(f) / sizeof(f[0]));
		for (size_t j = 0; j < k && n < max; j++) {
			out[n] = f[j];
			out[n].tail_call = !f[j].inlined;
			n++;
		}
	}
	return n;
}
