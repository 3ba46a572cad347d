/* The DWARF expression evaluator (dw_loc.h): DWARF 5 section 2.5 (DWARF
 * expressions) and 2.6 (location descriptions), over a struct dw_loc_env.
 *
 * The operands of each Dwarf_Op are as libdw's __libdw_intern_expression
 * (libdw/dwarf_getlocation.c) leaves them: number (and number2) hold the
 * operands; DW_OP_skip/bra's number is the signed 2-byte offset counted
 * from the op's end (target = offset + 3 + number, as libdwfl's
 * frame_unwind.c computes it); DW_OP_implicit_value and
 * DW_OP_entry_value's number is the block's length and number2 a pointer
 * to the block with its ULEB128 length first (dw_loc_op_block). */
#include "dw_loc.h"

#include <dwarf.h>
#include <string.h>

#define STACK_MAX 64
/* Ops run at most: a bra loop in a corrupt expression must end. */
#define STEPS_MAX 10000
/* Nesting of frame base, CFA and entry value evaluations. */
#define DEPTH_MAX 4

static const char *const why_malformed = "malformed DWARF expression";
static const char *const why_unsupported = "unsupported DWARF operation";
static const char *const why_optimized = "optimized out";
static const char *const why_unreadable = "unreadable";
static const char *const why_not_captured = "register not captured";

struct machine {
	const struct dw_loc_expr *e;
	const struct dw_loc_env *env;
	uint64_t stack[STACK_MAX];
	size_t sp;
	/* The location an op ending a piece (or the expression) made: a
	 * register, stack value, implicit value or pointer; DW_LOC_EMPTY
	 * when none was made (the stack top is then a memory address). */
	struct dw_loc_piece loc;
	bool has_loc;
	int depth;
	const char *why;
};

static int fail(struct machine *m, const char *why)
{
	m->why = why;
	return -1;
}

static int push(struct machine *m, uint64_t v)
{
	if (m->sp == STACK_MAX)
		return fail(m, why_malformed);
	m->stack[m->sp++] = v;
	return 0;
}

static int pop(struct machine *m, uint64_t *v)
{
	if (!m->sp)
		return fail(m, why_malformed);
	*v = m->stack[--m->sp];
	return 0;
}

static int read_reg(struct machine *m, unsigned regno, uint64_t *v)
{
	if (!m->env->reg || m->env->reg(m->env->arg, regno, v) != 0)
		return fail(m, why_not_captured);
	return 0;
}

static int read_mem(struct machine *m, uint64_t addr, size_t size, uint64_t *v)
{
	*v = 0;
	if (size == 0 || size > 8)
		return fail(m, why_malformed);
	if (!m->env->mem || m->env->mem(m->env->arg, addr, v, size) != 0)
		return fail(m, why_unreadable);
	return 0;
}

static int eval(const struct dw_loc_expr *e, const struct dw_loc_env *env, int depth, struct dw_loc_result *out,
		const char **why);

/* The address a sub-expression's result stands for: a memory location's
 * address, a register's contents (DW_AT_frame_base may be DW_OP_regN, as
 * gdb reads it), a stack value. */
static int eval_address(struct machine *m, const struct dw_loc_expr *sub, uint64_t *addr)
{
	struct dw_loc_result r;
	const char *why = NULL;

	if (!sub)
		return fail(m, why_optimized);
	if (m->depth >= DEPTH_MAX)
		return fail(m, why_malformed);
	if (eval(sub, m->env, m->depth + 1, &r, &why) != 0)
		return fail(m, why);
	if (r.npieces != 1 || r.pieces[0].size_bits)
		return fail(m, why_malformed);
	switch (r.pieces[0].kind) {
	case DW_LOC_MEM:
		*addr = r.pieces[0].addr;
		return 0;
	case DW_LOC_VALUE:
		*addr = r.pieces[0].value;
		return 0;
	case DW_LOC_REG:
		return read_reg(m, r.pieces[0].regno, addr);
	default:
		return fail(m, why_malformed);
	}
}

static bool read_uleb(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (*p < end) {
		uint8_t b = *(*p)++;
		if (shift < 64)
			*v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

static bool read_sleb(const uint8_t **p, const uint8_t *end, int64_t *v)
{
	unsigned shift = 0;
	uint64_t u = 0;
	uint8_t b = 0;

	while (*p < end) {
		b = *(*p)++;
		if (shift < 64)
			u |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				u |= ~UINT64_C(0) << shift;
			*v = (int64_t)u;
			return true;
		}
	}
	return false;
}

const uint8_t *dw_loc_op_block(const Dwarf_Op *op)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)op->number2;
	uint64_t len;

	/* The length is at most 10 bytes of ULEB128. */
	if (!p || !read_uleb(&p, p + 10, &len) || len != op->number)
		return NULL;
	return p;
}

size_t dw_loc_parse_block(const uint8_t *p, size_t len, Dwarf_Op *ops, size_t max)
{
	const uint8_t *start = p, *end = p + len;
	size_t n = 0;

	while (p < end) {
		Dwarf_Op op = {.atom = *p, .offset = (Dwarf_Word)(p - start)};
		uint64_t u;
		int64_t s;

		if (n == max)
			return 0;
		p++;
		if (op.atom >= DW_OP_reg0 && op.atom <= DW_OP_reg31) {
		} else if (op.atom >= DW_OP_lit0 && op.atom <= DW_OP_lit31) {
		} else if (op.atom >= DW_OP_breg0 && op.atom <= DW_OP_breg31) {
			if (!read_sleb(&p, end, &s))
				return 0;
			op.number = (Dwarf_Word)s;
		} else {
			switch (op.atom) {
			case DW_OP_regx:
			case DW_OP_constu:
			case DW_OP_plus_uconst:
				if (!read_uleb(&p, end, &u))
					return 0;
				op.number = u;
				break;
			case DW_OP_bregx:
				if (!read_uleb(&p, end, &u) || !read_sleb(&p, end, &s))
					return 0;
				op.number = u;
				op.number2 = (Dwarf_Word)s;
				break;
			case DW_OP_regval_type:
			case DW_OP_GNU_regval_type: {
				uint64_t type;
				if (!read_uleb(&p, end, &u) || !read_uleb(&p, end, &type))
					return 0;
				op.number = u;
				op.number2 = type;
				break;
			}
			case DW_OP_consts:
			case DW_OP_fbreg:
				if (!read_sleb(&p, end, &s))
					return 0;
				op.number = (Dwarf_Word)s;
				break;
			case DW_OP_deref_size:
			case DW_OP_const1u:
				if (p >= end)
					return 0;
				op.number = *p++;
				break;
			case DW_OP_deref:
			case DW_OP_stack_value:
			case DW_OP_call_frame_cfa:
			case DW_OP_plus:
			case DW_OP_minus:
			case DW_OP_nop:
				break;
			default:
				return 0;
			}
		}
		ops[n++] = op;
	}
	return n;
}

/* DW_OP_entry_value (DWARF 5 section 2.5.1.7): the value the
 * sub-expression had when the function was entered.  At the entry it is
 * its value now; elsewhere only the caller's call site knows it. */
static int entry_value(struct machine *m, const Dwarf_Op *op, uint64_t *v)
{
	Dwarf_Op sub[16];
	const uint8_t *block = dw_loc_op_block(op);
	size_t n = block ? dw_loc_parse_block(block, op->number, sub, 16) : 0;

	if (!n)
		return fail(m, why_unsupported);
	if (m->e->at_entry) {
		struct dw_loc_expr se = *m->e;
		/* A register location (DW_OP_regN) names the register's value;
		 * DW_OP_regval_type too (a float in an SSE register: its low
		 * bytes are the value). */
		if (n == 1 && ((sub[0].atom >= DW_OP_reg0 && sub[0].atom <= DW_OP_reg31) || sub[0].atom == DW_OP_regx ||
			       sub[0].atom == DW_OP_regval_type || sub[0].atom == DW_OP_GNU_regval_type))
			return read_reg(m, sub[0].atom >= DW_OP_reg0 && sub[0].atom <= DW_OP_reg31
						   ? (unsigned)(sub[0].atom - DW_OP_reg0)
						   : (unsigned)sub[0].number,
					v);
		se.ops = sub;
		se.nops = n;
		return eval_address(m, &se, v);
	}
	if (!m->env->entry_value || m->env->entry_value(m->env->arg, m->e, sub, n, v) != 0)
		return fail(m, why_optimized);
	return 0;
}

/* Ends a piece of size_bits (0: the whole value) with the location made so
 * far: DWARF 5 section 2.6.1.2 (composite location descriptions). */
static int end_piece(struct machine *m, struct dw_loc_result *out, uint64_t size_bits, uint64_t bit_offset)
{
	struct dw_loc_piece *p;

	if (out->npieces == DW_LOC_MAX_PIECES)
		return fail(m, why_unsupported);
	p = &out->pieces[out->npieces];
	if (m->has_loc) {
		*p = m->loc;
	} else if (m->sp) {
		memset(p, 0, sizeof(*p));
		p->kind = DW_LOC_MEM;
		p->addr = m->stack[m->sp - 1];
	} else {
		memset(p, 0, sizeof(*p));
		p->kind = DW_LOC_EMPTY;
	}
	p->size_bits = size_bits;
	p->bit_offset = bit_offset;
	out->npieces++;
	m->has_loc = false;
	m->sp = 0;
	return 0;
}

static void set_loc(struct machine *m, enum dw_loc_kind kind)
{
	memset(&m->loc, 0, sizeof(m->loc));
	m->loc.kind = kind;
	m->has_loc = true;
}

/* Binary operators of DWARF 5 section 2.5.1.4 and the comparisons of
 * 2.5.1.5 on the generic type: signed where the standard says so. */
static int binary(struct machine *m, unsigned atom)
{
	uint64_t b, a, r;

	if (pop(m, &b) || pop(m, &a))
		return -1;
	switch (atom) {
	case DW_OP_and: r = a & b; break;
	case DW_OP_or: r = a | b; break;
	case DW_OP_xor: r = a ^ b; break;
	case DW_OP_plus: r = a + b; break;
	case DW_OP_minus: r = a - b; break;
	case DW_OP_mul: r = a * b; break;
	case DW_OP_div:
		if (!b || ((int64_t)a == INT64_MIN && (int64_t)b == -1))
			return fail(m, why_malformed);
		r = (uint64_t)((int64_t)a / (int64_t)b);
		break;
	case DW_OP_mod:
		if (!b)
			return fail(m, why_malformed);
		r = a % b;
		break;
	case DW_OP_shl: r = b >= 64 ? 0 : a << b; break;
	case DW_OP_shr: r = b >= 64 ? 0 : a >> b; break;
	case DW_OP_shra:
		r = b >= 64 ? ((int64_t)a < 0 ? ~UINT64_C(0) : 0) : (uint64_t)((int64_t)a >> b);
		break;
	case DW_OP_eq: r = a == b; break;
	case DW_OP_ne: r = a != b; break;
	case DW_OP_lt: r = (int64_t)a < (int64_t)b; break;
	case DW_OP_gt: r = (int64_t)a > (int64_t)b; break;
	case DW_OP_le: r = (int64_t)a <= (int64_t)b; break;
	case DW_OP_ge: r = (int64_t)a >= (int64_t)b; break;
	default: return fail(m, why_unsupported);
	}
	return push(m, r);
}

/* The index of the op at byte offset target, or -1. */
static long op_at(const struct dw_loc_expr *e, uint64_t target)
{
	for (size_t i = 0; i < e->nops; i++)
		if (e->ops[i].offset == target)
			return (long)i;
	return -1;
}

/* One op; *next is the next op's index. */
static int step(struct machine *m, struct dw_loc_result *out, size_t i, size_t *next)
{
	const struct dw_loc_expr *e = m->e;
	const Dwarf_Op *op = &e->ops[i];
	unsigned atom = op->atom;
	uint64_t a, b, c;

	*next = i + 1;
	/* A register, stack value or implicit location ends its piece. */
	if (m->has_loc && atom != DW_OP_piece && atom != DW_OP_bit_piece)
		return fail(m, why_malformed);
	if (atom >= DW_OP_lit0 && atom <= DW_OP_lit31)
		return push(m, atom - DW_OP_lit0);
	if (atom >= DW_OP_reg0 && atom <= DW_OP_reg31) {
		set_loc(m, DW_LOC_REG);
		m->loc.regno = atom - DW_OP_reg0;
		return 0;
	}
	if (atom >= DW_OP_breg0 && atom <= DW_OP_breg31)
		return read_reg(m, atom - DW_OP_breg0, &a) || push(m, a + op->number);
	switch (atom) {
	case DW_OP_addr:
		return push(m, op->number + e->bias);
	case DW_OP_const1u: case DW_OP_const1s: case DW_OP_const2u: case DW_OP_const2s:
	case DW_OP_const4u: case DW_OP_const4s: case DW_OP_const8u: case DW_OP_const8s:
	case DW_OP_constu: case DW_OP_consts:
		/* libdw sign-extends the signed ones into number already. */
		return push(m, op->number);
	case DW_OP_const_type:
	case DW_OP_GNU_const_type: {
		/* libdw: number the type DIE, number2 the 1-byte size then
		 * the constant's bytes (DWARF 5 section 2.5.1.1). */
		const uint8_t *block = (const uint8_t *)(uintptr_t)op->number2;
		uint64_t v = 0;
		if (!block || !block[0] || block[0] > 8)
			return fail(m, why_unsupported);
		for (unsigned k = 0; k < block[0]; k++)
			v |= (uint64_t)block[1 + k] << (8 * k);
		return push(m, v);
	}
	case DW_OP_regval_type:
	case DW_OP_GNU_regval_type:
		/* The register's low 8 bytes: a float or double in an SSE
		 * register, an integer in a general one. */
		return read_reg(m, (unsigned)op->number, &a) || push(m, a);
	case DW_OP_regx:
		set_loc(m, DW_LOC_REG);
		m->loc.regno = (unsigned)op->number;
		return 0;
	case DW_OP_bregx:
		return read_reg(m, (unsigned)op->number, &a) || push(m, a + op->number2);
	case DW_OP_fbreg:
		return eval_address(m, e->frame_base, &a) || push(m, a + op->number);
	case DW_OP_call_frame_cfa:
		return eval_address(m, e->cfa, &a) || push(m, a);
	case DW_OP_dup:
		return m->sp ? push(m, m->stack[m->sp - 1]) : fail(m, why_malformed);
	case DW_OP_drop:
		return pop(m, &a);
	case DW_OP_over:
		return m->sp >= 2 ? push(m, m->stack[m->sp - 2]) : fail(m, why_malformed);
	case DW_OP_pick:
		return op->number < m->sp ? push(m, m->stack[m->sp - 1 - op->number]) : fail(m, why_malformed);
	case DW_OP_swap:
		if (pop(m, &a) || pop(m, &b))
			return -1;
		return push(m, a) || push(m, b);
	case DW_OP_rot:
		/* top a, then b, then c: becomes b, c, a (a goes third) */
		if (pop(m, &a) || pop(m, &b) || pop(m, &c))
			return -1;
		return push(m, a) || push(m, c) || push(m, b);
	case DW_OP_deref:
		return pop(m, &a) || read_mem(m, a, 8, &b) || push(m, b);
	case DW_OP_deref_size:
		return pop(m, &a) || read_mem(m, a, (size_t)op->number, &b) || push(m, b);
	case DW_OP_abs:
		if (pop(m, &a))
			return -1;
		return push(m, (int64_t)a < 0 ? -a : a);
	case DW_OP_neg:
		return pop(m, &a) || push(m, -a);
	case DW_OP_not:
		return pop(m, &a) || push(m, ~a);
	case DW_OP_plus_uconst:
		return pop(m, &a) || push(m, a + op->number);
	case DW_OP_and: case DW_OP_or: case DW_OP_xor: case DW_OP_plus: case DW_OP_minus:
	case DW_OP_mul: case DW_OP_div: case DW_OP_mod: case DW_OP_shl: case DW_OP_shr:
	case DW_OP_shra: case DW_OP_eq: case DW_OP_ne: case DW_OP_lt: case DW_OP_gt:
	case DW_OP_le: case DW_OP_ge:
		return binary(m, atom);
	case DW_OP_skip:
	case DW_OP_bra: {
		long to;
		if (atom == DW_OP_bra) {
			if (pop(m, &a))
				return -1;
			if (!a)
				return 0;
		}
		to = op_at(e, op->offset + 3 + (uint64_t)(int64_t)(int16_t)op->number);
		if (to < 0) {
			/* A branch to just past the last op ends the expression. */
			uint64_t t = op->offset + 3 + (uint64_t)(int64_t)(int16_t)op->number;
			const Dwarf_Op *last = &e->ops[e->nops - 1];
			if (t > last->offset) {
				*next = e->nops;
				return 0;
			}
			return fail(m, why_malformed);
		}
		*next = (size_t)to;
		return 0;
	}
	case DW_OP_nop:
		return 0;
	case DW_OP_piece:
		return end_piece(m, out, op->number * 8, 0);
	case DW_OP_bit_piece:
		return end_piece(m, out, op->number, op->number2);
	case DW_OP_stack_value:
		if (pop(m, &a))
			return -1;
		set_loc(m, DW_LOC_VALUE);
		m->loc.value = a;
		return 0;
	case DW_OP_implicit_value:
		if (m->sp || !dw_loc_op_block(op))
			return fail(m, why_malformed);
		set_loc(m, DW_LOC_IMPLICIT);
		m->loc.bytes = dw_loc_op_block(op);
		m->loc.len = op->number;
		return 0;
	case DW_OP_implicit_pointer:
	case DW_OP_GNU_implicit_pointer:
		set_loc(m, DW_LOC_IMPLICIT_PTR);
		m->loc.die = op->number;
		m->loc.ptr_offset = (int64_t)op->number2;
		return 0;
	case DW_OP_entry_value:
	case DW_OP_GNU_entry_value:
		return entry_value(m, op, &a) || push(m, a);
	case DW_OP_GNU_parameter_ref:
		return fail(m, why_optimized);
	case DW_OP_xderef:
	case DW_OP_xderef_size:
	case DW_OP_xderef_type:
	default:
		return fail(m, why_unsupported);
	}
}

static int eval(const struct dw_loc_expr *e, const struct dw_loc_env *env, int depth, struct dw_loc_result *out,
		const char **why)
{
	struct machine m = {.e = e, .env = env, .depth = depth};
	size_t i = 0, steps = 0;

	out->npieces = 0;
	while (i < e->nops) {
		if (++steps > STEPS_MAX || step(&m, out, i, &i) != 0) {
			*why = m.why ? m.why : why_malformed;
			return -1;
		}
	}
	/* Ops after the last piece that make no piece are malformed; none
	 * at all is an empty location (DWARF 5 section 2.6.1.1.1). */
	if (out->npieces) {
		if (m.has_loc || m.sp) {
			*why = why_malformed;
			return -1;
		}
		return 0;
	}
	return end_piece(&m, out, 0, 0) == 0 ? 0 : (*why = m.why, -1);
}

int dw_loc_eval(const struct dw_loc_expr *e, const struct dw_loc_env *env, struct dw_loc_result *out,
		const char **why)
{
	*why = NULL;
	if (!e || (!e->ops && e->nops)) {
		*why = why_malformed;
		return -1;
	}
	return eval(e, env, 0, out, why);
}

/* Bytes [off, off + n) of one location into dst. */
static int read_piece(const struct dw_loc_piece *p, uint64_t off, size_t n, const struct dw_loc_env *env,
		      int (*reg_bytes)(void *arg, unsigned regno, void *buf, size_t size), uint8_t *dst,
		      const char **why)
{
	switch (p->kind) {
	case DW_LOC_REG: {
		uint8_t tmp[64];
		if (off + n > sizeof(tmp) || !reg_bytes || reg_bytes(env->arg, p->regno, tmp, off + n) != 0) {
			*why = why_not_captured;
			return -1;
		}
		memcpy(dst, tmp + off, n);
		return 0;
	}
	case DW_LOC_MEM:
		if (!env->mem || env->mem(env->arg, p->addr + off, dst, n) != 0) {
			*why = why_unreadable;
			return -1;
		}
		return 0;
	case DW_LOC_VALUE: {
		/* The generic type is 8 bytes, little endian on x86-64. */
		uint8_t v[8];
		if (off + n > 8) {
			*why = why_malformed;
			return -1;
		}
		for (unsigned k = 0; k < 8; k++)
			v[k] = (uint8_t)(p->value >> (8 * k));
		memcpy(dst, v + off, n);
		return 0;
	}
	case DW_LOC_IMPLICIT:
		if (!p->bytes || off + n > p->len) {
			*why = why_malformed;
			return -1;
		}
		memcpy(dst, p->bytes + off, n);
		return 0;
	case DW_LOC_IMPLICIT_PTR:
		*why = "implicit pointer";
		return -1;
	case DW_LOC_EMPTY:
	default:
		*why = why_optimized;
		return -1;
	}
}

int dw_loc_read(const struct dw_loc_result *r, size_t size, const struct dw_loc_env *env,
		int (*reg_bytes)(void *arg, unsigned regno, void *buf, size_t size), uint8_t *buf,
		const char **why)
{
	size_t at = 0;

	*why = NULL;
	if (!r->npieces) {
		*why = why_optimized;
		return -1;
	}
	if (r->npieces == 1 && !r->pieces[0].size_bits)
		return read_piece(&r->pieces[0], 0, size, env, reg_bytes, buf, why);
	for (size_t i = 0; i < r->npieces; i++) {
		const struct dw_loc_piece *p = &r->pieces[i];
		size_t n;

		/* Pieces of whole bytes only: bit-packed values are left to a
		 * debugger (GCC makes them for bit-fields of SRA'd structs). */
		if (p->size_bits % 8 || p->bit_offset % 8 || !p->size_bits) {
			*why = why_unsupported;
			return -1;
		}
		n = (size_t)(p->size_bits / 8);
		if (at + n > size)
			n = size - at; /* the last piece may be wider than the value */
		if (n && read_piece(p, p->bit_offset / 8, n, env, reg_bytes, buf + at, why) != 0)
			return -1;
		at += n;
		if (at == size)
			return 0;
	}
	/* Pieces that do not cover the value leave the rest undescribed. */
	*why = why_optimized;
	return -1;
}

bool dw_op_reg(const Dwarf_Op *op, unsigned *regno)
{
	if (op->atom >= DW_OP_reg0 && op->atom <= DW_OP_reg31) {
		*regno = op->atom - DW_OP_reg0;
		return true;
	}
	if (op->atom == DW_OP_regx) {
		*regno = (unsigned)op->number;
		return true;
	}
	return false;
}

bool dw_op_breg(const Dwarf_Op *op, unsigned *regno, int64_t *off)
{
	if (op->atom >= DW_OP_breg0 && op->atom <= DW_OP_breg31) {
		*regno = op->atom - DW_OP_breg0;
		*off = (int64_t)op->number;
		return true;
	}
	if (op->atom == DW_OP_bregx) {
		*regno = (unsigned)op->number;
		*off = (int64_t)op->number2;
		return true;
	}
	return false;
}
