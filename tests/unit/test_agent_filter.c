/* The agent's --filter at the hit (ABI 4, DWT_SITE_FILTER): hand-built
 * filter programs on hand-built sites, hit with hand-built frames on this
 * thread, the ring read as dwtrace reads it.  A rejected call leaves no
 * record at its entry nor at its exit (nested calls, a frame left by a
 * longjmp, a full call stack), an accepted one leaves both, a malformed
 * program keeps every call, and the ring counts the calls filtered out. */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "test_agent.h"

/* Sites of this test, away from the other tests'. */
enum { E_REGS = 300, X_REGS, E_BLOB, X_BLOB, E_BAD, X_BAD };
#define S 0x7ffe00100000ull

static volatile int32_t blob_value;

/* Writes prog (nops ops) as site i's filter, at op slot at. */
static void set_filter(uint32_t i, uint32_t at, const struct dwt_filter_op *prog, uint32_t nops, uint32_t size)
{
	struct dwt_cap_op *area = (struct dwt_cap_op *)(uintptr_t)A->ops;
	struct dwt_site *s = site_at(i);

	memcpy(area + at, prog, nops * sizeof(*prog));
	s->filter = at;
	s->filter_nops = nops;
	s->filter_size = size;
}

static void hit_at(uint32_t site, uint64_t rdi, uint64_t sp)
{
	struct dwt_frame f;

	frame_init(&f, site);
	f.regs.gpr[5] = rdi;
	f.regs.gpr[DWT_DW_SP] = sp;
	hit(site, &f);
}

struct seen {
	uint32_t site[256];
	uint64_t sp[256];
	uint32_t rejected[256]; /* entries: rejected calls around them (flags) */
	unsigned n;
};

/* The records written since *tail, consumed. */
static void drain(struct dwt_ring *r, uint64_t *tail, struct seen *s)
{
	const struct dwt_rec_hdr *h;

	s->n = 0;
	while ((h = next_record(r, tail))) {
		if (s->n < 256) {
			s->site[s->n] = h->site;
			s->rejected[s->n] = (h->flags & DWT_REC_REJECTED_MASK) >> DWT_REC_REJECTED_SHIFT;
			s->sp[s->n++] = h->regs.gpr[DWT_DW_SP];
		}
	}
	r->tail = *tail;
}

#define EXPECT(s, ...)                                                                         \
	do {                                                                                   \
		uint32_t want[] = {__VA_ARGS__};                                               \
		unsigned nw = sizeof(want) / sizeof(want[0]);                                  \
		CHECK((s).n == nw);                                                             \
		for (unsigned k = 0; k < nw && k < (s).n; k++)                                 \
			CHECK((s).site[k] == want[k]);                                         \
	} while (0)

void test_filter_sites(void)
{
	/* rdi == 7 */
	struct dwt_filter_op regs_prog[] = {
		{.code = DWT_F_LOAD_REG, .size = 8, .arg = 5},
		{.code = DWT_F_CONST, .imm = 7},
		{.code = DWT_F_EQ},
	};
	/* the 4 bytes blob 0 copied == 42 */
	struct dwt_filter_op blob_prog[] = {
		{.code = DWT_F_LOAD_BLOB, .size = 4, .arg = 0, .flags = DWT_F_SIGNED},
		{.code = DWT_F_CONST, .imm = 42},
		{.code = DWT_F_EQ},
	};
	struct dwt_cap_op copy = {.kind = DWT_CAP_MEM, .base = DWT_BASE_ABS, .size = 4,
				  .offset = (int64_t)(uintptr_t)&blob_value};
	uint16_t live = DWT_SITE_LIVE | DWT_SITE_FILTER;
	uint32_t at = A->nops_max - 4096;
	struct seen s;

	set_site(E_REGS, DWT_REC_ENTRY, live | DWT_SITE_FILTER_REGS, NULL, 0);
	set_site(X_REGS, DWT_REC_EXIT, live, NULL, 0);
	set_site(E_BLOB, DWT_REC_ENTRY, live, &copy, 1);
	set_site(X_BLOB, DWT_REC_EXIT, live, NULL, 0);
	set_site(E_BAD, DWT_REC_ENTRY, live | DWT_SITE_FILTER_REGS, NULL, 0);
	set_site(X_BAD, DWT_REC_EXIT, live, NULL, 0);
	site_at(E_REGS)->layout = site_at(X_REGS)->layout = 1;
	site_at(E_BLOB)->layout = site_at(X_BLOB)->layout = 2;
	site_at(E_BAD)->layout = site_at(X_BAD)->layout = 3;
	set_filter(E_REGS, at, regs_prog, 3, sizeof(regs_prog));
	set_filter(E_BLOB, at + 8, blob_prog, 3, sizeof(blob_prog));
	/* malformed: three ops in 8 bytes */
	set_filter(E_BAD, at + 16, regs_prog, 3, 8);

	hit_at(E_REGS, 7, S); /* the ring exists from here */
	struct dwt_ring *r = ring_of(gettid());
	REQUIRE(r);
	uint64_t tail = r->tail;
	hit_at(X_REGS, 0, S);
	drain(r, &tail, &s);
	/* the first entry may have been read before tail was taken: its exit is there */
	CHECK(s.n >= 1 && s.site[s.n - 1] == X_REGS);
	uint64_t filtered0 = r->filtered;

	/* rejected: nothing at the entry, nothing at the exit */
	hit_at(E_REGS, 8, S);
	hit_at(X_REGS, 0, S);
	drain(r, &tail, &s);
	CHECK(s.n == 0);
	CHECK(r->filtered == filtered0 + 1);

	/* a kept call nested in a rejected one (recursion) */
	hit_at(E_REGS, 8, S);
	hit_at(E_REGS, 7, S - 64);
	hit_at(X_REGS, 0, S - 64);
	hit_at(X_REGS, 0, S);
	drain(r, &tail, &s);
	EXPECT(s, E_REGS, X_REGS);
	CHECK(s.n == 2 && s.sp[0] == S - 64 && s.sp[1] == S - 64);
	/* the kept entry says one rejected call is around it, for its depth */
	CHECK(s.n == 2 && s.rejected[0] == 1);

	/* a rejected call left by a longjmp inside a kept one: dropped by
	 * the kept call's exit, which is written */
	hit_at(E_REGS, 7, S);
	hit_at(E_REGS, 8, S - 128);
	hit_at(X_REGS, 0, S);
	drain(r, &tail, &s);
	EXPECT(s, E_REGS, X_REGS);
	CHECK(s.n == 2 && s.rejected[0] == 0);
	CHECK(r->filtered == filtered0 + 3);

	/* a filter over a blob the capture copied */
	blob_value = 42;
	hit_at(E_BLOB, 0, S);
	hit_at(X_BLOB, 0, S);
	blob_value = 5;
	hit_at(E_BLOB, 0, S);
	hit_at(X_BLOB, 0, S);
	drain(r, &tail, &s);
	EXPECT(s, E_BLOB, X_BLOB);
	CHECK(r->filtered == filtered0 + 4);

	/* a full call stack: the oldest rejected call is forgotten, and its
	 * exit is written (dwtrace drops it, finding no call in flight) */
	for (unsigned k = 0; k <= DWT_RING_CALLS; k++)
		hit_at(E_REGS, 8, S - 16 * k);
	for (unsigned k = DWT_RING_CALLS + 1; k--;)
		hit_at(X_REGS, 0, S - 16 * k);
	drain(r, &tail, &s);
	EXPECT(s, X_REGS);
	CHECK(s.n == 1 && s.sp[0] == S);
	CHECK(r->filtered == filtered0 + 5 + DWT_RING_CALLS);

	/* a malformed program keeps every call */
	hit_at(E_BAD, 8, S);
	hit_at(X_BAD, 0, S);
	drain(r, &tail, &s);
	EXPECT(s, E_BAD, X_BAD);
	CHECK(r->filtered == filtered0 + 5 + DWT_RING_CALLS);

	/* an entry-only function: its calls are not pushed, a rejected one
	 * included (the stack is empty here, and stays so) */
	site_at(E_REGS)->flags |= DWT_SITE_NO_EXIT;
	hit_at(E_REGS, 8, S);
	hit_at(E_REGS, 7, S);
	CHECK(r->ncalls == 0);
	drain(r, &tail, &s);
	EXPECT(s, E_REGS);
	CHECK(r->filtered == filtered0 + 6 + DWT_RING_CALLS);
	site_at(E_REGS)->flags &= (uint16_t)~DWT_SITE_NO_EXIT;
	r->ncalls = 0;
}
