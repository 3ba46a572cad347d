/* One reading of a waitpid() status. */
#define _GNU_SOURCE
#include "wait_status.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "arch.h"


static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

struct wait_status wait_status_classify(int status)
{
	struct wait_status ws = {.kind = WAIT_NOT_STOPPED};

	if (WIFEXITED(status)) {
		ws.kind = WAIT_GONE;
		ws.code = WEXITSTATUS(status);
		return ws;
	}
	if (WIFSIGNALED(status)) {
		ws.kind = WAIT_GONE;
		ws.sig = WTERMSIG(status);
		return ws;
	}
	if (!WIFSTOPPED(status))
		return ws;
	ws.event = (status >> 16) & 0xff;
	switch (ws.event) {
	case 0:
		if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
			ws.kind = WAIT_SYSCALL;
		} else {
			ws.kind = WAIT_SIGNAL;
			ws.sig = WSTOPSIG(status);
		}
		break;
	case PTRACE_EVENT_STOP:
		/* ptrace(2): a seized task's group-stop reports the stop signal;
		 * every other PTRACE_EVENT_STOP reports SIGTRAP. */
		if (is_stop_signal(WSTOPSIG(status))) {
			ws.kind = WAIT_GROUP_STOP;
			ws.sig = WSTOPSIG(status);
		} else {
			ws.kind = WAIT_EVENT_STOP;
		}
		break;
	case PTRACE_EVENT_CLONE:
		ws.kind = WAIT_CLONE;
		break;
	case PTRACE_EVENT_FORK:
		ws.kind = WAIT_FORK;
		break;
	case PTRACE_EVENT_VFORK:
		ws.kind = WAIT_VFORK;
		break;
	case PTRACE_EVENT_EXEC:
		ws.kind = WAIT_EXEC;
		break;
	default:
		ws.kind = WAIT_OTHER_EVENT;
		break;
	}
	return ws;
}

int wait_status_exit_code(int status)
{
	struct wait_status ws = wait_status_classify(status);

	if (ws.kind != WAIT_GONE)
		return 0;
	return ws.sig ? 128 + ws.sig : ws.code;
}

void wait_status_describe(int status, char *buf, size_t size)
{
	struct wait_status ws = wait_status_classify(status);

	if (ws.kind == WAIT_GONE && ws.sig)
		snprintf(buf, size, "was killed by %s", strsignal(ws.sig));
	else if (ws.kind == WAIT_GONE)
		snprintf(buf, size, "exited with status %d", ws.code);
	else
		snprintf(buf, size, "stopped unexpectedly");
}

bool wait_trap_is_breakpoint(pid_t tid)
{
	siginfo_t si;

	return ptrace(PTRACE_GETSIGINFO, tid, NULL, &si) == 0 && arch_siginfo_is_breakpoint(si.si_signo, si.si_code);
}
