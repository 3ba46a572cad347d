/* Go's register-based calling convention on x86-64 (ABIInternal, Go 1.17
 * and later; cmd/compile/abi-internal.md, "Function call argument and
 * result passing" and "amd64 architecture"): integer arguments and
 * results in RAX, RBX, RCX, RDI, RSI, R8, R9, R10, R11, floating-point
 * ones in X0-X14, each value split into its scalar parts.  Pure: no
 * ptrace, testable on types alone. */
#include <string.h>

#include "arch.h"

static const unsigned go_int_regs[9] = {X86_DW_RAX, X86_DW_RBX, X86_DW_RCX, X86_DW_RDI, X86_DW_RSI,
					X86_DW_R8,  X86_DW_R9,  X86_DW_R10, X86_DW_R11};
#define GO_NFLOAT 15

struct go_assign {
	unsigned ni, nf;             /* registers taken so far */
	struct fetch_plan *p;
};

static bool add(struct go_assign *a, unsigned regno, uint32_t size, size_t dest)
{
	struct fetch_piece *pc;

	if (a->p->npieces >= FETCH_MAX_PIECES)
		return false;
	pc = &a->p->pieces[a->p->npieces++];
	memset(pc, 0, sizeof(*pc));
	pc->kind = FETCH_REG;
	pc->regno = (uint16_t)regno;
	pc->size = size;
	pc->dest = (uint32_t)dest;
	return true;
}

/* abi-internal.md's "register assignment" of a value of type t at byte
 * off of the image: false when it fails (the value then lives on the
 * stack). */
static bool assign(struct go_assign *a, const struct dw_type *t, size_t off)
{
	t = dw_type_strip(t);
	if (!t)
		return true;
	if (dw_kind_is_integer(t->kind)) {
		if (!t->size || t->size > 8 || a->ni >= 9)
			return false;
		return add(a, go_int_regs[a->ni++], (uint32_t)t->size, off);
	}
	switch (t->kind) {
	case DW_KIND_FLOAT:
		if ((t->size != 4 && t->size != 8) || a->nf >= GO_NFLOAT)
			return false;
		return add(a, X86_DW_XMM0 + a->nf++, (uint32_t)t->size, off);
	case DW_KIND_COMPLEX: {
		size_t part = dw_type_size(t->target);
		if ((part != 4 && part != 8) || a->nf + 2 > GO_NFLOAT)
			return false;
		return add(a, X86_DW_XMM0 + a->nf++, (uint32_t)part, off) &&
		       add(a, X86_DW_XMM0 + a->nf++, (uint32_t)part, off + part);
	}
	case DW_KIND_STRUCT:
		for (size_t i = 0; i < t->nmembers; i++)
			if (t->members[i].bit_size || !assign(a, t->members[i].type, off + t->members[i].offset))
				return false;
		return true;
	case DW_KIND_ARRAY:
		/* Length 0: nothing; length 1: its element; longer: the stack. */
		if (t->count == 0 && t->size == 0)
			return true;
		return t->count == 1 && assign(a, t->target, off);
	default:
		return false;
	}
}

/* One value: its pieces, or !available with the counters as before it
 * (a value register assignment fails for goes on the stack, and the next
 * ones still take registers). */
static void plan_value(struct go_assign *a, const struct dw_type *t, struct fetch_plan *p)
{
	unsigned ni = a->ni, nf = a->nf;

	memset(p, 0, sizeof(*p));
	p->size = (uint32_t)dw_type_size(t);
	a->p = p;
	p->available = p->size && assign(a, t, 0);
	if (!p->available) {
		a->ni = ni;
		a->nf = nf;
		p->npieces = 0;
		p->why = "on the stack (Go's stack-assigned values are not read)";
	}
}

void arch_plan_go_call(const struct dw_function *f, struct fetch_plan *params, struct fetch_plan *ret,
		       bool *entry_vregs, bool *exit_vregs)
{
	struct go_assign a = {0};

	*entry_vregs = *exit_vregs = false;
	for (size_t i = 0; i < f->nparams; i++) {
		plan_value(&a, f->params[i].type, &params[i]);
		*entry_vregs |= arch_plan_reads_vregs(&params[i]);
	}
	/* Results start again from the first registers. */
	memset(&a, 0, sizeof(a));
	memset(ret, 0, sizeof(*ret));
	if (f->ret && dw_type_size(f->ret)) {
		plan_value(&a, f->ret, ret);
		*exit_vregs = arch_plan_reads_vregs(ret);
	}
}
