/* Scratch areas: executable memory dwtrace maps into the target, near the
 * code it probes, holding a system call stub and the out-of-line copies of
 * displaced instructions.
 *
 * An area starts with a header dwtrace recognizes, so that attaching again
 * reuses the areas an earlier attach left (they stay mapped after a detach:
 * a signal frame may still return into one). */
#ifndef DWTRACE_SCRATCH_H
#define DWTRACE_SCRATCH_H

#include <signal.h>
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
	uint64_t syscall_stub;       /* ARCH_SYSCALL_STUB: syscall; rt_sigreturn */
};

/* A slot for the out-of-line copy of the instruction at addr, within reach
 * of it; maps a new area through thread th (stopped) when none is.  When the
 * scratch has no area yet, every thread of the target must be stopped.
 * Returns 0 and *slot, or -errno. */
int scratch_slot(struct scratch *s, struct target *t, struct thread *th, uint64_t addr, uint64_t *slot);

/* The same for size bytes (rounded up to 16: the agent engine's stubs),
 * at *at.  -EINVAL for a size larger than an area. */
int scratch_alloc(struct scratch *s, struct target *t, struct thread *th, uint64_t addr, size_t size, uint64_t *at);

/* True when addr is inside one of the areas. */
int scratch_contains(const struct scratch *s, uint64_t addr);

/* Makes to (empty) a copy of from: a forked child has the same areas. */
void scratch_copy(struct scratch *to, const struct scratch *from);
void scratch_free(struct scratch *s);

/* Signals from outside (kill, tgkill, sigqueue, timers) that arrived for a
 * thread while dwtrace ran code in it, to be raised again once its own
 * registers are back. */
#define REMOTE_MAX_SIGNALS 16
struct remote_signals {
	siginfo_t info[REMOTE_MAX_SIGNALS];
	size_t n;
};

/* Runs thread th (in a ptrace stop) with PTRACE_SYSCALL until the entry of
 * system call nr made by the instruction that ends at end_pc (*arg0 = its
 * first argument) and the exit stop after it.  deadline is CLOCK_MONOTONIC
 * ns, 0 for none; past it the thread is stopped where it is (-ETIMEDOUT).
 * Each signal stop is classified by its siginfo: a synchronous fault of the
 * code being run (SIGSEGV, SIGBUS, SIGILL, SIGFPE or SIGTRAP with si_code >
 * 0) ends the run at once (-EFAULT) and is discarded, as the program never
 * ran that code; any other signal is suppressed now and appended to sigs.
 * at_entry (when not NULL) is called at the entry stop of nr, with ctx:
 * what it changes (the registers) takes effect; non-zero ends the run
 * (-ESRCH).
 * On return th is in a ptrace stop (unless -ESRCH: it went away). */
int remote_run(pid_t tid, long nr, uint64_t end_pc, uint64_t deadline, uint64_t *arg0, struct remote_signals *sigs,
	       int (*at_entry)(pid_t tid, void *ctx), void *ctx);

/* Raises the signals of sigs again for thread tid of process pid (stopped,
 * its registers restored), with their siginfo where the kernel lets a
 * process forge it (si_code < 0 other than SI_TKILL), else with tgkill.
 * The thread sees them when it goes on, as if they had come then: an
 * interrupted system call of its own is then restarted or fails with EINTR
 * by the kernel's rules, which is why the caller must not restart it by
 * hand when sigs is not empty. */
void remote_signals_raise(pid_t pid, pid_t tid, const struct remote_signals *sigs);

/* Callers of remote_syscall() may put its arguments in memory up to this
 * many bytes below the thread's stack pointer (past the 128-byte red
 * zone); the frame that restores the thread goes below. */
#define REMOTE_ARGS_BELOW_SP 1024

/* Makes system call nr in thread th (stopped; its registers are saved and
 * restored).  With stub 0 the stub is written for the time of the call at
 * target_stub_pc(), which needs every thread stopped.  The stub ends in an
 * rt_sigreturn from a frame written below the thread's stack, so that the
 * thread resumes unharmed even when dwtrace dies (SIGKILL included) before
 * restoring it.  Signals that arrive meanwhile are kept for the thread.
 * Returns 0 and *ret, or -errno (-EBUSY: one is under way already). */
int remote_syscall(struct target *t, struct thread *th, uint64_t stub, long *ret, long nr, long a0, long a1, long a2,
		   long a3, long a4, long a5);

/* For dwtrace's emergency path (async-signal-safe: ptrace, waitpid,
 * nanosleep, pwrite): puts back the registers and code of a thread left in
 * the middle of remote_syscall(). */
void remote_syscall_abandon(void);

#endif
