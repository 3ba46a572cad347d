/* Entry values away from a function's entry (dw_loc.h: dw_loc_entry_value):
 * DWARF 5 section 3.4.2.  The caller's DW_TAG_call_site for the return
 * address says, in its DW_TAG_call_site_parameter children, what each
 * argument register held at the call (DW_AT_call_value), as an expression
 * over the caller's frame: constants, the caller's stack pointer (the
 * callee's CFA), registers the callee preserves.  GCC before DWARF 5 wrote
 * the same as DW_TAG_GNU_call_site (DW_AT_low_pc the return address) and
 * DW_AT_GNU_call_site_value. */
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "dw_internal.h"
#include "dw_loc.h"
#include "dw_loc_internal.h"

#define WALK_DEPTH 32
#define RA_SLOT 8     /* x86-64: the return address is at CFA - 8 */
#define REG_SP 7
#define REG_PC 16

/* The return address (DWARF address) of a call site DIE, 0 when none. */
static Dwarf_Addr return_pc(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Addr a = 0;

	if (dwarf_attr(die, DW_AT_call_return_pc, &attr) && dwarf_formaddr(&attr, &a) == 0)
		return a;
	if (dwarf_attr(die, DW_AT_low_pc, &attr) && dwarf_formaddr(&attr, &a) == 0)
		return a;
	return 0;
}

static void index_die(struct dw_module *m, Dwarf_Die *die, int depth)
{
	Dwarf_Die child;

	if (depth > WALK_DEPTH || dwarf_child(die, &child) != 0)
		return;
	do {
		switch (dwarf_tag(&child)) {
		case DW_TAG_call_site:
		case DW_TAG_GNU_call_site: {
			Dwarf_Addr ra = return_pc(&child);
			if (ra)
				u64_map_put(&m->call_sites, ra, (void *)(uintptr_t)dwarf_dieoffset(&child));
			break;
		}
		case DW_TAG_subprogram:
		case DW_TAG_lexical_block:
		case DW_TAG_inlined_subroutine:
		case DW_TAG_namespace:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
			index_die(m, &child, depth + 1);
			break;
		default:
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
}

/* The module of s whose code range holds addr. */
static struct dw_module *module_at(struct dw_session *s, uint64_t addr)
{
	for (size_t i = 0; s && i < s->nmodules; i++) {
		uint64_t lo, hi;
		dw_module_range(s->modules[i], &lo, &hi);
		if (addr >= lo && addr < hi)
			return dw_module_has_dwarf(s->modules[i]) ? s->modules[i] : NULL;
	}
	return NULL;
}

const void *dw_module_call_sites(struct dw_module *m)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	if (m->call_sites_state == 0) {
		m->call_sites_state = 1;
		if (!dw_module_has_dwarf(m))
			return NULL;
		/* Once per module, when a plan first needs an entry value. */
		while (dwarf_nextcu(m->dwarf, off, &next, &hsize, NULL, NULL, NULL) == 0) {
			Dwarf_Die cu;
			if (dwarf_offdie(m->dwarf, off + hsize, &cu))
				index_die(m, &cu, 0);
			off = next;
		}
	}
	return m->call_sites.len ? &m->call_sites : NULL;
}

/* The CFI's rule for each general register at pc: libdw's
 * dwarf_frame_register gives no ops for undefined, no ops but a non-NULL
 * pointer for same value, and DW_OP_call_frame_cfa [DW_OP_consts N
 * DW_OP_plus | DW_OP_plus_uconst N] for a register saved at CFA + N. */
const struct dw_caller_regs *dw_caller_regs_at(struct dw_module *m, uint64_t pc)
{
	Dwarf_Addr bias = 0;
	Dwarf_CFI *cfi = dwfl_module_dwarf_cfi(m->mod, &bias);
	Dwarf_Frame *frame = NULL;
	struct dw_caller_regs *r;

	if (!cfi || dwarf_cfi_addrframe(cfi, pc - bias, &frame) != 0) {
		frame = NULL;
		cfi = dwfl_module_eh_cfi(m->mod, &bias);
		if (!cfi || dwarf_cfi_addrframe(cfi, pc - bias, &frame) != 0)
			return NULL;
	}
	r = dw_loc_keep(m->session, sizeof(*r));
	for (unsigned i = 0; i < DW_CALLER_NREGS; i++) {
		Dwarf_Op mem[3], *ops = NULL;
		size_t n = 0;

		if (i == REG_SP || i == REG_PC || dwarf_frame_register(frame, (int)i, mem, &ops, &n) != 0)
			continue;
		if (n == 0 && ops) {
			r->kind[i] = DW_CALLER_REG_SAME;
		} else if (n >= 1 && ops[0].atom == DW_OP_call_frame_cfa) {
			if (n == 1) {
				r->kind[i] = DW_CALLER_REG_AT_CFA;
			} else if (n == 2 && ops[1].atom == DW_OP_plus_uconst) {
				r->kind[i] = DW_CALLER_REG_AT_CFA;
				r->offset[i] = (int64_t)ops[1].number;
			} else if (n == 3 && ops[1].atom == DW_OP_consts && ops[2].atom == DW_OP_plus) {
				r->kind[i] = DW_CALLER_REG_AT_CFA;
				r->offset[i] = (int64_t)ops[1].number;
			}
		}
	}
	free(frame);
	return r;
}

/* The caller's CFA and frame base at the call (DW_OP_fbreg in a call
 * value: the address of one of its locals, or a value stored there). */
struct caller_frame {
	const struct dw_loc_expr *cfa, *frame_base;
};

/* Built once per return address of cm (ra a DWARF address) and kept: at
 * ra - 1, the call instruction, as unwinders look a caller up. */
static const struct caller_frame *caller_frame_at(struct dw_module *cm, Dwarf_Die *cs, uint64_t ra)
{
	struct caller_frame *cf = u64_map_get(&cm->call_frames, ra);
	Dwarf_Die *scopes = NULL, sub;
	bool have = false;
	int n;

	if (cf)
		return cf;
	cf = dw_loc_keep(cm->session, sizeof(*cf));
	n = dwarf_getscopes_die(cs, &scopes);
	for (int i = 0; i < n; i++)
		if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram) {
			sub = scopes[i];
			have = true; /* the outermost: the concrete function */
		}
	free(scopes);
	cf->cfa = dw_loc_cfa_at(cm, ra + cm->dwarf_bias - 1);
	if (have)
		cf->frame_base = dw_loc_frame_base_at(cm, &sub, ra + cm->dwarf_bias - 1, cf->cfa);
	u64_map_put(&cm->call_frames, ra, cf);
	return cf;
}

/* The caller's frame at the call, for its DW_AT_call_value. */
struct caller {
	const struct dw_loc_expr *e;
	const struct dw_loc_env *env;
	uint64_t cfa, ra;
};

static int caller_reg(void *arg, unsigned regno, uint64_t *val)
{
	struct caller *c = arg;
	const struct dw_caller_regs *r = c->e->caller_regs;

	if (regno == REG_SP) {
		*val = c->cfa;
		return 0;
	}
	if (regno == REG_PC) {
		*val = c->ra;
		return 0;
	}
	if (!r || regno >= DW_CALLER_NREGS)
		return -1;
	switch (r->kind[regno]) {
	case DW_CALLER_REG_SAME:
		return c->env->reg(c->env->arg, regno, val);
	case DW_CALLER_REG_AT_CFA:
		return c->env->mem(c->env->arg, c->cfa + (uint64_t)r->offset[regno], val, 8);
	default:
		return -1;
	}
}

static int caller_mem(void *arg, uint64_t addr, void *buf, size_t size)
{
	struct caller *c = arg;

	return c->env->mem(c->env->arg, addr, buf, size);
}

/* The DW_AT_call_value of call site cs's parameter in register regno,
 * into ops and n. */
static bool call_value_of(Dwarf_Die *cs, unsigned regno, Dwarf_Op **ops, size_t *n)
{
	Dwarf_Die child;

	if (dwarf_child(cs, &child) != 0)
		return false;
	do {
		Dwarf_Attribute attr;
		Dwarf_Op *loc;
		size_t nloc;
		int tag = dwarf_tag(&child);
		unsigned r;

		if (tag != DW_TAG_call_site_parameter && tag != DW_TAG_GNU_call_site_parameter)
			continue;
		if (!dw_attr_location(&child, DW_AT_location, &attr) || dwarf_getlocation(&attr, &loc, &nloc) != 0 || nloc != 1)
			continue;
		if (loc[0].atom >= DW_OP_reg0 && loc[0].atom <= DW_OP_reg31)
			r = loc[0].atom - DW_OP_reg0;
		else if (loc[0].atom == DW_OP_regx)
			r = (unsigned)loc[0].number;
		else
			continue;
		if (r != regno)
			continue;
		if (!dwarf_attr(&child, DW_AT_call_value, &attr) && !dwarf_attr(&child, DW_AT_GNU_call_site_value, &attr))
			return false;
		return dwarf_getlocation(&attr, ops, n) == 0 && *n > 0;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

int dw_loc_entry_value(const struct dw_loc_expr *e, const struct dw_loc_env *env, const Dwarf_Op *ops, size_t n,
		       uint64_t *val)
{
	struct dw_loc_env cenv;
	struct dw_loc_expr ve = {0}, ce = {0};
	struct dw_loc_result r;
	struct caller c = {.e = e, .env = env};
	const char *why;
	Dwarf_Op *vops;
	size_t nv;
	Dwarf_Die cs;
	unsigned regno;
	uintptr_t off;
	struct dw_module *cm;
	const void *sites;
	const struct caller_frame *cf;

	if (!e->call_sites || !e->cfa || !e->dwarf || n != 1 || !env->mem || !env->reg)
		return -1;
	if (ops[0].atom >= DW_OP_reg0 && ops[0].atom <= DW_OP_reg31)
		regno = ops[0].atom - DW_OP_reg0;
	else if (ops[0].atom == DW_OP_regx || ops[0].atom == DW_OP_regval_type || ops[0].atom == DW_OP_GNU_regval_type)
		regno = (unsigned)ops[0].number;
	else
		return -1;
	/* The CFA and the return address, from the record. */
	ce = *e->cfa;
	if (dw_loc_eval(&ce, env, &r, &why) != 0 || r.npieces != 1 || r.pieces[0].kind != DW_LOC_MEM)
		return -1;
	c.cfa = r.pieces[0].addr;
	if (env->mem(env->arg, c.cfa - RA_SLOT, &c.ra, 8) != 0)
		return -1;
	/* The caller may be in another module (a call through the PLT). */
	cm = module_at((struct dw_session *)e->call_sites, c.ra);
	if (!cm || !(sites = dw_module_call_sites(cm)))
		return -1;
	off = (uintptr_t)u64_map_get(sites, c.ra - cm->dwarf_bias);
	if (!off || !dwarf_offdie(cm->dwarf, off, &cs) || !call_value_of(&cs, regno, &vops, &nv))
		return -1;
	/* The value expression in the caller's frame: its frame base and
	 * CFA from its DWARF and CFI; no entry values of its own. */
	cf = caller_frame_at(cm, &cs, c.ra - cm->dwarf_bias);
	ve.frame_base = cf->frame_base;
	ve.cfa = cf->cfa;
	ve.ops = vops;
	ve.nops = nv;
	ve.pc = c.ra;
	ve.bias = cm->dwarf_bias;
	ve.dwarf = cm->dwarf;
	cenv = (struct dw_loc_env){&c, caller_reg, caller_mem, NULL};
	if (dw_loc_eval(&ve, &cenv, &r, &why) != 0 || r.npieces != 1 || r.pieces[0].size_bits)
		return -1;
	switch (r.pieces[0].kind) {
	case DW_LOC_MEM: /* the value is the address computed */
		*val = r.pieces[0].addr;
		return 0;
	case DW_LOC_VALUE:
		*val = r.pieces[0].value;
		return 0;
	case DW_LOC_REG:
		return caller_reg(&c, r.pieces[0].regno, val);
	default:
		return -1;
	}
}
