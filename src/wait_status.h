/* One reading of a waitpid() status, for every place that waits for a
 * traced task (strace's next_event habit: one place decides what a status
 * means; callers switch on the result). */
#ifndef DWTRACE_WAIT_STATUS_H
#define DWTRACE_WAIT_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What the task's state is, and what the caller must do about it. */
enum wait_kind {
	/* The task is gone (exited, or killed by a signal): forget it; ptrace
	 * on it fails.  For the process leader the raw status is its exit
	 * status (wait_status_exit_code, wait_status_describe). */
	WAIT_GONE,
	/* Signal-delivery stop of signal sig (status >> 16 == 0): resume with
	 * sig to deliver it, with 0 to suppress it.  Also a stop by sig of a
	 * child not traced yet (waitpid with WUNTRACED).  A SIGTRAP may be a
	 * breakpoint of ours: the pc and wait_trap_is_breakpoint() tell. */
	WAIT_SIGNAL,
	/* A system-call entry or exit stop (PTRACE_SYSCALL with
	 * PTRACE_O_TRACESYSGOOD: SIGTRAP | 0x80); PTRACE_GET_SYSCALL_INFO says
	 * which.  Resume without a signal. */
	WAIT_SYSCALL,
	/* A seized task's group-stop by stop signal sig (PTRACE_EVENT_STOP
	 * with SIGSTOP, SIGTSTP, SIGTTIN or SIGTTOU): resume with PTRACE_LISTEN
	 * so that it stays stopped as without a tracer. */
	WAIT_GROUP_STOP,
	/* PTRACE_EVENT_STOP with SIGTRAP: a PTRACE_INTERRUPT, a new task's
	 * first stop, or the trap that says a SIGCONT ended a group-stop.
	 * Resume without a signal. */
	WAIT_EVENT_STOP,
	/* PTRACE_EVENT_CLONE, _FORK, _VFORK: PTRACE_GETEVENTMSG gives the new
	 * task's id; resume the creator without a signal. */
	WAIT_CLONE,
	WAIT_FORK,
	WAIT_VFORK,
	/* PTRACE_EVENT_EXEC: a new program image; breakpoints are gone with
	 * the old one.  Resume without a signal. */
	WAIT_EXEC,
	/* Any other ptrace event (event says which: VFORK_DONE, EXIT,
	 * SECCOMP): resume without a signal. */
	WAIT_OTHER_EVENT,
	/* Not a stop and not an end (WIFCONTINUED): nothing to resume. */
	WAIT_NOT_STOPPED,
};

struct wait_status {
	enum wait_kind kind;
	/* WAIT_SIGNAL, WAIT_GROUP_STOP: the signal; WAIT_GONE: the signal that
	 * killed the task, 0 when it exited; else 0. */
	int sig;
	/* WAIT_GONE with sig == 0: the exit status (0-255). */
	int code;
	/* ptrace events: the PTRACE_EVENT_* number (status >> 16). */
	int event;
};

/* Classifies status as returned by waitpid() (any flags).  Pure. */
struct wait_status wait_status_classify(int status);

/* The exit status a shell gives for a task that ended with status: its
 * exit code, or 128 + the signal that killed it; 0 when it has not ended. */
int wait_status_exit_code(int status);

/* How a task that ended with status ended, for messages: "exited with
 * status N", "was killed by Killed" (strsignal), or "stopped unexpectedly"
 * when it has not ended.  Writes at most size bytes into buf. */
void wait_status_describe(int status, char *buf, size_t size);

/* Whether task tid, in a SIGTRAP signal-delivery stop, got that SIGTRAP
 * from a breakpoint instruction (the kernel's siginfo, read with
 * PTRACE_GETSIGINFO; the arch says which si_code a breakpoint gives), not
 * from a kill(), tgkill() or raise() of the program.  False when the
 * siginfo cannot be read.  Costs one ptrace call: ask only when the pc
 * alone cannot tell. */
bool wait_trap_is_breakpoint(pid_t tid);

#endif
