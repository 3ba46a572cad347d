/* Leaving processes as they would be without dwtrace: on detach, and for
 * forked children that are not followed.
 *
 * detach_all() has two modes.  The normal one runs from the event loop.  The
 * emergency one (detach_all_emergency) runs inside the handler of a fatal
 * signal of dwtrace's own (src/emergency.c), possibly while the event loop
 * was half-way through changing a map, a thread or a process.  Its contract:
 *  - it calls only async-signal-safe system calls (ptrace, waitpid, open,
 *    read, pwrite, close, nanosleep) and snprintf of integers, which in
 *    glibc neither allocates nor locks;
 *  - it waits for stops at most about two seconds, and counts a thread the
 *    loop had already seen stop (state 't' in /proc) as stopped;
 *  - it never allocates, frees or logs: exited threads stay in their maps
 *    (marked stopped), new tasks go to a fixed array, the early-task map is
 *    only read and deleted from (u64_map_del moves slots, never allocates);
 *  - it only reads the tracer's structures (u64_map_each), apart from the
 *    thread flags and pending signals it updates;
 *  - a thread caught mid-event (stopped at one of our traps whose event the
 *    loop had not finished) is rewound to the probed address.
 * What it cannot promise: a map the loop was in the middle of rehashing is
 * read as it is. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "procfs.h"
#include "tracer_internal.h"
#include "wait_status.h"

struct child_mem {
	int fd;
};

static int child_write(void *ctx, uint64_t addr, const void *buf, size_t size)
{
	struct child_mem *c = ctx;
	if (c->fd >= 0 && pwrite(c->fd, buf, size, (off_t)addr) == (ssize_t)size)
		return 0;
	return -1;
}

/* Tasks met during an emergency detach that dwtrace did not know yet (a
 * new thread or child whose first stop arrived): held stopped here, since
 * the emergency mode cannot allocate, and let go after the traps are out. */
#define EMERGENCY_TASKS_MAX 256
static pid_t emergency_tasks[EMERGENCY_TASKS_MAX];
static size_t n_emergency_tasks;

/* Holds tid (stopped, unknown) until the end of an emergency detach; when
 * the array is full it goes now, traps or not. */
static void emergency_hold(pid_t tid)
{
	if (n_emergency_tasks < EMERGENCY_TASKS_MAX)
		emergency_tasks[n_emergency_tasks++] = tid;
	else
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
}

/* Whether the first stop of new task child was taken already (held as an
 * early task, or in an emergency detach): then it is no longer held there.
 * Otherwise the caller waits for it. */
static bool took_first_stop(struct tracer *tr, pid_t child)
{
	if (u64_map_del(&tr->early_tasks, (uint64_t)child))
		return true;
	for (size_t i = 0; i < n_emergency_tasks; i++)
		if (emergency_tasks[i] == child) {
			emergency_tasks[i] = emergency_tasks[--n_emergency_tasks];
			return true;
		}
	return false;
}

void release_fork_child(struct tracer *tr, struct thread *parent, pid_t child)
{
	struct child_mem cm = {-1};
	int status;

	if (!took_first_stop(tr, child))
		wait_task(child, &status, __WALL);
	cm.fd = procfs_open_mem(child);
	if (parent)
		bp_restore_all(&parent->proc->bps, child_write, &cm);
	if (cm.fd >= 0)
		close(cm.fd);
	ptrace(PTRACE_DETACH, child, NULL, NULL);
}

/* Brings a thread that just stopped at one of our traps back to where it
 * would be without dwtrace, emitting nothing: the displaced instruction
 * has not run yet. */
static void rewind_trap(struct thread *th, struct arch_regs *regs, struct breakpoint *bp)
{
	arch_regs_set_pc(regs, bp->addr);
	arch_regs_store(th->tid, regs);
}

/* True when a breakpoint trap (SIGTRAP from int3) waits in tid's queue. */
static bool trap_pending(pid_t tid)
{
	struct __ptrace_peeksiginfo_args args = {.off = 0, .flags = 0, .nr = 8};
	siginfo_t si[8];
	long n = ptrace(PTRACE_PEEKSIGINFO, tid, &args, si);

	for (long i = 0; i < n; i++)
		if (arch_siginfo_is_breakpoint(si[i].si_signo, si[i].si_code))
			return true;
	return false;
}

static void interrupt_one(uint64_t key, void *value, void *arg)
{
	struct thread *th = value;
	if (!th->stopped)
		ptrace(PTRACE_INTERRUPT, th->tid, NULL, NULL);
}

/* A thread inside an out-of-line copy is stepped until it is back in the
 * program's own code. */
static void step_out_of_scratch(uint64_t key, void *value, void *arg)
{
	const bool *emergency = arg;
	struct thread *th = value;
	struct process *p = th->proc;
	struct arch_regs regs;
	int status;

	for (int steps = 0; steps < 64; steps++) {
		uint64_t pc;
		if (arch_regs_fetch(th->tid, &regs, false) != 0)
			return;
		pc = arch_regs_pc(&regs);
		if (!scratch_contains(&p->scratch, pc))
			return;
		struct wait_status ws;
		if (ptrace(PTRACE_SINGLESTEP, th->tid, NULL, NULL) != 0 || wait_task(th->tid, &status, __WALL) < 0)
			return;
		ws = wait_status_classify(status);
		if (ws.kind == WAIT_GONE)
			return;
		if (ws.kind == WAIT_SIGNAL && ws.sig != SIGTRAP && !th->pending_signal)
			th->pending_signal = ws.sig;
	}
	if (!*emergency)
		log_warning("thread %d did not leave dwtrace's scratch area", (int)th->tid);
}

static void detach_one(uint64_t key, void *value, void *arg)
{
	struct thread *th = value;
	ptrace(PTRACE_DETACH, th->tid, NULL, (void *)(long)th->pending_signal);
}

static struct thread *any_running_thread(struct tracer *tr)
{
	for (struct process *p = tr->procs; p; p = p->next) {
		struct thread *th = target_running_thread(&p->t);
		if (th)
			return th;
	}
	return NULL;
}

/* Takes the stop of task tid (status) during detach. */
static void collect_stop(struct tracer *tr, pid_t tid, int status, bool emergency)
{
	struct thread *th = tracer_thread(tr, tid);
	struct wait_status ws = wait_status_classify(status);
	struct arch_regs regs;
	struct breakpoint *bp;
	unsigned long msg = 0;
	bool trapped;

	if (!th) {
		/* A new task whose creation we have not seen: held until then. */
		if (emergency) {
			if (ws.kind != WAIT_GONE)
				emergency_hold(tid);
		} else {
			u64_map_put(&tr->early_tasks, (uint64_t)tid, (void *)1);
		}
		return;
	}
	if (ws.kind == WAIT_GONE) {
		if (tid == th->proc->t.pid) {
			th->proc->t.exited = true;
			th->proc->t.exit_status = status;
		}
		/* Gone: "stopped" for good, so that nobody waits for it; the
		 * emergency mode frees nothing (ptrace on it fails harmlessly). */
		if (emergency)
			th->stopped = true;
		else
			target_drop_thread(&th->proc->t, tid);
		return;
	}
	th->stopped = true;
	switch (ws.kind) {
	case WAIT_SIGNAL:
		trapped = ws.sig == SIGTRAP && arch_regs_fetch(tid, &regs, false) == 0;
		if (trapped && (bp = bp_at(&th->proc->bps, arch_regs_pc(&regs) - ARCH_BREAKPOINT_PC_ADVANCE)) &&
		    our_trap(bp, tid)) {
			rewind_trap(th, &regs, bp);
		} else if (trapped && th->proc->entry_bp &&
			   arch_regs_pc(&regs) - ARCH_BREAKPOINT_PC_ADVANCE == th->proc->entry_bp) {
			/* A new image's trap at its entry point (-f, exec). */
			arch_regs_set_pc(&regs, th->proc->entry_bp);
			arch_regs_store(tid, &regs);
		} else {
			th->pending_signal = ws.sig;
		}
		break;
	case WAIT_GROUP_STOP:
	case WAIT_EVENT_STOP:
		/* Stopped by our interrupt just after one of our traps, whose
		 * SIGTRAP is still queued: let the thread take it (it stops
		 * again before running any code) and rewind then. */
		if (trap_pending(tid)) {
			th->stopped = false;
			ptrace(PTRACE_CONT, tid, NULL, NULL);
		}
		break;
	case WAIT_FORK:
	case WAIT_VFORK:
		ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg);
		if (ws.kind == WAIT_FORK) {
			release_fork_child(tr, th, (pid_t)msg);
		} else {
			/* Shares our memory, which is about to be restored. */
			if (!took_first_stop(tr, (pid_t)msg))
				wait_task((pid_t)msg, &status, __WALL);
			ptrace(PTRACE_DETACH, (pid_t)msg, NULL, NULL);
		}
		break;
	case WAIT_CLONE:
		ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg);
		if (emergency) {
			/* Shares the memory being restored: held until then. */
			if (!took_first_stop(tr, (pid_t)msg))
				wait_task((pid_t)msg, &status, __WALL);
			emergency_hold((pid_t)msg);
		} else if (u64_map_del(&tr->early_tasks, msg))
			target_add_thread(&th->proc->t, (pid_t)msg, th->tgid)->stopped = true;
		else if (!tracer_thread(tr, (pid_t)msg))
			target_add_thread(&th->proc->t, (pid_t)msg, th->tgid);
		break;
	default:
		break;
	}
}

/* Emergency mode: a thread the event loop left stopped at one of our traps
 * (dwtrace died while handling it) still has its pc just past the trap. */
static void rewind_caught_trap(uint64_t key, void *value, void *arg)
{
	struct thread *th = value;
	struct arch_regs regs;
	struct breakpoint *bp;
	siginfo_t si;

	if (!th->stopped || arch_regs_fetch(th->tid, &regs, false) != 0)
		return;
	bp = bp_at(&th->proc->bps, arch_regs_pc(&regs) - ARCH_BREAKPOINT_PC_ADVANCE);
	/* Only a stop from the int3 itself: the pc after a one-byte displaced
	 * instruction run out of line is the same (see next_event). */
	if (!bp || ptrace(PTRACE_GETSIGINFO, th->tid, NULL, &si) != 0 || !arch_siginfo_is_breakpoint(si.si_signo, si.si_code))
		return;
	rewind_trap(th, &regs, bp);
}

static void detach_early_task(uint64_t tid, void *value, void *arg)
{
	ptrace(PTRACE_DETACH, (pid_t)tid, NULL, NULL);
}

/* Emergency mode: the loop may have died between waitpid() and noting the
 * stop, so a thread in a ptrace stop (state 't') counts as stopped; waiting
 * for it would never end. */
static void note_ptrace_stop(uint64_t key, void *value, void *arg)
{
	struct thread *th = value;
	char buf[512];
	ssize_t n;

	if (th->stopped)
		return;
	n = procfs_read(th->tid, 0, "stat", buf, sizeof(buf));
	if (n < 0) {
		th->stopped = true; /* gone */
		return;
	}
	if (n > 0) {
		const char *state = proc_stat_field(buf, (size_t)n, 3);
		if (state && *state == 't')
			th->stopped = true;
	}
}

static void detach_everything(struct tracer *tr, bool emergency)
{
	if (emergency)
		remote_syscall_abandon();
	if (emergency)
		for (struct process *p = tr->procs; p; p = p->next)
			u64_map_each(&p->t.threads, note_ptrace_stop, NULL);
	for (struct process *p = tr->procs; p; p = p->next)
		u64_map_each(&p->t.threads, interrupt_one, NULL);
	/* Within a second, whatever the threads do: one that never reports
	 * (a bug, or a stop the kernel does not report) must not keep the
	 * others stopped for ever.  It is detached by dwtrace's exit. */
	for (uint64_t deadline = now_mono_ns() + 1000000000u; any_running_thread(tr);) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);

		if (tid == 0 && now_mono_ns() < deadline) {
			struct timespec ms = {0, 1000000};
			nanosleep(&ms, NULL);
			continue;
		}
		if (tid == 0) {
			if (!emergency)
				log_warning("thread %d did not stop within a second to be detached from",
					    (int)any_running_thread(tr)->tid);
			break;
		}
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		collect_stop(tr, tid, status, emergency);
	}
	if (emergency)
		for (struct process *p = tr->procs; p; p = p->next)
			u64_map_each(&p->t.threads, rewind_caught_trap, NULL);
	/* Traps first, so that a thread stepped out of the scratch area lands
	 * on the original code. */
	for (struct process *p = tr->procs; p; p = p->next) {
		bp_restore_all(&p->bps, process_mem_write, p);
		if (p->entry_bp)
			process_mem_write(p, p->entry_bp, p->entry_orig, ARCH_BREAKPOINT_LEN);
	}
	for (struct process *p = tr->procs; p; p = p->next) {
		u64_map_each(&p->t.threads, step_out_of_scratch, &emergency);
		u64_map_each(&p->t.threads, detach_one, NULL);
	}
	u64_map_each(&tr->early_tasks, detach_early_task, NULL);
	for (size_t i = 0; i < n_emergency_tasks; i++)
		ptrace(PTRACE_DETACH, emergency_tasks[i], NULL, NULL);
	n_emergency_tasks = 0;
	if (!emergency)
		u64_map_free(&tr->early_tasks);
	tr->detached = true;
}

void detach_all(struct tracer *tr)
{
	detach_everything(tr, false);
}

void detach_all_emergency(struct tracer *tr)
{
	detach_everything(tr, true);
}
