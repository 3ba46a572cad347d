/* Software breakpoints in the target's text.  One breakpoint per address,
 * with every role dwtrace gave that instruction: a probed function's entry,
 * an exit of one or more probed functions (a `ret` or a jump that may leave
 * them), the entry of a probed function that other probed functions' code
 * runs into without a jump (an arrival: glibc's __strcasecmp_evex falls
 * through into __strcasecmp_l_evex), the dynamic linker's r_brk.  The
 * displaced instruction runs out of line from ool (DESIGN.md, "Breakpoints
 * without races"). */
#ifndef DWTRACE_BREAKPOINT_H
#define DWTRACE_BREAKPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "target.h"
#include "u64_map.h"

struct breakpoint {
	uint64_t addr;
	uint8_t orig[ARCH_BREAKPOINT_LEN]; /* the bytes the trap replaced */
	uint8_t insn_len;            /* length of the displaced instruction */
	uint8_t insn[ARCH_INSN_MAX]; /* its bytes (exits decide at the hit where a jump goes) */
	uint64_t ool;                /* the out-of-line copy of the displaced instruction */
	struct probe_site *entry;    /* a probed function starts here, or NULL */
	struct probe_site **exits;   /* probed functions this instruction may leave */
	size_t nexits;
	struct probe_site **arrivals; /* probed functions whose code runs into this entry */
	size_t narrivals;
	enum arch_flow flow;         /* with exits: how the instruction leaves */
	uint64_t target;             /* with exits: where a direct jump goes */
	uint8_t cc;                  /* with exits: a conditional jump's condition */
	bool dlstate;                /* the dynamic linker's r_brk: libraries come and go */
};

struct breakpoint_table {
	struct u64_map by_addr;
};

/* The breakpoint at addr, placed when there is none: the trap is written
 * and ool (the out-of-line copy, already in the target) with the
 * instruction's bytes (insn, len) recorded.  The caller then sets the role.
 * Returns the breakpoint, or NULL with -errno in *err. */
struct breakpoint *bp_insert(struct breakpoint_table *bt, struct target *t, uint64_t addr, uint64_t ool,
			     const uint8_t *insn, size_t len, int *err);
/* Adds site to the functions the exit at bp may leave (once). */
void bp_add_exit(struct breakpoint *bp, struct probe_site *site);
/* Adds site to the functions whose code runs into the entry at bp (once). */
void bp_add_arrival(struct breakpoint *bp, struct probe_site *site);
/* Reads size bytes of the target's code at addr as they are without our traps. */
int bp_read_original(const struct breakpoint_table *bt, struct target *t, uint64_t addr, uint8_t *buf, size_t size);
struct breakpoint *bp_at(const struct breakpoint_table *bt, uint64_t addr);
/* Forgets the breakpoints in [start, end) without touching memory (the
 * code there was unmapped).  Returns how many. */
size_t bp_forget_range(struct breakpoint_table *bt, uint64_t start, uint64_t end);
/* Writes the original byte of every breakpoint into process pid's memory
 * through write_fn (the target's, or a forked child's copy). */
void bp_restore_all(const struct breakpoint_table *bt,
		    int (*write_fn)(void *ctx, uint64_t addr, const void *buf, size_t size), void *ctx);
/* Fills to (empty) with the breakpoints of from, as a forked child t has
 * them in its copy of memory; probe sites are matched by entry address in
 * sites (entry address → struct probe_site of the child); a trap left with
 * no role is taken out of t's memory. */
void bp_table_copy(struct breakpoint_table *to, const struct breakpoint_table *from, const struct u64_map *sites,
		   struct target *t);
void bp_table_free(struct breakpoint_table *bt);

#endif
