/* LTTng field values from a captured record, by an event description
 * (src/agent/ust_abi.h): what the in-process emitter writes at each hit. */
#include "ust_value.h"

#include <stdbool.h>
#include <string.h>

#include "record.h"
#include "sink.h"

#define ALIGN8(n) (((size_t)(n) + 7u) & ~(size_t)7u)

/* ---- the blob ------------------------------------------------------------ */

/* Whether n elements of size bytes at off lie inside the blob, 8-aligned. */
static bool in_blob(size_t size, uint64_t off, uint64_t n, uint64_t elem)
{
	return off % 8 == 0 && off <= size && n <= (size - off) / (elem ? elem : 1);
}

const struct dwt_ust_desc *ust_desc_header(const void *blob, size_t size)
{
	const struct dwt_ust_desc *d = blob;

	if (!blob || size < sizeof(*d) || d->magic != DWT_UST_DESC_MAGIC || d->size != size ||
	    !in_blob(size, d->events, d->nevents, sizeof(struct dwt_ust_event_desc)) ||
	    !ust_desc_string(blob, size, d->provider))
		return NULL;
	return d;
}

const struct dwt_ust_event_desc *ust_desc_event(const void *blob, size_t size, uint32_t i)
{
	const struct dwt_ust_desc *d = ust_desc_header(blob, size);
	const struct dwt_ust_event_desc *ev;

	if (!d || i >= d->nevents)
		return NULL;
	ev = (const struct dwt_ust_event_desc *)((const uint8_t *)blob + d->events) + i;
	if (!ust_desc_string(blob, size, ev->name) || (ev->kind != 1 && ev->kind != 2) ||
	    !in_blob(size, ev->images, ev->nimages, sizeof(struct dwt_ust_image)) ||
	    !in_blob(size, ev->fields, ev->nfields, sizeof(struct dwt_ust_field)))
		return NULL;
	return ev;
}

const struct dwt_ust_field *ust_desc_fields(const void *blob, size_t size, const struct dwt_ust_event_desc *ev)
{
	if (!in_blob(size, ev->fields, ev->nfields, sizeof(struct dwt_ust_field)))
		return NULL;
	return (const struct dwt_ust_field *)((const uint8_t *)blob + ev->fields);
}

const struct dwt_ust_image *ust_desc_images(const void *blob, size_t size, const struct dwt_ust_event_desc *ev)
{
	if (!in_blob(size, ev->images, ev->nimages, sizeof(struct dwt_ust_image)))
		return NULL;
	return (const struct dwt_ust_image *)((const uint8_t *)blob + ev->images);
}

const struct dwt_ust_enum_entry *ust_desc_entries(const void *blob, size_t size, const struct dwt_ust_field *f)
{
	if (!in_blob(size, f->entries, f->nentries, sizeof(struct dwt_ust_enum_entry)))
		return NULL;
	return (const struct dwt_ust_enum_entry *)((const uint8_t *)blob + f->entries);
}

const char *ust_desc_string(const void *blob, size_t size, uint32_t off)
{
	if (!blob || off >= size || !memchr((const uint8_t *)blob + off, '\0', size - off))
		return NULL;
	return (const char *)blob + off;
}

/* ---- the record ------------------------------------------------------------ */

/* Assembles image im into out (im->size bytes), as decode_fetch() does
 * over record_value_source(); false when a piece cannot be read. */
static bool assemble(const struct capture_record *r, const struct dwt_ust_image *im, uint8_t *out)
{
	struct value_source src = record_value_source(r);

	if (!im->available || im->npieces > DWT_UST_MAX_PIECES || im->size > DWT_UST_MAX_IMAGE)
		return false;
	/* Most images are one register: no call to memset for 8 bytes. */
	if (im->size <= 16) {
		static const uint64_t zero[2];
		memcpy(out, zero, 16); /* two stores, whatever out's alignment */
	} else {
		memset(out, 0, im->size);
	}
	for (unsigned i = 0; i < im->npieces; i++) {
		const struct dwt_ust_piece *p = &im->pieces[i];
		uint64_t base, addr;

		if (p->dest > im->size || p->size > im->size - p->dest)
			return false;
		if (p->kind == DWT_UST_PIECE_REG) {
			if (src.read_reg(src.ctx, p->regno, out + p->dest, p->size) != 0)
				return false;
			continue;
		}
		if (p->kind == DWT_UST_PIECE_CONST) {
			uint64_t v = (uint64_t)p->offset;
			if (p->size > 8)
				return false;
			memcpy(out + p->dest, &v, p->size);
			continue;
		}
		if (p->kind == DWT_UST_PIECE_ABS)
			base = 0;
		else if (src.read_reg(src.ctx, p->regno, &base, sizeof(base)) != 0)
			return false;
		addr = base + (uint64_t)p->offset;
		if (p->kind == DWT_UST_PIECE_MEM_INDIRECT &&
		    src.read_mem(src.ctx, addr, &addr, sizeof(addr)) != (ssize_t)sizeof(addr))
			return false;
		if (src.read_mem(src.ctx, addr, out + p->dest, p->size) != (ssize_t)p->size)
			return false;
	}
	return true;
}

static uint64_t load_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	memcpy(&v, p, n > 8 ? 8 : n);
	return v;
}

static uint64_t extend(uint64_t v, unsigned bits, bool is_signed)
{
	if (bits >= 64)
		return v;
	v &= (UINT64_C(1) << bits) - 1;
	if (is_signed && (v >> (bits - 1)) & 1)
		v |= ~((UINT64_C(1) << bits) - 1);
	return v;
}

/* A string at the char * / std::string in the image: its characters in
 * the record's blobs, up to the NUL (CSTRING) or the size (CXXSTRING),
 * at most f->length bytes. */
static void string_of(const struct capture_record *r, const struct dwt_ust_field *f, const uint8_t *img,
		       uint32_t img_size, struct ust_scalar *out)
{
	uint32_t at = f->deref == DWT_UST_CXXSTRING ? f->cxx_ptr : f->offset;
	uint64_t ptr, want = f->length, got;
	const uint8_t *s;

	if (at > img_size || img_size - at < 8)
		return;
	ptr = load_le(img + at, 8);
	if (f->deref == DWT_UST_CXXSTRING) {
		if (f->cxx_len > img_size || img_size - f->cxx_len < 8)
			return;
		uint64_t len = load_le(img + f->cxx_len, 8);
		if (len < want)
			want = len;
	}
	if (!ptr) {
		/* An empty std::string_view may hold a null pointer: "", as
		 * decode reads it; a null char * is unavailable ("(null)"). */
		if (f->deref == DWT_UST_CXXSTRING && !want) {
			out->available = 1;
			out->str = "";
			out->len = 0;
		}
		return;
	}
	s = record_bytes(r, ptr, &got);
	if (!s && want)
		return;
	if (got > want)
		got = want;
	if (f->deref == DWT_UST_CSTRING) {
		const uint8_t *nul = got ? memchr(s, '\0', got) : NULL;
		if (nul)
			got = (uint64_t)(nul - s);
	}
	out->available = 1;
	out->str = (const char *)s;
	out->len = (uint32_t)got;
}

static double float_of(const uint8_t *p, uint8_t src)
{
	switch (src) {
	case DWT_UST_F32: {
		float f;
		memcpy(&f, p, 4);
		return f;
	}
	case DWT_UST_F64: {
		double d;
		memcpy(&d, p, 8);
		return d;
	}
#if defined(__x86_64__) || defined(__i386__)
	case DWT_UST_F80: {
		long double ld = 0;
		memcpy(&ld, p, 10);
		return (double)ld;
	}
#endif
	case DWT_UST_F128: {
		__float128 q;
		memcpy(&q, p, 16);
		return (double)q;
	}
	default:
		return 0;
	}
}

/* Whether the field's source bytes [offset, offset + n) are in the image. */
static bool within(uint32_t img_size, uint32_t offset, uint64_t n)
{
	return offset <= img_size && n <= img_size - offset;
}

void ust_scalars_from_record(const void *blob, size_t size, const struct dwt_ust_event_desc *ev,
			     const struct capture_record *r, uint64_t duration_ns, struct ust_scalar *out,
			     uint8_t *buf, size_t buf_size)
{
	enum { MAX_IMAGES = 64 };
	const struct dwt_ust_field *fields = ust_desc_fields(blob, size, ev);
	const struct dwt_ust_image *images = ust_desc_images(blob, size, ev);
	/* Where each image is in buf: 0 not assembled yet, -1 unavailable,
	 * else offset + 1. */
	int64_t at[MAX_IMAGES];
	size_t used = 0;

	memset(out, 0, sizeof(*out) * ev->nfields);
	if (!fields || !images)
		return;
	for (uint32_t i = 0; i < ev->nimages && i < MAX_IMAGES; i++)
		at[i] = 0;
	for (uint32_t i = 0; i < ev->nfields; i++) {
		const struct dwt_ust_field *f = &fields[i];
		struct ust_scalar *o = &out[i];
		const uint8_t *img;
		uint32_t isz;

		if (f->from == DWT_UST_FROM_DURATION) {
			o->available = 1;
			o->u = duration_ns;
			continue;
		}
		if (f->from != DWT_UST_FROM_IMAGE || f->image >= ev->nimages || f->image >= MAX_IMAGES)
			continue;
		isz = images[f->image].size;
		if (!at[f->image]) {
			at[f->image] = -1;
			/* assemble() clears at least 16 bytes. */
			if (isz <= DWT_UST_MAX_IMAGE && ALIGN8(used) + (isz < 16 ? 16 : isz) <= buf_size &&
			    assemble(r, &images[f->image], buf + ALIGN8(used))) {
				at[f->image] = (int64_t)ALIGN8(used) + 1;
				used = ALIGN8(used) + isz;
			}
		}
		if (at[f->image] < 0)
			continue;
		img = buf + at[f->image] - 1;
		if (f->deref != DWT_UST_DIRECT) {
			string_of(r, f, img, isz, o);
			continue;
		}
		switch (f->type) {
		case DWT_UST_INT:
		case DWT_UST_ENUM:
			if (f->bit_size) {
				uint64_t bits = (uint64_t)f->bit_offset + f->bit_size;
				if (bits > 64 || f->bit_size > 64 || !within(isz, f->offset, (bits + 7) / 8))
					break;
				uint64_t v = load_le(img + f->offset, (bits + 7) / 8) >> f->bit_offset;
				o->u = extend(v, f->bit_size, f->is_signed);
			} else {
				if (!f->src_size || f->src_size > 8 || !within(isz, f->offset, f->src_size))
					break;
				o->u = extend(load_le(img + f->offset, f->src_size), 8 * f->src_size, f->is_signed);
			}
			o->available = 1;
			break;
		case DWT_UST_FLOAT:
			if (!within(isz, f->offset, f->float_src == DWT_UST_F80 ? 10 : f->float_src))
				break;
			o->d = float_of(img + f->offset, f->float_src);
			o->available = 1;
			break;
		case DWT_UST_CHARS:
			if (!within(isz, f->offset, f->length))
				break;
			o->str = (const char *)img + f->offset;
			o->len = f->length;
			o->available = 1;
			break;
		case DWT_UST_DEC128: {
			size_t d = ALIGN8(used);
			if (!within(isz, f->offset, 16) || d + 48 > buf_size)
				break;
			format_int128((char *)buf + d, 48, img + f->offset, f->is_signed);
			o->str = (const char *)buf + d;
			o->len = (uint32_t)strlen(o->str);
			o->available = 1;
			used = d + o->len + 1;
			break;
		}
		default:
			break;
		}
	}
}
