/* --filter: binding to a layout and evaluation (probes/filter.h); the
 * parser is filter_parse.c. */
#include "filter.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* What an operand of the expression is once bound, to check comparisons. */
enum operand_kind {
	OP_NUMBER,
	OP_STRING,
	OP_AGGREGATE,
	OP_BOOL,
	OP_MISSING,     /* a name this layout lacks: fits anywhere (its comparisons are false) */
};

struct binder {
	const struct filter *f;
	const struct event_layout *l;
	struct filter_bound *b;
	char *err;
};

__attribute__((format(printf, 2, 3))) static void bind_fail(struct binder *bd, const char *fmt, ...)
{
	va_list ap;
	char what[400];

	if (bd->err)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	bd->err = xasprintf("--filter: %s", what);
}

/* The type values of t are decoded as: through typedefs, qualifiers and
 * C++ references (whose value has the referent as its one child). */
static const struct dw_type *leaf_type(const struct dw_type *t)
{
	t = dw_type_strip(t);
	while (t && t->kind == DW_KIND_POINTER && t->reference)
		t = dw_type_strip(t->target);
	return t;
}

/* Through C++ references too: a const std::string & is a string. */
static bool type_is_string(const struct dw_type *t)
{
	const struct dw_type *s = leaf_type(t);

	return s && (dw_type_is_string(s) || dw_type_is_char_array(s) || (s->kind == DW_KIND_STRUCT && s->cxx_string));
}

/* The base of a field name: what the layout calls it. */
static void bind_base(struct binder *bd, struct filter_field *ff, const char *base)
{
	const struct event_layout *l = bd->l;

	for (size_t i = 0; i < l->nfields; i++) {
		if (l->fields[i].name && !strcmp(l->fields[i].name, base)) {
			ff->source = FILTER_SRC_ARG;
			ff->index = i;
			ff->type = l->fields[i].type;
			return;
		}
	}
	for (size_t i = 0; i < l->nlocals; i++) {
		if (l->locals[i].name && !strcmp(l->locals[i].name, base)) {
			ff->source = FILTER_SRC_LOCAL;
			ff->index = i;
			ff->type = l->locals[i].type;
			return;
		}
	}
	ff->type = NULL;
	if (!strcmp(base, "retval"))
		ff->source = FILTER_SRC_RETVAL;
	else if (!strcmp(base, "duration_ns"))
		ff->source = FILTER_SRC_DURATION;
	else if (!strcmp(base, "tid") || !strcmp(base, "$ctx.vtid") || !strcmp(base, "$ctx.tid"))
		ff->source = FILTER_SRC_TID;
	else if (!strcmp(base, "pid") || !strcmp(base, "$ctx.vpid") || !strcmp(base, "$ctx.pid"))
		ff->source = FILTER_SRC_PID;
	else if (!strcmp(base, "depth"))
		ff->source = FILTER_SRC_DEPTH;
	else
		ff->source = FILTER_SRC_MISSING;
}

static void bind_retval(struct binder *bd, struct filter_field *ff, const char *name)
{
	const struct event_layout *l = bd->l;

	(void)name;
	if (l->kind == LAYOUT_POINT || l->kind == LAYOUT_INLINED) {
		/* No exit: it lacks retval and duration_ns as a void function
		 * lacks retval (a glob may match points and copies with the
		 * functions; filter_probes.c notes it). */
		ff->source = FILTER_SRC_MISSING;
		ff->type = NULL;
		return;
	}
	if (ff->source == FILTER_SRC_RETVAL) {
		if (!l->has_ret) {
			/* A void function lacks it, as another probe may lack a
			 * parameter (-e 'lib_*' with void functions among them). */
			ff->source = FILTER_SRC_MISSING;
			return;
		}
		ff->type = l->ret.type;
	}
	bd->b->at_exit = true;
}

/* Steps of "p.x[2]" after the base, resolved against ff->type. */
static void bind_steps(struct binder *bd, struct filter_field *ff, const char *name, const char *rest)
{
	while (*rest && !bd->err) {
		const struct dw_type *t = leaf_type(ff->type);
		struct filter_step *st;

		if (ff->nsteps == FILTER_MAX_STEPS) {
			bind_fail(bd, "'%s' goes more than %d members deep", name, FILTER_MAX_STEPS);
			return;
		}
		st = &ff->steps[ff->nsteps];
		if (*rest == '.') {
			size_t n = strcspn(rest + 1, ".[");
			size_t m;

			if (!t || (t->kind != DW_KIND_STRUCT && t->kind != DW_KIND_UNION) || t->cxx_string) {
				bind_fail(bd, "'%s' of probe '%s': '%.*s' is not a struct or union", name,
					  bd->l->function, (int)(rest - name), name);
				return;
			}
			for (m = 0; m < t->nmembers; m++) {
				if (t->members[m].name && strlen(t->members[m].name) == n &&
				    !strncmp(t->members[m].name, rest + 1, n))
					break;
			}
			if (m == t->nmembers) {
				bind_fail(bd, "'%s' of probe '%s': %s %s has no member '%.*s'", name, bd->l->function,
					  t->kind == DW_KIND_STRUCT ? "struct" : "union", t->name ? t->name : "(anonymous)",
					  (int)n, rest + 1);
				return;
			}
			st->is_index = false;
			st->member = m;
			ff->type = t->members[m].type;
			rest += 1 + n;
		} else {
			char *end;
			unsigned long long i = strtoull(rest + 1, &end, 10);

			if (!t || t->kind != DW_KIND_ARRAY) {
				bind_fail(bd, "'%s' of probe '%s': '%.*s' is not an array", name, bd->l->function,
					  (int)(rest - name), name);
				return;
			}
			if (t->count && i >= t->count) {
				bind_fail(bd, "'%s' of probe '%s': the array has %zu elements", name, bd->l->function,
					  t->count);
				return;
			}
			st->is_index = true;
			st->index = (size_t)i;
			ff->type = t->target;
			rest = end + 1;
		}
		ff->nsteps++;
	}
}

static void bind_field(struct binder *bd, const struct filter_node *n)
{
	struct filter_field *ff = &bd->b->fields[n->field];
	size_t blen = n->name[0] == '$' ? strlen(n->name) : strcspn(n->name, ".[");
	char *base = xstrndup(n->name, blen);

	bind_base(bd, ff, base);
	free(base);
	if (ff->source == FILTER_SRC_RETVAL || ff->source == FILTER_SRC_DURATION)
		bind_retval(bd, ff, n->name);
	if (ff->source == FILTER_SRC_MISSING)
		return;
	if (n->name[blen] && ff->source != FILTER_SRC_ARG && ff->source != FILTER_SRC_LOCAL &&
	    ff->source != FILTER_SRC_RETVAL) {
		bind_fail(bd, "'%s': '%.*s' is a number, with no members", n->name, (int)blen, n->name);
		return;
	}
	bind_steps(bd, ff, n->name, n->name + blen);
}

static enum operand_kind field_kind(const struct filter_field *ff)
{
	const struct dw_type *t;

	if (ff->source == FILTER_SRC_MISSING)
		return OP_MISSING;
	if (!ff->type)
		return OP_NUMBER;
	if (type_is_string(ff->type))
		return OP_STRING;
	t = leaf_type(ff->type);
	if (!t || t->kind == DW_KIND_STRUCT || t->kind == DW_KIND_UNION || t->kind == DW_KIND_ARRAY ||
	    t->kind == DW_KIND_COMPLEX || t->kind == DW_KIND_UNKNOWN || t->kind == DW_KIND_VOID)
		return OP_AGGREGATE;
	return OP_NUMBER;
}

/* A bare NAME the layout lacks, compared with an enum field: its enumerator. */
static void bind_enumerator(struct binder *bd, const struct filter_node *name, const struct filter_node *other)
{
	struct filter_field *ff = &bd->b->fields[name->field];
	const struct filter_field *of = &bd->b->fields[other->field];
	const struct dw_type *t = leaf_type(of->type);

	if (ff->source != FILTER_SRC_MISSING || of->source == FILTER_SRC_MISSING || !t || t->kind != DW_KIND_ENUM ||
	    strpbrk(name->name, ".[$"))
		return;
	for (size_t i = 0; i < t->nenumerators; i++) {
		if (!strcmp(t->enumerators[i].name, name->name)) {
			ff->source = FILTER_SRC_ENUMERATOR;
			ff->enum_value = t->enumerators[i].value;
			ff->type = of->type;
			return;
		}
	}
	bind_fail(bd, "'%s' of probe '%s' is an enum %s: '%s' is not one of its enumerators", other->name,
		  bd->l->function, t->name ? t->name : "(anonymous)", name->name);
}

/* The kind of what n computes, checking that its operands fit together. */
static enum operand_kind check(struct binder *bd, const struct filter_node *n)
{
	enum operand_kind l, r;
	const struct filter_node *s, *o;

	if (bd->err)
		return OP_BOOL;
	switch (n->kind) {
	case FILTER_INT:
	case FILTER_FLOAT:
		return OP_NUMBER;
	case FILTER_STRING:
		return OP_STRING;
	case FILTER_FIELD:
		return field_kind(&bd->b->fields[n->field]);
	case FILTER_OR:
	case FILTER_AND:
	case FILTER_NOT:
		l = check(bd, n->l);
		r = n->r ? check(bd, n->r) : OP_BOOL;
		if (l == OP_STRING || r == OP_STRING || l == OP_AGGREGATE || r == OP_AGGREGATE)
			bind_fail(bd, "the operand of '%s' at column %zu is not a condition or a number",
				  n->kind == FILTER_OR ? "||" : n->kind == FILTER_AND ? "&&" : "!", n->column);
		return OP_BOOL;
	case FILTER_CMP:
		if (n->l->kind == FILTER_FIELD && n->r->kind == FILTER_FIELD) {
			bind_enumerator(bd, n->l, n->r);
			bind_enumerator(bd, n->r, n->l);
		}
		l = check(bd, n->l);
		r = check(bd, n->r);
		if (bd->err || l == OP_MISSING || r == OP_MISSING)
			return OP_BOOL;
		if (l == OP_STRING || r == OP_STRING) {
			s = l == OP_STRING ? n->l : n->r;
			o = l == OP_STRING ? n->r : n->l;
			if ((l != r) && s->kind == FILTER_FIELD)
				bind_fail(bd, "'%s' of probe '%s' is a string: compare it with a \"string\"", s->name,
					  bd->l->function);
			else if (l != r)
				bind_fail(bd, "'%s' of probe '%s' is not a string: compare it with a number",
					  o->kind == FILTER_FIELD ? o->name : "?", bd->l->function);
			else if (n->cmp != FILTER_EQ && n->cmp != FILTER_NE)
				bind_fail(bd, "strings compare with == and != only (column %zu)", n->column);
			else if (n->l->kind == FILTER_STRING && n->r->kind == FILTER_STRING)
				bind_fail(bd, "two strings compared at column %zu: one side must be a field", n->column);
			return OP_BOOL;
		}
		if (l == OP_AGGREGATE || r == OP_AGGREGATE) {
			s = l == OP_AGGREGATE ? n->l : n->r;
			bind_fail(bd, "'%s' of probe '%s' is not a number or a string: compare its members or elements",
				  s->name, bd->l->function);
		}
		return OP_BOOL;
	case FILTER_BIT:
	case FILTER_NEG:
		l = check(bd, n->l);
		r = n->r ? check(bd, n->r) : OP_NUMBER;
		if (l == OP_STRING || r == OP_STRING || l == OP_AGGREGATE || r == OP_AGGREGATE)
			bind_fail(bd, "the operator at column %zu needs numbers", n->column);
		return OP_NUMBER;
	}
	return OP_BOOL;
}

struct filter_bound *filter_bind(const struct filter *f, const struct event_layout *l, char **err)
{
	struct binder bd = {.f = f, .l = l};
	struct filter_bound *b = xcalloc(1, sizeof(*b));

	*err = NULL;
	b->filter = f;
	b->layout = l;
	b->fields = xcalloc(f->nfields ? f->nfields : 1, sizeof(*b->fields));
	bd.b = b;
	for (size_t i = 0; i < f->nfields && !bd.err; i++)
		bind_field(&bd, f->fields[i]);
	check(&bd, f->root);
	if (bd.err) {
		*err = bd.err;
		filter_bound_free(b);
		return NULL;
	}
	for (size_t i = 0; i < f->nfields; i++)
		b->nmissing += b->fields[i].source == FILTER_SRC_MISSING;
	return b;
}

struct filter_bound *filter_bound_reject_all(const struct filter *f, const struct event_layout *l)
{
	struct filter_bound *b = xcalloc(1, sizeof(*b));

	b->filter = f;
	b->layout = l;
	b->fields = xcalloc(f->nfields ? f->nfields : 1, sizeof(*b->fields));
	for (size_t i = 0; i < f->nfields; i++)
		b->fields[i].source = FILTER_SRC_MISSING;
	b->nmissing = f->nfields;
	b->reject_all = true;
	return b;
}

void filter_bound_free(struct filter_bound *b)
{
	if (!b)
		return;
	free(b->fields);
	free(b);
}

/* A value during evaluation. */
/* EV_NONE: missing or unavailable, a known "false" for comparisons;
 * EV_UNKNOWN: retval or duration_ns at the entry (filter_eval_entry). */
enum ev_kind { EV_NONE, EV_SINT, EV_UINT, EV_FLOAT, EV_STR, EV_UNKNOWN };

struct ev {
	enum ev_kind kind;
	size_t size;            /* EV_SINT, EV_UINT: bytes of the C type (for C's conversions) */
	int64_t s;
	uint64_t u;
	long double f;
	const char *str;        /* EV_STR */
	size_t str_len;
	bool str_truncated;     /* EV_STR: only the first str_len characters were captured (-s) */
	const struct filter_node *lit; /* EV_STR from a literal: its glob */
};

struct eval_ctx {
	const struct filter_bound *b;
	const struct event_header *h;
	const struct value *args, *ret;
	uint64_t duration_ns;
	bool at_entry;          /* retval and duration_ns are EV_UNKNOWN */
};

static const struct ev ev_unknown = {.kind = EV_UNKNOWN};

static struct ev ev_sint(int64_t v, size_t size)
{
	return (struct ev){.kind = EV_SINT, .s = v, .size = size};
}

static struct ev ev_uint(uint64_t v, size_t size)
{
	return (struct ev){.kind = EV_UINT, .u = v, .size = size};
}

static struct ev ev_of_value(const struct value *v)
{
	const struct dw_type *t;

	while (v && v->available) {
		t = dw_type_strip(v->type);
		if (!(t && t->kind == DW_KIND_POINTER && t->reference))
			break;
		v = v->nchildren ? &v->children[0] : NULL;
	}
	if (!v || !v->available)
		return (struct ev){.kind = EV_NONE};
	if (type_is_string(v->type)) {
		if (!v->has_string)
			return (struct ev){.kind = EV_NONE};
		return (struct ev){.kind = EV_STR, .str = v->str, .str_len = v->str_len,
				   .str_truncated = v->str_truncated};
	}
	t = dw_type_strip(v->type);
	if (!t)
		return (struct ev){.kind = EV_NONE};
	switch (t->kind) {
	case DW_KIND_SINT:
		return ev_sint(value_as_s64(v), t->size);
	case DW_KIND_ENUM:
		return t->enum_signed ? ev_sint(value_as_s64(v), t->size) : ev_uint(value_as_u64(v), t->size);
	case DW_KIND_UINT:
	case DW_KIND_BOOL:
	case DW_KIND_POINTER:
		return ev_uint(value_as_u64(v), t->kind == DW_KIND_POINTER ? 8 : t->size);
	case DW_KIND_FLOAT:
		return (struct ev){.kind = EV_FLOAT, .f = value_as_float(v)};
	default:
		return (struct ev){.kind = EV_NONE};
	}
}

/* The value a field stands for in this event, EV_NONE when missing or unavailable. */
static struct ev eval_field(const struct eval_ctx *c, const struct filter_node *n)
{
	const struct filter_field *ff = &c->b->fields[n->field];
	const struct value *v = NULL;

	switch (ff->source) {
	case FILTER_SRC_ARG:
		v = c->args ? &c->args[ff->index] : NULL;
		break;
	case FILTER_SRC_LOCAL:
		v = c->args ? &c->args[c->b->layout->nfields + ff->index] : NULL;
		break;
	case FILTER_SRC_RETVAL:
		if (c->at_entry)
			return ev_unknown;
		v = c->ret;
		break;
	case FILTER_SRC_DURATION:
		if (c->at_entry)
			return ev_unknown;
		return ev_uint(c->duration_ns, 8);
	case FILTER_SRC_TID:
		return ev_sint(c->h->tid, 4);
	case FILTER_SRC_PID:
		return ev_sint(c->h->pid, 4);
	case FILTER_SRC_DEPTH:
		return ev_uint(c->h->depth, 4);
	case FILTER_SRC_ENUMERATOR:
		return ev_of_value(&(struct value){.type = ff->type,
						   .available = true,
						   .bytes = (const uint8_t *)&ff->enum_value,
						   .size = dw_type_size(ff->type)});
	case FILTER_SRC_MISSING:
		return (struct ev){.kind = EV_NONE};
	}
	for (size_t i = 0; v && i < ff->nsteps; i++) {
		const struct filter_step *st = &ff->steps[i];
		size_t k = st->is_index ? st->index : st->member;

		/* Through C++ references: their one child is the referent. */
		while (v && v->available && v->type && dw_type_strip(v->type)->kind == DW_KIND_POINTER &&
		       dw_type_strip(v->type)->reference)
			v = v->nchildren ? &v->children[0] : NULL;
		if (!v || !v->available || k >= v->nchildren)
			return (struct ev){.kind = EV_NONE};
		v = &v->children[k];
	}
	return ev_of_value(v);
}

/* C's usual arithmetic conversions for two integers: whether they compare as unsigned. */
static bool as_unsigned(const struct ev *a, const struct ev *b)
{
	const struct ev *u = a->kind == EV_UINT ? a : b, *s = a->kind == EV_UINT ? b : a;

	if (a->kind == EV_SINT && b->kind == EV_SINT)
		return false;
	if (a->kind == EV_UINT && b->kind == EV_UINT)
		return true;
	/* Unsigned types narrower than int promote to int; a signed type
	 * wider than the unsigned one holds all its values. */
	if (u->size < 4)
		return false;
	return s->size <= u->size;
}

static long double as_float(const struct ev *e)
{
	return e->kind == EV_SINT ? (long double)e->s : e->kind == EV_UINT ? (long double)e->u : e->f;
}

static bool ev_true(const struct ev *e)
{
	switch (e->kind) {
	case EV_SINT: return e->s != 0;
	case EV_UINT: return e->u != 0;
	case EV_FLOAT: return e->f != 0;
	default: return false;
	}
}

/* '*' matches any run of characters; '\*' a star, '\\' a backslash
 * (LTTng's globs).  Iterative, backtracking to the last star only (enough
 * for '*' globs): a pattern of many stars costs neither stack nor
 * exponential time. */
static bool glob_match(const char *pat, const char *s, size_t len)
{
	const char *p = pat, *star = NULL;
	size_t i = 0, star_i = 0;

	for (;;) {
		if (*p == '*') {
			while (*p == '*')
				p++;
			star = p;
			star_i = i;
			continue;
		}
		if (i == len && !*p)
			return true;
		if (*p && i < len) {
			const char *q = *p == '\\' && p[1] ? p + 1 : p;

			if (s[i] == *q) {
				p = q + 1;
				i++;
				continue;
			}
		}
		/* Let the last star take one more character. */
		if (!star || star_i >= len)
			return false;
		i = ++star_i;
		p = star;
	}
}

static int cmp3(long double a, long double b)
{
	return a < b ? -1 : a > b;
}

static struct ev eval(const struct eval_ctx *c, const struct filter_node *n);

/* n's comparison of two known values a and b. */
static bool compare_known(const struct filter_node *n, struct ev a, struct ev b)
{
	int d;

	if (a.kind == EV_STR || b.kind == EV_STR) {
		const struct filter_node *lit = n->l->kind == FILTER_STRING ? n->l : n->r;
		bool eq;

		if (a.kind != EV_STR || b.kind != EV_STR)
			return false;
		if (lit->kind == FILTER_STRING && lit->str_glob) {
			const struct ev *s = lit == n->l ? &b : &a;
			size_t pl = strlen(lit->pattern);

			eq = glob_match(lit->pattern, s->str, s->str_len);
			/* A string cut at -s: only a match that any rest would
			 * keep (a trailing '*') decides; otherwise unknown. */
			if (s->str_truncated && !(eq && pl && lit->pattern[pl - 1] == '*' &&
						  (pl < 2 || lit->pattern[pl - 2] != '\\')))
				return false;
		} else {
			const struct ev *s = a.str_truncated ? &a : &b, *o = a.str_truncated ? &b : &a;

			/* A cut string is longer than its characters: equal to
			 * nothing shorter, unknown against a longer one with
			 * the same start. */
			if (s->str_truncated && !o->str_truncated && o->str_len > s->str_len &&
			    !memcmp(s->str, o->str, s->str_len))
				return false;
			eq = a.str_len == b.str_len && !memcmp(a.str, b.str, a.str_len) && !a.str_truncated &&
			     !b.str_truncated;
		}
		return n->cmp == FILTER_EQ ? eq : n->cmp == FILTER_NE ? !eq : false;
	}
	if (a.kind == EV_FLOAT || b.kind == EV_FLOAT)
		d = cmp3(as_float(&a), as_float(&b));
	else if (as_unsigned(&a, &b)) {
		uint64_t x = a.kind == EV_UINT ? a.u : (uint64_t)a.s, y = b.kind == EV_UINT ? b.u : (uint64_t)b.s;

		d = x < y ? -1 : x > y;
	} else {
		int64_t x = a.kind == EV_SINT ? a.s : (int64_t)a.u, y = b.kind == EV_SINT ? b.s : (int64_t)b.u;

		d = x < y ? -1 : x > y;
	}
	switch (n->cmp) {
	case FILTER_EQ: return d == 0;
	case FILTER_NE: return d != 0;
	case FILTER_LT: return d < 0;
	case FILTER_LE: return d <= 0;
	case FILTER_GT: return d > 0;
	case FILTER_GE: return d >= 0;
	}
	return false;
}

/* A missing value makes the comparison false even when the other side is
 * unknown (LTTng's rule decides it); otherwise unknown stays unknown. */
static struct ev compare(const struct eval_ctx *c, const struct filter_node *n)
{
	struct ev a = eval(c, n->l), b = eval(c, n->r);

	if (a.kind == EV_NONE || b.kind == EV_NONE)
		return ev_sint(0, 4);
	if (a.kind == EV_UNKNOWN || b.kind == EV_UNKNOWN)
		return ev_unknown;
	return ev_sint(compare_known(n, a, b), 4);
}

static struct ev bitwise(const struct eval_ctx *c, const struct filter_node *n)
{
	struct ev a = eval(c, n->l), b = n->r ? eval(c, n->r) : ev_sint(0, 8);
	bool u;
	uint64_t x, y, r;

	if (a.kind == EV_NONE || b.kind == EV_NONE)
		return (struct ev){.kind = EV_NONE};
	if (a.kind == EV_UNKNOWN || b.kind == EV_UNKNOWN)
		return ev_unknown;
	if (a.kind == EV_FLOAT || b.kind == EV_FLOAT || a.kind == EV_STR ||
	    b.kind == EV_STR)
		return (struct ev){.kind = EV_NONE};
	u = as_unsigned(&a, &b);
	x = a.kind == EV_UINT ? a.u : (uint64_t)a.s;
	y = b.kind == EV_UINT ? b.u : (uint64_t)b.s;
	switch (n->bit) {
	case FILTER_BIT_AND: r = x & y; break;
	case FILTER_BIT_OR: r = x | y; break;
	case FILTER_BIT_XOR: r = x ^ y; break;
	case FILTER_BIT_SHL: r = y >= 64 ? 0 : x << y; break;
	case FILTER_BIT_SHR:
		if (y >= 64)
			r = !u && (int64_t)x < 0 ? ~0ull : 0;
		else
			r = !u && (int64_t)x < 0 ? ~(~x >> y) : x >> y;
		break;
	default: r = ~x; break;
	}
	return u ? ev_uint(r, 8) : ev_sint((int64_t)r, 8);
}

static struct ev eval(const struct eval_ctx *c, const struct filter_node *n)
{
	struct ev a;

	switch (n->kind) {
	case FILTER_OR:
	case FILTER_AND: {
		/* Kleene: one true decides ||, one false decides &&; else unknown wins. */
		bool dec = n->kind == FILTER_OR;
		struct ev b;

		a = eval(c, n->l);
		if (a.kind != EV_UNKNOWN && ev_true(&a) == dec)
			return ev_sint(dec, 4);
		b = eval(c, n->r);
		if (b.kind != EV_UNKNOWN && ev_true(&b) == dec)
			return ev_sint(dec, 4);
		if (a.kind == EV_UNKNOWN || b.kind == EV_UNKNOWN)
			return ev_unknown;
		return ev_sint(!dec, 4);
	}
	case FILTER_NOT:
		a = eval(c, n->l);
		if (a.kind == EV_UNKNOWN)
			return a;
		/* A missing operand of a comparison made it false: its negation is true. */
		return ev_sint(!ev_true(&a), 4);
	case FILTER_CMP:
		return compare(c, n);
	case FILTER_BIT:
		return bitwise(c, n);
	case FILTER_NEG:
		a = eval(c, n->l);
		if (a.kind == EV_UNKNOWN)
			return a;
		if (a.kind == EV_SINT || a.kind == EV_UINT)
			return a.kind == EV_UINT ? ev_uint(0 - a.u, a.size) : ev_sint((int64_t)(0 - (uint64_t)a.s), a.size);
		if (a.kind == EV_FLOAT)
			a.f = -a.f;
		return a;
	case FILTER_INT:
		return n->ival_unsigned ? ev_uint((uint64_t)n->ival, 8) : ev_sint(n->ival, 8);
	case FILTER_FLOAT:
		return (struct ev){.kind = EV_FLOAT, .f = n->fval};
	case FILTER_STRING:
		return (struct ev){.kind = EV_STR, .str = n->str, .str_len = n->str_len, .lit = n};
	case FILTER_FIELD:
		return eval_field(c, n);
	}
	return (struct ev){.kind = EV_NONE};
}

bool filter_eval(const struct filter_bound *b, const struct event_header *h, const struct value *args,
		 const struct value *ret, uint64_t duration_ns)
{
	struct eval_ctx c = {.b = b, .h = h, .args = args, .ret = ret, .duration_ns = duration_ns};
	struct ev r;

	if (!b)
		return true;
	if (b->reject_all)
		return false;
	r = eval(&c, b->filter->root);
	return ev_true(&r);
}

enum filter_verdict filter_eval_entry(const struct filter_bound *b, const struct event_header *h,
				      const struct value *args)
{
	struct eval_ctx c = {.b = b, .h = h, .args = args, .at_entry = true};
	struct ev r;

	if (!b)
		return FILTER_TRUE;
	if (b->reject_all)
		return FILTER_FALSE;
	r = eval(&c, b->filter->root);
	if (r.kind == EV_UNKNOWN)
		return FILTER_UNKNOWN;
	return ev_true(&r) ? FILTER_TRUE : FILTER_FALSE;
}
