/* The description compiler: event layouts -> one description blob
 * (src/agent/ust_abi.h).  The fields are those lttng_event_desc.c's
 * lt_build_event() declared to lttng-ust (its describe(), describe_flat()
 * and describe_parts() moved here), each with the place of its value in
 * its parameter's or return value's image, so that the in-process emitter
 * can compute it from a captured record without DWARF; and the field
 * scalars dwtrace's own sink (the ptrace engine) writes, from decoded
 * values, as sink_lttng.c's write_event() wrote them.  One file, so that
 * the dwtrace executable (whose engine uses the compiler) exports all of it
 * to libdwtrace-lttng.so. */
#define _GNU_SOURCE
#include "ust_desc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"
#include "ust_lttng.h"
#include "xalloc.h"

/* One event being built; its strings are offsets in the builder's string
 * table, its fields' entries indices in its own entries, until
 * ust_desc_finish() lays the blob out. */
struct ev_build {
	uint32_t name;
	uint16_t kind;
	struct dwt_ust_image *images;
	size_t nimages;
	struct dwt_ust_field *fields;
	struct ust_field_path *paths;
	size_t nfields, cap_fields, cap_paths;
	struct dwt_ust_enum_entry *entries;
	size_t nentries, cap_entries;
	uint32_t align;
	unsigned enum_count;         /* enums named so far: PREFIX_enumN */
	char *prefix;                /* "<fn>_entry" or "<fn>_exit", for enum names */
};

struct ust_desc_builder {
	struct ust_desc_opts o;
	uint32_t provider;
	char *strtab;
	size_t strtab_len, strtab_cap;
	struct ev_build *events;
	size_t nevents, cap_events;
};

struct ust_desc_paths {
	size_t nevents;
	struct ust_field_path **paths; /* per event, nfields each */
};

char *ust_desc_mangle(const char *name)
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

/* s in the string table: its offset there. */
static uint32_t add_string(struct ust_desc_builder *b, const char *s)
{
	size_t n = strlen(s) + 1, off = b->strtab_len;

	xgrow(&b->strtab, &b->strtab_cap, off + n, 1);
	memcpy(b->strtab + off, s, n);
	b->strtab_len += n;
	return off > UINT32_MAX ? UINT32_MAX : (uint32_t)off;
}

struct ust_desc_builder *ust_desc_builder_new(const char *provider, const struct ust_desc_opts *o)
{
	struct ust_desc_builder *b = xcalloc(1, sizeof(*b));
	char *p = ust_desc_mangle(provider);

	b->o = *o;
	b->provider = add_string(b, p);
	free(p);
	return b;
}

/* ---- fields -------------------------------------------------------------- */

/* The alignment lttng-ust's ring buffer gives a field of size bytes
 * (lttng/ringbuffer-context.h, lttng_ust_ring_buffer_align()). */
static uint32_t rb_alignof(const struct ust_desc_builder *b, uint32_t size)
{
	return b->o.natural_align ? size : 1;
}

/* Whether event e has a field named name already. */
static bool has_field(const struct ust_desc_builder *b, const struct ev_build *e, const char *name)
{
	for (size_t i = 0; i < e->nfields; i++)
		if (!strcmp(b->strtab + e->fields[i].name, name))
			return true;
	return false;
}

/* Field names are unique in an event (CTF 1.8 4.2.5: a structure's field
 * names are; babeltrace2 refuses the metadata otherwise): a name taken
 * already, by flattening ("a_b" and member b of a) or a point's local
 * shadowing a parameter, gets the first free suffix _2, _3... */
static void push_field(struct ust_desc_builder *b, struct ev_build *e, const struct dwt_ust_field *f,
		       const struct ust_field_path *path)
{
	uint32_t align = 1;
	struct dwt_ust_field g = *f;

	if (has_field(b, e, b->strtab + g.name)) {
		char *base = xstrdup(b->strtab + g.name), *alt = NULL;

		for (unsigned n = 2;; n++) {
			free(alt);
			alt = xasprintf("%s_%u", base, n);
			if (!has_field(b, e, alt))
				break;
		}
		g.name = add_string(b, alt);
		free(alt);
		free(base);
	}
	xgrow(&e->fields, &e->cap_fields, e->nfields + 1, sizeof(*e->fields));
	xgrow(&e->paths, &e->cap_paths, e->nfields + 1, sizeof(*e->paths));
	e->fields[e->nfields] = g;
	e->paths[e->nfields] = *path;
	e->nfields++;
	if (g.type == DWT_UST_INT || g.type == DWT_UST_ENUM || g.type == DWT_UST_FLOAT)
		align = rb_alignof(b, g.size);
	if (align > e->align)
		e->align = align;
}

/* An integer field (pid, tid, duration_ns) not from an image. */
static void add_special(struct ust_desc_builder *b, struct ev_build *e, const char *name, uint8_t size,
			bool is_signed, uint8_t from)
{
	struct dwt_ust_field f = {0};
	struct ust_field_path path = {0};

	f.name = add_string(b, name);
	f.type = DWT_UST_INT;
	f.size = size;
	f.is_signed = is_signed;
	f.base = 10;
	f.from = from;
	push_field(b, e, &f, &path);
}

static void add_enum(struct ust_desc_builder *b, struct ev_build *e, const struct dw_type *s, bool is_signed,
		     struct dwt_ust_field *f)
{
	char *ename = xasprintf("%s_enum%u", e->prefix, e->enum_count++);

	f->type = DWT_UST_ENUM;
	f->enum_name = add_string(b, ename);
	free(ename);
	f->entries = (uint32_t)e->nentries; /* an index until ust_desc_finish() */
	f->nentries = (uint32_t)s->nenumerators;
	xgrow(&e->entries, &e->cap_entries, e->nentries + s->nenumerators, sizeof(*e->entries));
	for (size_t i = 0; i < s->nenumerators; i++) {
		struct dwt_ust_enum_entry *en = &e->entries[e->nentries++];

		memset(en, 0, sizeof(*en));
		en->value = s->enumerators[i].value;
		en->name = add_string(b, s->enumerators[i].name);
		en->is_signed = is_signed && s->enumerators[i].value < 0;
	}
}

/* Types field f as LTTng sees a value of type t (its place in the image
 * already set); false when it cannot be described (left out, as
 * lt_build_event() left it out). */
static bool describe(struct ust_desc_builder *b, struct ev_build *e, const struct dw_type *t,
		     struct dwt_ust_field *f)
{
	const struct dw_type *s = dw_type_strip(t);
	size_t size = dw_type_size(t);

	if (!s)
		return false;
	switch (s->kind) {
	case DW_KIND_SINT:
	case DW_KIND_UINT:
	case DW_KIND_BOOL:
		f->is_signed = s->kind == DW_KIND_SINT;
		if (size == 16 && s->kind != DW_KIND_BOOL) {
			/* Not filterable: the digits are formatted while writing. */
			f->type = DWT_UST_DEC128;
			f->size = 16;
			f->src_size = 16;
			f->nofilter = 1;
			return true;
		}
		if (size != 1 && size != 2 && size != 4 && size != 8)
			return false;
		f->type = DWT_UST_INT;
		f->size = (uint8_t)size;
		f->src_size = (uint32_t)size;
		f->base = 10;
		return true;
	case DW_KIND_ENUM:
		if (size != 1 && size != 2 && size != 4 && size != 8)
			return false;
		f->size = (uint8_t)size;
		f->src_size = (uint32_t)size;
		f->is_signed = s->enum_signed;
		f->base = 10;
		f->type = DWT_UST_INT;
		/* Every field is at the top level once structures are
		 * flattened: lttng-ust 2.13 takes the enumeration. */
		if (s->nenumerators)
			add_enum(b, e, s, s->enum_signed, f);
		return true;
	case DW_KIND_FLOAT:
		/* long double and _Float128 are written as doubles */
		if (size == 4 || size == 8)
			f->float_src = (uint8_t)size;
		else if (size == 16)
			f->float_src = s->float_format == DW_FLOAT_BINARY128 ? DWT_UST_F128 : DWT_UST_F80;
		else
			return false; /* _Float16 and the like: no format to read them with */
		f->type = DWT_UST_FLOAT;
		f->size = size == 4 ? 4 : 8;
		f->src_size = f->float_src;
		return true;
	case DW_KIND_POINTER:
		f->src_size = 8;
		if (dw_type_is_string(t)) {
			f->type = DWT_UST_STRING;
			f->deref = DWT_UST_CSTRING;
			f->length = b->o.string_limit;
		} else {
			f->type = DWT_UST_INT;
			f->size = 8;
			f->base = 16;
		}
		return true;
	case DW_KIND_STRUCT:
		if (!s->cxx_string || s->str_data_off > UINT32_MAX || s->str_len_off > UINT32_MAX)
			return false;
		/* std::string, std::string_view: a string field */
		f->type = DWT_UST_STRING;
		f->deref = DWT_UST_CXXSTRING;
		f->src_size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
		f->cxx_ptr = (uint32_t)s->str_data_off;
		f->cxx_len = (uint32_t)s->str_len_off;
		f->length = b->o.string_limit;
		return true;
	case DW_KIND_ARRAY:
		if (!dw_type_is_char_array(t) || !s->count || s->count > UINT32_MAX)
			return false;
		f->type = DWT_UST_CHARS;
		f->length = (uint32_t)s->count;
		f->src_size = (uint32_t)s->count;
		return true;
	default:
		return false;
	}
}

/* Where a value is: its image, its byte offset there, and the bit field
 * member it is (NULL: whole bytes). */
struct place {
	uint16_t image;
	uint64_t offset;
	const struct dw_member *bits;
};

static void describe_parts(struct ust_desc_builder *b, struct ev_build *e, const struct dw_type *s,
			   const char *name, const struct ust_field_path *path, const struct place *at);

/* Adds the fields for a value of type t named name at path: one field, or,
 * for a structure or union, one per member (recursively), named
 * NAME_MEMBER.  lttng-sessiond 2.13's metadata writer (ust-metadata.c)
 * accepts only empty structures and refuses the event otherwise, so
 * structures are flattened. */
static void describe_flat(struct ust_desc_builder *b, struct ev_build *e, const struct dw_type *t,
			  const char *name, const struct ust_field_path *path, const struct place *at)
{
	const struct dw_type *s = dw_type_strip(t);
	struct dwt_ust_field f = {0};
	uint64_t at_bits;
	char *mangled;

	if (s && (s->kind == DW_KIND_STRUCT || s->kind == DW_KIND_UNION) && !s->cxx_string) {
		if (path->depth >= UST_DESC_MAX_DEPTH)
			return;
		for (size_t i = 0; i < s->nmembers; i++) {
			const struct dw_member *mb = &s->members[i];
			struct ust_field_path sub = *path;
			/* A bit field's bits are counted from its aggregate's
			 * start (dw_member.bit_offset), as decode's
			 * extract_bits() reads them. */
			struct place mat = {at->image, mb->bit_size ? at->offset : at->offset + mb->offset,
					    mb->bit_size ? mb : NULL};
			char *mname = *mb->name ? xasprintf("%s_%s", name, mb->name) : xasprintf("%s_anon%zu", name, i);

			sub.index[sub.depth++] = (int32_t)i;
			describe_flat(b, e, mb->type, mname, &sub, &mat);
			free(mname);
		}
		return;
	}
	if (s && (s->kind == DW_KIND_COMPLEX || (s->kind == DW_KIND_ARRAY && s->is_vector))) {
		describe_parts(b, e, s, name, path, at);
		return;
	}
	if (!describe(b, e, t, &f))
		return;
	mangled = ust_desc_mangle(name);
	f.name = add_string(b, mangled);
	free(mangled);
	f.from = DWT_UST_FROM_IMAGE;
	f.image = at->image;
	if (at->bits) {
		/* from the byte holding the first bit: bit_offset < 8 */
		at_bits = at->offset + at->bits->bit_offset / 8;
		f.bit_offset = at->bits->bit_offset % 8;
		f.bit_size = (uint16_t)at->bits->bit_size;
	} else {
		at_bits = at->offset;
	}
	f.offset = at_bits > UINT32_MAX ? UINT32_MAX : (uint32_t)at_bits;
	push_field(b, e, &f, path);
}

/* The parts of a complex value (NAME_real, NAME_imag) and the elements of a
 * vector (NAME_0, NAME_1, ...): fields of their own, like structure members
 * (decode gives both as children). */
static void describe_parts(struct ust_desc_builder *b, struct ev_build *e, const struct dw_type *s,
			   const char *name, const struct ust_field_path *path, const struct place *at)
{
	size_t n = s->kind == DW_KIND_COMPLEX ? 2 : s->count;
	size_t esize = dw_type_size(s->target);

	if (path->depth >= UST_DESC_MAX_DEPTH)
		return;
	for (size_t i = 0; i < n; i++) {
		struct ust_field_path sub = *path;
		struct place pat = {at->image, at->offset + i * esize, NULL};
		char *pname = s->kind == DW_KIND_COMPLEX ? xasprintf("%s_%s", name, i ? "imag" : "real")
							 : xasprintf("%s_%zu", name, i);

		sub.index[sub.depth++] = (int32_t)i;
		describe_flat(b, e, s->target, pname, &sub, &pat);
		free(pname);
	}
}

/* ---- events -------------------------------------------------------------- */

/* The image of a value located by plan: its pieces, as decode_fetch()
 * runs them.  A value bigger than DWT_UST_MAX_IMAGE (or with a piece this
 * ABI lacks) is unavailable: its fields are written as such.  Constants
 * (FETCH_CONST) of up to 8 bytes travel in the piece; FETCH_EXPR (the
 * emitter has no DWARF evaluator), FETCH_OPTIMIZED_OUT and bigger
 * constants make the image unavailable. */
static void image_of(const struct fetch_plan *plan, struct dwt_ust_image *im)
{
	memset(im, 0, sizeof(*im));
	if (!plan->available || plan->size > DWT_UST_MAX_IMAGE || plan->npieces > DWT_UST_MAX_PIECES)
		return;
	for (unsigned i = 0; i < plan->npieces; i++) {
		const struct fetch_piece *p = &plan->pieces[i];
		struct dwt_ust_piece *q = &im->pieces[i];

		switch (p->kind) {
		case FETCH_REG:
			q->kind = DWT_UST_PIECE_REG;
			break;
		case FETCH_MEM:
			q->kind = DWT_UST_PIECE_MEM;
			break;
		case FETCH_MEM_INDIRECT:
			q->kind = DWT_UST_PIECE_MEM_INDIRECT;
			break;
		case FETCH_ABS:
			q->kind = DWT_UST_PIECE_ABS;
			break;
		case FETCH_CONST: {
			uint64_t v = 0;
			if (p->size > 8 || !p->data) {
				memset(im, 0, sizeof(*im));
				return;
			}
			memcpy(&v, p->data, p->size);
			q->kind = DWT_UST_PIECE_CONST;
			q->regno = 0;
			q->size = p->size;
			q->dest = p->dest;
			q->offset = (int64_t)v;
			continue;
		}
		default:
			memset(im, 0, sizeof(*im));
			return;
		}
		q->regno = p->regno;
		q->size = p->size;
		q->dest = p->dest;
		q->offset = p->offset;
	}
	im->size = plan->size;
	im->npieces = plan->npieces;
	im->available = 1;
}

/* A new event named base + suffix (ust_desc_fit_name(); its enums PREFIX_enumN
 * after it), of record kind 1 (DWT_REC_ENTRY: entry events and points) or
 * 2 (DWT_REC_EXIT). */
static struct ev_build *new_event(struct ust_desc_builder *b, const char *base, const char *suffix, uint16_t kind,
				  uint32_t *index)
{
	char *name = ust_desc_fit_name(b->strtab + b->provider, base, suffix);
	struct ev_build *e;

	xgrow(&b->events, &b->cap_events, b->nevents + 1, sizeof(*b->events));
	if (index)
		*index = (uint32_t)b->nevents;
	e = &b->events[b->nevents++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->align = 1;
	e->name = add_string(b, name);
	e->prefix = name;
	if (b->o.with_pid_tid) {
		add_special(b, e, "pid", 4, true, DWT_UST_FROM_PID);
		add_special(b, e, "tid", 4, true, DWT_UST_FROM_TID);
	}
	return e;
}

/* The field for value index i of the entry event (a parameter, or a point's
 * local: index nfields + k) named name. */
static void add_value_field(struct ust_desc_builder *b, struct ev_build *e, const struct layout_field *f, size_t i,
			    const char *name)
{
	struct ust_field_path path = {1, {(int32_t)i}};
	struct place at = {(uint16_t)i, 0, NULL};
	char *alt = NULL;

	image_of(&f->plan, &e->images[i]);
	/* Our own field names win; a parameter named pid becomes _pid. */
	if (b->o.with_pid_tid && (!strcmp(name, "pid") || !strcmp(name, "tid")))
		name = alt = xasprintf("_%s", name);
	describe_flat(b, e, f->type, name, &path, &at);
	free(alt);
}

void ust_desc_add_layout(struct ust_desc_builder *b, const struct event_layout *l, uint32_t *entry_index,
			 uint32_t *exit_index)
{
	char *fn = ust_desc_event_base(l);
	bool point = l->kind == LAYOUT_POINT;
	size_t nlocals = point && l->locals ? l->nlocals : 0;
	struct ev_build *e = new_event(b, fn, point ? "" : "_entry", 1, entry_index);
	size_t nvalues = l->nfields + nlocals;

	/* struct dwt_ust_event_desc.nimages is 16 bits: parameters past
	 * 65535 (none in C: the limit is 127 by the standard) are left out.
	 * A point's images are its parameters', then its locals', as
	 * decode_entry() gives their values. */
	e->nimages = nvalues < UINT16_MAX ? nvalues : UINT16_MAX;
	e->images = xcalloc(e->nimages ? e->nimages : 1, sizeof(*e->images));
	for (size_t i = 0; i < e->nimages && i < l->nfields; i++)
		add_value_field(b, e, &l->fields[i], i, l->fields[i].name);
	for (size_t i = l->nfields; i < e->nimages; i++) {
		const struct layout_field *f = &l->locals[i - l->nfields];
		unsigned shadow = layout_local_shadow(l, i - l->nfields);
		/* an outer i shadowed by an inner one: i_1 (text and JSON: i@1) */
		char *name = shadow ? xasprintf("%s_%u", f->name, shadow) : xstrdup(f->name);
		size_t before = e->nfields;

		add_value_field(b, e, f, i, name);
		free(name);
		/* lttng-ust's writers refuse an event of more fields (and
		 * with it every event of the blob): the outermost locals,
		 * last, are left out, the stack field keeps its room. */
		if (e->nfields + b->o.with_stack > UST_LTTNG_MAX_FIELDS) {
			e->nfields = before;
			break;
		}
	}
	if (b->o.with_stack) {
		struct dwt_ust_field f = {0};
		struct ust_field_path path = {0};

		f.name = add_string(b, "stack");
		f.type = DWT_UST_STRING;
		f.nofilter = 1;
		f.from = DWT_UST_FROM_STACK;
		f.length = 4095;
		push_field(b, e, &f, &path);
	}

	/* Points and inlined copies have no exit event. */
	if (l->kind != LAYOUT_CALL) {
		if (exit_index)
			*exit_index = UST_DESC_NO_EVENT;
		free(fn);
		return;
	}
	e = new_event(b, fn, "_exit", 2, exit_index);
	if (l->has_ret) {
		struct ust_field_path path = {1, {0}};
		struct place at = {0, 0, NULL};

		e->nimages = 1;
		e->images = xcalloc(1, sizeof(*e->images));
		image_of(&l->ret.plan, &e->images[0]);
		describe_flat(b, e, l->ret.type, "retval", &path, &at);
	}
	add_special(b, e, "duration_ns", 8, false, DWT_UST_FROM_DURATION);
	free(fn);
}

/* ---- the blob ------------------------------------------------------------ */

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static void free_events(struct ust_desc_builder *b, bool keep_paths)
{
	for (size_t i = 0; i < b->nevents; i++) {
		struct ev_build *e = &b->events[i];

		free(e->images);
		free(e->fields);
		free(e->entries);
		free(e->prefix);
		if (!keep_paths)
			free(e->paths);
	}
	free(b->events);
	free(b->strtab);
	free(b);
}

void *ust_desc_finish(struct ust_desc_builder *b, size_t *size, struct ust_desc_paths **paths)
{
	size_t off = align8(sizeof(struct dwt_ust_desc)), events = off, strbase;
	struct dwt_ust_event_desc *evs;
	struct dwt_ust_desc *d;
	char *blob;

	off = align8(off + b->nevents * sizeof(struct dwt_ust_event_desc));
	for (size_t i = 0; i < b->nevents; i++) {
		const struct ev_build *e = &b->events[i];
		off += align8(e->nimages * sizeof(struct dwt_ust_image));
		off += align8(e->nfields * sizeof(struct dwt_ust_field));
		off += align8(e->nentries * sizeof(struct dwt_ust_enum_entry));
	}
	strbase = off;
	off = align8(off + b->strtab_len);
	if (off > UINT32_MAX) {
		free_events(b, false);
		if (paths)
			*paths = NULL;
		errno = EFBIG;
		return NULL;
	}
	blob = xcalloc(1, off);
	d = (struct dwt_ust_desc *)blob;
	d->magic = DWT_UST_DESC_MAGIC;
	d->size = (uint32_t)off;
	d->provider = (uint32_t)strbase + b->provider;
	d->nevents = (uint32_t)b->nevents;
	d->events = (uint32_t)events;
	memcpy(blob + strbase, b->strtab, b->strtab_len);

	evs = (struct dwt_ust_event_desc *)(blob + events);
	off = align8(events + b->nevents * sizeof(*evs));
	for (size_t i = 0; i < b->nevents; i++) {
		const struct ev_build *e = &b->events[i];
		struct dwt_ust_event_desc *ev = &evs[i];
		struct dwt_ust_field *fields;
		struct dwt_ust_enum_entry *entries;
		size_t entries_off;

		ev->name = (uint32_t)strbase + e->name;
		ev->kind = e->kind;
		ev->nimages = (uint16_t)e->nimages;
		ev->images = (uint32_t)off;
		if (e->nimages)
			memcpy(blob + off, e->images, e->nimages * sizeof(*e->images));
		off += align8(e->nimages * sizeof(*e->images));
		ev->nfields = (uint32_t)e->nfields;
		ev->fields = (uint32_t)off;
		fields = (struct dwt_ust_field *)(blob + off);
		off += align8(e->nfields * sizeof(*fields));
		entries_off = off;
		entries = (struct dwt_ust_enum_entry *)(blob + off);
		off += align8(e->nentries * sizeof(*entries));
		for (size_t k = 0; k < e->nentries; k++) {
			entries[k] = e->entries[k];
			entries[k].name += (uint32_t)strbase;
		}
		for (size_t k = 0; k < e->nfields; k++) {
			fields[k] = e->fields[k];
			fields[k].name += (uint32_t)strbase;
			if (fields[k].type == DWT_UST_ENUM) {
				fields[k].enum_name += (uint32_t)strbase;
				fields[k].entries =
					(uint32_t)(entries_off + fields[k].entries * sizeof(struct dwt_ust_enum_entry));
			}
		}
		ev->align = e->align;
	}
	*size = d->size;
	if (paths) {
		struct ust_desc_paths *p = xcalloc(1, sizeof(*p));

		p->nevents = b->nevents;
		p->paths = xcalloc(b->nevents ? b->nevents : 1, sizeof(*p->paths));
		for (size_t i = 0; i < b->nevents; i++)
			p->paths[i] = b->events[i].paths;
		*paths = p;
	}
	free_events(b, paths != NULL);
	return blob;
}

const struct ust_field_path *ust_desc_event_paths(const struct ust_desc_paths *p, uint32_t ev)
{
	return p && ev < p->nevents ? p->paths[ev] : NULL;
}

void ust_desc_paths_free(struct ust_desc_paths *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nevents; i++)
		free(p->paths[i]);
	free(p->paths);
	free(p);
}

/* ---- scalars from decoded values (dwtrace's own sink) -------------------- */

size_t ust_format_stack(const struct stack_trace *st, char *buf, size_t size)
{
	size_t len = 0;

	if (!size)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; st && i < st->n && len < size - 1; i++) {
		const struct stack_frame *f = &st->frames[i];
		int k = snprintf(buf + len, size - len, "%s%s+0x%llx (%s)", i ? "; " : "",
				 f->function ? f->function : "??", (unsigned long long)f->offset,
				 f->module ? f->module : "??");
		if (k > 0)
			len += (size_t)k;
		if (f->file && len < size - 1) {
			k = snprintf(buf + len, size - len, " %s:%d", f->file, f->line);
			if (k > 0)
				len += (size_t)k;
		}
	}
	if (len >= size)
		len = size - 1;
	buf[len] = '\0';
	return len;
}

/* The value at path in values (n of them), or NULL when it was not decoded. */
static const struct value *value_at(const struct value *values, size_t n, const struct ust_field_path *path)
{
	const struct value *v;

	if (!values || path->depth < 1 || path->depth > UST_DESC_MAX_DEPTH || path->index[0] < 0 ||
	    (size_t)path->index[0] >= n)
		return NULL;
	v = &values[path->index[0]];
	for (uint32_t d = 1; d < path->depth && v; d++)
		v = v->available && path->index[d] >= 0 && (size_t)path->index[d] < v->nchildren
			    ? &v->children[path->index[d]]
			    : NULL;
	return v && v->available ? v : NULL;
}

/* Room for n bytes in the caller's buffer, or NULL. */
static char *take(char **buf, size_t *left, size_t n)
{
	char *p = *buf;

	if (n > *left)
		return NULL;
	*buf += n;
	*left -= n;
	return p;
}

static void from_value(const struct dwt_ust_field *f, const struct value *v, struct ust_scalar *out, char **buf,
		       size_t *left)
{
	switch (f->type) {
	case DWT_UST_INT:
	case DWT_UST_ENUM:
		out->u = f->is_signed ? (uint64_t)value_as_s64(v) : value_as_u64(v);
		out->available = 1;
		break;
	case DWT_UST_FLOAT:
		if (f->float_src == DWT_UST_F128 && v->size == 16) {
			/* rounded once, not through long double (value_as_float()) */
			__float128 q;
			memcpy(&q, v->bytes, 16);
			out->d = (double)q;
		} else {
			out->d = (double)value_as_float(v);
		}
		out->available = 1;
		break;
	case DWT_UST_STRING:
		/* char *: NULL or unreadable; std::string: unreadable */
		if (!v->has_string)
			break;
		out->str = v->str;
		out->len = v->str_len > UINT32_MAX ? UINT32_MAX : (uint32_t)v->str_len;
		out->available = 1;
		break;
	case DWT_UST_CHARS:
		out->str = (const char *)v->bytes;
		out->len = v->size < f->length ? (uint32_t)v->size : f->length;
		out->available = 1;
		break;
	case DWT_UST_DEC128: {
		char *digits;

		if (v->size != 16 || !(digits = take(buf, left, 48)))
			break;
		format_int128(digits, 48, v->bytes, f->is_signed);
		out->str = digits;
		out->len = (uint32_t)strlen(digits);
		out->available = 1;
		break;
	}
	}
}

void ust_scalars_from_values(const void *blob, size_t size, const struct dwt_ust_event_desc *ev,
			     const struct ust_field_path *paths, const struct value *values,
			     const struct event_header *h, uint64_t duration_ns, struct ust_scalar *out, char *buf,
			     size_t buf_size)
{
	const struct dwt_ust_field *fields = ust_desc_fields(blob, size, ev);
	const struct dwt_ust_image *images = ust_desc_images(blob, size, ev);
	size_t left = buf_size;

	for (uint32_t i = 0; i < ev->nfields; i++) {
		const struct dwt_ust_field *f = fields ? &fields[i] : NULL;
		struct ust_scalar *o = &out[i];

		memset(o, 0, sizeof(*o));
		if (!f)
			continue;
		switch (f->from) {
		case DWT_UST_FROM_IMAGE: {
			/* exit events: values is the one return value */
			const struct value *v = paths ? value_at(values, ev->nimages, &paths[i]) : NULL;
			/* What the program's emitter cannot assemble (image_of:
			 * a DWARF expression) is unavailable here too: the
			 * same events from both writers. */
			if (!images || f->image >= ev->nimages || !images[f->image].available)
				v = NULL;
			if (v)
				from_value(f, v, o, &buf, &left);
			break;
		}
		case DWT_UST_FROM_PID:
		case DWT_UST_FROM_TID:
			if (!h)
				break;
			o->u = (uint64_t)(int64_t)(f->from == DWT_UST_FROM_PID ? h->pid : h->tid);
			o->available = 1;
			break;
		case DWT_UST_FROM_DURATION:
			o->u = duration_ns;
			o->available = 1;
			break;
		case DWT_UST_FROM_STACK: {
			size_t n = left < 4096 ? left : 4096;

			if (!n)
				break;
			o->len = (uint32_t)ust_format_stack(h ? h->stack : NULL, buf, n);
			o->str = take(&buf, &left, o->len + 1);
			o->available = 1;
			break;
		}
		}
	}
}
