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

/* Where each blob is, and how long: kept here, never read back from out,
 * which another process may be writing too (a child made without the fork
 * handlers shares the rings): what is read back from out is only data. */
struct blob_pos {
	uint32_t off[DWT_MAX_OPS_PER_SITE];
	uint32_t len[DWT_MAX_OPS_PER_SITE];
};

/* The 8 bytes at byte off of blob i, or -1 when the blob does not hold them. */
static int blob_u64(const uint8_t *out, const struct blob_pos *pos, uint32_t i, uint32_t off, uint64_t *v)
{
	if (pos->len[i] < 8 || off > pos->len[i] - 8)
		return -1;
	copy_bytes((uint8_t *)v, out + pos->off[i] + sizeof(struct dwt_blob) + off, 8);
	return 0;
}

uint32_t capture_run(const struct dwt_cap_op *ops, uint32_t nops, const struct dwt_regs *regs,
		     const struct capture_mem *mem, uint8_t *out, uint32_t out_size)
{
	struct blob_pos pos;
	uint32_t used = 0;

	if (nops > DWT_MAX_OPS_PER_SITE || out_size < capture_max_bytes(ops, nops))
		return 0;
	for (uint32_t i = 0; i < nops; i++) {
		const struct dwt_cap_op *op = &ops[i];
		struct dwt_blob *b = (struct dwt_blob *)(out + used);
		uint8_t *data = (uint8_t *)(b + 1);
		uint64_t base = 0, len = op->size;
		uint32_t got = 0, flags = 0;
		int ok = 1;
		long n = -1;

		if (op->base == DWT_BASE_REG)
			ok = op->regno < DWT_NGPR, base = ok ? regs->gpr[op->regno] : 0;
		else if (op->base == DWT_BASE_ABS)
			ok = !(op->flags & DWT_OP_STACK), base = 0;
		else if (op->base == DWT_BASE_PTR)
			ok = op->src_op < i && blob_u64(out, &pos, op->src_op, op->src_off, &base) == 0;
		else
			ok = 0;
		if (ok && op->kind == DWT_CAP_MEM_LEN) {
			uint64_t want;
			ok = op->len_op < i && blob_u64(out, &pos, op->len_op, op->len_off, &want) == 0;
			if (ok && want < len)
				len = want;
		}
		b->addr = ok ? base + (uint64_t)op->offset : 0;
		if (ok && len)
			n = mem->read(mem->ctx, b->addr, data, (uint32_t)len, (op->flags & DWT_OP_STACK) != 0);
		else if (ok)
			n = 0;
		if (n < 0) {
			flags = DWT_BLOB_UNREADABLE;
		} else {
			got = (uint64_t)n < len ? (uint32_t)n : (uint32_t)len;
			if (op->kind == DWT_CAP_STRING) {
				uint32_t k = 0;
				while (k < got && data[k])
					k++;
				if (k < got)
					got = k + 1; /* the NUL included */
				else
					flags |= DWT_BLOB_SHORT;
			} else if (got < len) {
				flags |= DWT_BLOB_SHORT;
			}
		}
		for (uint32_t k = got; k < PAD8(got); k++)
			data[k] = 0;
		b->len = got;
		b->flags = flags;
		pos.off[i] = used;
		pos.len[i] = got;
		used += (uint32_t)sizeof(*b) + PAD8(got);
	}
	return used;
}
