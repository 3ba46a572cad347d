/* Capture programs at the hit (capture_run.h).  Compiled into the agent
 * with -mgeneral-regs-only -ffreestanding, and into dwtrace. */
#include "capture_run.h"

#define PAD8(n) (((n) + 7u) & ~7u)

/* No libc: the agent's hot path may run inside malloc or a signal handler. */
static void copy_bytes(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	while (n--)
		*dst++ = *src++;
}

uint32_t capture_max_bytes(const struct dwt_cap_op *ops, uint32_t nops)
{
	uint64_t n = 0;

	/* In 64 bits: a size near 4 GiB (a corrupt op) must not wrap the sum
	 * below the bytes capture_run() would then write. */
	for (uint32_t i = 0; i < nops; i++) {
		n += sizeof(struct dwt_blob) + (((uint64_t)ops[i].size + 7u) & ~(uint64_t)7u);
		if (n > UINT32_MAX)
			return UINT32_MAX;
	}
	return (uint32_t)n;
}

/* The blob op i wrote (already run), or 0; *data its bytes. */
static const struct dwt_blob *blob_at(const uint8_t *out, uint32_t i, const uint8_t **data)
{
	const struct dwt_blob *b = (const struct dwt_blob *)out;

	for (uint32_t k = 0; k < i; k++)
		b = (const struct dwt_blob *)((const uint8_t *)(b + 1) + PAD8(b->len));
	*data = (const uint8_t *)(b + 1);
	return b;
}

/* The 8 bytes at byte off of blob i, or -1 when the blob does not hold them. */
static int blob_u64(const uint8_t *out, uint32_t i, uint32_t off, uint64_t *v)
{
	const uint8_t *data;
	const struct dwt_blob *b = blob_at(out, i, &data);

	if (b->len < 8 || off > b->len - 8)
		return -1;
	copy_bytes((uint8_t *)v, data + off, 8);
	return 0;
}

uint32_t capture_run(const struct dwt_cap_op *ops, uint32_t nops, const struct dwt_regs *regs,
		     const struct capture_mem *mem, uint8_t *out, uint32_t out_size)
{
	uint32_t used = 0;

	if (out_size < capture_max_bytes(ops, nops))
		return 0;
	for (uint32_t i = 0; i < nops; i++) {
		const struct dwt_cap_op *op = &ops[i];
		struct dwt_blob *b = (struct dwt_blob *)(out + used);
		uint8_t *data = (uint8_t *)(b + 1);
		uint64_t base = 0, len = op->size;
		int ok = 1;
		long n = -1;

		if (op->base == DWT_BASE_REG)
			ok = op->regno < DWT_NGPR, base = ok ? regs->gpr[op->regno] : 0;
		else
			ok = op->src_op < i && blob_u64(out, op->src_op, op->src_off, &base) == 0;
		if (ok && op->kind == DWT_CAP_MEM_LEN) {
			uint64_t want;
			ok = op->len_op < i && blob_u64(out, op->len_op, op->len_off, &want) == 0;
			if (ok && want < len)
				len = want;
		}
		b->addr = ok ? base + (uint64_t)op->offset : 0;
		b->flags = 0;
		b->len = 0;
		if (ok && len)
			n = mem->read(mem->ctx, b->addr, data, (uint32_t)len, (op->flags & DWT_OP_STACK) != 0);
		else if (ok)
			n = 0;
		if (n < 0) {
			b->flags = DWT_BLOB_UNREADABLE;
		} else {
			b->len = (uint32_t)n;
			if (op->kind == DWT_CAP_STRING) {
				uint32_t k = 0;
				while (k < b->len && data[k])
					k++;
				if (k < b->len)
					b->len = k + 1; /* the NUL included */
				else
					b->flags |= DWT_BLOB_SHORT;
			} else if ((uint64_t)n < len) {
				b->flags |= DWT_BLOB_SHORT;
			}
		}
		for (uint32_t k = b->len; k < PAD8(b->len); k++)
			data[k] = 0;
		used += (uint32_t)sizeof(*b) + PAD8(b->len);
	}
	return used;
}
