/* Keeping the program's SIGTRAP handler through dwtrace's traps.
 *
 * When an int3 traps in a thread that blocks SIGTRAP, the kernel forces the
 * signal: it resets the SIGTRAP action to SIG_DFL and unblocks it in that
 * thread (force_sig_info_to_task in kernel/signal.c), even though the tracer
 * then suppresses the signal.  A program that catches SIGTRAP would lose its
 * handler the first time a probe is hit inside that handler, or in a thread
 * or signal handler that blocks every signal, and die of its next SIGTRAP.
 * The same reset happens at any trap when the program ignores SIGTRAP.
 * The guard reads what the program does with SIGTRAP (sigignore and
 * sigcatch in /proc/PID/stat, ~3 us) when the probes are placed, when the
 * program's own SIGTRAP is delivered, and after a hit in a thread that
 * blocks signals (its mask, one ptrace call, is not empty) or in a program
 * known to catch or ignore SIGTRAP.  A handler is saved the first time it is
 * seen (a remote rt_sigaction); after a reset the action, and for a handler
 * the thread's mask, are put back.  A thread that blocks every signal gets
 * SIGTRAP blocked again after each hit.  Not covered: a thread that blocks
 * SIGTRAP alone, a handler installed and replaced between two readings,
 * and a program that starts to ignore SIGTRAP after the probes are placed
 * (the next trap resets it before any reading can see it: only code inside
 * the process, without traps, avoids that); a program that itself sets
 * SIGTRAP back to SIG_DFL gets its earlier action back at the next hit.
 */
#ifndef DWTRACE_SIGTRAP_GUARD_H
#define DWTRACE_SIGTRAP_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct process;
struct thread;

enum sigtrap_kept {
	SIGTRAP_DEFAULT,             /* nothing to keep */
	SIGTRAP_CAUGHT,              /* action holds the program's handler */
	SIGTRAP_IGNORED,             /* action is SIG_IGN */
};

struct sigtrap_guard {
	enum sigtrap_kept kept;      /* what the program was last seen doing with SIGTRAP */
	uint8_t action[32];          /* that struct kernel_sigaction for SIGTRAP */
	int stat_fd;                 /* /proc/PID/stat, -1 when not open */
};

/* What process pid's /proc/PID/stat (fd, from sigtrap_open_stat) says it
 * does with SIGTRAP: 0 and *caught, *ignored (proc(5) fields 34 and 33),
 * or -1. */
int sigtrap_open_stat(pid_t pid);
int sigtrap_state(int fd, bool *caught, bool *ignored);

/* Starts guarding p (its probes placed; th stopped); puts back a SIG_IGN
 * that the trap at the new image's entry point reset
 * (p->t.sigtrap_ignored_at_exec). */
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
