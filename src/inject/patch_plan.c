/* Planning a function's patches for the agent engine.
 *
 * The rules (FASTPATH.md): a jump needs 5 bytes of whole instructions that
 * no thread is in the middle of and no branch of the function targets past
 * their first byte; with indirect jumps in the function (a jump table may
 * target anything) only a single displaced instruction is safe.  The entry
 * keeps its endbr64 in place and is patched after it.  Exits are patched
 * where they are: the straight-line instructions ending in each ret (or a
 * tail-call jump) when they span 5 bytes, else the exit itself becomes an
 * int3.  Whatever cannot take a jump becomes a trap, never nothing. */
#include "patch_plan.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_abi.h"
#include "arch.h"
#include "xalloc.h"

struct insn {
	struct arch_insn in;
	size_t range;                /* index in ranges */
	size_t off;                  /* byte offset in its range */
};

struct scan {
	const struct patch_range *ranges;
	size_t nranges;
	struct insn *insns;          /* in range order, each range in address order */
	size_t n, cap;
	uint64_t *targets;           /* direct branch targets inside the function, sorted */
	size_t ntargets, targets_cap;
	uint64_t indirect;           /* an indirect jump's address, 0 for none */
	/* Code whose extent only its symbol gives (assembly, no DWARF): other
	 * functions may jump into its middle (glibc's mempcpy into memmove's
	 * body), so no patch may span more than one instruction. */
	bool open;
	const uint64_t *busy;
	size_t nbusy;
};

static bool in_function(const struct scan *sc, uint64_t addr)
{
	for (size_t i = 0; i < sc->nranges; i++)
		if (addr >= sc->ranges[i].start && addr < sc->ranges[i].start + sc->ranges[i].len)
			return true;
	return false;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* A direct branch target or a busy pc in (lo, hi): its address, else 0. */
static uint64_t landing_inside(const struct scan *sc, uint64_t lo, uint64_t hi, bool *busy)
{
	*busy = false;
	for (size_t i = 0; i < sc->ntargets; i++)
		if (sc->targets[i] > lo && sc->targets[i] < hi)
			return sc->targets[i];
	for (size_t i = 0; i < sc->nbusy; i++)
		if (sc->busy[i] > lo && sc->busy[i] < hi) {
			*busy = true;
			return sc->busy[i];
		}
	return 0;
}

/* Decodes every range.  Returns 0, or -1 with why. */
static int scan_code(struct scan *sc, char *why, size_t whysize)
{
	char err[120];

	for (size_t r = 0; r < sc->nranges; r++) {
		const struct patch_range *pr = &sc->ranges[r];
		size_t off = 0;

		while (off < pr->len) {
			struct insn *x;

			xgrow(&sc->insns, &sc->cap, sc->n + 1, sizeof(*sc->insns));
			x = &sc->insns[sc->n];
			if (arch_decode_flow(pr->code + off, pr->len - off, pr->start + off, &x->in, err, sizeof(err)) != 0) {
				snprintf(why, whysize, "its code cannot be decoded at 0x%" PRIx64 " (%s)", pr->start + off,
					 err);
				return -1;
			}
			x->range = r;
			x->off = off;
			sc->n++;
			off += x->in.len;
			if ((x->in.flow == ARCH_FLOW_JMP || x->in.flow == ARCH_FLOW_JCC ||
			     x->in.flow == ARCH_FLOW_JCC_OTHER) &&
			    in_function(sc, x->in.target)) {
				xgrow(&sc->targets, &sc->targets_cap, sc->ntargets + 1, sizeof(*sc->targets));
				sc->targets[sc->ntargets++] = x->in.target;
			}
			if (x->in.flow == ARCH_FLOW_JMP_INDIRECT && !sc->indirect)
				sc->indirect = x->in.addr;
		}
	}
	if (sc->ntargets)
		qsort(sc->targets, sc->ntargets, sizeof(*sc->targets), cmp_u64);
	return 0;
}

static ssize_t find_insn(const struct scan *sc, uint64_t addr)
{
	for (size_t i = 0; i < sc->n; i++)
		if (sc->insns[i].in.addr == addr)
			return (ssize_t)i;
	return -1;
}

/* Whether instruction x leaves the function (or stops): it cannot be
 * displaced by an entry patch without losing an exit. */
static bool leaves(const struct scan *sc, const struct arch_insn *in)
{
	switch (in->flow) {
	case ARCH_FLOW_RET:
	case ARCH_FLOW_JMP_INDIRECT:
	case ARCH_FLOW_STOP:
		return true;
	case ARCH_FLOW_JMP:
	case ARCH_FLOW_JCC:
	case ARCH_FLOW_JCC_OTHER:
		return !in_function(sc, in->target);
	default:
		return false;
	}
}

static struct patch_point *add_point(struct patch_plan *plan, enum patch_kind kind, uint16_t rec,
				     const struct scan *sc, size_t first, size_t last, uint64_t site_pc)
{
	const struct insn *a = &sc->insns[first], *b = &sc->insns[last];
	const struct patch_range *r = &sc->ranges[a->range];
	struct patch_point *p;

	xgrow(&plan->points, &plan->cap, plan->n + 1, sizeof(*plan->points));
	p = &plan->points[plan->n++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->rec = rec;
	p->site_pc = site_pc;
	p->start = a->in.addr;
	p->len = (uint8_t)(b->off + b->in.len - a->off);
	p->npre = (uint8_t)(site_pc - p->start);
	memcpy(p->orig, r->code + a->off, p->len);
	return p;
}

__attribute__((format(printf, 5, 6))) static void trap(struct patch_plan *plan, uint16_t rec, const struct scan *sc,
							 size_t i, const char *fmt, ...)
{
	struct patch_point *p = add_point(plan, PATCH_TRAP, rec, sc, i, i, sc->insns[i].in.addr);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
}

/* The entry: instructions from the patch start (after an endbr64) until 5
 * bytes are covered. */
static void plan_entry(struct patch_plan *plan, const struct scan *sc, size_t first, uint64_t entry)
{
	const struct insn *e = &sc->insns[first];
	const struct patch_range *r = &sc->ranges[e->range];
	size_t pad_len, i = first, bytes = 0;
	uint64_t at;
	bool busy;

	if (arch_insn_landing_pad(r->code + e->off, r->len - e->off, &pad_len) && first + 1 < sc->n &&
	    sc->insns[first + 1].range == e->range)
		i = first + 1;
	for (size_t k = i; bytes < ARCH_JUMP_PATCH_LEN; k++) {
		if (k == sc->n || sc->insns[k].range != e->range) {
			trap(plan, DWT_REC_ENTRY, sc, first, "its code after the entry is shorter than %" PRIu64 " bytes",
			     (uint64_t)ARCH_JUMP_PATCH_LEN);
			return;
		}
		if (leaves(sc, &sc->insns[k].in)) {
			trap(plan, DWT_REC_ENTRY, sc, first, "it leaves (returns or jumps out) at 0x%" PRIx64
			     ", within the bytes a jump would take", sc->insns[k].in.addr);
			return;
		}
		if (sc->insns[k].in.call && bytes + sc->insns[k].in.len < ARCH_JUMP_PATCH_LEN) {
			trap(plan, DWT_REC_ENTRY, sc, first, "a call at 0x%" PRIx64 " is within the first bytes "
			     "(its return address would point into the patch)", sc->insns[k].in.addr);
			return;
		}
		bytes += sc->insns[k].in.len;
		if (bytes >= ARCH_JUMP_PATCH_LEN) {
			at = landing_inside(sc, sc->insns[i].in.addr, sc->insns[i].in.addr + bytes, &busy);
			if (at) {
				trap(plan, DWT_REC_ENTRY, sc, first, "%s 0x%" PRIx64 ", within the bytes a jump would take",
				     busy ? "a thread is at" : "a branch of the function targets", at);
				return;
			}
			if (sc->indirect && k > i) {
				trap(plan, DWT_REC_ENTRY, sc, first, "it has an indirect jump (at 0x%" PRIx64
				     ") and a jump would displace more than one instruction", sc->indirect);
				return;
			}
			if (sc->open && k > i) {
				trap(plan, DWT_REC_ENTRY, sc, first, "other code may jump into it (assembly, or no DWARF) "
				     "and a jump would displace more than one instruction");
				return;
			}
			add_point(plan, PATCH_JUMP, DWT_REC_ENTRY, sc, i, k, entry);
			/* The record's rip is the function's entry, not the patch
			 * after its endbr64 (same registers, no instruction between). */
			plan->points[plan->n - 1].npre = 0;
			return;
		}
	}
}

/* Whether [lo, hi) overlaps the entry's patched bytes. */
static bool over_entry(const struct patch_plan *plan, uint64_t lo, uint64_t hi)
{
	const struct patch_point *e = &plan->points[0];
	return lo < e->start + e->len && e->start < hi;
}

/* An exit at instruction x: the straight-line instructions before it join
 * it until they span 5 bytes. */
static void plan_exit(struct patch_plan *plan, const struct scan *sc, size_t x, bool cond)
{
	const struct insn *xi = &sc->insns[x];
	const struct patch_range *r = &sc->ranges[xi->range];
	uint64_t end = xi->in.addr + xi->in.len, at;
	size_t s = x, len;
	bool busy;

	while (end - sc->insns[s].in.addr < ARCH_JUMP_PATCH_LEN) {
		const struct insn *prev = s ? &sc->insns[s - 1] : NULL;

		at = landing_inside(sc, sc->insns[s].in.addr - 1, sc->insns[s].in.addr + 1, &busy);
		if (at) {
			trap(plan, DWT_REC_EXIT, sc, x, "%s 0x%" PRIx64 ", within the bytes a jump would take",
			     busy ? "a thread is at" : "a branch of the function targets", at);
			return;
		}
		if (!prev || prev->range != xi->range ||
		    !arch_insn_straight(r->code + prev->off, r->len - prev->off, &len)) {
			trap(plan, DWT_REC_EXIT, sc, x, "the instructions ending at 0x%" PRIx64
			     " that a jump could displace span fewer than 5 bytes", xi->in.addr);
			return;
		}
		if (sc->indirect) {
			trap(plan, DWT_REC_EXIT, sc, x, "it has an indirect jump (at 0x%" PRIx64
			     ") and a jump would displace more than one instruction", sc->indirect);
			return;
		}
		if (sc->open) {
			trap(plan, DWT_REC_EXIT, sc, x, "other code may jump into it (assembly, or no DWARF) and a "
			     "jump would displace more than one instruction");
			return;
		}
		if (over_entry(plan, prev->in.addr, end)) {
			trap(plan, DWT_REC_EXIT, sc, x, "a jump at 0x%" PRIx64 " would overlap the entry's patch",
			     xi->in.addr);
			return;
		}
		s--;
	}
	/* The exit instruction itself, when displaced alone, was not checked. */
	at = landing_inside(sc, sc->insns[s].in.addr, end, &busy);
	if (at) {
		trap(plan, DWT_REC_EXIT, sc, x, "%s 0x%" PRIx64 ", within the bytes a jump would take",
		     busy ? "a thread is at" : "a branch of the function targets", at);
		return;
	}
	add_point(plan, PATCH_JUMP, DWT_REC_EXIT, sc, s, x, xi->in.addr)->cond = cond;
}

static void plan_exits(struct patch_plan *plan, const struct scan *sc)
{
	size_t nentry = plan->n;

	for (size_t i = 0; i < sc->n; i++) {
		const struct arch_insn *in = &sc->insns[i].in;
		bool range_end = i + 1 == sc->n || sc->insns[i + 1].range != sc->insns[i].range;
		const char *why = NULL;

		if (in->flow == ARCH_FLOW_JMP_INDIRECT)
			why = "an indirect jump that may leave it (known only when it runs)";
		else if (in->flow == ARCH_FLOW_JCC_OTHER && !in_function(sc, in->target))
			why = "a loop instruction leaving it";
		else if (range_end && (in->flow == ARCH_FLOW_JCC || (in->flow == ARCH_FLOW_NEXT && !in->call)))
			why = "its code running on into what follows it";
		if (why) {
			plan->n = nentry;
			plan->entry_only = true;
			snprintf(plan->why, sizeof(plan->why), "%s, at 0x%" PRIx64, why, in->addr);
			return;
		}
		if (leaves(sc, in) && over_entry(plan, in->addr, in->addr + in->len)) {
			/* A 1-byte function: one int3 cannot be both. */
			plan->n = nentry;
			plan->entry_only = true;
			snprintf(plan->why, sizeof(plan->why), "its first instruction leaves it, at 0x%" PRIx64,
				 in->addr);
			return;
		}
		if (in->flow == ARCH_FLOW_RET || (in->flow == ARCH_FLOW_JMP && !in_function(sc, in->target)))
			plan_exit(plan, sc, i, false);
		else if (in->flow == ARCH_FLOW_JCC && !in_function(sc, in->target)) {
			plan_exit(plan, sc, i, true);
			/* The agent's trap records every pass: a conditional exit
			 * must be a jump, whose stub tests the condition. */
			if (plan->points[plan->n - 1].kind == PATCH_TRAP) {
				plan->n = nentry;
				plan->entry_only = true;
				snprintf(plan->why, sizeof(plan->why),
					 "its conditional jump out at 0x%" PRIx64 " cannot take a jump (%.100s)", in->addr,
					 plan->points[nentry].why);
				return;
			}
		}
	}
	if (plan->n == nentry) {
		plan->entry_only = true;
		snprintf(plan->why, sizeof(plan->why), "no instruction leaves it");
	}
}

int patch_plan_function(uint64_t entry, const struct patch_range *ranges, size_t nranges, bool want_exits,
			bool open, const uint64_t *busy, size_t nbusy, struct patch_plan *plan, char *err,
			size_t errsize)
{
	struct scan sc = {.ranges = ranges, .nranges = nranges, .open = open, .busy = busy, .nbusy = nbusy};
	char why[200] = "";
	bool decoded;
	ssize_t first;

	memset(plan, 0, sizeof(*plan));
	decoded = scan_code(&sc, why, sizeof(why)) == 0;
	first = find_insn(&sc, entry);
	if (first < 0) {
		if (decoded)
			snprintf(err, errsize, "0x%" PRIx64 " is not the start of an instruction of the function", entry);
		else
			snprintf(err, errsize, "%s", why);
		free(sc.insns);
		free(sc.targets);
		return -1;
	}
	if (!decoded) {
		/* Its first instructions decoded, not the rest: no branch
		 * scan, so the entry can only be a trap. */
		trap(plan, DWT_REC_ENTRY, &sc, (size_t)first, "its code cannot be decoded completely (at 0x%" PRIx64 ")",
		     entry);
		plan->entry_only = true;
		snprintf(plan->why, sizeof(plan->why), "%s", why);
	} else {
		plan_entry(plan, &sc, (size_t)first, entry);
		if (want_exits)
			plan_exits(plan, &sc);
		else
			plan->entry_only = true;
	}
	free(sc.insns);
	free(sc.targets);
	return 0;
}

int patch_plan_point(uint64_t addr, const struct patch_range *ranges, size_t nranges, struct patch_plan *plan,
		     char *err, size_t errsize)
{
	struct scan sc = {.ranges = ranges, .nranges = nranges};
	char why[200] = "";
	bool decoded;
	ssize_t at;

	memset(plan, 0, sizeof(*plan));
	decoded = scan_code(&sc, why, sizeof(why)) == 0;
	at = find_insn(&sc, addr);
	if (at < 0) {
		if (decoded)
			snprintf(err, errsize, "0x%" PRIx64 " is not the start of an instruction of the function", addr);
		else
			snprintf(err, errsize, "%s", why);
	} else {
		trap(plan, DWT_REC_ENTRY, &sc, (size_t)at,
		     "a probe inside a function: a jump could cover an instruction that other code jumps to");
		plan->entry_only = true;
		snprintf(plan->why, sizeof(plan->why), "a probe inside a function");
	}
	free(sc.insns);
	free(sc.targets);
	return at < 0 ? -1 : 0;
}

void patch_plan_free(struct patch_plan *plan)
{
	free(plan->points);
	memset(plan, 0, sizeof(*plan));
}
