/* Shared by dw_loc_plan.c and dw_scope.c; not part of dwarf/'s interface. */
#ifndef DWTRACE_DW_LOC_INTERNAL_H
#define DWTRACE_DW_LOC_INTERNAL_H

#include "dw_internal.h"
#include "dw_loc.h"

/* What planning variables at one pc of one concrete function needs: the
 * frame base and CFA there (session-owned, NULL when unknown) and whether
 * pc is the function's entry (entry values are registers there). */
struct dw_plan_ctx {
	struct dw_module *m;
	uint64_t pc;
	bool at_entry;
	const struct dw_loc_expr *frame_base, *cfa;
};

/* Fills c for pc (a load address) in the concrete subprogram DIE
 * subprogram of m (NULL: no frame base). */
void dw_plan_ctx_init(struct dw_plan_ctx *c, struct dw_module *m, Dwarf_Die *subprogram, uint64_t pc);

/* dw_loc_plan with a prepared context. */
void dw_plan_die(const struct dw_plan_ctx *c, Dwarf_Die *die, uint32_t size, struct fetch_plan *out);

/* The CFA at pc (a load address of m) as an expression (session-owned),
 * NULL when no CFI covers pc. */
const struct dw_loc_expr *dw_loc_cfa_at(struct dw_module *m, uint64_t pc);
/* The subprogram's DW_AT_frame_base at pc, with cfa attached; NULL when
 * it has none there. */
const struct dw_loc_expr *dw_loc_frame_base_at(struct dw_module *m, Dwarf_Die *subprogram, uint64_t pc,
					       const struct dw_loc_expr *cfa);

/* dw_entry_value.c: the CFI's rules for the caller's general registers at
 * pc (session-owned), NULL when no CFI covers pc. */
const struct dw_caller_regs *dw_caller_regs_at(struct dw_module *m, uint64_t pc);

#endif
