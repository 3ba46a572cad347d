/* Event description blobs (src/agent/ust_abi.h) made lttng-ust event
 * descriptions (lttng/ust-events.h), as a TRACEPOINT_EVENT's TP_FIELDS
 * would declare them, registered with lttng-ust; the table of registered
 * events.  Writing events is ust_lttng.c's part.
 *
 * Runs in traced programs (libdwtrace-ust.so): plain malloc, whose failure
 * is an error returned (never x* allocation, which exits). */
#define _GNU_SOURCE
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ust_lttng_internal.h"

int lttng_ust_tracepoint_module_register(struct lttng_ust_tracepoint *const *tracepoints_start, int count);

/* lttng-ust's limit on "provider:event" (LTTNG_UST_ABI_SYM_NAME_LEN,
 * lttng/ust-abi.h), checked again by lttng_ust_probe_register. */
#define SYM_NAME_LEN 256

struct ust_event *ust_lttng_table[UST_LTTNG_MAX_EVENTS];
static uint32_t nevents; /* written under table_lock; read with acquire */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static int provider_ref;

const char ust_lttng_signature[] = "const struct ust_lttng_payload *, payload";

/* ---- types (once lttng_event_desc.c's) -------------------------------- */

static struct lttng_ust_type_common *int_type(unsigned size, bool is_signed, unsigned base)
{
	struct lttng_ust_type_integer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->parent.type = lttng_ust_type_integer;
	t->struct_size = sizeof(*t);
	t->size = size * CHAR_BIT;
	t->alignment = (unsigned short)(ust_rb_alignof(size) * CHAR_BIT);
	t->signedness = is_signed;
	t->reverse_byte_order = 0;
	t->base = base;
	return &t->parent;
}

static struct lttng_ust_type_common *float_type(unsigned size)
{
	struct lttng_ust_type_float *t = calloc(1, sizeof(*t));
	unsigned mant = size == 4 ? FLT_MANT_DIG : DBL_MANT_DIG;

	if (!t)
		return NULL;
	t->parent.type = lttng_ust_type_float;
	t->struct_size = sizeof(*t);
	t->exp_dig = size * CHAR_BIT - mant;
	t->mant_dig = mant;
	t->alignment = (unsigned short)(ust_rb_alignof(size) * CHAR_BIT);
	return &t->parent;
}

static struct lttng_ust_type_common *string_type(void)
{
	struct lttng_ust_type_string *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->parent.type = lttng_ust_type_string;
	t->struct_size = sizeof(*t);
	t->encoding = lttng_ust_string_encoding_UTF8;
	return &t->parent;
}

/* ctf_array_text: an array of length bytes shown as text. */
static struct lttng_ust_type_common *chars_type(unsigned length)
{
	struct lttng_ust_type_array *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->parent.type = lttng_ust_type_array;
	t->struct_size = sizeof(*t);
	t->elem_type = int_type(1, false, 10);
	t->length = length;
	t->encoding = lttng_ust_string_encoding_UTF8;
	return t->elem_type ? &t->parent : NULL;
}

/* ctf_enum: an integer container of size bytes with the blob's entries. */
static struct lttng_ust_type_common *enum_type(const void *blob, size_t size, const struct dwt_ust_field *f,
					       const struct lttng_ust_probe_desc *probe)
{
	const struct dwt_ust_enum_entry *src = ust_desc_entries(blob, size, f);
	struct lttng_ust_type_enum *e = calloc(1, sizeof(*e));
	struct lttng_ust_enum_desc *d = calloc(1, sizeof(*d));
	struct lttng_ust_enum_entry **entries = calloc(f->nentries ? f->nentries : 1, sizeof(*entries));

	if (!e || !d || !entries || (f->nentries && !src))
		return NULL;
	for (uint32_t i = 0; i < f->nentries; i++) {
		struct lttng_ust_enum_entry *en = calloc(1, sizeof(*en));
		char *name = strdup(ust_desc_string(blob, size, src[i].name));

		if (!en || !name)
			return NULL;
		en->struct_size = sizeof(*en);
		en->start.value = en->end.value = (unsigned long long)src[i].value;
		en->start.signedness = en->end.signedness = src[i].is_signed;
		en->string = name;
		entries[i] = en;
	}
	d->struct_size = sizeof(*d);
	d->name = strdup(ust_desc_string(blob, size, f->enum_name));
	d->entries = (const struct lttng_ust_enum_entry *const *)entries;
	d->nr_entries = f->nentries;
	d->probe_desc = probe;
	e->parent.type = lttng_ust_type_enum;
	e->struct_size = sizeof(*e);
	e->desc = d;
	e->container_type = int_type(f->size, f->is_signed, 10);
	return d->name && e->container_type ? &e->parent : NULL;
}

static struct lttng_ust_type_common *field_type(const void *blob, size_t size, const struct dwt_ust_field *f,
						const struct lttng_ust_probe_desc *probe)
{
	switch (f->type) {
	case DWT_UST_INT:
		return int_type(f->size, f->is_signed, f->base);
	case DWT_UST_ENUM:
		return enum_type(blob, size, f, probe);
	case DWT_UST_FLOAT:
		return float_type(f->size);
	case DWT_UST_STRING:
	case DWT_UST_DEC128:
		return string_type();
	case DWT_UST_CHARS:
		return chars_type(f->length);
	}
	return NULL;
}

/* ---- checking a blob ---------------------------------------------------- */

static int fail(char *error, size_t error_size, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *error, size_t error_size, int err, const char *fmt, ...)
{
	va_list ap;

	if (error && error_size && !error[0]) {
		va_start(ap, fmt);
		vsnprintf(error, error_size, fmt, ap);
		va_end(ap);
	}
	return err;
}

static bool is_identifier(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static bool check_image(const struct dwt_ust_image *im)
{
	if (im->size > DWT_UST_MAX_IMAGE || im->npieces > DWT_UST_MAX_PIECES)
		return false;
	for (unsigned k = 0; k < im->npieces; k++) {
		const struct dwt_ust_piece *p = &im->pieces[k];
		if (p->kind > DWT_UST_PIECE_CONST || (p->kind == DWT_UST_PIECE_CONST && p->size > 8) || p->size > im->size ||
		    p->dest > im->size - p->size)
			return false;
	}
	return true;
}

/* The bytes of image im a field reads (offset, src_size, bit field, the
 * std::string offsets), all inside it. */
static bool check_source(const struct dwt_ust_field *f, const struct dwt_ust_image *images, uint16_t nimages)
{
	uint64_t need = f->src_size;

	if (f->from > DWT_UST_FROM_STACK || f->deref > DWT_UST_CXXSTRING)
		return false;
	if (f->from != DWT_UST_FROM_IMAGE)
		return true;
	if (f->image >= nimages)
		return false;
	/* Fields of an unavailable image (size 0) are written unavailable:
	 * nothing of it is read. */
	if (!images[f->image].available)
		return f->src_size <= DWT_UST_MAX_IMAGE;
	if (f->bit_size)
		need = ((uint64_t)f->bit_offset + f->bit_size + 7) / 8;
	if (f->deref == DWT_UST_CSTRING)
		need = 8;
	if (f->deref == DWT_UST_CXXSTRING)
		need = (f->cxx_ptr > f->cxx_len ? f->cxx_ptr : f->cxx_len) + (uint64_t)8;
	return (uint64_t)f->offset + need <= images[f->image].size && f->src_size <= DWT_UST_MAX_IMAGE;
}

static bool check_type(const struct dwt_ust_field *f)
{
	bool int_size = f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8;

	switch (f->type) {
	case DWT_UST_INT:
		return int_size && (f->base == 10 || f->base == 16);
	case DWT_UST_ENUM:
		return int_size;
	case DWT_UST_FLOAT:
		return (f->size == 4 || f->size == 8) &&
		       (f->float_src == DWT_UST_F32 || f->float_src == DWT_UST_F64 || f->float_src == DWT_UST_F80 ||
			f->float_src == DWT_UST_F128);
	case DWT_UST_STRING:
	case DWT_UST_DEC128:
		return true;
	case DWT_UST_CHARS:
		return f->length > 0 && f->length <= DWT_UST_MAX_IMAGE;
	}
	return false;
}

static int check_event(const void *blob, size_t size, const char *provider, uint32_t i, char *error,
		       size_t error_size)
{
	const struct dwt_ust_event_desc *ev = ust_desc_event(blob, size, i);
	const char *name = ev ? ust_desc_string(blob, size, ev->name) : NULL;
	const struct dwt_ust_field *fields;
	const struct dwt_ust_image *images;

	if (!name)
		return fail(error, error_size, -EINVAL, "event description %u: corrupt", i);
	if (!is_identifier(name) || strlen(provider) + 1 + strlen(name) >= SYM_NAME_LEN)
		return fail(error, error_size, -EINVAL, "event %u: name '%.64s' is not a CTF identifier of fewer than %d bytes",
			    i, name, SYM_NAME_LEN);
	if (ev->nfields > UST_LTTNG_MAX_FIELDS)
		return fail(error, error_size, -EINVAL, "event %s: %u fields, more than %u", name, ev->nfields,
			    UST_LTTNG_MAX_FIELDS);
	fields = ust_desc_fields(blob, size, ev);
	images = ust_desc_images(blob, size, ev);
	if ((ev->nfields && !fields) || (ev->nimages && !images))
		return fail(error, error_size, -EINVAL, "event %s: fields or images out of the blob", name);
	for (uint16_t k = 0; k < ev->nimages; k++)
		if (!check_image(&images[k]))
			return fail(error, error_size, -EINVAL, "event %s: image %u out of range", name, k);
	for (uint32_t k = 0; k < ev->nfields; k++) {
		const struct dwt_ust_field *f = &fields[k];
		const char *fname = ust_desc_string(blob, size, f->name);

		if (!is_identifier(fname))
			return fail(error, error_size, -EINVAL, "event %s: field %u: name is not a CTF identifier", name, k);
		if (!check_type(f) || !check_source(f, images, ev->nimages))
			return fail(error, error_size, -EINVAL, "event %s: field %s: bad type or source", name, fname);
		if (f->type == DWT_UST_ENUM) {
			const struct dwt_ust_enum_entry *en = ust_desc_entries(blob, size, f);
			if ((f->nentries && !en) || !ust_desc_string(blob, size, f->enum_name))
				return fail(error, error_size, -EINVAL, "event %s: field %s: enumeration out of the blob",
					    name, fname);
			for (uint32_t e = 0; e < f->nentries; e++)
				if (!ust_desc_string(blob, size, en[e].name))
					return fail(error, error_size, -EINVAL, "event %s: field %s: enumerator out of the blob",
						    name, fname);
		}
	}
	return 0;
}

static int check_blob(const void *blob, size_t size, char *error, size_t error_size)
{
	const struct dwt_ust_desc *d = size <= DWT_UST_DESC_MAX ? ust_desc_header(blob, size) : NULL;
	const char *provider = d ? ust_desc_string(blob, size, d->provider) : NULL;
	int err;

	if (!d || d->magic != DWT_UST_DESC_MAGIC || d->size != size)
		return fail(error, error_size, -EINVAL, "event description: bad header (size %zu)", size);
	if (!is_identifier(provider))
		return fail(error, error_size, -EINVAL, "event description: the provider is not a CTF identifier");
	for (uint32_t i = 0; i < d->nevents; i++)
		if ((err = check_event(blob, size, provider, i, error, error_size)) < 0)
			return err;
	return 0;
}

/* ---- one event ---------------------------------------------------------- */

struct text {
	char *s;
	size_t len, cap;
	bool oom;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (int pass = 0; pass < 2 && !t->oom; pass++) {
		va_start(ap, fmt);
		n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = true;
		} else if (t->s && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		} else {
			size_t cap = (t->cap ? t->cap * 2 : 256) + (size_t)n;
			char *s = realloc(t->s, cap);
			if (!s)
				t->oom = true;
			t->s = s ? s : t->s;
			t->cap = s ? cap : t->cap;
		}
	}
}

/* What LTTng sees of an event's fields, as text: two events with the same
 * text have the same lttng-ust description. */
static char *fields_text(const void *blob, size_t size, const struct dwt_ust_event_desc *ev)
{
	const struct dwt_ust_field *fields = ust_desc_fields(blob, size, ev);
	struct text t = {0};

	text_add(&t, "%u", ev->nfields);
	for (uint32_t k = 0; k < ev->nfields; k++) {
		const struct dwt_ust_field *f = &fields[k];
		text_add(&t, ";%s:%u:%u:%u:%u:%u:%u", ust_desc_string(blob, size, f->name), f->type, f->size,
			 f->is_signed, f->base, f->nofilter, f->type == DWT_UST_CHARS ? f->length : 0);
		if (f->type == DWT_UST_ENUM) {
			const struct dwt_ust_enum_entry *en = ust_desc_entries(blob, size, f);
			text_add(&t, ":%s{", ust_desc_string(blob, size, f->enum_name));
			for (uint32_t e = 0; e < f->nentries; e++)
				text_add(&t, "%s=%lld/%u,", ust_desc_string(blob, size, en[e].name),
					 (long long)en[e].value, en[e].is_signed);
			text_add(&t, "}");
		}
	}
	if (t.oom) {
		free(t.s);
		return NULL;
	}
	return t.s;
}

/* The event's lttng-ust description, class and tracepoint, for probe. */
static struct ust_event *build_event(const void *blob, size_t size, const char *provider,
				     const struct dwt_ust_event_desc *src, struct lttng_ust_probe_desc *probe)
{
	const struct dwt_ust_field *fields = ust_desc_fields(blob, size, src);
	struct ust_event *ev = calloc(1, sizeof(*ev));
	struct lttng_ust_event_field **lf;

	if (!ev)
		return NULL;
	ev->provider = strdup(provider);
	ev->name = strdup(ust_desc_string(blob, size, src->name));
	ev->fields_text = fields_text(blob, size, src);
	ev->out = calloc(src->nfields ? src->nfields : 1, sizeof(*ev->out));
	lf = calloc(src->nfields ? src->nfields : 1, sizeof(*lf));
	if (!ev->provider || !ev->name || !ev->fields_text || !ev->out || !lf)
		return NULL;
	ev->nfields = src->nfields;
	ev->align = 1;
	for (uint32_t k = 0; k < src->nfields; k++) {
		const struct dwt_ust_field *f = &fields[k];
		struct ust_out_field *o = &ev->out[k];

		lf[k] = calloc(1, sizeof(*lf[k]));
		if (!lf[k])
			return NULL;
		lf[k]->struct_size = sizeof(*lf[k]);
		lf[k]->name = strdup(ust_desc_string(blob, size, f->name));
		lf[k]->type = field_type(blob, size, f, probe);
		lf[k]->nofilter = f->nofilter ? 1 : 0;
		if (!lf[k]->name || !lf[k]->type)
			return NULL;
		o->type = f->type;
		o->size = f->size;
		o->filter = !f->nofilter;
		o->length = f->length;
		if ((f->type == DWT_UST_INT || f->type == DWT_UST_ENUM || f->type == DWT_UST_FLOAT) &&
		    ust_rb_alignof(f->size) > ev->align)
			ev->align = ust_rb_alignof(f->size);
		if (o->filter)
			ev->nfilter_slots += f->type == DWT_UST_CHARS ? 2 : 1;
	}
	ev->cls.struct_size = sizeof(ev->cls);
	ev->cls.fields = (const struct lttng_ust_event_field *const *)lf;
	ev->cls.nr_fields = ev->nfields;
	ev->cls.probe_callback = (void (*)(void))ust_lttng_callback;
	ev->cls.signature = ust_lttng_signature;
	ev->cls.probe_desc = probe;
	ev->desc.struct_size = sizeof(ev->desc);
	ev->desc.event_name = ev->name;
	ev->desc.probe_desc = probe;
	ev->desc.tp_class = &ev->cls;
	ev->tp.struct_size = sizeof(ev->tp);
	ev->tp.provider_name = ev->provider;
	ev->tp.event_name = ev->name;
	ev->tp.tracepoint_provider_ref = &provider_ref;
	ev->tp.signature = ust_lttng_signature;
	return ev;
}

static struct ust_event *find_event(const char *provider, const char *name, uint32_t *slot)
{
	for (uint32_t i = 0; i < nevents; i++) {
		struct ust_event *ev = ust_lttng_table[i];
		if (!strcmp(ev->provider, provider) && !strcmp(ev->name, name)) {
			*slot = i + 1;
			return ev;
		}
	}
	return NULL;
}

/* Registers the new events of blob as one probe. */
static int register_new(const char *provider, struct ust_event **news, uint32_t n,
			struct lttng_ust_probe_desc *probe, char *error, size_t error_size)
{
	const struct lttng_ust_event_desc **descs = calloc(n, sizeof(*descs));
	struct lttng_ust_tracepoint **tps = calloc(n, sizeof(*tps));

	if (!descs || !tps) {
		free(descs);
		free(tps);
		return fail(error, error_size, -ENOMEM, "provider %s: out of memory", provider);
	}
	for (uint32_t i = 0; i < n; i++) {
		descs[i] = &news[i]->desc;
		tps[i] = &news[i]->tp;
	}
	probe->struct_size = sizeof(*probe);
	probe->provider_name = news[0]->provider;
	probe->event_desc = descs;
	probe->nr_events = n;
	probe->major = LTTNG_UST_PROVIDER_MAJOR;
	probe->minor = LTTNG_UST_PROVIDER_MINOR;
	lttng_ust_tracepoint_module_register(tps, (int)n);
	/* NULL for a provider of another major version (not this build's)
	 * or out of memory; lttng-ust says which with LTTNG_UST_DEBUG. */
	if (!lttng_ust_probe_register(probe))
		return fail(error, error_size, -EINVAL, "provider %s: lttng_ust_probe_register refused %u events",
			    provider, n);
	return 0;
}

/* Registers the events of the checked blob (copy: the sources' blob). */
static int register_blob(void *blob, size_t size, const void *copy, bool *used, char *error, size_t error_size)
{
	const struct dwt_ust_desc *d = ust_desc_header(blob, size);
	const char *provider = ust_desc_string(blob, size, d->provider);
	struct lttng_ust_probe_desc *probe = calloc(1, sizeof(*probe));
	struct ust_event **news = calloc(d->nevents ? d->nevents : 1, sizeof(*news));
	uint32_t *new_index = calloc(d->nevents ? d->nevents : 1, sizeof(*new_index));
	uint32_t nnew = 0, first = nevents;
	int ret = 0;

	if (!probe || !news || !new_index) {
		free(probe);
		free(news);
		free(new_index);
		return fail(error, error_size, -ENOMEM, "provider %s: out of memory", provider);
	}
	for (uint32_t i = 0; i < d->nevents; i++) {
		struct dwt_ust_event_desc *ev = (struct dwt_ust_event_desc *)ust_desc_event(blob, size, i);
		const char *name = ust_desc_string(blob, size, ev->name);
		struct ust_source *src = malloc(sizeof(*src));
		struct ust_event *old;
		uint32_t slot = 0;
		char *text;

		ev->slot = 0;
		if (!src) {
			ret = fail(error, error_size, -ENOMEM, "event %s:%s: out of memory", provider, name);
			continue;
		}
		src->blob = copy;
		src->size = size;
		src->ev = ust_desc_event(copy, size, i);
		for (uint32_t k = 0; k < nnew; k++)
			if (!strcmp(news[k]->name, name)) {
				free(src);
				src = NULL;
			}
		if (!src) {
			ret = fail(error, error_size, -EINVAL, "event %s:%s: described twice", provider, name);
			continue;
		}
		if ((old = find_event(provider, name, &slot))) {
			text = fields_text(blob, size, ev);
			if (text && !strcmp(text, old->fields_text)) {
				__atomic_store_n(&old->src, src, __ATOMIC_RELEASE);
				ev->slot = slot;
				*used = true;
			} else {
				free(src);
				ret = fail(error, error_size, text ? -EEXIST : -ENOMEM,
					   "event %s:%s was registered earlier with other fields; use another --provider",
					   provider, name);
			}
			free(text);
			continue;
		}
		if (first + nnew >= UST_LTTNG_MAX_EVENTS) {
			free(src);
			ret = fail(error, error_size, -ENOSPC, "event %s:%s: more than %u events", provider, name,
				   UST_LTTNG_MAX_EVENTS);
			continue;
		}
		/* Half-built events on failure are leaked: out of memory in a
		 * program is rare, and lttng-ust saw nothing of them. */
		news[nnew] = build_event(blob, size, provider, ev, probe);
		if (!news[nnew]) {
			free(src);
			ret = fail(error, error_size, -ENOMEM, "event %s:%s: out of memory", provider, name);
			continue;
		}
		news[nnew]->src = src;
		new_index[nnew++] = i;
	}
	if (nnew) {
		int err = register_new(provider, news, nnew, probe, error, error_size);
		if (err < 0) {
			ret = err;
		} else {
			for (uint32_t k = 0; k < nnew; k++) {
				struct dwt_ust_event_desc *ev =
					(struct dwt_ust_event_desc *)ust_desc_event(blob, size, new_index[k]);
				ust_lttng_table[first + k] = news[k];
				ev->slot = first + k + 1;
			}
			*used = true;
			__atomic_store_n(&nevents, first + nnew, __ATOMIC_RELEASE);
		}
	} else {
		free(probe);
	}
	/* news[] itself is lttng-ust's now (probe->event_desc points at the
	 * descs array register_new made, not at news). */
	free(news);
	free(new_index);
	return ret;
}

int ust_lttng_register(void *blob, size_t size, char *error, size_t error_size)
{
	bool used = false;
	void *copy;
	int ret;

	if (error && error_size)
		error[0] = '\0';
	if ((ret = check_blob(blob, size, error, error_size)) < 0)
		return ret;
	copy = malloc(size);
	if (!copy)
		return fail(error, error_size, -ENOMEM, "event description: out of memory (%zu bytes)", size);
	memcpy(copy, blob, size);
	pthread_mutex_lock(&table_lock);
	ret = register_blob(blob, size, copy, &used, error, error_size);
	pthread_mutex_unlock(&table_lock);
	if (!used)
		free(copy);
	return ret;
}

const struct dwt_ust_event_desc *ust_lttng_source(uint32_t slot, const void **blob, size_t *size)
{
	struct ust_event *ev = ust_lttng_event(slot);
	const struct ust_source *src = ev ? __atomic_load_n(&ev->src, __ATOMIC_ACQUIRE) : NULL;

	if (!src)
		return NULL;
	*blob = src->blob;
	*size = src->size;
	return src->ev;
}

struct ust_event *ust_lttng_event(uint32_t slot)
{
	if (!slot || slot > __atomic_load_n(&nevents, __ATOMIC_ACQUIRE))
		return NULL;
	return ust_lttng_table[slot - 1];
}
