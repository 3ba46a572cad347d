/* Remote function calls: the target's thread runs the function, which
 * returns into a system call stub whose entry stop carries the result. */
#define _GNU_SOURCE
#include "remote_call.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"

#define CALL_TIMEOUT_NS 1000000000ull
/* A fault the function keeps raising (it re-runs the faulting instruction
 * each time it goes on without the signal) ends the call. */
#define MAX_SIGNAL_STOPS 8

/* Waits for tid's next stop, at most until deadline (CLOCK_MONOTONIC ns):
 * 0 and *status, -ETIMEDOUT, or -ESRCH. */
static int wait_until(pid_t tid, int *status, uint64_t deadline)
{
	for (;;) {
		struct timespec pause = {0, 100000};
		pid_t r = waitpid(tid, status, __WALL | WNOHANG);

		if (r == tid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -ESRCH;
		if (now_mono_ns() > deadline)
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
}

int remote_call(struct target *t, struct thread *th, uint64_t fn, uint64_t arg0, uint64_t *result)
{
	static const uint8_t stub[ARCH_CALL_RETURN_LEN] = ARCH_CALL_RETURN;
	uint8_t orig[ARCH_CALL_RETURN_LEN];
	struct arch_regs saved, regs;
	uint64_t deadline, slot, pc = t->entry;
	int rc = 0, status, nsignals = 0;
	bool got = false, at_syscall_exit = false;

	if (!pc || arch_regs_fetch(th->tid, &saved, false) != 0 || arch_fpregs_save(th->tid, &saved) != 0)
		return -ESRCH;
	if (target_read(t, th->tid, pc, orig, sizeof(orig)) != (ssize_t)sizeof(orig) ||
	    target_write(t, th->tid, pc, stub, sizeof(stub)) != 0)
		return -EFAULT;
	regs = saved;
	slot = arch_regs_set_call(&regs, fn, arg0);
	if (target_write(t, th->tid, slot, &pc, sizeof(pc)) != 0) {
		rc = -EFAULT;
		goto out;
	}
	if (arch_regs_store(th->tid, &regs) != 0) {
		rc = -ESRCH;
		goto out;
	}
	deadline = now_mono_ns() + CALL_TIMEOUT_NS;
	while (!at_syscall_exit) {
		if (ptrace(PTRACE_SYSCALL, th->tid, NULL, NULL) != 0) {
			rc = -ESRCH;
			goto out;
		}
		rc = wait_until(th->tid, &status, deadline);
		if (rc == -ETIMEDOUT) {
			/* Stop it where it is, and put everything back. */
			if (ptrace(PTRACE_INTERRUPT, th->tid, NULL, NULL) != 0 ||
			    wait_task(th->tid, &status, __WALL) < 0)
				rc = -ESRCH;
			else if (WIFSTOPPED(status) && status >> 16 == 0 && WSTOPSIG(status) != (SIGTRAP | 0x80) &&
				 !th->pending_signal)
				th->pending_signal = WSTOPSIG(status);
			goto out;
		}
		if (rc != 0 || WIFEXITED(status) || WIFSIGNALED(status)) {
			rc = -ESRCH;
			goto out;
		}
		if (status >> 16 == 0 && WSTOPSIG(status) == (SIGTRAP | 0x80)) {
			struct __ptrace_syscall_info info;
			if (ptrace(PTRACE_GET_SYSCALL_INFO, th->tid, (void *)sizeof(info), &info) <= 0)
				continue;
			if (info.op == PTRACE_SYSCALL_INFO_ENTRY && info.entry.nr == ARCH_CALL_RETURN_NR &&
			    info.instruction_pointer == pc + ARCH_CALL_RETURN_LEN) {
				*result = info.entry.args[0];
				got = true;
			} else if (info.op == PTRACE_SYSCALL_INFO_EXIT && got) {
				at_syscall_exit = true;
			}
			continue;
		}
		if (status >> 16 == 0) {
			/* A signal for the thread: it gets it when it goes on. */
			if (!th->pending_signal)
				th->pending_signal = WSTOPSIG(status);
			if (++nsignals > MAX_SIGNAL_STOPS) {
				rc = -EFAULT;
				goto out;
			}
		}
	}
	/* Leaving a system call stop, not a signal stop: an interrupted system
	 * call of the thread's is restarted as the kernel would have. */
	arch_regs_restart_syscall(&saved);
out:
	target_write(t, th->tid, pc, orig, sizeof(orig));
	arch_fpregs_restore(th->tid, &saved);
	if (arch_regs_store(th->tid, &saved) != 0 && !rc)
		rc = -ESRCH;
	return rc;
}

/* AT_HWCAP of process pid, 0 when unknown: what glibc passes resolvers. */
static uint64_t read_hwcap(pid_t pid)
{
	char path[64];
	uint64_t av[2], hwcap = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (read(fd, av, sizeof(av)) == (ssize_t)sizeof(av) && av[0] != 0)
		if (av[0] == 16 /* AT_HWCAP */)
			hwcap = av[1];
	close(fd);
	return hwcap;
}

int remote_call_ifunc_resolver(void *arg, uint64_t resolver, uint64_t *result)
{
	struct target *t = arg;
	struct thread *th = target_thread(t, t->pid);

	if (!th || !th->stopped || target_running_thread(t))
		return -EAGAIN;
	return remote_call(t, th, resolver, read_hwcap(t->pid), result);
}
