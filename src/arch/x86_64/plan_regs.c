/* Which registers a fetch plan reads (arch.h: arch_plan_reads_vregs). */
#include <dwarf.h>

#include "arch.h"
#include "dw_loc.h"

/* DWARF numbers of the registers beyond the general ones (System V x86-64
 * psABI, figure 3.36): 17-32 xmm0-15, 33-40 st0-7, 41+ mm0-7 and others. */
static bool vreg(unsigned regno)
{
	return regno >= X86_DW_XMM0;
}

static bool expr_reads_vregs(const struct dw_loc_expr *e, int depth)
{
	if (!e || depth > 3)
		return false;
	for (size_t i = 0; i < e->nops; i++) {
		const Dwarf_Op *op = &e->ops[i];
		unsigned atom = op->atom;

		if ((atom >= DW_OP_reg0 && atom <= DW_OP_reg31 && vreg(atom - DW_OP_reg0)) ||
		    (atom >= DW_OP_breg0 && atom <= DW_OP_breg31 && vreg(atom - DW_OP_breg0)) ||
		    ((atom == DW_OP_regx || atom == DW_OP_bregx || atom == DW_OP_regval_type ||
		      atom == DW_OP_GNU_regval_type) &&
		     vreg((unsigned)op->number)))
			return true;
		/* At the entry an entry value reads its register now. */
		if (e->at_entry && (atom == DW_OP_entry_value || atom == DW_OP_GNU_entry_value) && dw_loc_op_block(op)) {
			Dwarf_Op sub[4];
			struct dw_loc_expr se = {.ops = sub, .at_entry = false};
			se.nops = dw_loc_parse_block(dw_loc_op_block(op), op->number, sub, 4);
			if (expr_reads_vregs(&se, depth + 1))
				return true;
		}
	}
	return expr_reads_vregs(e->frame_base, depth + 1);
}

bool arch_plan_reads_vregs(const struct fetch_plan *p)
{
	if (!p->available)
		return false;
	for (unsigned i = 0; i < p->npieces; i++) {
		const struct fetch_piece *pc = &p->pieces[i];
		if (pc->kind == FETCH_REG && vreg(pc->regno))
			return true;
		if (pc->kind == FETCH_EXPR && expr_reads_vregs(pc->data, 0))
			return true;
	}
	return false;
}
