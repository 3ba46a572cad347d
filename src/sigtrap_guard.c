#define _GNU_SOURCE
#include "sigtrap_guard.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch.h"
#include "log.h"
#include "tracer.h"

/* Below the thread's red zone (128 bytes, SysV x86-64 ABI 3.2.2): free to
 * use while the thread is stopped. */
#define SCRATCH_BELOW_SP 512

static const uint64_t sigtrap_bit = 1ull << (SIGTRAP - 1);

static int open_stat(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* Whether the sigcatch mask of /proc/PID/stat (fd; field 34, proc(5)) has
 * SIGTRAP: 1, 0, or -1 when it cannot be read. */
static int sigtrap_caught(int fd)
{
	char buf[1024], *p;
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* Field 3 follows ") "; field 34 is 31 fields later. */
	for (int field = 2; p && field < 34; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -1;
	return (strtoull(p + 1, NULL, 10) & sigtrap_bit) != 0;
}

/* rt_sigaction(SIGTRAP, act, oldact) in thread th: one of them is the
 * scratch below th's stack pointer. */
static int remote_sigaction(struct process *p, struct thread *th, bool set)
{
	struct arch_regs regs;
	uint64_t buf;
	long ret = -1;

	if (!p->scratch.syscall_stub || arch_regs_fetch(th->tid, &regs, false) != 0)
		return -1;
	buf = (arch_regs_sp(&regs) - SCRATCH_BELOW_SP) & ~(uint64_t)15;
	if (set && target_write(&p->t, th->tid, buf, p->sigtrap.action, sizeof(p->sigtrap.action)) != 0)
		return -1;
	if (remote_syscall(&p->t, th, p->scratch.syscall_stub, &ret, SYS_rt_sigaction, SIGTRAP, set ? (long)buf : 0,
			   set ? 0 : (long)buf, 8, 0, 0) != 0 ||
	    ret != 0)
		return -1;
	if (!set && target_read(&p->t, th->tid, buf, p->sigtrap.action, sizeof(p->sigtrap.action)) !=
			    (ssize_t)sizeof(p->sigtrap.action))
		return -1;
	return 0;
}

void sigtrap_guard_arm(struct process *p, struct thread *th)
{
	sigtrap_guard_free(&p->sigtrap);
	p->sigtrap.stat_fd = open_stat(p->t.pid);
	sigtrap_guard_check(p, th);
}

void sigtrap_guard_signal(struct process *p, struct thread *th)
{
	struct sigtrap_guard *g = &p->sigtrap;

	if (!g->saved && sigtrap_caught(g->stat_fd) == 1)
		g->saved = remote_sigaction(p, th, false) == 0;
}

void sigtrap_guard_check(struct process *p, struct thread *th)
{
	struct sigtrap_guard *g = &p->sigtrap;
	uint64_t mask = 0;
	int caught;

	/* A reset needs SIGTRAP blocked at the trap: a thread that blocks
	 * signals (its mask now lacks only SIGTRAP), or a SIGTRAP handler
	 * (saved when the signal was delivered).  Else no /proc read. */
	if (!g->saved && (ptrace(PTRACE_GETSIGMASK, th->tid, (void *)sizeof(mask), &mask) != 0 || !mask))
		return;
	caught = sigtrap_caught(g->stat_fd);

	if (caught == 1 && !g->saved) {
		g->saved = remote_sigaction(p, th, false) == 0;
		if (g->saved)
			log_debug("ptrace", "%s catches SIGTRAP: its handler is kept through dwtrace's traps", p->t.name);
		return;
	}
	if (caught != 0 || !g->saved)
		return;
	/* Reset by our trap: SIGTRAP was blocked in th (it was not ignored). */
	if (remote_sigaction(p, th, true) != 0) {
		log_warning("%s: the kernel reset its SIGTRAP handler at one of dwtrace's traps and dwtrace could not "
			    "put it back",
			    p->t.name);
		g->saved = false;
		return;
	}
	if (ptrace(PTRACE_GETSIGMASK, th->tid, (void *)sizeof(mask), &mask) == 0) {
		mask |= sigtrap_bit;
		ptrace(PTRACE_SETSIGMASK, th->tid, (void *)sizeof(mask), &mask);
	}
}

void sigtrap_guard_copy(struct process *child, const struct process *parent)
{
	child->sigtrap = parent->sigtrap;
	child->sigtrap.stat_fd = open_stat(child->t.pid);
}

void sigtrap_guard_free(struct sigtrap_guard *g)
{
	if (g->stat_fd >= 0)
		close(g->stat_fd);
	memset(g, 0, sizeof(*g));
	g->stat_fd = -1;
}
