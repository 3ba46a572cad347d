/* TEST ORACLE ONLY: issue 11's probes/lttng_event_desc.c, frozen, for
 * test_ust_desc_lttng (the description compiler against what it replaced);
 * libdwtrace-lttng.so builds its descriptions with probes/ust_lttng_desc.c.
 *
 * Event descriptions for lttng-ust built at run time from event layouts:
 * every parameter (structures flattened into PARAM_MEMBER fields) becomes
 * a typed CTF field, as a TRACEPOINT_EVENT's TP_FIELDS would declare it. */
#define _GNU_SOURCE
#include <float.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink_lttng_internal.h"
#include "xalloc.h"

/* ---- types ----------------------------------------------------------- */


static struct lttng_ust_type_common *int_type(unsigned size, bool is_signed, unsigned base)
{
	struct lttng_ust_type_integer *t = xcalloc(1, sizeof(*t));

	t->parent.type = lttng_ust_type_integer;
	t->struct_size = sizeof(*t);
	t->size = size * CHAR_BIT;
	t->alignment = (unsigned short)(rb_alignof(size) * CHAR_BIT);
	t->signedness = is_signed;
	t->reverse_byte_order = 0;
	t->base = base;
	return &t->parent;
}

static struct lttng_ust_type_common *float_type(unsigned size)
{
	struct lttng_ust_type_float *t = xcalloc(1, sizeof(*t));
	unsigned mant = size == 4 ? FLT_MANT_DIG : DBL_MANT_DIG;

	t->parent.type = lttng_ust_type_float;
	t->struct_size = sizeof(*t);
	t->exp_dig = size * CHAR_BIT - mant;
	t->mant_dig = mant;
	t->alignment = (unsigned short)(rb_alignof(size) * CHAR_BIT);
	return &t->parent;
}

static struct lttng_ust_type_common *string_type(void)
{
	struct lttng_ust_type_string *t = xcalloc(1, sizeof(*t));

	t->parent.type = lttng_ust_type_string;
	t->struct_size = sizeof(*t);
	t->encoding = lttng_ust_string_encoding_UTF8;
	return &t->parent;
}

static struct lttng_ust_type_common *chars_type(unsigned length)
{
	struct lttng_ust_type_array *t = xcalloc(1, sizeof(*t));

	t->parent.type = lttng_ust_type_array;
	t->struct_size = sizeof(*t);
	t->elem_type = int_type(1, false, 10);
	t->length = length;
	t->encoding = lttng_ust_string_encoding_UTF8;
	return &t->parent;
}

static struct lttng_ust_type_common *enum_type(const struct dw_type *t, unsigned size, bool is_signed,
					       const char *name, const struct lttng_ust_probe_desc *probe)
{
	struct lttng_ust_type_enum *e = xcalloc(1, sizeof(*e));
	struct lttng_ust_enum_desc *d = xcalloc(1, sizeof(*d));
	struct lttng_ust_enum_entry **entries = xcalloc(t->nenumerators ? t->nenumerators : 1, sizeof(*entries));

	for (size_t i = 0; i < t->nenumerators; i++) {
		struct lttng_ust_enum_entry *en = xcalloc(1, sizeof(*en));
		en->struct_size = sizeof(*en);
		en->start.value = en->end.value = (unsigned long long)t->enumerators[i].value;
		en->start.signedness = en->end.signedness = is_signed && t->enumerators[i].value < 0;
		en->string = t->enumerators[i].name;
		entries[i] = en;
	}
	d->struct_size = sizeof(*d);
	d->name = name;
	d->entries = (const struct lttng_ust_enum_entry *const *)entries;
	d->nr_entries = (unsigned)t->nenumerators;
	d->probe_desc = probe;
	e->parent.type = lttng_ust_type_enum;
	e->struct_size = sizeof(*e);
	e->desc = d;
	e->container_type = int_type(size, is_signed, 10);
	return &e->parent;
}

/* CTF identifiers: [A-Za-z_][A-Za-z0-9_]*. */
char *lt_mangle(const char *name)
{
	size_t n = strlen(name);
	char *s = xmalloc(n + 2), *p = s;

	if (!n || (name[0] >= '0' && name[0] <= '9'))
		*p++ = '_';
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		*p++ = (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) ? c : '_';
	}
	*p = '\0';
	return s;
}

struct builder {
	const struct lttng_ust_probe_desc *probe;
	const char *prefix;          /* for enum names */
	unsigned enum_count;
};

/* Describes a value of type t as field name; false when it cannot be. */
static bool describe(struct builder *b, const struct dw_type *t, const char *name, bool top,
		     struct lttng_ust_event_field *f, struct lt_field *lf)
{
	const struct dw_type *s = dw_type_strip(t);
	size_t size = dw_type_size(t);

	memset(f, 0, sizeof(*f));
	f->struct_size = sizeof(*f);
	lf->filterable = top;
	if (!s)
		return false;
	switch (s->kind) {
	case DW_KIND_SINT:
	case DW_KIND_UINT:
	case DW_KIND_BOOL:
		if (size == 16 && s->kind != DW_KIND_BOOL) {
			/* Not filterable: the digits are formatted while writing. */
			lf->kind = LT_DEC128;
			lf->is_signed = s->kind == DW_KIND_SINT;
			lf->filterable = false;
			f->nofilter = 1;
			f->type = string_type();
			return true;
		}
		if (size != 1 && size != 2 && size != 4 && size != 8)
			return false;
		lf->kind = LT_INT;
		lf->size = (unsigned)size;
		lf->is_signed = s->kind == DW_KIND_SINT;
		f->type = int_type(lf->size, lf->is_signed, 10);
		return true;
	case DW_KIND_ENUM:
		if (size != 1 && size != 2 && size != 4 && size != 8)
			return false;
		lf->kind = LT_INT;
		lf->size = (unsigned)size;
		lf->is_signed = s->enum_signed;
		if (top && s->nenumerators) {
			char *ename = xasprintf("%s_enum%u", b->prefix, b->enum_count++);
			f->type = enum_type(s, lf->size, lf->is_signed, ename, b->probe);
		} else {
			/* lttng-ust 2.13 rejects enumerations inside structures */
			f->type = int_type(lf->size, lf->is_signed, 10);
		}
		return true;
	case DW_KIND_FLOAT:
		lf->kind = LT_FLOAT;
		lf->size = size == 4 ? 4 : 8; /* long double is written as a double */
		f->type = float_type(lf->size);
		return true;
	case DW_KIND_POINTER:
		if (dw_type_is_string(t)) {
			lf->kind = LT_STRING;
			f->type = string_type();
		} else {
			lf->kind = LT_INT;
			lf->size = 8;
			f->type = int_type(8, false, 16);
		}
		return true;
	case DW_KIND_STRUCT:
		if (!s->cxx_string)
			return false;
		/* std::string, std::string_view: a string field */
		lf->kind = LT_STRING;
		f->type = string_type();
		return true;
	case DW_KIND_ARRAY:
		if (!dw_type_is_char_array(t) || !s->count)
			return false;
		lf->kind = LT_CHARS;
		lf->size = (unsigned)s->count;
		f->type = chars_type(lf->size);
		return true;
	default:
		return false;
	}
}

/* ---- layouts --------------------------------------------------------- */

static void add_special(struct lttng_ust_event_field *f, struct lt_field *lf, const char *name, unsigned size,
			bool is_signed, int index)
{
	memset(f, 0, sizeof(*f));
	f->struct_size = sizeof(*f);
	f->name = name;
	f->type = int_type(size, is_signed, 10);
	lf->kind = LT_INT;
	lf->size = size;
	lf->is_signed = is_signed;
	lf->path[0] = index;
	lf->depth = 1;
	lf->filterable = true;
}

static size_t field_align(const struct lt_field *lf)
{
	return lf->kind == LT_INT || lf->kind == LT_FLOAT ? rb_alignof(lf->size) : 1;
}

struct field_list {
	struct lttng_ust_event_field **fields;
	struct lt_field *lf;
	size_t n, cap_fields, cap_lf;
};

/* Room for one more field; returns its index. */
static size_t field_list_push(struct field_list *fl)
{
	xgrow(&fl->fields, &fl->cap_fields, fl->n + 1, sizeof(*fl->fields));
	xgrow(&fl->lf, &fl->cap_lf, fl->n + 1, sizeof(*fl->lf));
	fl->fields[fl->n] = xcalloc(1, sizeof(**fl->fields));
	memset(&fl->lf[fl->n], 0, sizeof(fl->lf[fl->n]));
	return fl->n;
}

static void describe_parts(struct builder *b, struct field_list *fl, const struct dw_type *s, const char *name,
			   const int *path, int depth);

/* Adds the fields for a value of type t named name at path: one field, or,
 * for a structure or union, one per member (recursively), named
 * NAME_MEMBER.  lttng-sessiond 2.13's metadata writer (ust-metadata.c)
 * accepts only empty structures and refuses the event otherwise, so
 * structures are flattened. */
static void describe_flat(struct builder *b, struct field_list *fl, const struct dw_type *t, const char *name,
			  const int *path, int depth)
{
	const struct dw_type *s = dw_type_strip(t);

	if (s && (s->kind == DW_KIND_STRUCT || s->kind == DW_KIND_UNION) && !s->cxx_string) {
		if (depth >= LT_MAX_DEPTH)
			return;
		for (size_t i = 0; i < s->nmembers; i++) {
			int sub[LT_MAX_DEPTH];
			char *mname = *s->members[i].name ? xasprintf("%s_%s", name, s->members[i].name)
							  : xasprintf("%s_anon%zu", name, i);
			memcpy(sub, path, sizeof(int) * (size_t)depth);
			sub[depth] = (int)i;
			describe_flat(b, fl, s->members[i].type, mname, sub, depth + 1);
			free(mname);
		}
		return;
	}
	if (s && (s->kind == DW_KIND_COMPLEX || (s->kind == DW_KIND_ARRAY && s->is_vector))) {
		describe_parts(b, fl, s, name, path, depth);
		return;
	}
	field_list_push(fl);
	if (!describe(b, t, name, true, fl->fields[fl->n], &fl->lf[fl->n])) {
		free(fl->fields[fl->n]);
		return;
	}
	fl->fields[fl->n]->name = lt_mangle(name);
	memcpy(fl->lf[fl->n].path, path, sizeof(int) * (size_t)depth);
	fl->lf[fl->n].depth = depth;
	fl->n++;
}

/* The parts of a complex value (NAME_real, NAME_imag) and the elements of a
 * vector (NAME_0, NAME_1, ...): fields of their own, like structure members
 * (decode gives both as children). */
static void describe_parts(struct builder *b, struct field_list *fl, const struct dw_type *s, const char *name,
			   const int *path, int depth)
{
	size_t n = s->kind == DW_KIND_COMPLEX ? 2 : s->count;

	if (depth >= LT_MAX_DEPTH)
		return;
	for (size_t i = 0; i < n; i++) {
		int sub[LT_MAX_DEPTH];
		char *pname = s->kind == DW_KIND_COMPLEX ? xasprintf("%s_%s", name, i ? "imag" : "real")
							 : xasprintf("%s_%zu", name, i);
		memcpy(sub, path, sizeof(int) * (size_t)depth);
		sub[depth] = (int)i;
		describe_flat(b, fl, s->target, pname, sub, depth + 1);
		free(pname);
	}
}

void lt_build_event(struct lttng_sink *s, struct lt_event *ev, const struct event_layout *l, bool exit,
			const struct lttng_ust_probe_desc *probe)
{
	struct field_list fl = {0};
	struct builder b = {probe, NULL, 0};
	/* C++: the linkage name, unique per overload and already nearly an
	 * identifier ("shop::Till::add(long)" would collide with its
	 * operator< and operator> siblings once made one). */
	char *fn = lt_mangle(l->fn && l->fn->linkage_name ? l->fn->linkage_name : l->function);
	size_t n;
	int path[1];

	b.prefix = xasprintf("%s_%s", fn, exit ? "exit" : "entry");
	for (int k = 0; k < 2; k++) {
		field_list_push(&fl);
		add_special(fl.fields[fl.n], &fl.lf[fl.n], k ? "tid" : "pid", 4, true, k ? -2 : -1);
		fl.n++;
	}
	if (!exit) {
		for (size_t i = 0; i < l->nfields; i++) {
			const char *name = l->fields[i].name;
			char *alt = NULL;
			/* Our own field names win; a parameter named pid becomes _pid. */
			if (!strcmp(name, "pid") || !strcmp(name, "tid"))
				name = alt = xasprintf("_%s", name);
			path[0] = (int)i;
			describe_flat(&b, &fl, l->fields[i].type, name, path, 1);
			free(alt);
		}
		if (s->with_stack) {
			size_t k = field_list_push(&fl);
			fl.fields[k]->name = "stack";
			fl.fields[k]->type = string_type();
			fl.fields[k]->nofilter = 1;
			fl.lf[k].kind = LT_STRING;
			fl.lf[k].path[0] = -4;
			fl.lf[k].depth = 1;
			fl.n++;
		}
	} else {
		if (l->has_ret) {
			path[0] = 0;
			describe_flat(&b, &fl, l->ret.type, "retval", path, 1);
		}
		field_list_push(&fl);
		add_special(fl.fields[fl.n], &fl.lf[fl.n], "duration_ns", 8, false, -3);
		fl.n++;
	}
	n = fl.n;
	ev->fields = fl.lf;
	ev->nfields = n;
	ev->align = 1;
	for (size_t i = 0; i < n; i++) {
		if (field_align(&ev->fields[i]) > ev->align)
			ev->align = field_align(&ev->fields[i]);
		if (ev->fields[i].filterable)
			ev->nfilter_slots += ev->fields[i].kind == LT_CHARS ? 2 : 1;
	}
	ev->cls.struct_size = sizeof(ev->cls);
	ev->cls.fields = (const struct lttng_ust_event_field *const *)fl.fields;
	free((char *)b.prefix);
	ev->cls.nr_fields = n;
	ev->cls.probe_callback = (void (*)(void))lt_probe_callback;
	ev->cls.signature = lt_signature;
	ev->cls.probe_desc = probe;
	ev->desc.struct_size = sizeof(ev->desc);
	ev->desc.event_name = xasprintf("%s_%s", fn, exit ? "exit" : "entry");
	ev->desc.probe_desc = probe;
	ev->desc.tp_class = &ev->cls;
	ev->tp.struct_size = sizeof(ev->tp);
	ev->tp.provider_name = s->provider;
	ev->tp.event_name = ev->desc.event_name;
	ev->tp.tracepoint_provider_ref = &lt_provider_ref;
	ev->tp.signature = lt_signature;
	free(fn);
}
