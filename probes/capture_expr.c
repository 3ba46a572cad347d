/* The memory a FETCH_EXPR piece's evaluation reads at decode, worked out
 * when the capture program is compiled (capture_expr.h): the expression
 * is run over symbolic values -- a register plus a constant, the 8 bytes
 * an earlier op copied plus a constant, a constant -- and each DW_OP_deref
 * and each memory location becomes a capture op at that place.  What
 * depends on other values (arithmetic on two registers, branches) is left
 * out: decode then finds no bytes and shows the value unreadable. */
#include "capture_expr.h"

#include <dwarf.h>
#include <string.h>

#define SYM_STACK 16
#define SYM_DEPTH 3
#define RA_SLOT (-8) /* x86-64: the return address is at CFA - 8 */
#define SAVED_MAX 512 /* bytes below the CFA where saved registers are looked for */
#define CALLER_FRAME 512 /* bytes of the caller's frame above the CFA copied for entry values */

enum sym_kind {
	SYM_UNKNOWN,
	SYM_CONST,   /* off */
	SYM_REG,     /* register regno + off */
	SYM_BLOB,    /* the 8 bytes of op `op` + off */
};

struct sym {
	enum sym_kind kind;
	uint16_t regno;
	int op;
	int64_t off;
};

struct sym_run {
	int (*add)(void *arg, struct dwt_cap_op op);
	void *arg;
	struct sym stack[SYM_STACK];
	unsigned sp;
	bool loc;            /* a register, stack value or implicit location ends the piece */
};

static void spush(struct sym_run *r, struct sym s)
{
	if (r->sp < SYM_STACK)
		r->stack[r->sp++] = s;
}

static struct sym spop(struct sym_run *r)
{
	return r->sp ? r->stack[--r->sp] : (struct sym){SYM_UNKNOWN, 0, -1, 0};
}

/* A capture op copying size bytes at address a: its index, or -1. */
static int capture_at(struct sym_run *r, struct sym a, uint32_t size)
{
	struct dwt_cap_op op = {.kind = DWT_CAP_MEM, .size = size, .offset = a.off};

	switch (a.kind) {
	case SYM_CONST:
		op.base = DWT_BASE_ABS;
		break;
	case SYM_REG:
		if (a.regno >= DWT_NGPR)
			return -1;
		op.base = DWT_BASE_REG;
		op.regno = a.regno;
		break;
	case SYM_BLOB:
		op.base = DWT_BASE_PTR;
		op.src_op = (uint16_t)a.op;
		op.offset = a.off;
		break;
	default:
		return -1;
	}
	return size ? r->add(r->arg, op) : -1;
}

static int run(struct sym_run *r, const struct dw_loc_expr *e, uint32_t size, int depth, struct sym *addr_out);

/* The address a frame base or CFA expression stands for (dw_loc.c's
 * eval_address): a register location names the register's value. */
static struct sym address_of(struct sym_run *r, const struct dw_loc_expr *sub, int depth)
{
	struct sym_run inner = {.add = r->add, .arg = r->arg};
	struct sym a = {SYM_UNKNOWN, 0, -1, 0};
	unsigned regno;

	if (!sub || depth >= SYM_DEPTH)
		return a;
	if (sub->nops == 1 && dw_op_reg(&sub->ops[0], &regno))
		return (struct sym){SYM_REG, (uint16_t)regno, -1, 0};
	run(&inner, sub, 0, depth + 1, &a);
	return a;
}

/* Runs e symbolically, adding the ops its derefs need, and for a piece
 * ending in memory (or the whole value) the op copying it.  *addr_out: the
 * address the expression leaves on the stack at its end (when size is 0,
 * nothing is copied there).  Returns the op of the whole value's memory,
 * or -1. */
static int run(struct sym_run *r, const struct dw_loc_expr *e, uint32_t size, int depth, struct sym *addr_out)
{
	bool pieces = false;
	int whole = -1;

	for (size_t i = 0; i < e->nops; i++) {
		const Dwarf_Op *op = &e->ops[i];
		unsigned atom = op->atom, regno;
		int64_t off;
		struct sym a, b;

		if (atom >= DW_OP_lit0 && atom <= DW_OP_lit31) {
			spush(r, (struct sym){SYM_CONST, 0, -1, atom - DW_OP_lit0});
		} else if (dw_op_breg(op, &regno, &off)) {
			spush(r, (struct sym){regno < DWT_NGPR ? SYM_REG : SYM_UNKNOWN, (uint16_t)regno, -1, off});
		} else if (dw_op_reg(op, &regno)) {
			r->loc = true;
		} else {
			switch (atom) {
			case DW_OP_addr:
				spush(r, (struct sym){SYM_CONST, 0, -1, (int64_t)(op->number + e->bias)});
				break;
			case DW_OP_const1u: case DW_OP_const1s: case DW_OP_const2u: case DW_OP_const2s:
			case DW_OP_const4u: case DW_OP_const4s: case DW_OP_const8u: case DW_OP_const8s:
			case DW_OP_constu: case DW_OP_consts:
				spush(r, (struct sym){SYM_CONST, 0, -1, (int64_t)op->number});
				break;
			case DW_OP_fbreg:
				a = address_of(r, e->frame_base, depth);
				a.off += (int64_t)op->number;
				spush(r, a);
				break;
			case DW_OP_call_frame_cfa:
				spush(r, address_of(r, e->cfa, depth));
				break;
			case DW_OP_plus_uconst:
				a = spop(r);
				a.off += (int64_t)op->number;
				spush(r, a);
				break;
			case DW_OP_plus:
			case DW_OP_minus:
				b = spop(r);
				a = spop(r);
				if (b.kind == SYM_CONST && a.kind != SYM_UNKNOWN)
					a.off = atom == DW_OP_plus ? a.off + b.off : a.off - b.off;
				else if (atom == DW_OP_plus && a.kind == SYM_CONST && b.kind != SYM_UNKNOWN)
					b.off += a.off, a = b;
				else
					a.kind = SYM_UNKNOWN;
				spush(r, a);
				break;
			case DW_OP_deref:
			case DW_OP_deref_size: {
				uint32_t n = atom == DW_OP_deref ? 8 : (uint32_t)op->number;
				int k;
				a = spop(r);
				k = n && n <= 8 ? capture_at(r, a, n) : -1;
				spush(r, k >= 0 && n == 8 ? (struct sym){SYM_BLOB, 0, k, 0}
							  : (struct sym){SYM_UNKNOWN, 0, -1, 0});
				break;
			}
			case DW_OP_dup:
				a = spop(r);
				spush(r, a);
				spush(r, a);
				break;
			case DW_OP_drop:
				spop(r);
				break;
			case DW_OP_swap:
				a = spop(r);
				b = spop(r);
				spush(r, a);
				spush(r, b);
				break;
			case DW_OP_over:
				spush(r, r->sp >= 2 ? r->stack[r->sp - 2] : (struct sym){SYM_UNKNOWN, 0, -1, 0});
				break;
			case DW_OP_entry_value:
			case DW_OP_GNU_entry_value: {
				Dwarf_Op sub[2];
				const uint8_t *block = dw_loc_op_block(op);
				size_t n = block ? dw_loc_parse_block(block, op->number, sub, 2) : 0;
				if (e->at_entry && n == 1 && dw_op_reg(&sub[0], &regno) && regno < DWT_NGPR) {
					spush(r, (struct sym){SYM_REG, (uint16_t)regno, -1, 0});
					break;
				}
				/* Away from the entry the caller's call site says
				 * (dw_loc_entry_value finds it by the return address
				 * at CFA - 8): the return address, the slots where
				 * the callee saved the caller's registers, and the
				 * bottom of the caller's frame above the CFA. */
				a = address_of(r, e->cfa, depth);
				if (a.kind != SYM_UNKNOWN) {
					int64_t lo = RA_SLOT;
					const struct dw_caller_regs *cr = e->caller_regs;
					for (unsigned k = 0; cr && k < DW_CALLER_NREGS; k++)
						if (cr->kind[k] == DW_CALLER_REG_AT_CFA && cr->offset[k] < lo &&
						    cr->offset[k] >= -SAVED_MAX)
							lo = cr->offset[k];
					a.off += lo;
					capture_at(r, a, (uint32_t)(CALLER_FRAME - lo));
				}
				spush(r, (struct sym){SYM_UNKNOWN, 0, -1, 0});
				break;
			}
			case DW_OP_stack_value:
			case DW_OP_implicit_value:
			case DW_OP_implicit_pointer:
			case DW_OP_GNU_implicit_pointer:
				r->loc = true;
				break;
			case DW_OP_piece:
			case DW_OP_bit_piece:
				pieces = true;
				if (!r->loc && r->sp) {
					uint64_t bits = atom == DW_OP_piece ? op->number * 8 : op->number + op->number2;
					capture_at(r, r->stack[r->sp - 1], (uint32_t)((bits + 7) / 8));
				}
				r->loc = false;
				r->sp = 0;
				break;
			case DW_OP_nop:
				break;
			case DW_OP_regval_type:
			case DW_OP_GNU_regval_type:
				/* A register's value: in the record already. */
				spush(r, (struct sym){op->number < DWT_NGPR ? SYM_REG : SYM_UNKNOWN, (uint16_t)op->number,
						      -1, 0});
				break;
			case DW_OP_const_type:
			case DW_OP_GNU_const_type:
				spush(r, (struct sym){SYM_UNKNOWN, 0, -1, 0});
				break;
			case DW_OP_skip:
			case DW_OP_bra:
				/* Which way it goes is known at the hit only. */
				if (addr_out)
					addr_out->kind = SYM_UNKNOWN;
				return -1;
			default:
				/* Arithmetic of unknown values: pop what it takes,
				 * push an unknown result. */
				if (atom != DW_OP_neg && atom != DW_OP_not && atom != DW_OP_abs)
					spop(r);
				spop(r);
				spush(r, (struct sym){SYM_UNKNOWN, 0, -1, 0});
				break;
			}
		}
	}
	if (addr_out)
		*addr_out = r->sp && !r->loc ? r->stack[r->sp - 1] : (struct sym){SYM_UNKNOWN, 0, -1, 0};
	if (!pieces && !r->loc && r->sp && size)
		whole = capture_at(r, r->stack[r->sp - 1], size);
	return whole;
}

int capture_expr_ops(const struct dw_loc_expr *e, uint32_t size, int (*add)(void *arg, struct dwt_cap_op op),
		     void *arg)
{
	struct sym_run r = {.add = add, .arg = arg};

	if (!e)
		return -1;
	return run(&r, e, size, 0, NULL);
}
