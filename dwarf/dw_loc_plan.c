/* From DWARF locations to fetch plans (dw_loc.h: dw_loc_plan,
 * dw_function_plan_params_at): where a variable is at a pc, as pieces a
 * capture program copies and decode reads.
 *
 * Addresses: a pc is a load address; DIE addresses and location list
 * bounds are pc - the module's DWARF bias (libdwfl's dwfl_module_getdwarf);
 * CFI is looked up at pc - its own bias (dwfl_module_dwarf_cfi, else
 * dwfl_module_eh_cfi). */
#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dw_internal.h"
#include "dw_loc.h"
#include "dw_loc_internal.h"
#include "xalloc.h"

/* DWARF register numbers a hit captures (System V x86-64 psABI, figure
 * 3.36; src/agent/agent_abi.h): the general registers and rip, xmm0-7,
 * st0-1.  The evaluator reads any register through its env; the plans
 * made here check only what the record can hold. */
#define DW_REG_GPR_END 17
#define DW_REG_XMM0 17
#define DW_REG_XMM_CAPTURED 8
#define DW_REG_XMM_END 33
#define DW_REG_ST0 33
#define DW_REG_ST_CAPTURED 2

void *dw_loc_keep(struct dw_session *s, size_t size)
{
	void *p = xcalloc(1, size ? size : 1);

	xgrow(&s->loc_keep, &s->loc_keep_cap, s->nloc_keep + 1, sizeof(*s->loc_keep));
	s->loc_keep[s->nloc_keep++] = p;
	return p;
}

void dw_loc_forget(struct dw_session *s)
{
	for (size_t i = 0; i < s->nloc_keep; i++)
		free(s->loc_keep[i]);
	free(s->loc_keep);
	s->loc_keep = NULL;
	s->nloc_keep = s->loc_keep_cap = 0;
	for (size_t i = 0; i < s->nmodules; i++) {
		u64_map_free(&s->modules[i]->scopes);
		u64_map_free(&s->modules[i]->call_sites);
		u64_map_free(&s->modules[i]->call_frames);
	}
}

/* A session-owned expression over a copy of ops. */
static struct dw_loc_expr *keep_expr(struct dw_module *m, const Dwarf_Op *ops, size_t n, uint64_t pc)
{
	struct dw_loc_expr *e = dw_loc_keep(m->session, sizeof(*e));
	Dwarf_Op *copy = dw_loc_keep(m->session, n * sizeof(*copy));

	memcpy(copy, ops, n * sizeof(*copy));
	e->ops = copy;
	e->nops = n;
	e->pc = pc;
	e->bias = m->dwarf_bias;
	e->dwarf = m->dwarf;
	return e;
}

/* The CFA at pc (DWARF 5 section 6.4) as an expression: libdw's
 * dwarf_frame_cfa gives DW_OP_bregx reg off for a register+offset rule
 * (its op lives in the frame, hence the copy); NULL when no CFI covers pc. */
const struct dw_loc_expr *dw_loc_cfa_at(struct dw_module *m, uint64_t pc)
{
	Dwarf_Addr bias = 0;
	Dwarf_CFI *cfi = dwfl_module_dwarf_cfi(m->mod, &bias);
	Dwarf_Frame *frame = NULL;
	const struct dw_loc_expr *e = NULL;
	Dwarf_Op *ops = NULL;
	size_t n = 0;

	if (!cfi || dwarf_cfi_addrframe(cfi, pc - bias, &frame) != 0) {
		frame = NULL;
		cfi = dwfl_module_eh_cfi(m->mod, &bias);
		if (!cfi || dwarf_cfi_addrframe(cfi, pc - bias, &frame) != 0)
			return NULL;
	}
	if (dwarf_frame_cfa(frame, &ops, &n) == 0 && n)
		e = keep_expr(m, ops, n, pc);
	free(frame);
	return e;
}

/* The subprogram's DW_AT_frame_base at pc (DWARF 5 section 3.3.5), NULL
 * when it has none there. */
const struct dw_loc_expr *dw_loc_frame_base_at(struct dw_module *m, Dwarf_Die *subprogram, uint64_t pc,
					       const struct dw_loc_expr *cfa)
{
	Dwarf_Attribute attr;
	Dwarf_Op *ops;
	size_t n;
	struct dw_loc_expr *e;

	if (!subprogram || !dw_attr_location(subprogram, DW_AT_frame_base, &attr) ||
	    dwarf_getlocation_addr(&attr, pc - m->dwarf_bias, &ops, &n, 1) != 1)
		return NULL;
	e = keep_expr(m, ops, n, pc);
	e->cfa = cfa;
	return e;
}

void dw_plan_ctx_init(struct dw_plan_ctx *c, struct dw_module *m, Dwarf_Die *subprogram, uint64_t pc)
{
	Dwarf_Addr entry;

	c->m = m;
	c->pc = pc;
	c->at_entry = subprogram && (dwarf_entrypc(subprogram, &entry) == 0 || dwarf_lowpc(subprogram, &entry) == 0) &&
		      entry + m->dwarf_bias == pc;
	c->cfa = dw_loc_cfa_at(m, pc);
	c->frame_base = dw_loc_frame_base_at(m, subprogram, pc, c->cfa);
}

static bool is_const_op(const Dwarf_Op *op, uint64_t *v)
{
	if (op->atom >= DW_OP_lit0 && op->atom <= DW_OP_lit31) {
		*v = op->atom - DW_OP_lit0;
		return true;
	}
	switch (op->atom) {
	case DW_OP_const1u: case DW_OP_const1s: case DW_OP_const2u: case DW_OP_const2s:
	case DW_OP_const4u: case DW_OP_const4s: case DW_OP_const8u: case DW_OP_const8s:
	case DW_OP_constu: case DW_OP_consts:
		*v = op->number;
		return true;
	default:
		return false;
	}
}

/* Why a register piece of size bytes cannot be read from a record, NULL
 * when it can. */
static const char *reg_uncaptured(unsigned regno, uint32_t size)
{
	if (regno < DW_REG_GPR_END)
		return size <= 8 ? NULL : "malformed DWARF location";
	if (regno >= DW_REG_XMM0 && regno < DW_REG_XMM0 + DW_REG_XMM_CAPTURED)
		return size <= 16 ? NULL : "malformed DWARF location";
	if (regno >= DW_REG_XMM0 && regno < DW_REG_XMM_END)
		return "in xmm8-15, not captured";
	if (regno >= DW_REG_ST0 && regno < DW_REG_ST0 + DW_REG_ST_CAPTURED)
		return size <= 10 ? NULL : "in an x87 register, not captured whole";
	return "in a register dwtrace does not capture";
}

/* The base register and offset of the address the frame base stands for
 * (DW_OP_fbreg), when that is a register plus a constant. */
static bool frame_base_reg(const struct dw_plan_ctx *c, unsigned *regno, int64_t *off)
{
	const struct dw_loc_expr *fb = c->frame_base;

	if (!fb || fb->nops != 1)
		return false;
	if (dw_op_breg(&fb->ops[0], regno, off))
		return true;
	if (dw_op_reg(&fb->ops[0], regno)) {
		*off = 0;
		return true;
	}
	return fb->ops[0].atom == DW_OP_call_frame_cfa && c->cfa && c->cfa->nops == 1 &&
	       dw_op_breg(&c->cfa->ops[0], regno, off);
}

/* ops[0..n) as one plain piece of size bytes at dest, when it is one.
 * Returns 1 and *out, 0 when it needs the evaluator, -1 with *why when
 * the piece cannot be read at all. */
static int plain_piece(const struct dw_plan_ctx *c, const Dwarf_Op *ops, size_t n, uint32_t size, uint32_t dest,
		       struct fetch_piece *out, const char **why)
{
	unsigned regno;
	int64_t off;
	uint64_t v = 0;

	memset(out, 0, sizeof(*out));
	out->size = size;
	out->dest = dest;
	if (n == 0) {
		out->kind = FETCH_OPTIMIZED_OUT;
		return 1;
	}
	if (n == 1 && dw_op_reg(&ops[0], &regno)) {
		if ((*why = reg_uncaptured(regno, size)))
			return -1;
		out->kind = FETCH_REG;
		out->regno = (uint16_t)regno;
		return 1;
	}
	if (n == 1 && (dw_op_breg(&ops[0], &regno, &off) ||
		       (ops[0].atom == DW_OP_fbreg && frame_base_reg(c, &regno, &off)))) {
		if (regno >= DW_REG_GPR_END)
			return 0;
		if (ops[0].atom == DW_OP_fbreg)
			off += (int64_t)ops[0].number;
		out->kind = FETCH_MEM;
		out->regno = (uint16_t)regno;
		out->offset = off;
		return 1;
	}
	if (n == 1 && ops[0].atom == DW_OP_addr) {
		out->kind = FETCH_ABS;
		out->offset = (int64_t)(ops[0].number + c->m->dwarf_bias);
		return 1;
	}
	if (n == 1 && ops[0].atom == DW_OP_implicit_value && dw_loc_op_block(&ops[0])) {
		uint8_t *img = dw_loc_keep(c->m->session, size);
		memcpy(img, dw_loc_op_block(&ops[0]), ops[0].number < size ? ops[0].number : size);
		out->kind = FETCH_CONST;
		out->data = img;
		return 1;
	}
	/* A constant, or an address (a pointer to a string literal), as the value. */
	if (n == 2 && ops[1].atom == DW_OP_stack_value && size <= 8 &&
	    (is_const_op(&ops[0], &v) || ops[0].atom == DW_OP_addr)) {
		uint8_t *img = dw_loc_keep(c->m->session, size);
		if (ops[0].atom == DW_OP_addr)
			v = ops[0].number + c->m->dwarf_bias;
		for (uint32_t k = 0; k < size; k++)
			img[k] = (uint8_t)(v >> (8 * k));
		out->kind = FETCH_CONST;
		out->data = img;
		return 1;
	}
	if (n == 2 && ops[1].atom == DW_OP_stack_value && c->at_entry &&
	    (ops[0].atom == DW_OP_entry_value || ops[0].atom == DW_OP_GNU_entry_value)) {
		Dwarf_Op sub[2];
		/* At the entry a register's entry value is the register. */
		if (dw_loc_op_block(&ops[0]) && dw_loc_parse_block(dw_loc_op_block(&ops[0]), ops[0].number, sub, 2) == 1 &&
		    dw_op_reg(&sub[0], &regno) && !reg_uncaptured(regno, size)) {
			out->kind = FETCH_REG;
			out->regno = (uint16_t)regno;
			return 1;
		}
	}
	return 0;
}

/* ops as plain pieces into plan: 1, 0 when the evaluator is needed, -1
 * (plan unavailable, why set). */
static int plain_plan(const struct dw_plan_ctx *c, const Dwarf_Op *ops, size_t n, struct fetch_plan *plan)
{
	size_t start = 0;
	uint32_t dest = 0;
	bool composite = false;

	for (size_t i = 0; i < n; i++)
		if (ops[i].atom == DW_OP_piece)
			composite = true;
		else if (ops[i].atom == DW_OP_bit_piece)
			return 0;
	if (!composite) {
		const char *why = NULL;
		int rc = plain_piece(c, ops, n, plan->size, 0, &plan->pieces[0], &why);
		if (rc == 1)
			plan->npieces = 1;
		if (rc < 0)
			plan->why = why;
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t size;
		const char *why = NULL;
		int rc;

		if (ops[i].atom != DW_OP_piece)
			continue;
		if (dest >= plan->size || plan->npieces == FETCH_MAX_PIECES)
			return 0;
		size = ops[i].number > plan->size - dest ? plan->size - dest : (uint32_t)ops[i].number;
		rc = plain_piece(c, ops + start, i - start, size, dest, &plan->pieces[plan->npieces], &why);
		if (rc <= 0) {
			plan->why = why;
			return rc;
		}
		plan->npieces++;
		dest += size;
		start = i + 1;
	}
	if (start != n)
		return 0; /* ops after the last piece: let the evaluator judge */
	if (dest < plan->size) {
		/* What no piece describes is optimized out. */
		if (plan->npieces == FETCH_MAX_PIECES)
			return 0;
		plan->pieces[plan->npieces++] = (struct fetch_piece){.kind = FETCH_OPTIMIZED_OUT,
								      .size = plan->size - dest, .dest = dest};
	}
	return 1;
}

/* DW_AT_const_value (DWARF 5 section 4.1, item 10) as the image of a value
 * of size bytes: a block's bytes, or the constant in the target's (little)
 * byte order, sign-extended for DW_FORM_sdata. */
static bool const_image(struct dw_module *m, Dwarf_Attribute *attr, uint32_t size, struct fetch_plan *out)
{
	uint8_t *img = dw_loc_keep(m->session, size);
	Dwarf_Block block;
	Dwarf_Word u;
	Dwarf_Sword sv;

	switch (dwarf_whatform(attr)) {
	case DW_FORM_block1: case DW_FORM_block2: case DW_FORM_block4: case DW_FORM_block:
	case DW_FORM_data16: case DW_FORM_exprloc:
		if (dwarf_formblock(attr, &block) != 0)
			return false;
		memcpy(img, block.data, block.length < size ? block.length : size);
		break;
	case DW_FORM_string: case DW_FORM_strp: case DW_FORM_line_strp: case DW_FORM_strx:
	case DW_FORM_strx1: case DW_FORM_strx2: case DW_FORM_strx3: case DW_FORM_strx4: {
		const char *str = dwarf_formstring(attr);
		if (!str)
			return false;
		memcpy(img, str, strlen(str) + 1 < size ? strlen(str) + 1 : size);
		break;
	}
	case DW_FORM_sdata: case DW_FORM_implicit_const:
		if (dwarf_formsdata(attr, &sv) != 0)
			return false;
		for (uint32_t k = 0; k < size; k++)
			img[k] = (uint8_t)(k < 8 ? (uint64_t)sv >> (8 * k) : (sv < 0 ? 0xff : 0));
		break;
	default:
		if (dwarf_formudata(attr, &u) != 0)
			return false;
		for (uint32_t k = 0; k < size && k < 8; k++)
			img[k] = (uint8_t)(u >> (8 * k));
		break;
	}
	out->available = true;
	out->npieces = 1;
	out->pieces[0] = (struct fetch_piece){.kind = FETCH_CONST, .size = size, .data = img};
	return true;
}

/* DW_OP_addrx/constx (DWARF 5 section 2.5.1.1) read through .debug_addr:
 * ops with those replaced by DW_OP_addr/constu, in *copy (session-owned)
 * when there were any.  False when one cannot be read.  Block operands
 * (DW_OP_implicit_value, DW_OP_entry_value) stay as libdw leaves them,
 * number2 at the block's ULEB128 length: dw_loc_op_block reads them, in
 * plans and in the evaluator alike (call values come straight from libdw). */
static bool resolve_indexed(struct dw_module *m, Dwarf_Attribute *attr, Dwarf_Op **ops, size_t n)
{
	Dwarf_Op *copy = NULL;

	for (size_t i = 0; i < n; i++) {
		unsigned atom = (*ops)[i].atom;
		Dwarf_Attribute res;
		Dwarf_Addr a;

		if (atom != DW_OP_addrx && atom != DW_OP_constx && atom != DW_OP_GNU_addr_index &&
		    atom != DW_OP_GNU_const_index)
			continue;
		if (dwarf_getlocation_attr(attr, &(*ops)[i], &res) != 0 || dwarf_formaddr(&res, &a) != 0)
			return false;
		if (!copy) {
			copy = dw_loc_keep(m->session, n * sizeof(*copy));
			memcpy(copy, *ops, n * sizeof(*copy));
		}
		copy[i].atom = (atom == DW_OP_addrx || atom == DW_OP_GNU_addr_index) ? DW_OP_addr : DW_OP_constu;
		copy[i].number = a;
	}
	if (copy)
		*ops = copy;
	return true;
}

void dw_plan_die(const struct dw_plan_ctx *c, Dwarf_Die *die, uint32_t size, struct fetch_plan *out)
{
	struct dw_module *m = c->m;
	Dwarf_Attribute attr;
	Dwarf_Op *ops;
	size_t n;
	int rc;
	struct dw_loc_expr *e;

	memset(out, 0, sizeof(*out));
	out->size = size;
	out->why = "optimized out";
	if (!size) {
		out->why = "of unknown size";
		return;
	}
	if (!dw_attr_location(die, DW_AT_location, &attr)) {
		if (dwarf_attr_integrate(die, DW_AT_const_value, &attr) && const_image(m, &attr, size, out))
			out->why = NULL;
		return;
	}
	rc = dwarf_getlocation_addr(&attr, c->pc - m->dwarf_bias, &ops, &n, 1);
	if (rc != 1)
		return; /* no location list entry covers pc */
	if (!resolve_indexed(m, &attr, &ops, n)) {
		out->why = "unreadable DWARF location";
		return;
	}
	rc = plain_plan(c, ops, n, out);
	if (rc > 0) {
		out->available = true;
		out->why = NULL;
		/* Nothing but empty pieces: say so rather than show nothing. */
		for (unsigned i = 0; i < out->npieces; i++)
			if (out->pieces[i].kind != FETCH_OPTIMIZED_OUT)
				return;
		out->available = false;
		out->npieces = 0;
		out->why = "optimized out";
		return;
	}
	if (rc < 0) {
		out->npieces = 0;
		return;
	}
	/* The evaluator runs it at each hit. */
	e = keep_expr(m, ops, n, c->pc);
	e->frame_base = c->frame_base;
	e->cfa = c->cfa;
	e->at_entry = c->at_entry;
	if (!c->at_entry)
		for (size_t i = 0; i < n; i++)
			if (ops[i].atom == DW_OP_entry_value || ops[i].atom == DW_OP_GNU_entry_value) {
				/* Through the caller's call site at the hit. */
				dw_module_call_sites(m);
				e->call_sites = m->session;
				e->caller_regs = dw_caller_regs_at(m, c->pc);
				break;
			}
	memset(out->pieces, 0, sizeof(out->pieces));
	out->npieces = 1;
	out->pieces[0] = (struct fetch_piece){.kind = FETCH_EXPR, .size = size, .data = e};
	out->available = true;
	out->why = NULL;
}

void dw_loc_plan(struct dw_module *m, Dwarf_Die *die, Dwarf_Die *subprogram, uint64_t pc, uint32_t size,
		 struct fetch_plan *out)
{
	struct dw_plan_ctx c;

	dw_plan_ctx_init(&c, m, subprogram, pc);
	dw_plan_die(&c, die, size, out);
}

int dw_function_plan_params_at(const struct dw_function *f, uint64_t pc, struct fetch_plan *plans)
{
	struct dw_plan_ctx c;
	Dwarf_Die sub;

	if (!dw_function_die(f, &sub))
		return -ENOENT;
	dw_plan_ctx_init(&c, f->module, &sub, pc);
	for (size_t i = 0; i < f->nparams; i++) {
		Dwarf_Die die;
		uint32_t size = (uint32_t)dw_type_size(f->params[i].type);

		if (!f->params[i].die || !dwarf_offdie(f->module->dwarf, f->params[i].die, &die)) {
			memset(&plans[i], 0, sizeof(plans[i]));
			plans[i].size = size;
			plans[i].why = "optimized out";
			continue;
		}
		dw_plan_die(&c, &die, size, &plans[i]);
	}
	return 0;
}
