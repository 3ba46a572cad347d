/* Filter programs at the hit (filter_run.h).  Compiled into the agent with
 * -mgeneral-regs-only -ffreestanding, and into dwtrace (unit tests). */
#include "filter_run.h"

#define PAD8(n) (((n) + 7u) & ~7u)

struct slot {
	int64_t v;
	int ok; /* 0: unavailable */
};

/* What a step can end in besides going on. */
enum { GO = 0, UNDECIDED = 1 };

static uint64_t load_le(const uint8_t *p, uint32_t size)
{
	uint64_t v = 0;

	for (uint32_t i = size; i--;)
		v = v << 8 | p[i];
	return v;
}

static int64_t extend(uint64_t v, uint32_t size, int is_signed)
{
	if (size >= 8)
		return (int64_t)v;
	v &= (UINT64_C(1) << (8 * size)) - 1;
	if (is_signed && (v >> (8 * size - 1)) & 1)
		v |= ~UINT64_C(0) << (8 * size);
	return (int64_t)v;
}

/* Blob i of v: its header's fields and data, or -1 when the blobs end
 * before it or it runs past blobs_size. */
static int blob_at(const struct filter_view *v, uint32_t i, const uint8_t **data, uint32_t *len, uint32_t *flags)
{
	uint64_t at = 0;

	if (!v->blobs)
		return -1;
	for (uint32_t k = 0;; k++) {
		struct dwt_blob b;
		const uint8_t *h = v->blobs + at;

		if (at + sizeof(b) > v->blobs_size)
			return -1;
		b.len = (uint32_t)load_le(h + 8, 4);
		b.flags = (uint32_t)load_le(h + 12, 4);
		if (b.len > v->blobs_size - at - sizeof(b))
			return -1;
		if (k == i) {
			*data = h + sizeof(b);
			*len = b.len;
			*flags = b.flags;
			return 0;
		}
		at += sizeof(b) + PAD8((uint64_t)b.len);
		if (k >= DWT_MAX_OPS_PER_SITE)
			return -1;
	}
}

/* Whether the n bytes at s match the m bytes of pattern p, where '*'
 * matches any run of bytes and '\' quotes the next byte: the classic
 * backtracking to the last star, O(n * m) steps at most. */
static int glob_match(const uint8_t *s, uint32_t n, const uint8_t *p, uint32_t m)
{
	uint32_t i = 0, j = 0, star_j = UINT32_MAX, star_i = 0;

	while (i < n) {
		if (j < m && p[j] == '*') {
			star_j = ++j;
			star_i = i;
			continue;
		}
		if (j < m) {
			uint32_t q = j;
			if (p[q] == '\\' && q + 1 < m)
				q++;
			if (p[q] == s[i]) {
				i++;
				j = q + 1;
				continue;
			}
		}
		if (star_j == UINT32_MAX)
			return 0;
		j = star_j;
		i = ++star_i;
	}
	while (j < m && p[j] == '*')
		j++;
	return j == m;
}

/* DWT_F_STR_EQ: the string in blob op->arg against the pattern.  GO with
 * *out set, or UNDECIDED (a malformed program, a string cut short). */
static int str_cmp(const struct dwt_filter_op *op, const uint8_t *prog, uint32_t size, const struct filter_view *v,
		   struct slot *out)
{
	const uint8_t *data;
	uint32_t len, flags;

	if (op->off > size || op->len > size - op->off || blob_at(v, op->arg, &data, &len, &flags) != 0)
		return UNDECIDED;
	out->ok = 0;
	out->v = 0;
	if (flags & DWT_BLOB_UNREADABLE)
		return GO;
	/* The characters before the NUL; without one the string was cut at
	 * the capture limit (or by a fault): what follows is unknown. */
	if ((flags & DWT_BLOB_SHORT) || !len || data[len - 1] != 0)
		return UNDECIDED;
	len--;
	const uint8_t *p = prog + op->off;
	int eq;
	if (op->flags & DWT_F_GLOB) {
		eq = glob_match(data, len, p, op->len);
	} else {
		eq = len == op->len;
		for (uint32_t k = 0; eq && k < len; k++)
			eq = data[k] == p[k];
	}
	out->ok = 1;
	out->v = op->code == DWT_F_STR_EQ ? eq : !eq;
	return GO;
}

static int compare(uint8_t code, uint8_t flags, struct slot a, struct slot b)
{
	int u = (flags & DWT_F_UNSIGNED) != 0;
	uint64_t ua = (uint64_t)a.v, ub = (uint64_t)b.v;

	if (!a.ok || !b.ok)
		return 0;
	switch (code) {
	case DWT_F_EQ:
		return a.v == b.v;
	case DWT_F_NE:
		return a.v != b.v;
	case DWT_F_LT:
		return u ? ua < ub : a.v < b.v;
	case DWT_F_LE:
		return u ? ua <= ub : a.v <= b.v;
	case DWT_F_GT:
		return u ? ua > ub : a.v > b.v;
	default: /* DWT_F_GE */
		return u ? ua >= ub : a.v >= b.v;
	}
}

/* A binary operator other than a comparison: GO with *r set, or UNDECIDED. */
static int binary(uint8_t code, uint8_t flags, struct slot a, struct slot b, struct slot *r)
{
	int ta = a.ok && a.v, tb = b.ok && b.v;
	uint64_t ua = (uint64_t)a.v;

	r->ok = 1;
	switch (code) {
	case DWT_F_AND:
		r->v = ta && tb;
		return GO;
	case DWT_F_OR:
		r->v = ta || tb;
		return GO;
	default:
		break;
	}
	r->ok = a.ok && b.ok;
	r->v = 0;
	if (!r->ok)
		return GO;
	switch (code) {
	case DWT_F_BAND:
		r->v = a.v & b.v;
		break;
	case DWT_F_BOR:
		r->v = a.v | b.v;
		break;
	case DWT_F_BXOR:
		r->v = a.v ^ b.v;
		break;
	case DWT_F_SHL:
	case DWT_F_SHR:
		if (b.v < 0 || b.v > 63)
			return UNDECIDED;
		if (code == DWT_F_SHL)
			r->v = (int64_t)(ua << b.v);
		else if (flags & DWT_F_SIGNED)
			r->v = a.v < 0 ? (int64_t)~(~ua >> b.v) : (int64_t)(ua >> b.v);
		else
			r->v = (int64_t)(ua >> b.v);
		break;
	default:
		return UNDECIDED;
	}
	return GO;
}

int filter_run(const uint8_t *prog, uint32_t size, uint32_t nops, const struct filter_view *v)
{
	struct slot st[DWT_FILTER_STACK];
	uint32_t n = 0;

	if (!prog || nops > DWT_FILTER_MAX_OPS || (uint64_t)nops * sizeof(struct dwt_filter_op) > size ||
	    size > DWT_FILTER_MAX_BYTES || !v || !v->regs)
		return 1;
	for (uint32_t i = 0; i < nops; i++) {
		const struct dwt_filter_op *op = (const struct dwt_filter_op *)prog + i;
		struct slot s = {0, 1};
		const uint8_t *data;
		uint32_t len, flags;

		switch (op->code) {
		case DWT_F_LOAD_REG:
			if (op->arg >= DWT_NGPR || !op->size || op->size > 8 || (op->size & (op->size - 1)) ||
			    op->off > 8u - op->size)
				return 1;
			s.v = extend(v->regs->gpr[op->arg] >> (8 * op->off), op->size, op->flags & DWT_F_SIGNED);
			break;
		case DWT_F_LOAD_BLOB:
			if (!op->size || op->size > 8 || (op->size & (op->size - 1)) ||
			    blob_at(v, op->arg, &data, &len, &flags) != 0)
				return 1;
			if ((flags & DWT_BLOB_UNREADABLE) || op->off > len || op->size > len - op->off)
				s.ok = 0;
			else
				s.v = extend(load_le(data + op->off, op->size), op->size, op->flags & DWT_F_SIGNED);
			break;
		case DWT_F_CONST:
			s.v = op->imm;
			break;
		case DWT_F_TID:
			s.v = v->tid;
			break;
		case DWT_F_PID:
			s.v = v->pid;
			break;
		case DWT_F_NONE:
			s.ok = 0;
			break;
		case DWT_F_STR_EQ:
		case DWT_F_STR_NE:
			if (str_cmp(op, prog, size, v, &s) != GO)
				return 1;
			break;
		case DWT_F_NOT:
		case DWT_F_BNOT:
		case DWT_F_NEG:
			if (n < 1)
				return 1;
			s = st[--n];
			if (op->code == DWT_F_NOT)
				s.v = !(s.ok && s.v), s.ok = 1;
			else if (op->code == DWT_F_BNOT)
				s.v = ~s.v;
			else
				s.v = (int64_t)(0 - (uint64_t)s.v);
			break;
		case DWT_F_EQ:
		case DWT_F_NE:
		case DWT_F_LT:
		case DWT_F_LE:
		case DWT_F_GT:
		case DWT_F_GE:
			if (n < 2)
				return 1;
			n -= 2;
			s.v = compare(op->code, op->flags, st[n], st[n + 1]);
			break;
		case DWT_F_AND:
		case DWT_F_OR:
		case DWT_F_BAND:
		case DWT_F_BOR:
		case DWT_F_BXOR:
		case DWT_F_SHL:
		case DWT_F_SHR:
			if (n < 2)
				return 1;
			n -= 2;
			if (binary(op->code, op->flags, st[n], st[n + 1], &s) != GO)
				return 1;
			break;
		default:
			return 1;
		}
		if (n >= DWT_FILTER_STACK)
			return 1;
		st[n++] = s;
	}
	if (n != 1)
		return 1;
	return st[0].ok && st[0].v != 0;
}
