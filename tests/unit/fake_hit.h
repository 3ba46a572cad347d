/* A fake process stopped at a probe hit, shared by the capture program
 * tests (test_capture.c, test_capture_loc.c): registers and a few mapped
 * regions, read through the callbacks decode (struct value_source) and
 * capture_run() (struct capture_mem) take. */
#ifndef DWTRACE_TEST_FAKE_HIT_H
#define DWTRACE_TEST_FAKE_HIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "capture_prog.h"
#include "capture_run.h"
#include "record.h"

#define FAKE_HIT_REGIONS 16

/* len bytes at addr, a copy owned by the fake (fake_unmap_all frees it). */
struct fake_region {
	uint64_t addr;
	uint32_t len;
	uint8_t *bytes;
};

/* A static or zeroed struct fake_hit is an empty process. */
struct fake_hit {
	struct dwt_regs regs;
	struct fake_region regions[FAKE_HIT_REGIONS];
	unsigned nregions;
};

/* Maps a copy of len bytes at addr (regions must not overlap). */
void fake_map(struct fake_hit *f, uint64_t addr, const void *bytes, uint32_t len);
/* Frees every region; the registers stay. */
void fake_unmap_all(struct fake_hit *f);
/* Bytes up to the end of the region holding addr (short there), or -1 when
 * none holds it; 0 for len 0. */
long fake_read(struct fake_hit *f, uint64_t addr, void *buf, size_t len);

/* struct value_source callbacks over the live fake (ctx: the fake_hit). */
ssize_t fake_live_mem(void *ctx, uint64_t addr, void *buf, size_t size);
int fake_live_reg(void *ctx, unsigned regno, void *buf, size_t size);
/* struct capture_mem's read over the fake (ctx: the fake_hit). */
long fake_capture_read(void *ctx, uint64_t addr, void *buf, uint32_t len, int stack);

/* Runs prog at the fake hit into buf (DWT_MAX_RECORD bytes, 8-aligned) as
 * an entry record of tid 1 and parses it into *r; fails the test when the
 * record is empty for a program with operations, larger than
 * prog->max_record, or does not parse. */
void fake_capture(struct fake_hit *f, const struct capture_prog *prog, uint8_t *buf, struct capture_record *r);

#endif
