/* Keeping the program's SIGTRAP handler through dwtrace's traps.
 *
 * When an int3 traps in a thread that blocks SIGTRAP, the kernel forces the
 * signal: it resets the SIGTRAP action to SIG_DFL and unblocks it in that
 * thread (force_sig_info_to_task in kernel/signal.c), even though the tracer
 * then suppresses the signal.  A program that catches SIGTRAP would lose its
 * handler the first time a probe is hit inside that handler, or in a thread
 * or signal handler that blocks every signal, and die of its next SIGTRAP.
 * The guard reads whether the program catches SIGTRAP (sigcatch in
 * /proc/PID/stat, ~3 us) when the program's own SIGTRAP is delivered, and
 * after a hit in a thread that blocks signals (its mask, one ptrace call, is
 * not empty) or in a program known to catch SIGTRAP: the first time it
 * does, the action is saved (a remote rt_sigaction); when a hit has reset
 * it, the action and the thread's mask are put back.  Not covered: a
 * handler the program replaces after it was saved, and a thread that blocks
 * SIGTRAP alone in a program whose SIGTRAP was never delivered. */
#ifndef DWTRACE_SIGTRAP_GUARD_H
#define DWTRACE_SIGTRAP_GUARD_H

#include <stdbool.h>
#include <stdint.h>

struct process;
struct thread;

struct sigtrap_guard {
	bool saved;                  /* action holds the program's SIGTRAP handler */
	uint8_t action[32];          /* its struct kernel_sigaction for SIGTRAP */
	int stat_fd;                 /* /proc/PID/stat, -1 when not open */
};

/* Starts guarding p (its probes placed; th stopped). */
void sigtrap_guard_arm(struct process *p, struct thread *th);
/* After one of dwtrace's traps in th (stopped): saves the program's
 * handler, or repairs a reset.  Needs p's scratch area (its system call
 * stub). */
void sigtrap_guard_check(struct process *p, struct thread *th);
/* The program's own SIGTRAP is about to be delivered to th (stopped): the
 * moment to save its handler. */
void sigtrap_guard_signal(struct process *p, struct thread *th);
/* Makes child's guard a copy of parent's (a forked child shares none of
 * the kernel state, but has a copy of the actions). */
void sigtrap_guard_copy(struct process *child, const struct process *parent);
void sigtrap_guard_free(struct sigtrap_guard *g);

#endif
