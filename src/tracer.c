/* The ptrace event loop, strace style: next_event() turns a wait status into
 * an enum trace_event, dispatch_event() decides what to do with it.  Nothing
 * else calls waitpid on running targets (detach.c does once they stop). */
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

#include "log.h"
#include "stack.h"
#include "tracer_internal.h"
#include "xalloc.h"

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

void resume_thread(struct thread *th)
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

struct thread *tracer_thread(struct tracer *tr, pid_t tid)
{
	for (struct process *p = tr->procs; p; p = p->next) {
		struct thread *th = target_thread(&p->t, tid);
		if (th)
			return th;
	}
	return NULL;
}

/* ---- processes ------------------------------------------------------- */

struct process *process_new(void)
{
	struct process *p = xcalloc(1, sizeof(*p));

	p->t.memfd = -1;
	p->t.proc = p;
	return p;
}

/* Forgets the image dwtrace knew of p (after an exec, or at the end). */
static void process_forget_image(struct process *p)
{
	probe_set_free(&p->probes);
	dw_session_close(p->dw);
	p->dw = NULL;
	bp_table_free(&p->bps);
	scratch_free(&p->scratch);
	u64_map_free(&p->live_modules);
	stack_forget_symbols(p);
	p->trampoline = p->r_debug = 0;
	p->nplaced = 0;
}

void process_free(struct process *p)
{
	if (!p)
		return;
	process_forget_image(p);
	target_release(&p->t);
	free(p);
}

static void add_process(struct tracer *tr, struct process *p)
{
	struct process **pp = &tr->procs;

	while (*pp)
		pp = &(*pp)->next;
	*pp = p;
}

static int open_mem(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* Resolves the -e specs in p's current image; failures are notes, not errors. */
static void resolve_image(struct tracer *tr, struct process *p)
{
	char *err = NULL;

	if (dw_session_open_pid(p->t.pid, &p->dw, &err) != 0) {
		log_warning("%s (pid %d): %s", p->t.name, (int)p->t.pid, err);
		free(err);
		return;
	}
	probe_set_resolve_quiet(&p->probes, p->dw, tr->specs, tr->nspecs, p->t.name);
}

/* A child created by fork or vfork, followed: a copy of everything dwtrace
 * placed in its parent, for the same addresses. */
static struct process *process_fork(struct tracer *tr, struct thread *parent, pid_t child)
{
	struct process *pp = parent->proc, *p = process_new();
	struct thread *th;

	p->t.pid = child;
	p->t.name = xstrdup(pp->t.name);
	p->t.owned_name = true;
	p->t.entry = pp->t.entry;
	p->t.attached = true;
	p->t.memfd = open_mem(child);
	resolve_image(tr, p);
	bp_table_copy(&p->bps, &pp->bps, &p->probes.by_addr, &p->t);
	scratch_copy(&p->scratch, &pp->scratch);
	p->trampoline = pp->trampoline;
	p->r_debug = pp->r_debug;
	for (size_t i = 0; p->dw && i < dw_session_nmodules(p->dw); i++)
		u64_map_put(&p->live_modules, (uint64_t)(uintptr_t)dw_session_module(p->dw, i), (void *)1);
	for (size_t i = 0; i < p->probes.len; i++)
		if (bp_at(&p->bps, p->probes.sites[i]->addr)) {
			p->probes.sites[i]->placed = true;
			p->nplaced++;
		}
	th = target_add_thread(&p->t, child, child);
	/* Its stack is a copy of its parent's, hijacked frames included. */
	for (size_t i = 0; i < parent->shadow.len; i++)
		shadow_push(&th->shadow, &parent->shadow.entries[i]);
	add_process(tr, p);
	return p;
}

/* ---- events ---------------------------------------------------------- */

static void next_event(struct tracer *tr, struct event *ev)
{
	int status;
	pid_t tid;
	siginfo_t si;
	uint64_t trap;

	memset(ev, 0, sizeof(*ev));
	if (*tr->stop_requested) {
		ev->type = TE_INTERRUPTED;
		return;
	}
	/* Events reach the output before dwtrace waits; a failed write ends tracing. */
	if (tr->sink->ops->flush(tr->sink) != 0) {
		tr->output_failed = true;
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
	ev->th = tracer_thread(tr, tid);
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
	if (WSTOPSIG(status) != SIGTRAP || !ev->th || arch_regs_fetch(tid, &ev->regs, false) != 0)
		return;
	/* A trap of ours: the pc just past a breakpoint we placed. */
	trap = arch_regs_pc(&ev->regs) - ARCH_BREAKPOINT_PC_ADVANCE;
	ev->bp = bp_at(&ev->th->proc->bps, trap);
	if (ev->bp) {
		/* After a one-byte displaced instruction, the out-of-line copy
		 * jumps back to that same pc: only the signal tells a SIGTRAP
		 * sent there from our int3. */
		if (ev->bp->insn_len == 1 && (ptrace(PTRACE_GETSIGINFO, tid, NULL, &si) != 0 || si.si_code != SI_KERNEL)) {
			ev->bp = NULL;
			return;
		}
		ev->type = TE_BREAKPOINT;
	} else if (ev->th->proc->entry_bp && trap == ev->th->proc->entry_bp) {
		ev->type = TE_IMAGE_ENTRY;
	}
}

/* ---- breakpoints and return probes ----------------------------------- */

static void emit_header(struct thread *th, struct event_header *h)
{
	h->stack = NULL;
	h->ts_ns = now_real_ns();
	h->pid = th->tgid;
	h->tid = th->tid;
}

static void on_entry(struct tracer *tr, struct event *ev)
{
	struct thread *th = ev->th;
	struct probe_site *site = ev->bp->site;
	struct event_layout *l = site->layout;
	struct capture cap = {&th->proc->t, th->tid, &ev->regs};
	struct value_source src = {&cap, capture_reg, capture_mem};
	struct event_header h;
	uint64_t sp = arch_regs_sp(&ev->regs), ret_addr;

	site->hits++;
	if (l->entry_vregs)
		arch_regs_fetch(th->tid, &ev->regs, true);
	emit_header(th, &h);
	/* Before the return address is replaced (the older ones read through
	 * the shadow stack). */
	h.stack = stack_capture(th->proc, th, &ev->regs, ev->bp->addr, tr->stack_depth, &tr->arena);
	tr->sink->ops->entry(tr->sink, l, &h, decode_entry(l, &src, &tr->dopts, &tr->arena));
	arena_reset(&tr->arena);
	tr->events++;

	/* Return probe: the return address at [sp] goes to the shadow stack,
	 * the trampoline takes its place. */
	if (target_read(&th->proc->t, th->tid, sp, &ret_addr, sizeof(ret_addr)) == (ssize_t)sizeof(ret_addr)) {
		struct shadow_entry e = {.ret_addr = ret_addr, .slot = sp, .entry_mono_ns = now_mono_ns(), .site = site};
		/* Pushed before the write: a fatal signal in between still
		 * finds what to restore (emergency.c). */
		shadow_push(&th->shadow, &e);
		if (target_write(&th->proc->t, th->tid, sp, &th->proc->trampoline, sizeof(uint64_t)) != 0)
			shadow_pop(&th->shadow);
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
		struct capture cap = {&th->proc->t, th->tid, &ev->regs};
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

/* ---- process events -------------------------------------------------- */

static void on_new_thread(struct tracer *tr, struct event *ev)
{
	unsigned long msg = 0;
	struct thread *th;

	ptrace(PTRACE_GETEVENTMSG, ev->tid, NULL, &msg);
	th = target_add_thread(&ev->th->proc->t, (pid_t)msg, ev->th->tgid);
	tr->threads_seen++;
	/* Its first stop may have been seen already. */
	if (u64_map_del(&tr->early_tasks, msg))
		resume_thread(th);
}

static void on_new_process(struct tracer *tr, struct event *ev, bool vfork)
{
	unsigned long msg = 0;
	pid_t child;
	struct process *p;

	ptrace(PTRACE_GETEVENTMSG, ev->tid, NULL, &msg);
	child = (pid_t)msg;
	if (!tr->follow && !vfork) {
		release_fork_child(tr, ev->th, child);
		return;
	}
	/* Followed, or a vfork child sharing our traps until it execs. */
	p = process_fork(tr, ev->th, child);
	tr->threads_seen++;
	if (u64_map_del(&tr->early_tasks, (uint64_t)child))
		resume_thread(target_thread(&p->t, child));
}

/* The process of ev->th runs a new program: what dwtrace placed is gone. */
static void on_exec(struct tracer *tr, struct event *ev)
{
	struct process *p = ev->th->proc;
	pid_t pid = ev->tid;
	char comm[64];
	uint8_t trap = ARCH_BREAKPOINT_BYTE;

	target_drop_all_threads_but(&p->t, pid);
	process_forget_image(p);
	ev->th->shadow.len = 0;
	if (!tr->follow) {
		if (p == tr->procs)
			log_note("%s started a new program: its probes are gone with the old image; detaching",
				 p->t.name);
		target_drop_thread(&p->t, pid);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		if (p == tr->procs)
			tr->detached = true;
		return;
	}
	/* Probed again from its entry point, where its libraries are mapped. */
	if (p->t.memfd >= 0)
		close(p->t.memfd);
	p->t.memfd = open_mem(pid);
	if (target_read_comm(pid, comm, sizeof(comm)) == 0) {
		if (p->t.owned_name)
			free((char *)p->t.name);
		p->t.name = xstrdup(comm);
		p->t.owned_name = true;
	}
	if (target_read_entry(pid, &p->t.entry) == 0 &&
	    target_read(&p->t, pid, p->t.entry, &p->entry_orig, 1) == 1 &&
	    target_write(&p->t, pid, p->t.entry, &trap, 1) == 0)
		p->entry_bp = p->t.entry;
	resume_thread(ev->th);
}

static void on_image_entry(struct tracer *tr, struct event *ev)
{
	struct process *p = ev->th->proc;

	target_write(&p->t, ev->tid, p->entry_bp, &p->entry_orig, 1);
	arch_regs_set_pc(&ev->regs, p->entry_bp);
	arch_regs_store(ev->tid, &ev->regs);
	p->entry_bp = 0;
	resolve_image(tr, p);
	if (p->probes.len || p->probes.npending)
		arm_process(tr, p, ev->th);
	resume_thread(ev->th);
}

static void on_task_exit(struct tracer *tr, struct event *ev)
{
	struct process *p = ev->th->proc;

	if (ev->tid == p->t.pid) {
		p->t.exited = true;
		p->t.exit_status = ev->status;
	}
	target_drop_thread(&p->t, ev->tid);
}

/* ---- dispatch -------------------------------------------------------- */

/* Returns false when tracing is over. */
static bool dispatch_event(struct tracer *tr, struct event *ev)
{
	struct thread *th = ev->th;

	if (!th && ev->type != TE_NO_TASKS && ev->type != TE_INTERRUPTED) {
		/* A new task stopping before its parent's clone event: hold it. */
		if (ev->type != TE_EXIT)
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
	case TE_IMAGE_ENTRY:
		th->stopped = true;
		on_image_entry(tr, ev);
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
		on_new_thread(tr, ev);
		resume_thread(th);
		break;
	case TE_FORK:
	case TE_VFORK:
		on_new_process(tr, ev, ev->type == TE_VFORK);
		resume_thread(th);
		break;
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

static void resume_one(uint64_t key, void *value, void *arg)
{
	struct thread *th = value;
	if (th->stopped)
		resume_thread(th);
}

int tracer_start(struct tracer *tr, struct process *p)
{
	if (arm_process(tr, p, target_thread(&p->t, p->t.pid)) != 0)
		return -1;
	tr->threads_seen = p->t.nthreads_seen;
	log_debug("ptrace", "armed %zu probes in %s", p->nplaced, p->t.name);
	add_process(tr, p);
	u64_map_each(&p->t.threads, resume_one, NULL);
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
	struct process *p = tr->procs ? tr->procs->next : NULL;

	while (p) {
		struct process *next = p->next;
		process_free(p);
		p = next;
	}
	if (tr->procs)
		tr->procs->next = NULL;
	arena_free(&tr->arena);
	u64_map_free(&tr->early_tasks);
}
