/* The agent engine's patches in a process: planned (patch_plan.h), their
 * stubs and out-of-line copies written into scratch areas near the code,
 * their sites into the agent's site and trap tables, then the patch bytes;
 * and put back at detach.  Every thread of the process must be in a ptrace
 * stop for both.  FASTPATH.md, "Patching entries" and "Detach and
 * re-attach". */
#ifndef DWTRACE_PATCH_H
#define DWTRACE_PATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/agent_abi.h"
#include "arch.h"
#include "patch_plan.h"
#include "probe_site.h"
#include "scratch.h"
#include "target.h"

/* One probe site to patch, with its capture programs: op indexes in the
 * agent's op area (compiled and written there by the caller). */
struct patch_request {
	struct probe_site *site;     /* fn (its ranges), addr, layout, entry_only */
	uint32_t entry_prog, entry_nops;
	uint32_t exit_prog, exit_nops;
	/* The layout's --filter as the agent runs it (DWT_SITE_FILTER):
	 * its program at op slot filter, filter_size bytes, filter_nops
	 * struct dwt_filter_op; filter_size 0 when the agent runs none. */
	uint32_t filter, filter_nops, filter_size;
	bool filter_regs;            /* DWT_SITE_FILTER_REGS */
};

/* One patched instruction, kept to put it back. */
struct patch_done {
	uint64_t start;
	uint8_t len;                 /* bytes written at start */
	uint8_t orig[PATCH_MAX_BYTES];
	uint64_t code;               /* its stub or out-of-line copy */
	struct arch_stub_map map;
	uint32_t site;               /* index in the agent's site table */
	bool trap;
	bool restored;
};

struct patch_set {
	struct patch_done *done;
	size_t n, cap;
	/* Counts over every patch_apply(), for messages and the bench. */
	size_t njumps, ntraps, nentry_only;
};

/* What patch_apply() says of each request: the sites it wrote, and when
 * the function gets entry events only or none, why. */
struct patch_outcome {
	bool patched;                /* its entry is a jump or a trap */
	bool entry_only;             /* no exit events */
	size_t njumps, ntraps;
	char why[240];               /* not patched, entry only, or the first trap's reason */
};

/* Patches every request in process t (all threads stopped; th one of them,
 * for mapping scratch areas).  agent is the control object as read from
 * agent_addr in the program; its nsites grows (written back).  busy[nbusy]
 * are the threads' pcs and their signal frames' saved pcs (see
 * patch_busy_pcs).  Sites and trap entries are written before any patch
 * byte.  out[nreq] says what became of each request.  Returns the number
 * of requests patched; -errno when the process cannot be written (nothing
 * patched then). */
int patch_apply(struct patch_set *ps, struct target *t, struct thread *th, struct scratch *s, struct dwt_agent *agent,
		uint64_t agent_addr, const struct patch_request *req, size_t nreq, const uint64_t *busy, size_t nbusy,
		struct patch_outcome *out);

/* Where t's threads (all stopped) are, for patch_apply's busy list: each
 * one's pc, and the pc saved in each signal frame on its stack (a handler
 * returns there; found by unwinding with libunwind-ptrace, at most
 * PATCH_BUSY_FRAMES frames per thread).  A new array in *pcs (free it).
 * Returns the count. */
#define PATCH_BUSY_FRAMES 256
size_t patch_busy_pcs(struct target *t, uint64_t **pcs);

/* How many of the patches patch_apply() would make for sites[n] in t (all
 * threads stopped; busy as for patch_apply) are planned as traps: nothing
 * is written.  (A jump whose instructions cannot be relocated becomes a
 * trap only in patch_apply.) */
size_t patch_count_traps(struct target *t, struct probe_site *const *sites, size_t n, const uint64_t *busy,
			 size_t nbusy);

/* Puts back every patch of ps in t (all threads stopped): sites marked not
 * LIVE first, then the original bytes, then each thread whose pc is in a
 * stub or an out-of-line copy is moved to the matching original address
 * (single-stepped there when it is between two, stepping over the call to
 * the agent).  Stubs stay mapped: a thread inside the agent's hit returns
 * into its stub, which ends by jumping back to original code.  Returns 0,
 * or -errno of the first failure (the rest is still tried). */
int patch_restore_all(struct patch_set *ps, struct target *t, const struct dwt_agent *agent);

/* At an attach to a process whose agent was set up by a dwtrace that died
 * without restoring (SIGKILL): adds to ps the patches its sites say are
 * still in the code (struct dwt_site.patch_addr/patch_len/orig, bytes not
 * the original ones), for patch_restore_all() to put back -- before new
 * patches are planned, which must see the original code.  Returns how
 * many were added, or -errno. */
int patch_adopt(struct patch_set *ps, struct target *t, const struct dwt_agent *agent);

void patch_set_free(struct patch_set *ps);

#endif
