/* Functions of languages other than C and C++ (Go, Rust, ...), and any
 * whose DW_AT_calling_convention is not DW_CC_normal: their parameters are
 * read from DWARF locations, not by the SysV classification, at the entry
 * when the locations say where they are there, else after the prologue as
 * gdb does (symtab.c: skip_prologue_sal).  Go's results are formal
 * parameters with DW_AT_variable_parameter (cmd/link/internal/ld/dwarf.go):
 * they are set aside as the function's results. */
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "dw_internal.h"
#include "xalloc.h"

/* C and C++ (and unknown: what C tools write) follow the SysV ABI. */
static bool lang_is_c(int lang)
{
	switch (lang) {
	case 0:
	case DW_LANG_C89:
	case DW_LANG_C:
	case DW_LANG_C99:
	case DW_LANG_C11:
	case 0x2c: /* DW_LANG_C17 (DWARF 6 registry; elfutils 0.188 lacks it) */
	case DW_LANG_C_plus_plus:
	case DW_LANG_C_plus_plus_03:
	case DW_LANG_C_plus_plus_11:
	case DW_LANG_C_plus_plus_14:
	case 0x2a: /* DW_LANG_C_plus_plus_17 */
	case 0x2b: /* DW_LANG_C_plus_plus_20 */
	case DW_LANG_ObjC:
	case DW_LANG_ObjC_plus_plus:
	case DW_LANG_Mips_Assembler:
		return true;
	default:
		return false;
	}
}

/* Go: parameters with DW_AT_variable_parameter are the results ("~r0", or
 * their names).  One result is the return type; several a struct of them
 * in order, laid out at their natural alignment (what the exit reads by
 * Go's register ABI fills it member by member). */
static void split_go_results(struct dw_module *m, struct dw_function *f)
{
	size_t n = 0, cap = 0, off = 0;
	struct dw_type *st;

	for (size_t i = 0; i < f->nparams; i++) {
		Dwarf_Die d;
		Dwarf_Attribute attr;
		bool var = false;

		if (f->params[i].die && dwarf_offdie(m->dwarf, f->params[i].die, &d) &&
		    dwarf_attr(&d, DW_AT_variable_parameter, &attr))
			dwarf_formflag(&attr, &var);
		if (var) {
			xgrow(&f->results, &cap, f->nresults + 1, sizeof(*f->results));
			f->results[f->nresults++] = f->params[i];
		} else {
			f->params[n++] = f->params[i];
		}
	}
	f->nparams = n;
	if (f->nresults == 1) {
		f->ret = f->results[0].type;
		return;
	}
	if (f->nresults < 2)
		return;
	st = dw_type_new(&m->session->pool, DW_KIND_STRUCT);
	st->members = xcalloc(f->nresults, sizeof(*st->members));
	st->nmembers = f->nresults;
	for (size_t i = 0; i < f->nresults; i++) {
		size_t size = dw_type_size(f->results[i].type), align = size >= 8 ? 8 : size ? size : 1;
		/* Go's alignment is the size up to 8 for its scalars; larger
		 * values (strings, slices, structs of words) align to 8. */
		while (align & (align - 1))
			align &= align - 1;
		off = (off + align - 1) / align * align;
		st->members[i] = (struct dw_member){.name = f->results[i].name, .type = f->results[i].type, .offset = off};
		off += size;
	}
	st->size = (off + 7) / 8 * 8;
	f->ret = st;
}

/* Whether the location of parameter DIE p says where it is at pc (a DWARF
 * address).  A single location expression (not a list) that uses memory
 * is taken as valid only after the prologue: compilers describe a -O0
 * parameter by its stack slot for the whole function, although it is
 * stored there by the prologue (why gdb skips it). */
static bool covers(Dwarf_Die *p, Dwarf_Addr pc, bool at_entry)
{
	Dwarf_Attribute attr;
	Dwarf_Op *ops;
	size_t nops;

	if (!dwarf_attr(p, DW_AT_location, &attr))
		return true; /* no location anywhere: unavailable at every pc */
	if (dwarf_whatform(&attr) == DW_FORM_exprloc || dwarf_whatform(&attr) == DW_FORM_block1 ||
	    dwarf_whatform(&attr) == DW_FORM_block) {
		if (dwarf_getlocation(&attr, &ops, &nops) != 0)
			return false;
		if (!at_entry || !nops)
			return true;
		for (size_t i = 0; i < nops; i++) {
			uint8_t op = ops[i].atom;
			if (!((op >= DW_OP_reg0 && op <= DW_OP_reg31) || op == DW_OP_regx || op == DW_OP_piece ||
			      op == DW_OP_bit_piece))
				return false;
		}
		return true;
	}
	return dwarf_getlocation_addr(&attr, pc, &ops, &nops, 1) == 1 && nops > 0;
}

static bool all_covered(struct dw_module *m, const struct dw_function *f, Dwarf_Addr pc, bool at_entry)
{
	for (size_t i = 0; i < f->nparams; i++) {
		Dwarf_Die d;
		if (f->params[i].die && dwarf_offdie(m->dwarf, f->params[i].die, &d) && !covers(&d, pc, at_entry))
			return false;
	}
	return true;
}

Dwarf_Addr dw_prologue_end(Dwarf_Die *cu, Dwarf_Addr entry, Dwarf_Addr end)
{
	Dwarf_Lines *lines;
	size_t n;
	Dwarf_Addr best = 0, stmt = 0;

	if (dwarf_getsrclines(cu, &lines, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		Dwarf_Line *l = dwarf_onesrcline(lines, i);
		Dwarf_Addr a;
		bool flag;

		if (!l || dwarf_lineaddr(l, &a) != 0 || a <= entry || a >= end)
			continue;
		if (dwarf_lineprologueend(l, &flag) == 0 && flag && (!best || a < best))
			best = a;
		if (dwarf_linebeginstatement(l, &flag) == 0 && flag && (!stmt || a < stmt))
			stmt = a;
	}
	return best ? best : stmt;
}

/* At pc (a load address), the CFA is which register plus what: *reg -1
 * when the CFI does not say so (an expression, no CFI).  DWARF 5 section
 * 6.4.2.2; libdw gives DW_CFA_def_cfa reg, off as DW_OP_bregx. */
static void cfa_rule(struct dw_module *m, uint64_t pc, int *reg, int64_t *off)
{
	Dwarf_CFI *cfis[2];
	Dwarf_Addr biases[2];

	*reg = -1;
	*off = 0;
	cfis[0] = dwfl_module_eh_cfi(m->mod, &biases[0]);
	cfis[1] = dwfl_module_dwarf_cfi(m->mod, &biases[1]); /* Go writes .debug_frame only */
	for (int k = 0; k < 2 && *reg < 0; k++) {
		Dwarf_Frame *frame = NULL;
		Dwarf_Op *ops = NULL;
		size_t nops = 0;

		if (!cfis[k] || dwarf_cfi_addrframe(cfis[k], pc - biases[k], &frame) != 0)
			continue;
		if (dwarf_frame_cfa(frame, &ops, &nops) == 0 && nops == 1) {
			if (ops[0].atom == DW_OP_bregx && ops[0].number < 32) {
				*reg = (int)ops[0].number;
				*off = (int64_t)ops[0].number2;
			} else if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
				*reg = ops[0].atom - DW_OP_breg0;
				*off = (int64_t)ops[0].number;
			}
		}
		free(frame);
	}
}

void dw_lang_signature(struct dw_module *m, struct dw_function *f, Dwarf_Die *concrete, Dwarf_Die *cu,
		       Dwarf_Addr bias)
{
	Dwarf_Attribute attr;
	Dwarf_Word cc = DW_CC_normal;
	Dwarf_Addr entry = f->addr - bias, end = entry, pc;

	if (f->language == DW_LANG_Go)
		split_go_results(m, f);
	if (dwarf_attr_integrate(concrete, DW_AT_calling_convention, &attr))
		dwarf_formudata(&attr, &cc);
	f->params_pc = f->addr;
	f->params_cfa_reg = -1;
	if (lang_is_c(f->language) && cc == DW_CC_normal)
		return;
	f->params_from_locations = true;
	for (size_t i = 0; i < f->nranges; i++)
		if (f->ranges[i].start <= f->addr && f->addr < f->ranges[i].end)
			end = f->ranges[i].end - bias;
	if (all_covered(m, f, entry, true))
		return;
	pc = dw_prologue_end(cu, entry, end);
	if (!pc)
		return; /* no line table: the entry, where what is not covered is unavailable */
	f->params_pc = pc + bias;
	cfa_rule(m, f->params_pc, &f->params_cfa_reg, &f->params_cfa_off);
}

/* Whether a variable's location is one expression (not a list) based on
 * the frame (DW_OP_fbreg, DW_OP_bregN): -O0's stack slots, valid only once
 * the prologue has set the frame up and stored the value. */
static bool frame_slot(Dwarf_Die *d)
{
	Dwarf_Attribute attr;
	Dwarf_Op *ops;
	size_t nops;

	if (!dwarf_attr(d, DW_AT_location, &attr) || dwarf_whatform(&attr) == DW_FORM_sec_offset ||
	    dwarf_whatform(&attr) == DW_FORM_loclistx || dwarf_getlocation(&attr, &ops, &nops) != 0)
		return false;
	for (size_t i = 0; i < nops; i++)
		if (ops[i].atom == DW_OP_fbreg || (ops[i].atom >= DW_OP_breg0 && ops[i].atom <= DW_OP_breg31) ||
		    ops[i].atom == DW_OP_bregx)
			return true;
	return false;
}

/* frame_slot for any parameter or variable of scope die, nested blocks
 * included (not nested functions or inlined copies: their own frames). */
static bool any_frame_slot(Dwarf_Die *die)
{
	Dwarf_Die child;

	if (dwarf_child(die, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);
		if ((tag == DW_TAG_formal_parameter || tag == DW_TAG_variable) && frame_slot(&child))
			return true;
		if (tag == DW_TAG_lexical_block && any_frame_slot(&child))
			return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

Dwarf_Addr dw_line_skip_prologue(Dwarf_Die *cu, Dwarf_Die *scope, Dwarf_Addr addr)
{
	Dwarf_Addr low, base, start, end;
	ptrdiff_t off = 0;
	Dwarf_Addr pe;

	if (dwarf_tag(scope) != DW_TAG_subprogram || dwarf_lowpc(scope, &low) != 0 || low != addr ||
	    !any_frame_slot(scope))
		return addr;
	while ((off = dwarf_ranges(scope, off, &base, &start, &end)) > 0)
		if (start <= addr && addr < end)
			break;
	if (off <= 0)
		return addr;
	pe = dw_prologue_end(cu, addr, end);
	return pe ? pe : addr;
}
