/* Planning the agent engine's patches of one function: which instructions
 * become a jump to a stub, which an int3 the agent's SIGTRAP handler
 * serves (FASTPATH.md, "Patching entries"; DESIGN.md, "Exit probes").
 * Pure: the function's code comes in as bytes, nothing is read or written
 * in a process here. */
#ifndef DWTRACE_PATCH_PLAN_H
#define DWTRACE_PATCH_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One range of the function's code (DWARF ranges, .cold parts included),
 * its original bytes as loaded. */
struct patch_range {
	uint64_t start;
	const uint8_t *code;
	size_t len;
};

enum patch_kind {
	PATCH_JUMP = 1,              /* jmp rel32 to a stub at start */
	PATCH_TRAP = 2,              /* int3 at start (== site_pc) */
};

#define PATCH_MAX_BYTES 32

/* One patched instruction.  The record's rip is site_pc; the patch covers
 * [start, start + len): for PATCH_JUMP the npre bytes before site_pc run
 * (relocated) before the hit, the rest after it; for PATCH_TRAP len is the
 * trapped instruction's length (its out-of-line copy is the resume). */
struct patch_point {
	enum patch_kind kind;
	uint16_t rec;                /* DWT_REC_ENTRY or DWT_REC_EXIT */
	bool cond;                   /* an exit by a conditional jump leaving the function */
	uint64_t site_pc;
	uint64_t start;
	uint8_t len;
	uint8_t npre;
	uint8_t orig[PATCH_MAX_BYTES]; /* the original bytes of [start, start + len) */
	char why[160];               /* PATCH_TRAP: why not a jump */
};

struct patch_plan {
	struct patch_point *points;  /* points[0]: the entry */
	size_t n, cap;
	/* The exits are not all known (code that cannot be decoded, indirect
	 * jumps, a loop instruction or fall-through leaving it): entry events
	 * only; why says it. */
	bool entry_only;
	char why[200];
};

/* Plans the patches of the function entered at entry whose code is
 * ranges[nranges]: its entry, and its exits unless want_exits is false.
 * busy[nbusy] are the pcs of the process's threads and the pcs saved in
 * their signal frames: a jump may not cover bytes past the first that one
 * of them is at (that site becomes a trap).  Returns 0 and fills plan
 * (free with patch_plan_free), or -1 with err when entry is not the start
 * of an instruction of ranges. */
int patch_plan_function(uint64_t entry, const struct patch_range *ranges, size_t nranges, bool want_exits,
			bool open, const uint64_t *busy, size_t nbusy, struct patch_plan *plan, char *err,
			size_t errsize);

/* Plans a probe inside a function (a source line, FUNC+OFF): an int3 at
 * addr alone, never a jump, since a jump's 5 bytes could cover the start of
 * an instruction that a branch, a jump table, a landing pad or a return
 * address leads to, which only the whole function's control flow (not
 * known here) could rule out.  Returns 0 and plan (entry_only), or -1 with
 * err when addr starts no instruction of ranges. */
int patch_plan_point(uint64_t addr, const struct patch_range *ranges, size_t nranges, struct patch_plan *plan,
		     char *err, size_t errsize);

void patch_plan_free(struct patch_plan *plan);

#endif
