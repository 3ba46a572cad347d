/* Scratch areas: executable memory dwtrace maps into the target, near the
 * code it probes, holding a system call stub and the out-of-line copies of
 * displaced instructions.
 *
 * An area starts with a header dwtrace recognizes, so that attaching again
 * reuses the areas an earlier attach left (they stay mapped after a detach:
 * a signal frame may still return into one). */
#ifndef DWTRACE_SCRATCH_H
#define DWTRACE_SCRATCH_H

#include <stddef.h>
#include <stdint.h>

#include "target.h"

#define SCRATCH_AREA_SIZE (256 * 1024)
#define SCRATCH_SLOT_SIZE 64

struct scratch_area {
	uint64_t addr;
	size_t used;
};

struct scratch {
	struct scratch_area *areas;
	size_t n, cap;
	uint64_t syscall_stub;       /* syscall; int3 */
};

/* A slot for the out-of-line copy of the instruction at addr, within reach
 * of it; maps a new area through thread th (stopped) when none is.  When the
 * scratch has no area yet, every thread of the target must be stopped.
 * Returns 0 and *slot, or -errno. */
int scratch_slot(struct scratch *s, struct target *t, struct thread *th, uint64_t addr, uint64_t *slot);

/* True when addr is inside one of the areas. */
int scratch_contains(const struct scratch *s, uint64_t addr);

/* Makes to (empty) a copy of from: a forked child has the same areas. */
void scratch_copy(struct scratch *to, const struct scratch *from);
void scratch_free(struct scratch *s);

/* Makes system call nr in thread th (stopped; its registers are saved and
 * restored).  With stub 0 the instruction is written for the time of the
 * call at the thread's pc, which needs every thread stopped.  Signals that
 * arrive meanwhile are kept for the thread.  Returns 0 and *ret, or -errno. */
int remote_syscall(struct target *t, struct thread *th, uint64_t stub, long *ret, long nr, long a0, long a1, long a2,
		   long a3, long a4, long a5);

/* For dwtrace's emergency path (async-signal-safe: ptrace, waitpid,
 * nanosleep, pwrite): puts back the registers and code of a thread left in
 * the middle of remote_syscall(). */
void remote_syscall_abandon(void);

#endif
