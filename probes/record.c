#include "record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define PAD8(n) (((size_t)(n) + 7u) & ~(size_t)7u)

int record_parse(const void *buf, size_t size, int nops, struct capture_record *r)
{
	const uint8_t *p = buf, *end;
	struct dwt_rec_hdr h;
	size_t at = sizeof(h);

	if (size < sizeof(h) || size > DWT_MAX_RECORD || size % 8)
		return -EINVAL;
	memcpy(&h, p, sizeof(h));
	if (h.size != size || (h.kind != DWT_REC_ENTRY && h.kind != DWT_REC_EXIT) || (h.flags & ~(DWT_REC_VREGS | DWT_REC_REJECTED_MASK)))
		return -EINVAL;
	memset(r, 0, offsetof(struct capture_record, blobs));
	r->rejected_above = (h.flags & DWT_REC_REJECTED_MASK) >> DWT_REC_REJECTED_SHIFT;
	r->kind = h.kind;
	r->site = h.site;
	r->tid = h.tid;
	r->ts_ns = h.ts;
	r->go_stack_hi_op = -1;
	r->regs = h.regs;
	if (h.flags & DWT_REC_VREGS) {
		if (size - at < sizeof(struct dwt_vregs))
			return -EINVAL;
		r->vregs = (const struct dwt_vregs *)(p + at);
		at += sizeof(struct dwt_vregs);
	}
	end = p + size;
	while (at < size) {
		struct dwt_blob b;

		if (r->nblobs == DWT_MAX_OPS_PER_SITE || size - at < sizeof(b))
			return -EINVAL;
		memcpy(&b, p + at, sizeof(b));
		at += sizeof(b);
		if (b.len > (size_t)(end - (p + at)) || PAD8(b.len) > size - at ||
		    (b.flags & ~(DWT_BLOB_UNREADABLE | DWT_BLOB_SHORT)) || ((b.flags & DWT_BLOB_UNREADABLE) && b.len))
			return -EINVAL;
		r->blobs[r->nblobs++] = (struct record_blob){b.addr, b.len, b.flags, p + at};
		at += PAD8(b.len);
	}
	if (nops >= 0 && r->nblobs != (uint32_t)nops)
		return -EINVAL;
	return 0;
}

static int record_reg(void *ctx, unsigned regno, void *buf, size_t size)
{
	const struct capture_record *r = ctx;
	const uint8_t *src;
	size_t avail;

	if (regno < DWT_NGPR) {
		src = (const uint8_t *)&r->regs.gpr[regno];
		avail = 8;
	} else if (r->vregs && regno >= DWT_DW_XMM0 && regno < DWT_DW_XMM0 + 8) {
		src = r->vregs->xmm[regno - DWT_DW_XMM0];
		avail = 16;
	} else if (r->vregs && (regno == DWT_DW_ST0 || regno == DWT_DW_ST0 + 1)) {
		src = regno == DWT_DW_ST0 ? r->vregs->st0 : r->vregs->st1;
		avail = 10;
	} else {
		return -1;
	}
	if (size > avail)
		return -1;
	memcpy(buf, src, size);
	return 0;
}

const uint8_t *record_bytes(const struct capture_record *r, uint64_t addr, uint64_t *n)
{
	const struct record_blob *best = NULL;
	uint64_t most = 0;

	for (uint32_t i = 0; i < r->nblobs; i++) {
		const struct record_blob *b = &r->blobs[i];
		if (!b->len || addr < b->addr || addr - b->addr >= b->len)
			continue;
		if (b->len - (addr - b->addr) > most) {
			most = b->len - (addr - b->addr);
			best = b;
		}
	}
	*n = most;
	return best ? best->data + (addr - best->addr) : NULL;
}

static ssize_t record_mem(void *ctx, uint64_t addr, void *buf, size_t size)
{
	uint64_t most;
	const uint8_t *p = record_bytes(ctx, addr, &most);

	if (!p)
		return -1;
	if (most > size)
		most = size;
	memcpy(buf, p, (size_t)most);
	return (ssize_t)most;
}

struct value_source record_value_source(const struct capture_record *r)
{
	return (struct value_source){(void *)r, record_reg, record_mem};
}

struct capture_record *record_copy(const struct capture_record *r)
{
	size_t bytes = sizeof(*r) + (r->vregs ? sizeof(*r->vregs) : 0);
	struct capture_record *c;
	uint8_t *at;

	for (uint32_t i = 0; i < r->nblobs; i++)
		bytes += r->blobs[i].len;
	/* One allocation: the record, then its vector registers and blobs. */
	c = xmalloc(bytes);
	*c = *r;
	at = (uint8_t *)(c + 1);
	if (r->vregs) {
		memcpy(at, r->vregs, sizeof(*r->vregs));
		c->vregs = (const struct dwt_vregs *)at;
		at += sizeof(*r->vregs);
	}
	for (uint32_t i = 0; i < r->nblobs; i++) {
		if (r->blobs[i].len)
			memcpy(at, r->blobs[i].data, r->blobs[i].len);
		c->blobs[i].data = at;
		at += r->blobs[i].len;
	}
	return c;
}

void record_free(struct capture_record *r)
{
	free(r);
}
