/* LTTng-UST sink: every probed function becomes two LTTng-UST events,
 * PROVIDER:FUNCTION_entry and PROVIDER:FUNCTION_exit, whose descriptions are
 * built at run time from the event layout (DWARF types) and registered with
 * lttng_ust_probe_register(); their tracepoints are registered with
 * lttng_ust_tracepoint_module_register().  One generic probe callback does
 * what the code generated from a TRACEPOINT_EVENT does: check that the
 * session, channel and event are enabled, run the filter on an interpreter
 * stack, reserve, write every field, commit; or send the notification of an
 * event notifier.
 *
 * Built as a module (libdwtrace-lttng.so) that dwtrace loads only for
 * --lttng and --ctf: lttng-ust starts its threads and reads its environment
 * (LTTNG_UST_ALLOW_BLOCKING) when it is loaded. */
#define _GNU_SOURCE
#include <float.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lttng/tracepoint-types.h>
#include <lttng/ust-events.h>
#include <lttng/ust-ringbuffer-context.h>
#include <lttng/ust-tracer.h>

#include "sink.h"
#include "sink_lttng.h"
#include "xalloc.h"

int lttng_ust_tracepoint_module_register(struct lttng_ust_tracepoint *const *tracepoints_start, int count);
void lttng_ust_tp_rcu_read_lock(void);
void lttng_ust_tp_rcu_read_unlock(void);
void *lttng_ust_tp_rcu_dereference_sym(void *p);

#define NULL_STRING "(null)"

/* How one field is written. */
/* LT_DEC128: an __int128 as its decimal digits in a string (CTF integers
 * stop at 64 bits; babeltrace2 shows the string as is). */
enum lt_kind { LT_INT, LT_FLOAT, LT_STRING, LT_CHARS, LT_DEC128 };

#define LT_MAX_DEPTH 8

/* A field, and where its value is: path[0] is the index of the event's
 * value (-1 pid, -2 tid, -3 duration), path[1..] member indices of nested
 * structures (which are flattened: see describe_flat()). */
struct lt_field {
	enum lt_kind kind;
	unsigned size;             /* LT_INT, LT_FLOAT: bytes; LT_CHARS: length */
	bool is_signed;
	int path[LT_MAX_DEPTH];
	int depth;
	bool filterable;
};

/* One event: its description for lttng-ust and how to write it. */
struct lt_event {
	struct lttng_ust_tracepoint tp;
	struct lttng_ust_event_desc desc;
	struct lttng_ust_tracepoint_class cls;
	struct lt_field *fields;
	size_t nfields;
	size_t nfilter_slots;
	size_t align;
};

struct lt_layout {
	const struct event_layout *layout;
	struct lt_event entry, exit;
	struct lt_layout *next;
};

struct lttng_sink {
	struct sink base;
	char *provider;
	struct lt_layout *layouts;
	struct lt_layout *pending;    /* built, not registered yet */
	size_t npending;
	struct lttng_ust_probe_desc *pending_probe; /* the probe they will be registered in */
	bool with_stack;              /* entry events carry the field "stack" */
	int registration_failures;
};

/* What the probe callback receives besides the tracepoint's data. */
struct lt_payload {
	const struct lt_event *ev;
	const struct event_header *h;
	const struct value *values;   /* the event's values, in layout order */
	uint64_t duration_ns;
};

static const char signature[] = "const struct lt_payload *, payload";
static int provider_ref;

/* ---- types ----------------------------------------------------------- */

static size_t rb_alignof(size_t size)
{
#ifdef LTTNG_UST_RING_BUFFER_NATURAL_ALIGN
	return size;
#else
	(void)size;
	return 1;
#endif
}

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
static char *mangle(const char *name)
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

/* ---- writing --------------------------------------------------------- */

struct writer {
	struct lttng_ust_channel_buffer *chan; /* NULL: only measure */
	struct lttng_ust_ring_buffer_ctx *ctx;
	size_t len;
	char *stack;                           /* filter stack, or NULL */
};

static void put(struct writer *w, const void *src, size_t len, size_t align)
{
	w->len += lttng_ust_ring_buffer_align(w->len, align) + len;
	if (w->chan)
		w->chan->ops->event_write(w->ctx, src, len, align);
}

static const char *string_of(const struct value *v, char *buf, size_t size)
{
	if (!v || !v->available || !v->has_string)
		return NULL_STRING;
	if (v->str_len < size) {
		memcpy(buf, v->str, v->str_len);
		buf[v->str_len] = '\0';
		return buf;
	}
	return NULL_STRING;
}

static void write_field(struct writer *w, const struct lt_field *lf, const struct value *v, int64_t special)
{
	switch (lf->kind) {
	case LT_INT: {
		uint64_t u = 0;
		if (special != INT64_MIN)
			u = (uint64_t)special;
		else if (v && v->available)
			u = lf->is_signed ? (uint64_t)value_as_s64(v) : value_as_u64(v);
		put(w, &u, lf->size, rb_alignof(lf->size));
		if (w->stack && lf->filterable) {
			int64_t sv = lf->size < 8 && lf->is_signed
					     ? (int64_t)(u << (64 - 8 * lf->size)) >> (64 - 8 * lf->size)
					     : (int64_t)u;
			memcpy(w->stack, lf->is_signed ? (void *)&sv : (void *)&u, 8);
			w->stack += 8;
		}
		break;
	}
	case LT_FLOAT: {
		double d = v && v->available ? (double)value_as_float(v) : 0;
		float f = (float)d;
		put(w, lf->size == 4 ? (void *)&f : (void *)&d, lf->size, rb_alignof(lf->size));
		if (w->stack && lf->filterable) {
			memcpy(w->stack, &d, 8);
			w->stack += 8;
		}
		break;
	}
	case LT_STRING: {
		char buf[4096];
		const char *s = string_of(v, buf, sizeof(buf));
		size_t len = strlen(s) + 1;
		w->len += len;
		if (w->chan)
			w->chan->ops->event_strcpy(w->ctx, s, len);
		if (w->stack && lf->filterable) {
			/* the filter reads the string after the event: it must live on */
			const char *p = v && v->available && v->has_string ? v->str : NULL_STRING;
			memcpy(w->stack, &p, sizeof(p));
			w->stack += sizeof(p);
		}
		break;
	}
	case LT_DEC128: {
		char buf[48] = "0";
		if (v && v->available && v->size == 16)
			format_int128(buf, sizeof(buf), v->bytes, lf->is_signed);
		w->len += strlen(buf) + 1;
		if (w->chan)
			w->chan->ops->event_strcpy(w->ctx, buf, strlen(buf) + 1);
		break;
	}
	case LT_CHARS: {
		const char *src = v && v->available ? (const char *)v->bytes : "";
		w->len += lf->size;
		if (w->chan)
			w->chan->ops->event_pstrcpy_pad(w->ctx, src, lf->size);
		if (w->stack && lf->filterable) {
			unsigned long n = lf->size;
			memcpy(w->stack, &n, sizeof(n));
			memcpy(w->stack + sizeof(n), &src, sizeof(src));
			w->stack += sizeof(n) + sizeof(src);
		}
		break;
	}
	}
}

/* The stack as one string: "f+0x1a (mod) file.c:12; g+0x7 (mod); ...". */
static void write_stack(struct writer *w, const struct stack_trace *st)
{
	char buf[4096];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; st && i < st->n && len < sizeof(buf) - 1; i++) {
		const struct stack_frame *f = &st->frames[i];
		int k = snprintf(buf + len, sizeof(buf) - len, "%s%s+0x%llx (%s)", i ? "; " : "",
				 f->function ? f->function : "??", (unsigned long long)f->offset,
				 f->module ? f->module : "??");
		if (k > 0)
			len += (size_t)k;
		if (f->file && len < sizeof(buf) - 1) {
			k = snprintf(buf + len, sizeof(buf) - len, " %s:%d", f->file, f->line);
			if (k > 0)
				len += (size_t)k;
		}
	}
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	buf[len] = '\0';
	w->len += len + 1;
	if (w->chan)
		w->chan->ops->event_strcpy(w->ctx, buf, len + 1);
	if (w->stack) {
		/* not filterable: no slot */
	}
}

static void write_event(struct writer *w, const struct lt_payload *pl)
{
	const struct lt_event *ev = pl->ev;

	for (size_t i = 0; i < ev->nfields; i++) {
		const struct lt_field *lf = &ev->fields[i];
		int64_t special = INT64_MIN;
		const struct value *v = NULL;

		if (lf->path[0] == -1) {
			special = pl->h->pid;
		} else if (lf->path[0] == -2) {
			special = pl->h->tid;
		} else if (lf->path[0] == -3) {
			special = (int64_t)pl->duration_ns;
		} else if (lf->path[0] == -4) {
			write_stack(w, pl->h->stack);
			continue;
		} else {
			/* No values: an exit by tail call, whose return value is
			 * not known (written as 0). */
			v = pl->values ? &pl->values[lf->path[0]] : NULL;
			for (int d = 1; d < lf->depth && v; d++)
				v = v->available && (size_t)lf->path[d] < v->nchildren ? &v->children[lf->path[d]] : NULL;
		}
		write_field(w, lf, v, special);
	}
}

/* The probe callback lttng-ust connects to the tracepoint: __tp_data is the
 * lttng-ust event (recorder or notifier). */
static void probe_callback(void *tp_data, const struct lt_payload *pl)
{
	struct lttng_ust_event_common *event = tp_data;
	struct lttng_ust_probe_ctx probe_ctx;
	char stack[2 * sizeof(unsigned long) * 128];
	bool stack_ready = false;
	size_t nslots = pl->ev->nfilter_slots;

	switch (event->type) {
	case LTTNG_UST_EVENT_TYPE_RECORDER: {
		struct lttng_ust_event_recorder *rec = event->child;
		struct lttng_ust_channel_common *chan = rec->chan->parent;
		if (!__atomic_load_n(&chan->session->active, __ATOMIC_RELAXED) ||
		    !__atomic_load_n(&chan->enabled, __ATOMIC_RELAXED))
			return;
		break;
	}
	case LTTNG_UST_EVENT_TYPE_NOTIFIER:
		break;
	}
	if (!__atomic_load_n(&event->enabled, __ATOMIC_RELAXED))
		return;
	probe_ctx.struct_size = sizeof(probe_ctx);
	probe_ctx.ip = NULL;
	if (__atomic_load_n(&event->eval_filter, __ATOMIC_RELAXED) && nslots <= 128) {
		struct writer w = {.stack = stack};
		write_event(&w, pl);
		stack_ready = true;
		if (event->run_filter(event, stack, &probe_ctx, NULL) != LTTNG_UST_EVENT_FILTER_ACCEPT)
			return;
	}
	switch (event->type) {
	case LTTNG_UST_EVENT_TYPE_RECORDER: {
		struct lttng_ust_event_recorder *rec = event->child;
		struct lttng_ust_ring_buffer_ctx ctx;
		struct writer measure = {0}, w;

		write_event(&measure, pl);
		lttng_ust_ring_buffer_ctx_init(&ctx, rec, measure.len, (int)pl->ev->align, &probe_ctx);
		if (rec->chan->ops->event_reserve(&ctx) < 0)
			return;
		memset(&w, 0, sizeof(w));
		w.chan = rec->chan;
		w.ctx = &ctx;
		write_event(&w, pl);
		rec->chan->ops->event_commit(&ctx);
		break;
	}
	case LTTNG_UST_EVENT_TYPE_NOTIFIER: {
		struct lttng_ust_event_notifier *notifier = event->child;
		struct lttng_ust_notification_ctx nctx;

		nctx.struct_size = sizeof(nctx);
		nctx.eval_capture = __atomic_load_n(&notifier->eval_capture, __ATOMIC_RELAXED);
		if (!stack_ready && nctx.eval_capture && nslots <= 128) {
			struct writer w = {.stack = stack};
			write_event(&w, pl);
		}
		notifier->notification_send(notifier, stack, &probe_ctx, &nctx);
		break;
	}
	}
}

/* Calls the probes lttng-ust connected to the event's tracepoint. */
static void fire(struct lt_event *ev, const struct lt_payload *pl)
{
	struct lttng_ust_tracepoint_probe *probe;

	if (!__atomic_load_n(&ev->tp.state, __ATOMIC_RELAXED))
		return;
	lttng_ust_tp_rcu_read_lock();
	probe = lttng_ust_tp_rcu_dereference_sym(ev->tp.probes);
	if (probe) {
		do {
			void (*cb)(void *, const struct lt_payload *) =
				(void (*)(void *, const struct lt_payload *))probe->func;
			cb(probe->data, pl);
		} while ((++probe)->func);
	}
	lttng_ust_tp_rcu_read_unlock();
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
	fl->fields[fl->n]->name = mangle(name);
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

static void build_event(struct lttng_sink *s, struct lt_event *ev, const struct event_layout *l, bool exit,
			const struct lttng_ust_probe_desc *probe)
{
	struct field_list fl = {0};
	struct builder b = {probe, NULL, 0};
	/* C++: the linkage name, unique per overload and already nearly an
	 * identifier ("shop::Till::add(long)" would collide with its
	 * operator< and operator> siblings once made one). */
	char *fn = mangle(l->fn && l->fn->linkage_name ? l->fn->linkage_name : l->function);
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
	ev->cls.probe_callback = (void (*)(void))probe_callback;
	ev->cls.signature = signature;
	ev->cls.probe_desc = probe;
	ev->desc.struct_size = sizeof(ev->desc);
	ev->desc.event_name = xasprintf("%s_%s", fn, exit ? "exit" : "entry");
	ev->desc.probe_desc = probe;
	ev->desc.tp_class = &ev->cls;
	ev->tp.struct_size = sizeof(ev->tp);
	ev->tp.provider_name = s->provider;
	ev->tp.event_name = ev->desc.event_name;
	ev->tp.tracepoint_provider_ref = &provider_ref;
	ev->tp.signature = signature;
	free(fn);
}

/* Registers every layout built since the last call, as one probe. */
static void register_pending(struct lttng_sink *s)
{
	struct lttng_ust_probe_desc *probe = s->pending_probe;
	const struct lttng_ust_event_desc **descs;
	struct lttng_ust_tracepoint **tps;
	struct lt_layout *ll, *last = NULL;
	size_t n = 0;

	if (!s->npending)
		return;
	descs = xcalloc(2 * s->npending, sizeof(*descs));
	tps = xcalloc(2 * s->npending, sizeof(*tps));
	for (ll = s->pending; ll; last = ll, ll = ll->next) {
		descs[n] = &ll->entry.desc;
		tps[n++] = &ll->entry.tp;
		descs[n] = &ll->exit.desc;
		tps[n++] = &ll->exit.tp;
	}
	last->next = s->layouts;
	s->layouts = s->pending;
	probe->struct_size = sizeof(*probe);
	probe->provider_name = s->provider;
	probe->event_desc = descs;
	probe->nr_events = (unsigned)n;
	probe->major = LTTNG_UST_PROVIDER_MAJOR;
	probe->minor = LTTNG_UST_PROVIDER_MINOR;
	s->pending = NULL;
	s->npending = 0;
	s->pending_probe = NULL;
	lttng_ust_tracepoint_module_register(tps, (int)n);
	if (!lttng_ust_probe_register(probe))
		s->registration_failures++;
}

static struct lt_layout *find_layout(struct lttng_sink *s, const struct event_layout *l)
{
	for (struct lt_layout *ll = s->layouts; ll; ll = ll->next)
		if (ll->layout == l)
			return ll;
	return NULL;
}

static void lttng_layout_added(struct sink *base, const struct event_layout *l)
{
	struct lttng_sink *s = (struct lttng_sink *)base;
	struct lt_layout *ll;

	if (find_layout(s, l))
		return;
	for (ll = s->pending; ll; ll = ll->next)
		if (ll->layout == l)
			return;
	if (!s->pending_probe)
		s->pending_probe = xcalloc(1, sizeof(*s->pending_probe));
	ll = xcalloc(1, sizeof(*ll));
	ll->layout = l;
	build_event(s, &ll->entry, l, false, s->pending_probe);
	build_event(s, &ll->exit, l, true, s->pending_probe);
	ll->next = s->pending;
	s->pending = ll;
	s->npending++;
}

static struct lt_layout *layout_of(struct lttng_sink *s, const struct event_layout *l)
{
	struct lt_layout *ll = find_layout(s, l);

	if (!ll) {
		/* A probe placed later (dlopen, fork, exec): registered on first use. */
		lttng_layout_added(&s->base, l);
		register_pending(s);
		ll = find_layout(s, l);
	}
	return ll;
}

static void lttng_entry(struct sink *base, const struct event_layout *l, const struct event_header *h,
			const struct value *args)
{
	struct lttng_sink *s = (struct lttng_sink *)base;
	struct lt_layout *ll = layout_of(s, l);
	struct lt_payload pl = {&ll->entry, h, args, 0};

	fire(&ll->entry, &pl);
}

static void lttng_exit(struct sink *base, const struct event_layout *l, const struct event_header *h,
		       const struct value *ret, uint64_t duration_ns)
{
	struct lttng_sink *s = (struct lttng_sink *)base;
	struct lt_layout *ll = layout_of(s, l);
	struct lt_payload pl = {&ll->exit, h, ret, duration_ns};

	fire(&ll->exit, &pl);
}

static int lttng_flush(struct sink *base)
{
	struct lttng_sink *s = (struct lttng_sink *)base;
	register_pending(s);
	return 0;
}

/* The descriptions stay registered until the process ends (lttng-ust may
 * still read them while it flushes): kept reachable from here. */
static struct lttng_sink *volatile live_sink;

static void lttng_destroy(struct sink *base)
{
	(void)base;
}

static const struct sink_ops lttng_ops = {
	.entry = lttng_entry,
	.exit = lttng_exit,
	.flush = lttng_flush,
	.destroy = lttng_destroy,
	.layout_added = lttng_layout_added,
};

struct sink *dwtrace_lttng_sink_new(const char *provider, bool with_stack)
{
	struct lttng_sink *s = xcalloc(1, sizeof(*s));

	s->base.ops = &lttng_ops;
	s->provider = mangle(provider);
	s->with_stack = with_stack;
	live_sink = s;
	return &s->base;
}
