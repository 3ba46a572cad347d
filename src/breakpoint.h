/* Software breakpoints in the target's text. */
#ifndef DWTRACE_BREAKPOINT_H
#define DWTRACE_BREAKPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "target.h"
#include "u64_map.h"

enum breakpoint_kind {
	BP_PROBE,      /* a probed function's entry */
	BP_RETURN,     /* the return trampoline */
	BP_DLSTATE,    /* the dynamic linker's r_brk: libraries come and go */
};

struct breakpoint {
	uint64_t addr;
	uint8_t orig;              /* the byte the trap replaced */
	bool inserted;
	enum breakpoint_kind kind;
	struct probe_site *site;   /* BP_PROBE */
	uint64_t ool;              /* BP_PROBE, BP_DLSTATE: the out-of-line copy of the displaced instruction */
	uint8_t insn_len;          /* length of the displaced instruction */
};

struct breakpoint_table {
	struct u64_map by_addr;
};

/* Places a trap at addr.  Returns 0, or -errno. */
int bp_insert(struct breakpoint_table *bt, struct target *t, uint64_t addr, enum breakpoint_kind kind,
	      struct probe_site *site, uint64_t ool);
/* Reads size bytes of the target's code at addr as they are without our traps. */
int bp_read_original(const struct breakpoint_table *bt, struct target *t, uint64_t addr, uint8_t *buf, size_t size);
struct breakpoint *bp_at(const struct breakpoint_table *bt, uint64_t addr);
/* Forgets the breakpoint at addr without touching memory (it was unmapped). */
void bp_forget(struct breakpoint_table *bt, uint64_t addr);
/* Writes the original byte of every breakpoint into process pid's memory
 * through write_fn (the target's, or a forked child's copy). */
void bp_restore_all(const struct breakpoint_table *bt,
		    int (*write_fn)(void *ctx, uint64_t addr, const void *buf, size_t size), void *ctx);
/* Fills to (empty) with the breakpoints of from, as a forked child t has
 * them in its copy of memory; probes are matched by address in sites (entry
 * address → struct probe_site); a trap whose probe is not there is taken
 * out of t's memory. */
void bp_table_copy(struct breakpoint_table *to, const struct breakpoint_table *from, const struct u64_map *sites,
		   struct target *t);
void bp_table_free(struct breakpoint_table *bt);

#endif
