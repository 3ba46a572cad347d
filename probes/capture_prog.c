/* Compiling an event layout into a capture program (capture_prog.h).  The
 * walk over types mirrors decode_value() in decode.c: each read decode makes
 * through value_source.read_mem becomes an op here, so a record holds every
 * byte decoding it asks for.  Keep the two in step. */
#include "capture_prog.h"

#include <stdlib.h>
#include <string.h>

#include "capture_expr.h"
#include "capture_run.h"
#include "xalloc.h"

#define REFERENT_MAX 65536   /* decode.c: the largest object read through a C++ reference */
#define GO_G_STACK_HI 8      /* runtime.g: stack.lo, stack.hi, ... */
#define GO_G_REGNO DWT_DW_GO_G
#define TYPE_DEPTH 8         /* nesting followed when looking for pointers inside types */

/* Where the bytes of a value's image come from at the hit: a register
 * (op < 0, regno) or blob op from byte off. */
struct img_seg {
	uint32_t dest, size;
	int op;                 /* -1 register, -2 not captured */
	uint16_t regno;
	uint32_t off;
};

struct img_map {
	unsigned n;
	struct img_seg seg[FETCH_MAX_PIECES];
};

struct compiler {
	struct capture_prog *p;
	const struct decode_opts *o;
	uint32_t fixed;         /* record bytes before the blobs */
	uint32_t blob_bytes;
};

/* Appends op: its index, or -1 (counted in left_out) when it does not fit. */
static int add_op(struct compiler *c, struct dwt_cap_op op)
{
	struct capture_prog *p = c->p;
	uint32_t bytes = capture_max_bytes(&op, 1);

	if (p->nops >= DWT_MAX_OPS_PER_SITE || c->fixed + c->blob_bytes + bytes > DWT_MAX_RECORD) {
		p->left_out++;
		return -1;
	}
	/* At and above the stack pointer: the caller's frame, stack arguments. */
	if (op.base == DWT_BASE_REG && op.regno == DWT_DW_SP && op.offset >= 0)
		op.flags |= DWT_OP_STACK;
	c->blob_bytes += bytes;
	p->ops[p->nops] = op;
	return (int)p->nops++;
}

/* Sets op's base to the 8-byte pointer at byte off of the image m
 * describes: 0, or -1 when those bytes were not captured whole. */
static int pointer_base(const struct img_map *m, uint32_t off, struct dwt_cap_op *op)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct img_seg *s = &m->seg[i];

		if (off < s->dest || off + 8 > s->dest + s->size)
			continue;
		if (s->op == -1 && off == s->dest && s->regno < DWT_NGPR) {
			op->base = DWT_BASE_REG;
			op->regno = s->regno;
			return 0;
		}
		if (s->op >= 0) {
			op->base = DWT_BASE_PTR;
			op->src_op = (uint16_t)s->op;
			op->src_off = s->off + (off - s->dest);
			return 0;
		}
		return -1;
	}
	return -1;
}

/* Whether decoding a value of type t reads memory beyond its image. */
static bool type_reads_memory(const struct dw_type *t, int depth)
{
	const struct dw_type *s = dw_type_strip(t);

	if (!s || depth > TYPE_DEPTH)
		return false;
	switch (s->kind) {
	case DW_KIND_POINTER:
		return s->reference || dw_type_is_string(t);
	case DW_KIND_ARRAY:
		return !dw_type_is_char_array(t) && type_reads_memory(s->target, depth + 1);
	case DW_KIND_STRUCT:
	case DW_KIND_UNION:
		if (s->cxx_string)
			return true;
		for (size_t i = 0; i < s->nmembers; i++)
			if (!s->members[i].bit_size && type_reads_memory(s->members[i].type, depth + 1))
				return true;
		return false;
	default:
		return false;
	}
}

static void walk(struct compiler *c, const struct dw_type *t, const struct img_map *m, uint32_t off,
		 bool no_deref, int depth);

/* decode_reference(): the referent, then what decoding it reads. */
static void walk_reference(struct compiler *c, const struct dw_type *s, const struct img_map *m, uint32_t off,
			   int depth)
{
	size_t size = dw_type_size(s->target);
	struct dwt_cap_op op = {.kind = DWT_CAP_MEM, .size = (uint32_t)size};
	struct img_map sub = {1, {{0, (uint32_t)size, -1, 0, 0}}};

	if (!size || size > REFERENT_MAX || pointer_base(m, off, &op) != 0)
		return;
	sub.seg[0].op = add_op(c, op);
	if (sub.seg[0].op < 0)
		return;
	walk(c, s->target, &sub, 0, true, depth + 1);
}

/* decode_cxx_string(): min(length member, string_limit) characters. */
static void walk_cxx_string(struct compiler *c, const struct dw_type *s, const struct img_map *m, uint32_t off)
{
	struct dwt_cap_op op = {.kind = DWT_CAP_MEM, .size = (uint32_t)c->o->string_limit};
	struct dwt_cap_op len = {0};

	if (!op.size || pointer_base(m, off + (uint32_t)s->str_data_off, &op) != 0)
		return;
	/* The length as the capture reads it: from a blob only (capture_run
	 * has no register length); a length in a register (a string_view
	 * passed in two) copies string_limit bytes, of which decode uses the
	 * length's worth. */
	if (pointer_base(m, off + (uint32_t)s->str_len_off, &len) == 0 && len.base == DWT_BASE_PTR) {
		op.kind = DWT_CAP_MEM_LEN;
		op.len_op = len.src_op;
		op.len_off = len.src_off;
	}
	add_op(c, op);
}

static void walk(struct compiler *c, const struct dw_type *t, const struct img_map *m, uint32_t off,
		 bool no_deref, int depth)
{
	const struct dw_type *s = dw_type_strip(t);
	size_t size = dw_type_size(t);

	if (!s || depth > TYPE_DEPTH || !type_reads_memory(t, 0))
		return;
	switch (s->kind) {
	case DW_KIND_POINTER:
		if (s->reference) {
			if (!no_deref)
				walk_reference(c, s, m, off, depth);
		} else {
			struct dwt_cap_op op = {.kind = DWT_CAP_STRING, .size = (uint32_t)c->o->string_limit + 1};
			if (pointer_base(m, off, &op) == 0)
				add_op(c, op);
		}
		break;
	case DW_KIND_ARRAY: {
		size_t esize = dw_type_size(s->target);
		size_t n = esize ? s->count : 0;

		if (n > c->o->array_limit)
			n = c->o->array_limit;
		for (size_t i = 0; i < n && (i + 1) * esize <= size; i++)
			walk(c, s->target, m, off + (uint32_t)(i * esize), no_deref, depth + 1);
		break;
	}
	case DW_KIND_STRUCT:
	case DW_KIND_UNION:
		for (size_t i = 0; i < s->nmembers; i++) {
			const struct dw_member *mb = &s->members[i];
			if (!mb->bit_size && mb->offset + dw_type_size(mb->type) <= size)
				walk(c, mb->type, m, off + (uint32_t)mb->offset, no_deref, depth + 1);
		}
		if (s->cxx_string && size >= s->str_data_off + 8 && size >= s->str_len_off + 8)
			walk_cxx_string(c, s, m, off);
		break;
	default:
		break;
	}
}

/* For FETCH_EXPR pieces: an op the program has already (the return
 * address and caller's frame every entry value of a site reads) is
 * reused, not copied twice. */
static int add_op_cb(void *arg, struct dwt_cap_op op)
{
	struct compiler *c = arg;

	for (uint32_t i = 0; i < c->p->nops; i++) {
		const struct dwt_cap_op *o = &c->p->ops[i];
		if (o->kind == op.kind && o->base == op.base && o->regno == op.regno && o->src_op == op.src_op &&
		    o->src_off == op.src_off && o->size == op.size && o->offset == op.offset)
			return (int)i;
	}
	return add_op(c, op);
}

/* The ops of plan's memory pieces, and where each byte of its image comes from. */
static void compile_plan(struct compiler *c, const struct fetch_plan *plan, struct img_map *m)
{
	m->n = 0;
	if (!plan->available)
		return;
	for (unsigned i = 0; i < plan->npieces && i < FETCH_MAX_PIECES; i++) {
		const struct fetch_piece *pc = &plan->pieces[i];
		struct img_seg *s = &m->seg[m->n++];
		struct dwt_cap_op op = {.kind = DWT_CAP_MEM, .base = DWT_BASE_REG, .regno = pc->regno,
					.size = pc->size, .offset = pc->offset};

		*s = (struct img_seg){.dest = pc->dest, .size = pc->size, .op = -1, .regno = pc->regno};
		switch (pc->kind) {
		case FETCH_REG:
			continue;
		case FETCH_CONST:
		case FETCH_OPTIMIZED_OUT:
			/* Nothing to copy; pointers in a constant are not followed. */
			s->op = -2;
			continue;
		case FETCH_EXPR:
			/* What the evaluation reads, as far as known now. */
			s->op = capture_expr_ops(pc->data, pc->size, add_op_cb, c);
			if (s->op < 0)
				s->op = -2;
			continue;
		case FETCH_ABS:
			op.base = DWT_BASE_ABS;
			op.regno = 0;
			break;
		case FETCH_MEM_INDIRECT: {
			/* The object's address in a stack slot, then the object. */
			struct dwt_cap_op slot = op;
			int k;
			slot.size = 8;
			k = add_op(c, slot);
			if (k < 0) {
				s->op = -2;
				continue;
			}
			op = (struct dwt_cap_op){.kind = DWT_CAP_MEM, .base = DWT_BASE_PTR, .src_op = (uint16_t)k,
						 .size = pc->size};
			break;
		}
		default:
			break;
		}
		s->op = add_op(c, op);
		if (s->op < 0)
			s->op = -2;
	}
}

void capture_prog_compile(struct capture_prog *p, const struct event_layout *l, bool exit,
			  const struct decode_opts *o, bool go)
{
	size_t nfields = exit ? (l->has_ret ? 1 : 0) : l->nfields;
	/* A point's locals are decoded after its fields (decode_entry). */
	size_t nlocals = !exit && l->kind == LAYOUT_POINT ? l->nlocals : 0;
	size_t n = nfields + nlocals;
	struct compiler c = {p, o, (uint32_t)sizeof(struct dwt_rec_hdr), 0};
	struct img_map *maps = xcalloc(n ? n : 1, sizeof(*maps));
	const struct layout_field **fields = xcalloc(n ? n : 1, sizeof(*fields));

	for (size_t i = 0; i < nfields; i++)
		fields[i] = exit ? &l->ret : &l->fields[i];
	for (size_t i = 0; i < nlocals; i++)
		fields[nfields + i] = &l->locals[i];
	memset(p, 0, sizeof(*p));
	p->vregs = exit ? l->exit_vregs : l->entry_vregs;
	if (p->vregs)
		c.fixed += (uint32_t)sizeof(struct dwt_vregs);
	p->go_stack_hi_op = -1;
	if (go)
		p->go_stack_hi_op = add_op(&c, (struct dwt_cap_op){.kind = DWT_CAP_MEM, .base = DWT_BASE_REG,
								   .regno = GO_G_REGNO, .size = 8,
								   .offset = GO_G_STACK_HI});
	/* Every field's own bytes first, then what they point to: a program
	 * too long for the bounds loses strings before values. */
	for (size_t i = 0; i < n; i++)
		compile_plan(&c, &fields[i]->plan, &maps[i]);
	for (size_t i = 0; i < n; i++)
		if (fields[i]->plan.available)
			walk(&c, fields[i]->type, &maps[i], 0, false, 0);
	p->max_record = c.fixed + c.blob_bytes;
	free(fields);
	free(maps);
}
