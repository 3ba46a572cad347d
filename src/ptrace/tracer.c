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
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dw_demangle.h"
#include "log.h"
#include "procfs.h"
#include "stack.h"
#include "ifunc_late.h"
#include "tracer_internal.h"
#include "wait_status.h"
#include "xalloc.h"

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
		if (ptrace(PTRACE_LISTEN, th->tid, NULL, NULL) == 0)
			return;
		/* Not in its group-stop any more: dwtrace ran it since (a
		 * remote mmap in a stopped process).  PTRACE_CONT would run
		 * one thread of a stopped process; it stays in this ptrace
		 * stop instead, and goes on when its process continues. */
		th->stopped = true;
		th->held = true;
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
	p->sigtrap.stat_fd = -1;
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
	sigtrap_guard_free(&p->sigtrap);
	free(p->code_maps);
	p->code_maps = NULL;
	p->ncode_maps = 0;
	p->r_debug = 0;
	p->nplaced = p->nundecodable = 0;
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

	tr->processes_seen++;

	while (*pp)
		pp = &(*pp)->next;
	*pp = p;
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
	p->t.goroutine_stacks = dw_session_main_is_go(p->dw);
	p->probes.filter = tr->filter;
	p->probes.filter_lttng = tr->filter_lttng;
	probe_set_resolve_quiet(&p->probes, p->dw, tr->specs, tr->nspecs, p->t.name);
}

/* A child created by fork or vfork, followed: a copy of everything dwtrace
 * placed in its parent, for the same addresses. */
static struct process *process_fork(struct tracer *tr, struct thread *parent, pid_t child)
{
	struct process *pp = parent->proc, *p = process_new();

	p->t.pid = child;
	p->t.name = xstrdup(pp->t.name);
	p->t.owned_name = true;
	p->t.entry = pp->t.entry;
	p->t.attached = true;
	p->t.memfd = procfs_open_mem(child);
	resolve_image(tr, p);
	bp_table_copy(&p->bps, &pp->bps, &p->probes.by_addr, &p->t);
	scratch_copy(&p->scratch, &pp->scratch);
	p->r_debug = pp->r_debug;
	for (size_t i = 0; p->dw && i < dw_session_nmodules(p->dw); i++)
		u64_map_put(&p->live_modules, (uint64_t)(uintptr_t)dw_session_module(p->dw, i), (void *)1);
	for (size_t i = 0; i < p->probes.len; i++) {
		struct probe_site *site = p->probes.sites[i];
		struct probe_site *from = u64_map_get(&pp->probes.by_addr, probe_site_key(site));
		if (bp_at(&p->bps, site->addr)) {
			site->placed = true;
			p->nplaced++;
		}
		if (from) {
			site->entry_only = from->entry_only;
			site->nexits = from->nexits;
		}
	}
	sigtrap_guard_copy(p, pp);
	target_add_thread(&p->t, child, child);
	event_stream_process_gone(&tr->es, child);
	/* Its stack is a copy of its parent's, calls in flight included. */
	event_stream_thread_copy(&tr->es, parent->tid, child);
	add_process(tr, p);
	return p;
}

/* ---- what the summary counts ------------------------------------------ */

/* A probe's identity over the run: its module's path and its address in
 * the ELF file (FNV-1a; the same function loaded twice counts once). */
static uint64_t probe_key(const struct probe_site *site)
{
	uint64_t h = 14695981039346656037u;

	for (const char *c = dw_module_path(site->fn->module); *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211u;
	return h ^ (site->fn->elf_addr * 0x9e3779b97f4a7c15u);
}

/* Notes what p's current image contributes to the summary, before the image
 * is forgotten (exec), modules are dropped (dlclose), or at the end. */
static void found_waiting(struct tracer *tr, struct process *p, bool note);

static void account_image(struct tracer *tr, struct process *p)
{
	found_waiting(tr, p, false);
	for (size_t i = 0; i < p->probes.len; i++)
		if (p->probes.sites[i]->placed && !p->probes.sites[i]->ifunc_resolver)
			u64_map_put(&tr->placed_probes, probe_key(p->probes.sites[i]), (void *)1);
	if (!tr->spec_pending) {
		tr->spec_pending = xcalloc(tr->nspecs + 1, sizeof(bool));
		tr->spec_loaded = xcalloc(tr->nspecs + 1, sizeof(bool));
	}
	for (size_t i = 0; i < p->probes.npending; i++) {
		const char *spec = p->probes.pending[i];
		const char *colon = probe_spec_separator(spec);
		char *modname, *real;
		size_t k;

		for (k = 0; k < tr->nspecs && strcmp(tr->specs[k], spec) != 0; k++)
			;
		if (k == tr->nspecs || !colon || probe_spec_is_exclusion(spec))
			continue;
		tr->spec_pending[k] = true;
		modname = xstrndup(spec, (size_t)(colon - spec));
		real = realpath(modname, NULL);
		/* The session keeps modules that were unloaded since. */
		for (size_t m = 0; p->dw && m < dw_session_nmodules(p->dw); m++)
			if (dw_module_matches(dw_session_module(p->dw, m), modname, real))
				tr->spec_loaded[k] = true;
		free(real);
		free(modname);
	}
}

void tracer_note_waiting(struct tracer *tr, const char **waiting, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < tr->nspecs; k++)
			if (tr->specs[k] == waiting[i]) {
				if (!tr->spec_waiting)
					tr->spec_waiting = xcalloc(tr->nspecs + 1, sizeof(bool));
				tr->spec_waiting[k] = true;
			}
}

/* The waiting bare-name specs that p's image has probes for now: placed at
 * last.  note: say so on stderr. */
static void found_waiting(struct tracer *tr, struct process *p, bool note)
{
	for (size_t k = 0; tr->spec_waiting && k < tr->nspecs; k++) {
		for (size_t i = 0; tr->spec_waiting[k] && i < p->probes.len; i++) {
			const struct probe_site *site = p->probes.sites[i];
			if (!site->placed || !dw_function_matches(site->fn, tr->specs[k], dw_name_is_glob(tr->specs[k])))
				continue;
			tr->spec_waiting[k] = false;
			if (note)
				log_note("probe '%s' placed in %s (pid %d), the program it runs now", tr->specs[k],
					 p->t.name, (int)p->t.pid);
		}
	}
}

size_t tracer_probes_placed(struct tracer *tr)
{
	for (struct process *p = tr->procs; p; p = p->next)
		account_image(tr, p);
	return tr->placed_probes.len;
}

void tracer_warn_unloaded(struct tracer *tr)
{
	for (struct process *p = tr->procs; p; p = p->next)
		account_image(tr, p);
	for (size_t k = 0; (tr->spec_pending || tr->spec_waiting) && k < tr->nspecs; k++) {
		if (tr->spec_pending && tr->spec_pending[k] && !tr->spec_loaded[k]) {
			const char *colon = probe_spec_separator(tr->specs[k]);
			log_warning("probe '%s' was never placed: %.*s was not loaded", tr->specs[k],
				    (int)(colon - tr->specs[k]), tr->specs[k]);
		}
		if (tr->spec_waiting && tr->spec_waiting[k])
			log_warning("probe '%s' was never placed: no program or library traced had it", tr->specs[k]);
	}
}

/* ---- events ---------------------------------------------------------- */

bool our_trap(const struct breakpoint *bp, pid_t tid)
{
	/* After a displaced instruction as long as the pc advance of a trap,
	 * the out-of-line copy jumps back to the pc just past the trap: only
	 * the signal tells a SIGTRAP sent there from our breakpoint.  A return
	 * never comes back. */
	if (bp->insn_len != ARCH_BREAKPOINT_PC_ADVANCE || bp->flow == ARCH_FLOW_RET)
		return true;
	return wait_trap_is_breakpoint(tid);
}

/* The text sink holds a call's entry back for its exit to join it, and
 * writes it when a flush finds it open long enough (sink_ops.held_until);
 * waitpid has no timeout, so a one-shot timer's signal (no SA_RESTART)
 * interrupts it then: a call blocked in the program shows while it blocks,
 * as with strace.  The signal only interrupts; nothing else sees it. */
static volatile sig_atomic_t flush_due;

static void on_flush_timer(int sig)
{
	(void)sig;
	flush_due = 1;
}

/* The timer, created at first use; false when it cannot be (then entries
 * wait for the next event). */
static bool flush_timer(timer_t *out)
{
	static int state; /* 0: not tried, 1: ready, -1: failed */
	static timer_t timer;
	struct sigaction sa;
	struct sigevent sev;

	if (!state) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_flush_timer;
		sigemptyset(&sa.sa_mask);
		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_SIGNAL;
		sev.sigev_signo = SIGRTMIN;
		state = sigaction(SIGRTMIN, &sa, NULL) == 0 && timer_create(CLOCK_REALTIME, &sev, &timer) == 0 ? 1 : -1;
	}
	*out = timer;
	return state > 0;
}

/* waitpid(-1, status, __WALL), flushing the sink when what it holds back
 * is due.  Returns waitpid's result; -1 with errno EINTR when a stop was
 * requested or the output failed (tr->output_failed). */
static pid_t wait_flushing(struct tracer *tr, int *status)
{
	for (;;) {
		uint64_t until = tr->sink->ops->held_until ? tr->sink->ops->held_until(tr->sink) : 0;
		struct itimerspec it = {0};
		timer_t timer;
		pid_t tid;
		int err;

		if (!until || !flush_timer(&timer))
			return waitpid(-1, status, __WALL);
		/* Absolute, on the clock of the events' times.  A signal that
		 * comes before waitpid blocks leaves the entry for the next
		 * event, as without the timer (a window of microseconds). */
		it.it_value.tv_sec = (time_t)(until / 1000000000u);
		it.it_value.tv_nsec = (long)(until % 1000000000u);
		flush_due = 0;
		if (timer_settime(timer, TIMER_ABSTIME, &it, NULL) != 0)
			return waitpid(-1, status, __WALL);
		tid = flush_due ? -1 : waitpid(-1, status, __WALL);
		err = flush_due && tid < 0 ? EINTR : errno;
		memset(&it, 0, sizeof(it));
		timer_settime(timer, 0, &it, NULL);
		if (tid >= 0 || err != EINTR || !flush_due || *tr->stop_requested) {
			errno = err;
			return tid;
		}
		if (tr->sink->ops->flush(tr->sink) != 0) {
			tr->output_failed = true;
			errno = EINTR;
			return -1;
		}
	}
}

static void next_event(struct tracer *tr, struct event *ev)
{
	struct wait_status ws;
	int status;
	pid_t tid;
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
	tid = wait_flushing(tr, &status);
	if (tid < 0) {
		ev->type = errno == EINTR ? TE_INTERRUPTED : TE_NO_TASKS;
		return;
	}
	ev->tid = tid;
	ev->status = status;
	ev->th = tracer_thread(tr, tid);
	ws = wait_status_classify(status);
	switch (ws.kind) {
	case WAIT_SIGNAL:
		break;
	case WAIT_GONE:
		ev->type = TE_EXIT;
		return;
	case WAIT_GROUP_STOP:
		ev->type = TE_GROUP_STOP;
		return;
	case WAIT_EVENT_STOP:
		ev->type = TE_EVENT_STOP;
		return;
	case WAIT_CLONE:
		ev->type = TE_CLONE;
		return;
	case WAIT_FORK:
		ev->type = TE_FORK;
		return;
	case WAIT_VFORK:
		ev->type = TE_VFORK;
		return;
	case WAIT_EXEC:
		ev->type = TE_EXEC;
		return;
	case WAIT_SYSCALL:       /* no PTRACE_SYSCALL from this loop: resume */
	case WAIT_OTHER_EVENT:
	case WAIT_NOT_STOPPED:
		ev->type = TE_OTHER_EVENT;
		return;
	}
	ev->type = TE_SIGNAL;
	ev->sig = ws.sig;
	if (ws.sig != SIGTRAP || !ev->th || arch_regs_fetch(tid, &ev->regs, false) != 0)
		return;
	/* A trap of ours: the pc just past a breakpoint we placed. */
	trap = arch_regs_pc(&ev->regs) - ARCH_BREAKPOINT_PC_ADVANCE;
	ev->bp = bp_at(&ev->th->proc->bps, trap);
	if (ev->bp) {
		if (!our_trap(ev->bp, tid)) {
			ev->bp = NULL;
			return;
		}
		ev->type = TE_BREAKPOINT;
	} else if (ev->th->proc->entry_bp && trap == ev->th->proc->entry_bp) {
		ev->type = TE_IMAGE_ENTRY;
	}
}

/* ---- breakpoints ------------------------------------------------------ */

/* One of our traps: every role of the instruction, then on with it out of
 * line (one stop per hit). */
static void on_breakpoint(struct tracer *tr, struct event *ev)
{
	struct thread *th = ev->th;
	struct breakpoint *bp = ev->bp;
	uint64_t ool = bp->ool;

	sigtrap_guard_check(th->proc, th);
	if (bp->narrivals)
		call_arrivals(tr, ev);
	if (bp->entry && bp->entry->ifunc_resolver)
		ifunc_late_entry(tr, ev, bp->entry);
	else if (bp->entry)
		call_entry(tr, ev, bp->entry);
	if (bp->nexits)
		call_exits(tr, ev);
	/* An IFUNC's resolver returned: probe its implementation. */
	ifunc_late_place(tr, ev);
	/* Last: it may place and forget breakpoints (never this one). */
	if (bp->dlstate) {
		/* Before a dlclose drops the sites of the module. */
		account_image(tr, th->proc);
		on_dlstate(tr, ev);
	}
	arch_regs_set_pc(&ev->regs, ool);
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
	event_stream_thread_gone(&tr->es, (pid_t)msg); /* a reused tid starts with no calls */
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
	static const uint8_t trap[ARCH_BREAKPOINT_LEN] = ARCH_BREAKPOINT_INSN;

	target_drop_all_threads_but(&p->t, pid);
	account_image(tr, p);
	process_forget_image(p);
	event_stream_thread_gone(&tr->es, ev->tid);
	event_stream_process_gone(&tr->es, p->t.pid);
	if (!tr->follow) {
		/* A started program is still dwtrace's child: its exit status
		 * comes to the event loop untraced (TE_EXIT without a thread),
		 * and becomes dwtrace's. */
		if (p == tr->procs)
			log_note("%s started a new program: its probes are gone with the old image; detaching%s",
				 p->t.name, p->t.attached ? "" : " (and waiting for its exit status)");
		target_drop_thread(&p->t, pid);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
		if (p == tr->procs)
			tr->detached = true;
		return;
	}
	/* Probed again from its entry point, where its libraries are mapped. */
	if (p->t.memfd >= 0)
		close(p->t.memfd);
	p->t.memfd = procfs_open_mem(pid);
	if (target_read_comm(pid, comm, sizeof(comm)) == 0) {
		if (p->t.owned_name)
			free((char *)p->t.name);
		p->t.name = xstrdup(comm);
		p->t.owned_name = true;
	}
	target_note_exec_signals(&p->t);
	if (target_read_entry(pid, &p->t.entry) == 0 && 	    target_read(&p->t, pid, p->t.entry, p->entry_orig, ARCH_BREAKPOINT_LEN) == ARCH_BREAKPOINT_LEN) {
		/* Known before it is in memory: detaching restores it. */
		p->entry_bp = p->t.entry;
		if (target_write(&p->t, pid, p->t.entry, trap, ARCH_BREAKPOINT_LEN) != 0)
			p->entry_bp = 0;
	}
	resume_thread(ev->th);
}

static void on_image_entry(struct tracer *tr, struct event *ev)
{
	struct process *p = ev->th->proc;

	target_write(&p->t, ev->tid, p->entry_bp, p->entry_orig, ARCH_BREAKPOINT_LEN);
	arch_regs_set_pc(&ev->regs, p->entry_bp);
	arch_regs_store(ev->tid, &ev->regs);
	p->entry_bp = 0;
	resolve_image(tr, p);
	if ((p->probes.len || p->probes.npending) && arm_process(tr, p, ev->th) == 0) {
		sigtrap_guard_arm(p, ev->th);
		found_waiting(tr, p, true);
	}
	resume_thread(ev->th);
}

static void on_task_exit(struct tracer *tr, struct event *ev)
{
	struct process *p = ev->th->proc;

	if (ev->tid == p->t.pid) {
		p->t.exited = true;
		p->t.exit_status = ev->status;
		event_stream_process_gone(&tr->es, p->t.pid);
	}
	event_stream_thread_gone(&tr->es, ev->tid);
	target_drop_thread(&p->t, ev->tid);
}

static void release_one(uint64_t key, void *value, void *arg)
{
	struct thread *th = value;

	if (th->held) {
		th->held = false;
		th->group_stopped = false;
		resume_thread(th);
	}
}

/* Process p continued (SIGCONT): its threads held in a ptrace stop since
 * its group-stop go on too. */
static void release_held(struct process *p)
{
	u64_map_each(&p->t.threads, release_one, NULL);
}

/* ---- dispatch -------------------------------------------------------- */

/* Returns false when tracing is over. */
static bool dispatch_event(struct tracer *tr, struct event *ev)
{
	struct thread *th = ev->th;

	if (!th && ev->type == TE_EXIT && ev->tid == tr->procs->t.pid && !tr->procs->t.attached) {
		/* The started program, untraced since its exec. */
		tr->procs->t.exited = true;
		tr->procs->t.exit_status = ev->status;
		return true;
	}
	if (!th && ev->type != TE_NO_TASKS && ev->type != TE_INTERRUPTED) {
		/* A new task stopping before its parent's clone event: hold it. */
		if (ev->type != TE_EXIT)
			u64_map_put(&tr->early_tasks, (uint64_t)ev->tid, (void *)1);
		return true;
	}
	switch (ev->type) {
	case TE_BREAKPOINT:
		th->stopped = true;
		on_breakpoint(tr, ev);
		break;
	case TE_IMAGE_ENTRY:
		th->stopped = true;
		on_image_entry(tr, ev);
		break;
	case TE_SIGNAL:
		if (ev->sig == SIGCONT)
			release_held(th->proc);
		if (ev->sig == SIGTRAP)
			sigtrap_guard_signal(th->proc, th);
		resume(ev->tid, ev->sig);
		break;
	case TE_GROUP_STOP:
		th->group_stopped = true;
		resume_thread(th);
		break;
	case TE_EVENT_STOP:
		/* After a group-stop, the trap that says SIGCONT came. */
		if (th->group_stopped)
			release_held(th->proc);
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
	event_stream_init(&tr->es, tr->sink, &tr->dopts);
	tr->es.stats = tr->stats;
	tr->es.no_events = tr->no_events;
	if (arm_process(tr, p, target_thread(&p->t, p->t.pid)) != 0)
		return -1;
	sigtrap_guard_arm(p, target_thread(&p->t, p->t.pid));
	tr->threads_seen = p->t.nthreads_seen;
	log_debug("ptrace", "armed %zu probes in %s (%zu breakpoints)", p->nplaced, p->t.name, p->bps.by_addr.len);
	add_process(tr, p);
	u64_map_each(&p->t.threads, resume_one, NULL);
	return 0;
}

void tracer_adopt(struct tracer *tr, struct process *p)
{
	add_process(tr, p);
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
	event_stream_free(&tr->es);
	u64_map_free(&tr->early_tasks);
	u64_map_free(&tr->placed_probes);
	free(tr->spec_pending);
	free(tr->spec_loaded);
	free(tr->spec_waiting);
	tr->spec_pending = tr->spec_loaded = NULL;
	tr->spec_waiting = NULL;
}

void tracer_live(struct tracer *tr)
{
	struct itimerval it;

	if (tr->duration <= 0)
		return;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = (time_t)tr->duration;
	it.it_value.tv_usec = (suseconds_t)((tr->duration - (double)(time_t)tr->duration) * 1e6);
	if (!it.it_value.tv_sec && !it.it_value.tv_usec)
		it.it_value.tv_usec = 1;
	setitimer(ITIMER_REAL, &it, NULL);
}
