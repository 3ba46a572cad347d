/* Compiling a bound filter into the agent's filter program (filter_agent.h).
 * Where a value is at the hit comes from the field's fetch plan (the piece
 * holding the leaf's bytes) and from the entry's capture program (the op,
 * hence the blob, that copies that piece): the same matching of pieces to
 * ops capture_prog.c makes in compile_plan() and walk(). */
#include "filter_agent.h"

#include <stdlib.h>
#include <string.h>

#include "dw_type.h"
#include "xalloc.h"

/* The C type of a compiled subexpression, as filter_eval() sees it (its
 * struct ev): signed or unsigned, and its size in bytes, for C's usual
 * arithmetic conversions (as_unsigned). */
struct ety {
	bool is_unsigned;
	uint8_t size;
};

#define ETY_S4 ((struct ety){false, 4})
#define ETY_S8 ((struct ety){false, 8})
#define ETY_U8 ((struct ety){true, 8})

/* Whether a and b compare as unsigned: filter.c's as_unsigned(). */
static bool as_unsigned(struct ety a, struct ety b)
{
	struct ety u = a.is_unsigned ? a : b, s = a.is_unsigned ? b : a;

	if (!a.is_unsigned && !b.is_unsigned)
		return false;
	if (a.is_unsigned && b.is_unsigned)
		return true;
	if (u.size < 4)
		return false;
	return s.size <= u.size;
}

struct comp {
	const struct filter_bound *b;
	const struct capture_prog *prog;
	size_t array_limit;  /* decode shows this many elements: others are missing */
	struct dwt_filter_op ops[DWT_FILTER_MAX_OPS];
	uint32_t nops;
	uint8_t strings[DWT_FILTER_MAX_BYTES];
	uint32_t nstrings;
	int depth;           /* the stack's depth after the ops so far */
	bool blobs;          /* an op reads a blob */
	const char *why;
};

static int fail(struct comp *c, const char *why)
{
	if (!c->why)
		c->why = why;
	return -1;
}

/* Appends op, keeping count of the stack's depth (pops, then a push). */
static int emit(struct comp *c, struct dwt_filter_op op, int pops)
{
	if (c->nops >= DWT_FILTER_MAX_OPS)
		return fail(c, "is too long");
	c->depth += 1 - pops;
	if (c->depth > DWT_FILTER_STACK)
		return fail(c, "nests too deeply");
	if (op.code == DWT_F_LOAD_BLOB || op.code == DWT_F_STR_EQ || op.code == DWT_F_STR_NE)
		c->blobs = true;
	c->ops[c->nops++] = op;
	return 0;
}

/* The op of the entry's program matching want (flags aside), or -1. */
static int find_op(const struct capture_prog *p, struct dwt_cap_op want)
{
	for (uint32_t i = 0; i < p->nops; i++) {
		const struct dwt_cap_op *o = &p->ops[i];
		if (o->kind == want.kind && o->base == want.base && o->regno == want.regno &&
		    o->src_op == want.src_op && o->src_off == want.src_off && o->size == want.size &&
		    o->offset == want.offset && o->len_op == want.len_op && o->len_off == want.len_off)
			return (int)i;
	}
	return -1;
}

/* The blob holding piece pc of a plan (compile_plan's op for it), or -1. */
static int piece_op(const struct capture_prog *p, const struct fetch_piece *pc)
{
	struct dwt_cap_op op = {.kind = DWT_CAP_MEM, .base = DWT_BASE_REG, .regno = pc->regno, .size = pc->size,
				.offset = pc->offset};
	int k;

	switch (pc->kind) {
	case FETCH_MEM:
		return find_op(p, op);
	case FETCH_ABS:
		op.base = DWT_BASE_ABS;
		op.regno = 0;
		return find_op(p, op);
	case FETCH_MEM_INDIRECT:
		op.size = 8;
		if ((k = find_op(p, op)) < 0)
			return -1;
		return find_op(p, (struct dwt_cap_op){.kind = DWT_CAP_MEM, .base = DWT_BASE_PTR,
						      .src_op = (uint16_t)k, .size = pc->size});
	default:
		return -1;
	}
}

/* Where a leaf's bytes are at the hit: in the parameter's image (blob < 0:
 * located by the field's fetch plan) or in the capture op's blob holding a
 * C++ referent (decode_reference()'s one child), from byte off. */
struct loc {
	int blob;
	uint32_t off;
};

/* The piece of plan holding bytes [off, off + size) of the image, or NULL. */
static const struct fetch_piece *piece_at(const struct fetch_plan *plan, uint32_t off, uint32_t size)
{
	for (unsigned i = 0; i < plan->npieces && i < FETCH_MAX_PIECES; i++) {
		const struct fetch_piece *pc = &plan->pieces[i];
		if (off >= pc->dest && (uint64_t)off + size <= (uint64_t)pc->dest + pc->size)
			return pc;
	}
	return NULL;
}

/* Sets op's base to the 8-byte pointer at at, as capture_prog.c's
 * pointer_base() does for the ops it adds: 0, or -1. */
static int pointer_base(struct comp *c, const struct layout_field *lf, struct loc at, struct dwt_cap_op *op)
{
	const struct fetch_piece *pc;
	int k;

	if (at.blob >= 0) {
		op->base = DWT_BASE_PTR;
		op->src_op = (uint16_t)at.blob;
		op->src_off = at.off;
		return 0;
	}
	if (!lf->plan.available || !(pc = piece_at(&lf->plan, at.off, 8)))
		return -1;
	if (pc->kind == FETCH_REG) {
		if (pc->regno >= DWT_NGPR || at.off != pc->dest)
			return -1;
		op->base = DWT_BASE_REG;
		op->regno = pc->regno;
		return 0;
	}
	if ((k = piece_op(c->prog, pc)) < 0)
		return -1;
	op->base = DWT_BASE_PTR;
	op->src_op = (uint16_t)k;
	op->src_off = at.off - pc->dest;
	return 0;
}

/* The capture op copying the referent of the reference (type s) at at:
 * walk_reference()'s op, or -1. */
static int referent_op(struct comp *c, const struct layout_field *lf, const struct dw_type *s, struct loc at)
{
	struct dwt_cap_op op = {.kind = DWT_CAP_MEM, .size = (uint32_t)dw_type_size(s->target)};

	if (!op.size || pointer_base(c, lf, at, &op) != 0)
		return -1;
	return find_op(c->prog, op);
}

static bool is_reference(const struct dw_type *t)
{
	const struct dw_type *s = dw_type_strip(t);

	return s && s->kind == DW_KIND_POINTER && s->reference;
}

/* Walks the field's member and index steps from its parameter, following
 * C++ references as filter.c does (the referent is the value's one child;
 * decode follows one level only): *leaf its type, *at where it is.  -1 when
 * a step cannot be followed at a fixed place (a bitfield, a pointer, an
 * index past the array, a referent the record does not hold).  A parameter
 * with no value (plan unavailable) loads as none whatever the steps. */
static int leaf_place(struct comp *c, const struct filter_field *ff, const struct layout_field *lf,
		      const struct dw_type **leaf, struct loc *at)
{
	const struct dw_type *t = lf->type;
	struct loc l = {-1, 0};
	uint64_t o = 0;
	int derefs = 0;

	for (size_t i = 0;; i++) {
		while (is_reference(t)) {
			if (lf->plan.available) {
				int k;
				l.off = (uint32_t)o;
				if (o > UINT32_MAX || derefs++ || (k = referent_op(c, lf, dw_type_strip(t), l)) < 0)
					return fail(c, "reads a referent the record does not hold");
				l = (struct loc){k, 0};
				o = 0;
			}
			t = dw_type_strip(t)->target;
		}
		if (i >= ff->nsteps || i >= FILTER_MAX_STEPS)
			break;
		const struct filter_step *st = &ff->steps[i];
		const struct dw_type *s = dw_type_strip(t);
		if (!s)
			return fail(c, "reads a member or element not at a fixed offset");
		if (st->is_index) {
			size_t esize;
			if (s->kind != DW_KIND_ARRAY || st->index >= s->count || st->index >= c->array_limit ||
			    !(esize = dw_type_size(s->target)))
				return fail(c, "reads a member or element not at a fixed offset");
			o += st->index * esize;
			t = s->target;
		} else {
			const struct dw_member *m;
			if ((s->kind != DW_KIND_STRUCT && s->kind != DW_KIND_UNION) || st->member >= s->nmembers ||
			    s->members[st->member].bit_size)
				return fail(c, "reads a member or element not at a fixed offset");
			m = &s->members[st->member];
			o += m->offset;
			t = m->type;
		}
	}
	if (o > UINT32_MAX)
		return fail(c, "reads a member or element not at a fixed offset");
	l.off = (uint32_t)o;
	*leaf = t;
	*at = l;
	return 0;
}

/* A parameter's integer-like leaf: pushes it.  *ty: its C type. */
static int compile_int_leaf(struct comp *c, const struct layout_field *lf, const struct dw_type *leaf, struct loc at,
			    struct ety *ty)
{
	uint32_t off = at.off;
	const struct dw_type *s = dw_type_strip(leaf);
	uint32_t size = (uint32_t)dw_type_size(leaf);
	const struct fetch_piece *pc;
	bool is_signed;
	int k;

	if (!s || !dw_kind_is_integer(s->kind) || (size != 1 && size != 2 && size != 4 && size != 8))
		return fail(c, s && s->kind == DW_KIND_FLOAT ? "compares a float" : "compares a value that is not an integer");
	is_signed = s->kind == DW_KIND_SINT || (s->kind == DW_KIND_ENUM && s->enum_signed);
	*ty = (struct ety){!is_signed, (uint8_t)size};
	uint8_t flags = is_signed ? DWT_F_SIGNED : 0;
	if (!lf->plan.available)
		return emit(c, (struct dwt_filter_op){.code = DWT_F_NONE}, 0);
	if (at.blob >= 0)
		return emit(c, (struct dwt_filter_op){.code = DWT_F_LOAD_BLOB, .size = (uint8_t)size, .flags = flags,
						      .arg = (uint16_t)at.blob, .off = off}, 0);
	if (!(pc = piece_at(&lf->plan, off, size)))
		return fail(c, "reads a value split over several places");
	switch (pc->kind) {
	case FETCH_REG:
		if (pc->regno >= DWT_NGPR || off - pc->dest > 8 - size)
			return fail(c, "reads a vector register");
		return emit(c, (struct dwt_filter_op){.code = DWT_F_LOAD_REG, .size = (uint8_t)size, .flags = flags,
						      .arg = pc->regno, .off = off - pc->dest}, 0);
	case FETCH_CONST: {
		uint64_t v = 0;
		const uint8_t *d = (const uint8_t *)pc->data + (off - pc->dest);
		for (uint32_t i = size; i--;)
			v = v << 8 | d[i];
		if (size < 8 && is_signed && (v >> (8 * size - 1)) & 1)
			v |= ~UINT64_C(0) << (8 * size);
		return emit(c, (struct dwt_filter_op){.code = DWT_F_CONST, .imm = (int64_t)v}, 0);
	}
	case FETCH_OPTIMIZED_OUT:
		return emit(c, (struct dwt_filter_op){.code = DWT_F_NONE}, 0);
	case FETCH_MEM:
	case FETCH_ABS:
	case FETCH_MEM_INDIRECT:
		if ((k = piece_op(c->prog, pc)) < 0)
			return fail(c, "reads memory the record does not hold");
		return emit(c, (struct dwt_filter_op){.code = DWT_F_LOAD_BLOB, .size = (uint8_t)size, .flags = flags,
						      .arg = (uint16_t)k, .off = off - pc->dest}, 0);
	default:
		return fail(c, "reads a value located by a DWARF expression");
	}
}

/* The blob holding the characters a char * leaf points to, or -1. */
static int string_blob(struct comp *c, const struct layout_field *lf, struct loc at)
{
	struct dwt_cap_op op = {.kind = DWT_CAP_STRING};

	if (pointer_base(c, lf, at, &op) != 0)
		return -1;
	/* Any size: the string limit is the capture program's business. */
	for (uint32_t i = 0; i < c->prog->nops; i++) {
		const struct dwt_cap_op *o = &c->prog->ops[i];
		if (o->kind == op.kind && o->base == op.base && o->regno == op.regno && o->src_op == op.src_op &&
		    o->src_off == op.src_off && o->offset == 0)
			return (int)i;
	}
	return -1;
}

/* The parameter a FILTER_SRC_ARG field names, its leaf type and offset. */
static int arg_leaf(struct comp *c, const struct filter_field *ff, const struct layout_field **lf,
		    const struct dw_type **leaf, struct loc *at)
{
	const struct event_layout *l = c->b->layout;

	if (ff->index >= l->nfields)
		return fail(c, "names a parameter the layout lacks");
	*lf = &l->fields[ff->index];
	return leaf_place(c, ff, *lf, leaf, at);
}

static bool is_missing(const struct comp *c, const struct filter_node *n)
{
	return n->kind == FILTER_FIELD && n->field < c->b->filter->nfields &&
	       c->b->fields[n->field].source == FILTER_SRC_MISSING;
}

static bool is_string_field(const struct comp *c, const struct filter_node *n)
{
	const struct filter_field *ff;

	if (n->kind != FILTER_FIELD || n->field >= c->b->filter->nfields)
		return false;
	ff = &c->b->fields[n->field];
	if (ff->source != FILTER_SRC_ARG || !ff->type)
		return false;
	const struct dw_type *t = ff->type;
	while (is_reference(t))
		t = dw_type_strip(t)->target;
	return dw_type_is_string(t);
}

/* field == "literal" (or !=): the string leaf against the pattern. */
static int compile_string_cmp(struct comp *c, const struct filter_node *field, const struct filter_node *lit,
			      enum filter_cmp cmp)
{
	const struct filter_field *ff = &c->b->fields[field->field];
	const struct layout_field *lf;
	const struct dw_type *leaf;
	struct loc at;
	int k;

	if (cmp != FILTER_EQ && cmp != FILTER_NE)
		return fail(c, "orders strings");
	if (arg_leaf(c, ff, &lf, &leaf, &at) != 0)
		return -1;
	if ((k = string_blob(c, lf, at)) < 0)
		return fail(c, "compares a string the record does not hold");
	/* A glob keeps its escapes ('\*' a star, '\\' a backslash: struct
	 * filter_node.pattern), which filter_run's matcher reads as
	 * filter.c's does; a plain string compares as its characters. */
	const char *text = lit->str_glob ? lit->pattern : lit->str;
	size_t len = lit->str_glob ? (lit->pattern ? strlen(lit->pattern) : 0) : lit->str_len;
	if (!text)
		return fail(c, "is malformed");
	if ((uint64_t)c->nstrings + len + 8 > sizeof(c->strings))
		return fail(c, "compares with too long a string");
	uint32_t spos = c->nstrings;
	memcpy(c->strings + spos, text, len);
	c->nstrings += (uint32_t)((len + 7) & ~(size_t)7);
	/* spos is relative to the strings for now: made absolute at the end. */
	return emit(c, (struct dwt_filter_op){.code = cmp == FILTER_EQ ? DWT_F_STR_EQ : DWT_F_STR_NE,
					      .flags = lit->str_glob ? DWT_F_GLOB : 0, .arg = (uint16_t)k,
					      .off = spos, .len = (uint32_t)len}, 0);
}

static int compile(struct comp *c, const struct filter_node *n, struct ety *ty);

/* An enumerator: its value as an object of the enum's type (filter.c
 * reads enum_value's low bytes with the enum's size and signedness). */
static int compile_enumerator(struct comp *c, const struct filter_field *ff, struct ety *ty)
{
	const struct dw_type *t = dw_type_strip(ff->type);
	size_t size = dw_type_size(ff->type);
	uint64_t v = (uint64_t)ff->enum_value;

	if (!t || t->kind != DW_KIND_ENUM || (size != 1 && size != 2 && size != 4 && size != 8))
		return fail(c, "compares an enumerator of no integer size");
	if (size < 8) {
		v &= (UINT64_C(1) << (8 * size)) - 1;
		if (t->enum_signed && (v >> (8 * size - 1)) & 1)
			v |= ~UINT64_C(0) << (8 * size);
	}
	*ty = (struct ety){!t->enum_signed, (uint8_t)size};
	return emit(c, (struct dwt_filter_op){.code = DWT_F_CONST, .imm = (int64_t)v}, 0);
}

static int compile_field(struct comp *c, const struct filter_node *n, struct ety *ty)
{
	const struct filter_field *ff;
	const struct layout_field *lf;
	const struct dw_type *leaf;
	struct loc at;

	if (n->field >= c->b->filter->nfields)
		return fail(c, "names a field it does not bind");
	ff = &c->b->fields[n->field];
	*ty = ETY_S4;
	switch (ff->source) {
	case FILTER_SRC_ARG:
		if (arg_leaf(c, ff, &lf, &leaf, &at) != 0)
			return -1;
		if (dw_type_is_string(leaf))
			return fail(c, "uses a string outside == or !=");
		return compile_int_leaf(c, lf, leaf, at, ty);
	case FILTER_SRC_TID:
		return emit(c, (struct dwt_filter_op){.code = DWT_F_TID}, 0);
	case FILTER_SRC_PID:
		return emit(c, (struct dwt_filter_op){.code = DWT_F_PID}, 0);
	case FILTER_SRC_ENUMERATOR:
		return compile_enumerator(c, ff, ty);
	case FILTER_SRC_MISSING:
		return emit(c, (struct dwt_filter_op){.code = DWT_F_NONE}, 0);
	case FILTER_SRC_DEPTH:
		return fail(c, "names depth (dwtrace's count of calls in flight)");
	case FILTER_SRC_LOCAL:
		return fail(c, "names a local variable");
	case FILTER_SRC_RETVAL:
		return fail(c, "names retval");
	case FILTER_SRC_DURATION:
		return fail(c, "names duration_ns");
	}
	return fail(c, "names an unknown kind of field");
}

static const uint8_t cmp_code[] = {
	[FILTER_EQ] = DWT_F_EQ, [FILTER_NE] = DWT_F_NE, [FILTER_LT] = DWT_F_LT,
	[FILTER_LE] = DWT_F_LE, [FILTER_GT] = DWT_F_GT, [FILTER_GE] = DWT_F_GE,
};
static const uint8_t bit_code[] = {
	[FILTER_BIT_AND] = DWT_F_BAND, [FILTER_BIT_OR] = DWT_F_BOR, [FILTER_BIT_XOR] = DWT_F_BXOR,
	[FILTER_BIT_SHL] = DWT_F_SHL,  [FILTER_BIT_SHR] = DWT_F_SHR, [FILTER_BIT_NOT] = DWT_F_BNOT,
};

static int compile(struct comp *c, const struct filter_node *n, struct ety *ty)
{
	struct ety a = ETY_S4, b = ETY_S4;
	bool u;

	*ty = ETY_S4;
	if (!n)
		return fail(c, "is malformed");
	switch (n->kind) {
	case FILTER_OR:
	case FILTER_AND:
		if (compile(c, n->l, &a) || compile(c, n->r, &b))
			return -1;
		return emit(c, (struct dwt_filter_op){.code = n->kind == FILTER_OR ? DWT_F_OR : DWT_F_AND}, 2);
	case FILTER_NOT:
		if (compile(c, n->l, &a))
			return -1;
		return emit(c, (struct dwt_filter_op){.code = DWT_F_NOT}, 1);
	case FILTER_CMP:
		if (!n->l || !n->r || n->cmp > FILTER_GE)
			return fail(c, "is malformed");
		/* A field this layout lacks makes the comparison false (filter.c). */
		if (is_missing(c, n->l) || is_missing(c, n->r))
			return emit(c, (struct dwt_filter_op){.code = DWT_F_CONST, .imm = 0}, 0);
		if (is_string_field(c, n->l) && n->r->kind == FILTER_STRING)
			return compile_string_cmp(c, n->l, n->r, n->cmp);
		if (is_string_field(c, n->r) && n->l->kind == FILTER_STRING)
			return compile_string_cmp(c, n->r, n->l, n->cmp);
		if (compile(c, n->l, &a) || compile(c, n->r, &b))
			return -1;
		return emit(c, (struct dwt_filter_op){.code = cmp_code[n->cmp],
						      .flags = as_unsigned(a, b) ? DWT_F_UNSIGNED : DWT_F_SIGNED}, 2);
	case FILTER_BIT:
		if (n->bit > FILTER_BIT_NOT || compile(c, n->l, &a))
			return -1;
		if (n->bit == FILTER_BIT_NOT) {
			/* filter.c: ~a is a bitwise operation with a signed 0. */
			*ty = as_unsigned(a, ETY_S8) ? ETY_U8 : ETY_S8;
			return emit(c, (struct dwt_filter_op){.code = DWT_F_BNOT}, 1);
		}
		if (compile(c, n->r, &b))
			return -1;
		u = as_unsigned(a, b);
		*ty = u ? ETY_U8 : ETY_S8;
		/* >> is arithmetic when the operation is signed. */
		return emit(c, (struct dwt_filter_op){.code = bit_code[n->bit], .flags = u ? 0 : DWT_F_SIGNED}, 2);
	case FILTER_NEG:
		if (compile(c, n->l, &a))
			return -1;
		*ty = a;
		return emit(c, (struct dwt_filter_op){.code = DWT_F_NEG}, 1);
	case FILTER_INT:
		/* Above INT64_MAX a literal is unsigned (C's type for it). */
		*ty = n->ival_unsigned ? ETY_U8 : ETY_S8;
		return emit(c, (struct dwt_filter_op){.code = DWT_F_CONST, .imm = n->ival}, 0);
	case FILTER_FLOAT:
		return fail(c, "compares a float");
	case FILTER_STRING:
		return fail(c, "uses a string outside a comparison with a string parameter");
	case FILTER_FIELD:
		return compile_field(c, n, ty);
	}
	return fail(c, "is malformed");
}

int filter_agent_compile(const struct filter_bound *b, const struct capture_prog *entry,
			 const struct decode_opts *o, struct filter_agent_prog *out, const char **why)
{
	struct comp *c;
	struct ety ty;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (!b || !b->filter || !b->layout || !entry) {
		*why = "is not bound";
		return -1;
	}
	if (b->at_exit) {
		*why = "is decided at the exit (retval, duration_ns)";
		return -1;
	}
	if (b->layout->kind != LAYOUT_CALL) {
		*why = "is at a probe without exits";
		return -1;
	}
	c = xcalloc(1, sizeof(*c));
	c->b = b;
	c->prog = entry;
	c->array_limit = o ? o->array_limit : 0;
	if (compile(c, b->filter->root, &ty) != 0 || c->depth != 1) {
		*why = c->why ? c->why : "is malformed";
		goto out;
	}
	uint32_t code = c->nops * (uint32_t)sizeof(struct dwt_filter_op);
	if (code + c->nstrings > DWT_FILTER_MAX_BYTES) {
		*why = "is too long";
		goto out;
	}
	for (uint32_t i = 0; i < c->nops; i++)
		if (c->ops[i].code == DWT_F_STR_EQ || c->ops[i].code == DWT_F_STR_NE)
			c->ops[i].off += code;
	out->size = code + c->nstrings;
	out->nops = c->nops;
	out->regs_only = !c->blobs;
	out->bytes = xcalloc(1, out->size ? out->size : 1);
	memcpy(out->bytes, c->ops, code);
	memcpy(out->bytes + code, c->strings, c->nstrings);
	rc = 0;
out:
	free(c);
	return rc;
}

void filter_agent_prog_free(struct filter_agent_prog *p)
{
	free(p->bytes);
	memset(p, 0, sizeof(*p));
}
