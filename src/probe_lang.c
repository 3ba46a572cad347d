/* Probe sites of functions whose parameters come from DWARF locations:
 * other languages and calling conventions (issue 13). */
#include "probe_lang.h"

#include <dwarf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agent_abi.h"
#include "arch.h"
#include "dw_loc.h"
#include "log.h"
#include "xalloc.h"

/* A return value the SysV plan reads right for a function that does not
 * follow SysV: one scalar in rax or xmm0, which is what LLVM (rustc) and
 * other compilers return a lone integer, pointer or float in on x86-64.
 * Anything larger is returned in ways the language does not fix. */
static bool scalar_return(const struct dw_type *t)
{
	t = dw_type_strip(t);
	if (!t || t->size == 0 || t->size > 8)
		return false;
	return dw_kind_is_integer(t->kind) || t->kind == DW_KIND_FLOAT;
}

void probe_lang_plan(struct probe_site *site)
{
	const struct dw_function *f = site->fn;
	struct event_layout *l = site->layout;
	struct fetch_plan *plans;

	if (!f->params_from_locations || !f->has_dwarf || f->abi_changed)
		return;
	l->from_locations = true;
	plans = xcalloc(f->nparams ? f->nparams : 1, sizeof(*plans));
	if (f->language == DW_LANG_Go) {
		/* At a Go function's entry its ABI is exact, and what its
		 * location lists say there (cmd/compile writes the
		 * registers of ABIInternal for the entry). */
		arch_plan_go_call(f, plans, &l->ret.plan, &l->entry_vregs, &l->exit_vregs);
		for (size_t i = 0; i < f->nparams; i++)
			l->fields[i].plan = plans[i];
		free(plans);
		return;
	}
	if (l->ret.plan.available && !scalar_return(f->ret)) {
		l->ret.plan.available = false;
		l->ret.plan.npieces = 0;
		l->ret.plan.why = "returned where the language's convention puts it, not known";
	}
	/* After the prologue when the locations do not say where the
	 * parameters are at the entry, if the CFI there says where the
	 * return address is (exits are matched with it); else at the entry,
	 * where what no location covers is unavailable. */
	if (f->params_pc != f->addr && f->params_cfa_reg >= 0 && f->params_cfa_reg < DWT_NGPR) {
		site->addr = f->params_pc;
		site->entry_ra_from_reg = true;
		site->entry_ra_reg = (uint16_t)f->params_cfa_reg;
		site->entry_ra_off = f->params_cfa_off - ARCH_RETURN_ADDRESS_SIZE;
	}
	log_debug("dwarf", "%s: parameters from DWARF locations at %s+0x%" PRIx64, f->name, f->name,
		  site->addr - f->addr);
	if (dw_function_plan_params_at(f, site->addr, plans) != 0) {
		for (size_t i = 0; i < f->nparams; i++) {
			memset(&plans[i], 0, sizeof(plans[i]));
			plans[i].size = (uint32_t)dw_type_size(f->params[i].type);
			plans[i].why = "not located";
		}
	}
	if (site->addr != f->params_pc) {
		/* Left at the entry although the locations are right only after
		 * the prologue: a value in memory there (a stack slot the
		 * prologue writes) is not there yet.  Registers may be. */
		for (size_t i = 0; i < f->nparams; i++)
			for (unsigned k = 0; k < plans[i].npieces; k++)
				if (plans[i].pieces[k].kind == FETCH_MEM || plans[i].pieces[k].kind == FETCH_MEM_INDIRECT ||
				    plans[i].pieces[k].kind == FETCH_EXPR) {
					plans[i].available = false;
					plans[i].npieces = 0;
					plans[i].why = "not stored yet at the entry";
					break;
				}
	}
	l->entry_vregs = false;
	for (size_t i = 0; i < f->nparams; i++) {
		l->fields[i].plan = plans[i];
		l->entry_vregs |= arch_plan_reads_vregs(&plans[i]);
	}
	free(plans);
}
