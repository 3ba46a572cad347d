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
#include "procfs.h"
#include "tracer.h"

/* Below the thread's red zone: free to use while the thread is stopped. */
#define SCRATCH_BELOW_SP (ARCH_RED_ZONE + 384)

static const uint64_t sigtrap_bit = 1ull << (SIGTRAP - 1);

int sigtrap_open_stat(pid_t pid)
{
	return procfs_open(pid, "stat", O_RDONLY);
}

/* What the program does with SIGTRAP, from /proc/PID/stat (fd; proc(5):
 * field 33 sigignore, field 34 sigcatch): 0 and *caught, *ignored, or -1
 * when it cannot be read. */
int sigtrap_state(int fd, bool *caught, bool *ignored)
{
	char buf[1024], *end;
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
	const char *p;
	uint64_t ign;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = proc_stat_field(buf, (size_t)n, 33);
	if (!p)
		return -1;
	ign = strtoull(p, &end, 10);
	*ignored = (ign & sigtrap_bit) != 0;
	*caught = (strtoull(end, NULL, 10) & sigtrap_bit) != 0;
	return 0;
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

/* Notes what the program does with SIGTRAP now; saves a handler. */
static void observe(struct process *p, struct thread *th, bool caught, bool ignored)
{
	struct sigtrap_guard *g = &p->sigtrap;

	if (caught && g->kept != SIGTRAP_CAUGHT) {
		if (remote_sigaction(p, th, false) == 0) {
			g->kept = SIGTRAP_CAUGHT;
			log_debug("ptrace", "%s catches SIGTRAP: its handler is kept through dwtrace's traps",
				  p->t.name);
		}
	} else if (ignored && g->kept != SIGTRAP_IGNORED) {
		/* struct kernel_sigaction {handler = SIG_IGN, flags, restorer, mask} */
		uint64_t act[4] = {(uint64_t)(uintptr_t)SIG_IGN, 0, 0, 0};
		memcpy(g->action, act, sizeof(g->action));
		g->kept = SIGTRAP_IGNORED;
	}
}

void sigtrap_guard_arm(struct process *p, struct thread *th)
{
	bool caught, ignored;

	sigtrap_guard_free(&p->sigtrap);
	p->sigtrap.stat_fd = sigtrap_open_stat(p->t.pid);
	if (sigtrap_state(p->sigtrap.stat_fd, &caught, &ignored) != 0)
		return;
	if (p->t.sigtrap_ignored_at_exec && !caught && !ignored) {
		/* The trap that ran the new image to its entry point reset it. */
		observe(p, th, false, true);
		if (remote_sigaction(p, th, true) == 0)
			ignored = true;
	}
	observe(p, th, caught, ignored);
}

void sigtrap_guard_signal(struct process *p, struct thread *th)
{
	bool caught, ignored;

	if (sigtrap_state(p->sigtrap.stat_fd, &caught, &ignored) == 0)
		observe(p, th, caught, ignored);
}

/* Whether mask blocks every standard signal that can be blocked but SIGTRAP
 * (sigfillset, as threads and handlers that want no signal do). */
static bool blocks_all_but_sigtrap(uint64_t mask)
{
	const uint64_t standard = (1ull << 31) - 1;
	const uint64_t unblockable = 1ull << (SIGKILL - 1) | 1ull << (SIGSTOP - 1);

	return (mask & standard & ~sigtrap_bit) == (standard & ~sigtrap_bit & ~unblockable) && !(mask & sigtrap_bit);
}

void sigtrap_guard_check(struct process *p, struct thread *th)
{
	struct sigtrap_guard *g = &p->sigtrap;
	uint64_t mask = 0;
	bool have_mask, caught, ignored;

	have_mask = ptrace(PTRACE_GETSIGMASK, th->tid, (void *)sizeof(mask), &mask) == 0;
	/* The trap unblocked SIGTRAP in a thread that blocked every signal:
	 * blocked again. */
	if (have_mask && blocks_all_but_sigtrap(mask)) {
		mask |= sigtrap_bit;
		ptrace(PTRACE_SETSIGMASK, th->tid, (void *)sizeof(mask), &mask);
	}
	/* A reset needs SIGTRAP ignored, or blocked at the trap: a thread that
	 * blocks signals (its mask is not empty) or a SIGTRAP handler (saved
	 * when the signal was delivered).  Else no /proc read. */
	if (!g->kept && (!have_mask || !mask))
		return;
	if (sigtrap_state(g->stat_fd, &caught, &ignored) != 0)
		return;
	if (caught || ignored || !g->kept) {
		observe(p, th, caught, ignored);
		return;
	}
	/* Reset to SIG_DFL by our trap. */
	if (remote_sigaction(p, th, true) != 0) {
		log_warning("%s: the kernel reset its SIGTRAP action at one of dwtrace's traps and dwtrace could not "
			    "put it back",
			    p->t.name);
		g->kept = SIGTRAP_DEFAULT;
		return;
	}
	/* A caught SIGTRAP is reset only when it was blocked. */
	if (g->kept == SIGTRAP_CAUGHT && ptrace(PTRACE_GETSIGMASK, th->tid, (void *)sizeof(mask), &mask) == 0) {
		mask |= sigtrap_bit;
		ptrace(PTRACE_SETSIGMASK, th->tid, (void *)sizeof(mask), &mask);
	}
}

void sigtrap_guard_copy(struct process *child, const struct process *parent)
{
	child->sigtrap = parent->sigtrap;
	child->sigtrap.stat_fd = sigtrap_open_stat(child->t.pid);
}

void sigtrap_guard_free(struct sigtrap_guard *g)
{
	if (g->stat_fd >= 0)
		close(g->stat_fd);
	memset(g, 0, sizeof(*g));
	g->stat_fd = -1;
}
