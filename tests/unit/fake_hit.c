/* A fake process stopped at a probe hit: see fake_hit.h. */
#include "fake_hit.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

void fake_map(struct fake_hit *f, uint64_t addr, const void *bytes, uint32_t len)
{
	struct fake_region *r;

	assert_true(f->nregions < FAKE_HIT_REGIONS);
	r = &f->regions[f->nregions++];
	r->addr = addr;
	r->len = len;
	r->bytes = malloc(len);
	assert_non_null(r->bytes);
	memcpy(r->bytes, bytes, len);
}

void fake_unmap_all(struct fake_hit *f)
{
	for (unsigned i = 0; i < f->nregions; i++)
		free(f->regions[i].bytes);
	f->nregions = 0;
}

long fake_read(struct fake_hit *f, uint64_t addr, void *buf, size_t len)
{
	for (unsigned i = 0; i < f->nregions; i++) {
		struct fake_region *r = &f->regions[i];
		if (addr >= r->addr && addr < r->addr + r->len) {
			size_t n = r->addr + r->len - addr < len ? (size_t)(r->addr + r->len - addr) : len;
			memcpy(buf, r->bytes + (addr - r->addr), n);
			return (long)n;
		}
	}
	return len ? -1 : 0;
}

ssize_t fake_live_mem(void *ctx, uint64_t addr, void *buf, size_t size)
{
	return fake_read(ctx, addr, buf, size);
}

int fake_live_reg(void *ctx, unsigned regno, void *buf, size_t size)
{
	struct fake_hit *f = ctx;

	if (regno >= DWT_NGPR || size > 8)
		return -1;
	memcpy(buf, &f->regs.gpr[regno], size);
	return 0;
}

long fake_capture_read(void *ctx, uint64_t addr, void *buf, uint32_t len, int stack)
{
	(void)stack;
	return fake_read(ctx, addr, buf, len);
}

void fake_capture(struct fake_hit *f, const struct capture_prog *prog, uint8_t *buf, struct capture_record *r)
{
	struct capture_mem mem = {f, fake_capture_read};
	struct dwt_rec_hdr h = {.kind = DWT_REC_ENTRY, .tid = 1, .regs = f->regs};
	uint32_t n;

	n = capture_run(prog->ops, prog->nops, &f->regs, &mem, buf + sizeof(h), DWT_MAX_RECORD - sizeof(h));
	assert_true(n > 0 || prog->nops == 0);
	h.size = (uint32_t)sizeof(h) + n;
	assert_true(h.size <= prog->max_record);
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(record_parse(buf, h.size, (int)prog->nops, r), 0);
}
