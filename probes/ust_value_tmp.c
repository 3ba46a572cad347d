/* TEMPORARY (wt-e): a minimal stand-in for the lead's probes/ust_value.c
 * until it lands on main; deleted on merge.  Accessors of the description
 * blob and the scalars of INT/ENUM/FLOAT(F32, F64) fields read directly
 * from register or memory pieces, CSTRING strings from the record's blobs,
 * FROM_DURATION. */
#include <string.h>

#include "record.h"
#include "ust_value.h"

static const void *at(const void *blob, size_t size, uint32_t off, uint64_t n, size_t elem, size_t align)
{
	if (off % align || off > size || n * elem > size - off)
		return NULL;
	return (const char *)blob + off;
}

const struct dwt_ust_desc *ust_desc_header(const void *blob, size_t size)
{
	return at(blob, size, 0, 1, sizeof(struct dwt_ust_desc), 8);
}

const struct dwt_ust_event_desc *ust_desc_event(const void *blob, size_t size, uint32_t i)
{
	const struct dwt_ust_desc *d = ust_desc_header(blob, size);
	const struct dwt_ust_event_desc *ev;

	if (!d || i >= d->nevents)
		return NULL;
	ev = at(blob, size, d->events, d->nevents, sizeof(*ev), 4);
	return ev ? &ev[i] : NULL;
}

const struct dwt_ust_field *ust_desc_fields(const void *blob, size_t size, const struct dwt_ust_event_desc *ev)
{
	return at(blob, size, ev->fields, ev->nfields, sizeof(struct dwt_ust_field), 4);
}

const struct dwt_ust_image *ust_desc_images(const void *blob, size_t size, const struct dwt_ust_event_desc *ev)
{
	return at(blob, size, ev->images, ev->nimages, sizeof(struct dwt_ust_image), 8);
}

const struct dwt_ust_enum_entry *ust_desc_entries(const void *blob, size_t size, const struct dwt_ust_field *f)
{
	return at(blob, size, f->entries, f->nentries, sizeof(struct dwt_ust_enum_entry), 8);
}

const char *ust_desc_string(const void *blob, size_t size, uint32_t off)
{
	if (off >= size || !memchr((const char *)blob + off, '\0', size - off))
		return NULL;
	return (const char *)blob + off;
}

void ust_scalars_from_record(const void *blob, size_t size, const struct dwt_ust_event_desc *ev,
			     const struct capture_record *r, uint64_t duration_ns, struct ust_scalar *out,
			     uint8_t *buf, size_t buf_size)
{
	const struct dwt_ust_field *fields = ust_desc_fields(blob, size, ev);
	const struct dwt_ust_image *images = ust_desc_images(blob, size, ev);
	struct value_source vs = record_value_source(r);

	(void)buf_size;
	for (uint32_t i = 0; i < ev->nfields; i++) {
		const struct dwt_ust_field *f = &fields[i];
		struct ust_scalar *o = &out[i];
		uint8_t img[64] = {0};
		const struct dwt_ust_image *im;
		uint64_t u = 0;

		memset(o, 0, sizeof(*o));
		if (f->from == DWT_UST_FROM_DURATION) {
			o->available = 1;
			o->u = duration_ns;
			continue;
		}
		if (f->from != DWT_UST_FROM_IMAGE)
			continue;
		im = &images[f->image];
		if (!im->available || im->size > sizeof(img))
			continue;
		o->available = 1;
		for (unsigned k = 0; k < im->npieces && o->available; k++) {
			const struct dwt_ust_piece *p = &im->pieces[k];
			uint64_t base;
			if (p->kind == DWT_UST_PIECE_REG)
				o->available = vs.read_reg(vs.ctx, p->regno, img + p->dest, p->size) == 0;
			else
				o->available = vs.read_reg(vs.ctx, p->regno, &base, 8) == 0 &&
					       vs.read_mem(vs.ctx, base + (uint64_t)p->offset, img + p->dest, p->size) ==
						       (ssize_t)p->size;
		}
		if (!o->available)
			continue;
		if (f->deref == DWT_UST_CSTRING) {
			uint64_t addr;
			ssize_t n;
			memcpy(&addr, img + f->offset, 8);
			n = vs.read_mem(vs.ctx, addr, buf, f->length < buf_size ? f->length : buf_size);
			o->available = n >= 0;
			o->str = (const char *)buf;
			o->len = n > 0 ? (uint32_t)strnlen((const char *)buf, (size_t)n) : 0;
			buf += o->len;
			buf_size -= o->len;
			continue;
		}
		if (f->type == DWT_UST_CHARS) {
			uint32_t n = f->length <= im->size - f->offset ? f->length : im->size - f->offset;
			memcpy(buf, img + f->offset, n);
			o->str = (const char *)buf;
			o->len = n;
			buf += n;
			buf_size -= n;
			continue;
		}
		if (f->type == DWT_UST_FLOAT) {
			if (f->float_src == DWT_UST_F32) {
				float fl;
				memcpy(&fl, img + f->offset, 4);
				o->d = fl;
			} else {
				memcpy(&o->d, img + f->offset, 8);
			}
			continue;
		}
		memcpy(&u, img + f->offset, f->src_size <= 8 ? f->src_size : 8);
		if (f->is_signed && f->src_size < 8 && (u >> (8 * f->src_size - 1)) & 1)
			u |= ~UINT64_C(0) << (8 * f->src_size);
		o->u = u;
	}
}
