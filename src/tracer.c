/* The ptrace event loop, strace style: next_event() turns a wait status into
 * an enum trace_event, dispatch_event() decides what to do with it.  Nothing
 * else calls waitpid on the running target. */
#define _GNU_SOURCE
#include "tracer.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch.h"
#include "log.h"
#include "scratch.h"

enum trace_event {
	TE_BREAKPOINT,   /* a task executed one of our traps: handle it, resume */
	TE_SIGNAL,       /* signal-delivery stop: resume delivering the signal */
	TE_GROUP_STOP,   /* a stop signal stopped the task: PTRACE_LISTEN */
	TE_EVENT_STOP,   /* a new task's first stop or an interrupt: resume */
	TE_CLONE,        /* a new thread: note it, resume the parent */
	TE_FORK,         /* a new process: strip our traps from it, let it go */
	TE_VFORK,        /* a child sharing our memory: trace it until it execs */
	TE_EXEC,         /* a new program image: our traps are gone with the old one */
	TE_EXIT,         /* a task is gone */
	TE_OTHER_EVENT,  /* any other ptrace event: resume */
	TE_INTERRUPTED,  /* dwtrace was asked to stop: detach */
	TE_NO_TASKS,     /* nothing left to trace */
};

struct event {
	enum trace_event type;
	pid_t tid;
	int status;
	struct thread *th;
	struct arch_regs regs;       /* TE_BREAKPOINT */
	struct breakpoint *bp;       /* TE_BREAKPOINT */
};

/* What decode reads through: the stopped thread's registers and memory. */
struct capture {
	struct target *t;
	pid_t tid;
	struct arch_regs *regs;
};

static int capture_reg(void *ctx, unsigned regno, void *buf, size_t size)
{
	struct capture *c = ctx;
	return arch_reg_read(c->regs, regno, buf, size);
}

static ssize_t capture_mem(void *ctx, uint64_t addr, void *buf, size_t size)
{
	struct capture *c = ctx;
	return target_read(c->t, c->tid, addr, buf, size);
}

static void resume(pid_t tid, int sig)
{
	ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig);
}

static void resume_thread(struct thread *th)
{
	int sig = th->pending_signal;

	th->stopped = false;
	if (th->group_stopped) {
		/* Stopped by a stop signal: stay stopped, but report SIGCONT. */
		ptrace(PTRACE_LISTEN, th->tid, NULL, NULL);
		return;
	}
	th->pending_signal = 0;
	resume(th->tid, sig);
}

static void on_dlstate(struct tracer *tr, struct event *ev);

/* ---- events ---------------------------------------------------------- */

static void next_event(struct tracer *tr, struct event *ev)
{
	int status;
	pid_t tid;
	siginfo_t si;

	memset(ev, 0, sizeof(*ev));
	if (*tr->stop_requested) {
		ev->type = TE_INTERRUPTED;
		return;
	}
	tid = waitpid(-1, &status, __WALL);
	if (tid < 0) {
		ev->type = errno == EINTR ? TE_INTERRUPTED : TE_NO_TASKS;
		return;
	}
	ev->tid = tid;
	ev->status = status;
	ev->th = target_thread(tr->target, tid);
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		ev->type = TE_EXIT;
		return;
	}
	if (!WIFSTOPPED(status)) {
		ev->type = TE_OTHER_EVENT;
		return;
	}
	switch (status >> 16) {
	case 0:
		break;
	case PTRACE_EVENT_STOP: {
		int sig = WSTOPSIG(status);
		ev->type = (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) ? TE_GROUP_STOP
												     : TE_EVENT_STOP;
		return;
	}
	case PTRACE_EVENT_CLONE:
		ev->type = TE_CLONE;
		return;
	case PTRACE_EVENT_FORK:
		ev->type = TE_FORK;
		return;
	case PTRACE_EVENT_VFORK:
		ev->type = TE_VFORK;
		return;
	case PTRACE_EVENT_EXEC:
		ev->type = TE_EXEC;
		return;
	default:
		ev->type = TE_OTHER_EVENT;
		return;
	}
	ev->type = TE_SIGNAL;
	if (WSTOPSIG(status) != SIGTRAP || !ev->th)
		return;
	/* A trap of ours is an int3 (SI_KERNEL) just past a breakpoint we placed. */
	if (ptrace(PTRACE_GETSIGINFO, tid, NULL, &si) != 0 || (si.si_code != SI_KERNEL && si.si_code != TRAP_BRKPT))
		return;
	if (arch_regs_fetch(tid, &ev->regs, false) != 0)
		return;
	ev->bp = bp_at(&tr->bps, arch_regs_pc(&ev->regs) - ARCH_BREAKPOINT_PC_ADVANCE);
	if (ev->bp)
		ev->type = TE_BREAKPOINT;
}

/* ---- breakpoints and return probes ----------------------------------- */

static void emit_header(struct thread *th, struct event_header *h)
{
	h->ts_ns = now_real_ns();
	h->pid = th->tgid;
	h->tid = th->tid;
}

static void on_entry(struct tracer *tr, struct event *ev)
{
	struct thread *th = ev->th;
	struct probe_site *site = ev->bp->site;
	struct event_layout *l = site->layout;
	struct capture cap = {tr->target, th->tid, &ev->regs};
	struct value_source src = {&cap, capture_reg, capture_mem};
	struct event_header h;
	uint64_t sp = arch_regs_sp(&ev->regs), ret_addr;

	site->hits++;
	if (l->entry_vregs)
		arch_regs_fetch(th->tid, &ev->regs, true);
	emit_header(th, &h);
	tr->sink->ops->entry(tr->sink, l, &h, decode_entry(l, &src, &tr->dopts, &tr->arena));
	arena_reset(&tr->arena);
	tr->events++;

	/* Return probe: the return address at [sp] goes to the shadow stack,
	 * the trampoline takes its place. */
	if (target_read(tr->target, th->tid, sp, &ret_addr, sizeof(ret_addr)) == (ssize_t)sizeof(ret_addr) &&
	    target_write(tr->target, th->tid, sp, &tr->trampoline, sizeof(tr->trampoline)) == 0) {
		struct shadow_entry e = {.ret_addr = ret_addr, .slot = sp, .entry_mono_ns = now_mono_ns(), .site = site};
		shadow_push(&th->shadow, &e);
	}

	/* On with the displaced instruction, out of line: one stop per hit. */
	arch_regs_set_pc(&ev->regs, ev->bp->ool);
	if (arch_regs_store(th->tid, &ev->regs) == 0)
		resume_thread(th);
}

static void on_return(struct tracer *tr, struct event *ev)
{
	struct thread *th = ev->th;
	uint64_t sp = arch_regs_sp(&ev->regs);
	struct shadow_entry *top;
	struct shadow_entry e;

	/* Frames left without returning (longjmp) lie below the stack pointer. */
	while ((top = shadow_top(&th->shadow)) && top->slot + 8 < sp) {
		shadow_pop(&th->shadow);
		tr->lost_returns++;
	}
	if (!top) {
		log_error("thread %d reached the return trampoline with no call in flight; leaving it stopped "
			  "would hang it, so it gets SIGSEGV",
			  (int)th->tid);
		th->pending_signal = SIGSEGV;
		resume_thread(th);
		return;
	}
	e = *top;
	shadow_pop(&th->shadow);
	{
		struct event_layout *l = e.site->layout;
		struct capture cap = {tr->target, th->tid, &ev->regs};
		struct value_source src = {&cap, capture_reg, capture_mem};
		struct event_header h;
		uint64_t now = now_mono_ns();

		if (l->exit_vregs)
			arch_regs_fetch(th->tid, &ev->regs, true);
		emit_header(th, &h);
		tr->sink->ops->exit(tr->sink, l, &h, decode_return(l, &src, &tr->dopts, &tr->arena),
				    now - e.entry_mono_ns);
		arena_reset(&tr->arena);
		tr->events++;
	}
	arch_regs_set_pc(&ev->regs, e.ret_addr);
	if (arch_regs_store(th->tid, &ev->regs) == 0)
		resume_thread(th);
}

/* ---- processes ------------------------------------------------------- */

struct child_mem {
	int fd;
	pid_t pid;
};

static int child_write(void *ctx, uint64_t addr, const void *buf, size_t size)
{
	struct child_mem *c = ctx;
	if (c->fd >= 0 && pwrite(c->fd, buf, size, (off_t)addr) == (ssize_t)size)
		return 0;
	return -1;
}

/* A forked child has a copy of our traps and of the parent's hijacked return
 * addresses: undo both in its memory and let it run untraced. */
static void release_fork_child(struct tracer *tr, struct thread *parent, pid_t child)
{
	char path[64];
	struct child_mem cm = {-1, child};
	int status;

	if (!u64_map_del(&tr->early_tasks, (uint64_t)child))
		wait_task(child, &status, __WALL);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)child);
	cm.fd = open(path, O_RDWR | O_CLOEXEC);
	bp_restore_all(&tr->bps, child_write, &cm);
	if (parent)
		for (size_t i = 0; i < parent->shadow.len; i++)
			child_write(&cm, parent->shadow.entries[i].slot, &parent->shadow.entries[i].ret_addr, 8);
	if (cm.fd >= 0)
		close(cm.fd);
	ptrace(PTRACE_DETACH, child, NULL, NULL);
}

static void on_new_task(struct tracer *tr, struct event *ev, bool same_process)
{
	unsigned long msg = 0;
	pid_t tid;
	struct thread *th;

	ptrace(PTRACE_GETEVENTMSG, ev->tid, NULL, &msg);
	tid = (pid_t)msg;
	th = target_add_thread(tr->target, tid, same_process && ev->th ? ev->th->tgid : tid);
	/* Its first stop may have been seen already. */
	if (u64_map_del(&tr->early_tasks, (uint64_t)tid))
		resume_thread(th);
	else
		th->stopped = false; /* its first stop, TE_EVENT_STOP, resumes it */
}

static void on_exec(struct tracer *tr, struct event *ev)
{
	pid_t tid = ev->tid;
	struct thread *th = ev->th;

	if (th && th->tgid != tr->target->pid) {
		/* A vfork child starting its own program: nothing of ours is in it. */
		target_drop_thread(tr->target, tid);
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return;
	}
	log_note("%s started a new program: its probes are gone with the old image; detaching", tr->target->name);
	/* The other threads of the old image are gone. */
	target_drop_all_threads_but(tr->target, tid);
	target_drop_thread(tr->target, tid);
	ptrace(PTRACE_DETACH, tid, NULL, NULL);
	tr->detached = true;
}

static void on_task_exit(struct tracer *tr, struct event *ev)
{
	if (ev->tid == tr->target->pid) {
		tr->target->exited = true;
		tr->target->exit_status = ev->status;
	}
	target_drop_thread(tr->target, ev->tid);
}

/* ---- detaching ------------------------------------------------------- */

static int target_mem_write(void *ctx, uint64_t addr, const void *buf, size_t size)
{
	struct tracer *tr = ctx;
	return target_write(tr->target, tr->target->pid, addr, buf, size);
}

/* Brings a thread that just stopped at one of our traps back to where it
 * would be without dwtrace, emitting nothing. */
static void rewind_trap(struct tracer *tr, struct thread *th, struct event *ev)
{
	if (ev->bp->kind == BP_RETURN) {
		struct shadow_entry *top = shadow_top(&th->shadow);
		if (!top)
			return;
		arch_regs_set_pc(&ev->regs, top->ret_addr);
		shadow_pop(&th->shadow);
	} else {
		/* probes and r_brk: the displaced instruction has not run yet */
		arch_regs_set_pc(&ev->regs, ev->bp->addr);
	}
	arch_regs_store(th->tid, &ev->regs);
}

/* True when a breakpoint trap (SIGTRAP from int3) waits in tid's queue. */
static bool trap_pending(pid_t tid)
{
	struct __ptrace_peeksiginfo_args args = {.off = 0, .flags = 0, .nr = 8};
	siginfo_t si[8];
	long n = ptrace(PTRACE_PEEKSIGINFO, tid, &args, si);

	for (long i = 0; i < n; i++)
		if (si[i].si_signo == SIGTRAP && si[i].si_code == SI_KERNEL)
			return true;
	return false;
}

static void interrupt_one(uint64_t key, void *value, void *arg)
{
	struct thread *th = value;
	if (!th->stopped)
		ptrace(PTRACE_INTERRUPT, th->tid, NULL, NULL);
}

static void adopt_early_task(uint64_t tid, void *value, void *arg)
{
	target_add_thread(arg, (pid_t)tid, (pid_t)tid)->stopped = true;
}

/* A thread inside an out-of-line copy is stepped until it is back in the
 * program's own code; one about to run the trampoline goes to its caller. */
static void step_out_of_scratch(uint64_t key, void *value, void *arg)
{
	struct thread *th = value;
	struct tracer *tr = arg;
	struct arch_regs regs;
	int status;

	for (int steps = 0; steps < 64; steps++) {
		uint64_t pc;
		if (arch_regs_fetch(th->tid, &regs, false) != 0)
			return;
		pc = arch_regs_pc(&regs);
		if (!scratch_contains(&tr->scratch, pc))
			return;
		if (pc == tr->trampoline) {
			struct shadow_entry *top = shadow_top(&th->shadow);
			if (top) {
				arch_regs_set_pc(&regs, top->ret_addr);
				shadow_pop(&th->shadow);
				arch_regs_store(th->tid, &regs);
			}
			return;
		}
		if (ptrace(PTRACE_SINGLESTEP, th->tid, NULL, NULL) != 0 || wait_task(th->tid, &status, __WALL) < 0 ||
		    WIFEXITED(status) || WIFSIGNALED(status))
			return;
		if (status >> 16 == 0 && WSTOPSIG(status) != SIGTRAP && !th->pending_signal)
			th->pending_signal = WSTOPSIG(status);
	}
	log_warning("thread %d did not leave dwtrace's scratch area", (int)th->tid);
}

static void restore_returns(uint64_t key, void *value, void *arg)
{
	struct thread *th = value;
	struct tracer *tr = arg;

	for (size_t i = th->shadow.len; i-- > 0;) {
		uint64_t cur = 0;
		target_read(tr->target, th->tid, th->shadow.entries[i].slot, &cur, 8);
		log_debug("ptrace", "thread %d: restoring return 0x%" PRIx64 " at 0x%" PRIx64 " (holds 0x%" PRIx64 ")",
			  (int)th->tid, th->shadow.entries[i].ret_addr, th->shadow.entries[i].slot, cur);
		target_write(tr->target, th->tid, th->shadow.entries[i].slot, &th->shadow.entries[i].ret_addr, 8);
	}
	th->shadow.len = 0;
}

static void detach_one(uint64_t key, void *value, void *arg)
{
	struct thread *th = value;
	ptrace(PTRACE_DETACH, th->tid, NULL, (void *)(long)th->pending_signal);
}

/* Stops every thread, takes every trap and hijacked return address out of
 * the target, and detaches: the target runs on as if never traced. */
static void detach_all(struct tracer *tr)
{
	struct target *t = tr->target;
	struct event ev;

	/* Tasks held at their first stop are stopped tracees too. */
	u64_map_each(&tr->early_tasks, adopt_early_task, t);
	u64_map_free(&tr->early_tasks);
	u64_map_each(&t->threads, interrupt_one, NULL);
	while (target_running_thread(t)) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL);
		struct thread *th;

		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		th = target_thread(t, tid);
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			ev.tid = tid;
			ev.status = status;
			on_task_exit(tr, &ev);
			continue;
		}
		if (!th) {
			/* A task whose creation we have not seen: it is ours too. */
			th = target_add_thread(t, tid, tid);
		}
		th->stopped = true;
		switch (status >> 16) {
		case 0:
			if (WSTOPSIG(status) == SIGTRAP && arch_regs_fetch(tid, &ev.regs, false) == 0 &&
			    (ev.bp = bp_at(&tr->bps, arch_regs_pc(&ev.regs) - ARCH_BREAKPOINT_PC_ADVANCE)))
				rewind_trap(tr, th, &ev);
			else
				th->pending_signal = WSTOPSIG(status);
			break;
		case PTRACE_EVENT_FORK:
			ev.tid = tid;
			ev.th = th;
			{
				unsigned long msg = 0;
				ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg);
				release_fork_child(tr, th, (pid_t)msg);
			}
			break;
		case PTRACE_EVENT_CLONE:
		case PTRACE_EVENT_VFORK: {
			unsigned long msg = 0;
			ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg);
			if (u64_map_del(&tr->early_tasks, msg))
				target_add_thread(t, (pid_t)msg, (pid_t)msg)->stopped = true;
			else if (!target_thread(t, (pid_t)msg))
				target_add_thread(t, (pid_t)msg, (pid_t)msg)->stopped = false;
			break;
		}
		case PTRACE_EVENT_STOP:
			/* Stopped by our interrupt just after one of our traps,
			 * whose SIGTRAP is still queued: let the thread take it
			 * (it stops again before running any code) and rewind. */
			if (trap_pending(tid)) {
				th->stopped = false;
				ptrace(PTRACE_CONT, tid, NULL, NULL);
			}
			break;
		default:
			break;
		}
	}
	bp_restore_all(&tr->bps, target_mem_write, tr);
	u64_map_each(&t->threads, step_out_of_scratch, tr);
	u64_map_each(&t->threads, restore_returns, tr);
	u64_map_each(&t->threads, detach_one, NULL);
	tr->detached = true;
}

/* ---- dispatch -------------------------------------------------------- */

/* Returns false when tracing is over. */
static bool dispatch_event(struct tracer *tr, struct event *ev)
{
	struct thread *th = ev->th;

	if (!th && ev->type != TE_EXIT && ev->type != TE_NO_TASKS && ev->type != TE_INTERRUPTED) {
		/* A new task stopping before its parent's clone event: hold it. */
		u64_map_put(&tr->early_tasks, (uint64_t)ev->tid, (void *)1);
		return true;
	}
	switch (ev->type) {
	case TE_BREAKPOINT:
		th->stopped = true;
		if (ev->bp->kind == BP_RETURN)
			on_return(tr, ev);
		else if (ev->bp->kind == BP_DLSTATE)
			on_dlstate(tr, ev);
		else
			on_entry(tr, ev);
		break;
	case TE_SIGNAL:
		resume(ev->tid, WSTOPSIG(ev->status));
		break;
	case TE_GROUP_STOP:
		th->group_stopped = true;
		resume_thread(th);
		break;
	case TE_EVENT_STOP:
		th->group_stopped = false;
		resume_thread(th);
		break;
	case TE_OTHER_EVENT:
		resume_thread(th);
		break;
	case TE_CLONE:
		on_new_task(tr, ev, true);
		resume_thread(th);
		break;
	case TE_VFORK:
		on_new_task(tr, ev, false);
		resume_thread(th);
		break;
	case TE_FORK: {
		unsigned long msg = 0;
		ptrace(PTRACE_GETEVENTMSG, ev->tid, NULL, &msg);
		release_fork_child(tr, th, (pid_t)msg);
		resume_thread(th);
		break;
	}
	case TE_EXEC:
		on_exec(tr, ev);
		break;
	case TE_EXIT:
		on_task_exit(tr, ev);
		break;
	case TE_INTERRUPTED:
		if (!tr->detached)
			detach_all(tr);
		return false;
	case TE_NO_TASKS:
		return false;
	}
	if (tr->output_failed && !tr->detached) {
		detach_all(tr);
		return false;
	}
	return true;
}

/* Places a breakpoint of kind at addr, with the out-of-line copy of the
 * instruction it displaces, through thread th (stopped).  what names it in
 * messages.  Returns 0, or -1 after printing why it is left out. */
static int place_breakpoint(struct tracer *tr, struct thread *th, uint64_t addr, enum breakpoint_kind kind,
			    struct probe_site *site, const char *what, const char *where)
{
	struct target *t = tr->target;
	uint8_t code[ARCH_INSN_MAX + 1], ool[ARCH_OOL_MAX];
	uint64_t slot;
	size_t len;
	char err[160];
	int n, rc;

	n = bp_read_original(&tr->bps, t, addr, code, sizeof(code));
	if (n <= 0) {
		log_error("%s left out: cannot read its code at %s", what, where);
		return -1;
	}
	rc = scratch_slot(&tr->scratch, t, th, addr, &slot);
	if (rc) {
		log_error("%s left out: cannot map dwtrace's scratch area near %s: %s", what, where, strerror(-rc));
		return -1;
	}
	n = arch_relocate(code, (size_t)n, addr, slot, ool, &len, err, sizeof(err));
	if (n < 0) {
		log_error("%s left out: at %s: %s", what, where, err);
		return -1;
	}
	rc = target_write(t, th->tid, slot, ool, (size_t)n);
	if (!rc)
		rc = bp_insert(&tr->bps, t, addr, kind, site, slot);
	if (rc) {
		log_error("%s left out: cannot place a breakpoint at %s: %s", what, where, strerror(-rc));
		return -1;
	}
	return 0;
}

static int place_probe(struct tracer *tr, struct thread *th, struct probe_site *site)
{
	char what[300], where[300];

	snprintf(what, sizeof(what), "probe '%s'", site->fn->name);
	snprintf(where, sizeof(where), "%s+0x%" PRIx64, dw_module_name(site->fn->module),
		 site->fn->elf_addr + (site->addr - site->fn->addr));
	if (place_breakpoint(tr, th, site->addr, BP_PROBE, site, what, where) != 0)
		return -1;
	site->placed = true;
	tr->nplaced++;
	return 0;
}

/* ---- libraries loaded and unloaded ----------------------------------- */

/* r_debug (glibc <link.h>): r_brk at 16, r_state at 24. */
#define R_DEBUG_BRK 16
#define R_DEBUG_STATE 24
#define RT_CONSISTENT 0

/* Whether a mapping of m's file still lies where m was loaded. */
static bool module_mapped(pid_t pid, const struct dw_module *m)
{
	char path[64], line[4200];
	uint64_t start, end;
	FILE *f;
	bool found = false;

	dw_module_range(m, &start, &end);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return true;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		int off = 0;
		char *file;
		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %n", &s, &e, &off) < 2 || !off)
			continue;
		file = line + off;
		file[strcspn(file, "\n")] = '\0';
		found = s < end && e > start && !strcmp(file, dw_module_path(m));
	}
	fclose(f);
	return found;
}

/* After the dynamic linker changed the set of libraries: probes of unloaded
 * modules are forgotten, pending probes go into new ones. */
static void libraries_changed(struct tracer *tr, struct thread *th)
{
	struct dw_session *dw = tr->dw;
	size_t nmod;

	if (dw_session_refresh(dw) < 0) {
		log_warning("%s", dw_session_error(dw));
		return;
	}
	nmod = dw_session_nmodules(dw);
	for (size_t i = 0; i < nmod; i++) {
		struct dw_module *m = dw_session_module(dw, i);
		bool live = u64_map_get(&tr->live_modules, (uint64_t)(uintptr_t)m) != NULL;
		bool mapped = module_mapped(tr->target->pid, m);

		if (live && !mapped) {
			for (size_t k = 0; k < tr->probes->len; k++) {
				struct probe_site *site = tr->probes->sites[k];
				if (site->placed && site->fn->module == m) {
					bp_forget(&tr->bps, site->addr);
					tr->nplaced--;
				}
			}
			probe_set_drop_module(tr->probes, m);
			u64_map_del(&tr->live_modules, (uint64_t)(uintptr_t)m);
			log_debug("dlopen", "%s unloaded", dw_module_path(m));
		} else if (!live && mapped) {
			size_t first = tr->probes->len;
			size_t added = probe_set_resolve_pending(tr->probes, dw, m);
			u64_map_put(&tr->live_modules, (uint64_t)(uintptr_t)m, (void *)1);
			log_debug("dlopen", "%s loaded: %zu new probes", dw_module_path(m), added);
			for (size_t k = first; k < tr->probes->len; k++)
				place_probe(tr, th, tr->probes->sites[k]);
		}
	}
}

static void on_dlstate(struct tracer *tr, struct event *ev)
{
	struct thread *th = ev->th;
	int32_t state = -1;

	if (target_read(tr->target, th->tid, tr->r_debug + R_DEBUG_STATE, &state, sizeof(state)) ==
		    (ssize_t)sizeof(state) &&
	    state == RT_CONSISTENT)
		libraries_changed(tr, th);
	arch_regs_set_pc(&ev->regs, ev->bp->ool);
	if (arch_regs_store(th->tid, &ev->regs) == 0)
		resume_thread(th);
}

/* Watches the dynamic linker's r_brk, where it stops (so to speak) every
 * time it has loaded or unloaded libraries. */
static void watch_libraries(struct tracer *tr, struct thread *th)
{
	uint64_t r_brk = 0;
	char where[64];

	for (size_t i = 0; i < dw_session_nmodules(tr->dw); i++)
		u64_map_put(&tr->live_modules, (uint64_t)(uintptr_t)dw_session_module(tr->dw, i), (void *)1);
	if (dw_session_find_symbol(tr->dw, NULL, "_r_debug", &tr->r_debug) != 0 ||
	    target_read(tr->target, th->tid, tr->r_debug + R_DEBUG_BRK, &r_brk, sizeof(r_brk)) !=
		    (ssize_t)sizeof(r_brk) ||
	    !r_brk) {
		if (tr->probes->npending)
			log_warning("cannot find the dynamic linker's r_debug in %s: pending probes stay pending",
				    tr->target->name);
		tr->r_debug = 0;
		return;
	}
	snprintf(where, sizeof(where), "0x%" PRIx64, r_brk);
	place_breakpoint(tr, th, r_brk, BP_DLSTATE, NULL, "watching dlopen", where);
}

static void resume_one(uint64_t key, void *value, void *arg)
{
	struct thread *th = value;
	if (th->stopped)
		resume_thread(th);
}

int tracer_start(struct tracer *tr)
{
	struct target *t = tr->target;
	struct thread *th = target_thread(t, t->pid);
	size_t placed = 0;

	for (size_t i = 0; i < tr->probes->len; i++)
		if (place_probe(tr, th, tr->probes->sites[i]) == 0)
			placed++;
	if ((!placed && !tr->probes->npending) || (placed && !tr->scratch.trampoline)) {
		log_error("no probe could be placed in %s", t->name);
		bp_restore_all(&tr->bps, target_mem_write, tr);
		return -1;
	}
	watch_libraries(tr, th);
	if (!tr->scratch.trampoline) {
		log_error("cannot map dwtrace's scratch area in %s", t->name);
		return -1;
	}
	tr->trampoline = tr->scratch.trampoline;
	if (bp_insert(&tr->bps, t, tr->trampoline, BP_RETURN, NULL, 0) != 0) {
		log_error("cannot place the return trampoline in %s", t->name);
		bp_restore_all(&tr->bps, target_mem_write, tr);
		return -1;
	}
	u64_map_each(&t->threads, resume_one, NULL);
	return 0;
}

void tracer_run(struct tracer *tr)
{
	struct event ev;

	do
		next_event(tr, &ev);
	while (dispatch_event(tr, &ev));
}

void tracer_free(struct tracer *tr)
{
	scratch_free(&tr->scratch);
	u64_map_free(&tr->live_modules);
	bp_table_free(&tr->bps);
	arena_free(&tr->arena);
	u64_map_free(&tr->early_tasks);
}
