/* The agent engine (engine.h). */
#define _GNU_SOURCE
#include "engine.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture_prog.h"
#include "engine_filter.h"
#include "hit_clock.h"
#include "loader.h"
#include "log.h"
#include "probe_point.h"
#include "patch.h"
#include "procfs.h"
#include "record.h"
#include "remote_call.h"
#include "record_events.h"
#include "ring_reader.h"
#include "ust_engine.h"
#include "tracer_internal.h"
#include "xalloc.h"

/* How long the drain loop sleeps when the rings are empty: the latency of
 * events on a terminal, and dwtrace's wake-ups on an idle program. */
#define IDLE_POLL_MS 5
/* Longest a hit waits for ring space while dwtrace reads. */
#define RING_WAIT_US 500000

/* What dwtrace knows of one entry of the agent's site table. */
struct engine_site {
	struct probe_site *site;     /* NULL: not this run's */
	int nops;                    /* its program's op count */
	int go_stack_hi_op;
	const char *tail_call;       /* an exit by a jump to another function: its name */
};

struct engine {
	struct tracer *tr;
	struct process *p;
	struct agent_handle h;
	struct ring_reader rr;
	struct hit_clock clock;
	struct patch_set ps;
	struct engine_site *sites;   /* by index in the agent's site table */
	size_t nsites;
	struct u64_map tids;         /* threads seen in records */
	bool traps;                  /* int3 patches allowed (--engine agent) */
	uint64_t dropped_before;     /* the rings' drop counters when this run began */
	uint64_t filtered_before;    /* and their filtered counters */
	/* Records read from the rings, for DWTRACE_DEBUG=agent (a call the
	 * agent's filter rejected leaves neither). */
	uint64_t entry_records, exit_records;
	uint64_t nested_before;
	/* --lttng/--ctf: the emitter's slots of each probe's entry and exit
	 * events (by probe index), and the rings' emitted counts at the start. */
	uint32_t *entry_slot, *exit_slot;
	uint64_t *emitted_before;
};

const char *agent_engine_unsuitable(const struct tracer *tr, const struct process *p)
{
	if (tr->follow)
		return "-f follows children through ptrace";
	if (tr->stack_depth)
		return "--stack unwinds stopped threads with libunwind-ptrace";
	if (p->t.goroutine_stacks)
		return "a Go program's goroutine stacks are too small for the agent's stubs";
	if (p->probes.npending || p->probes.nwaiting)
		return "probes name a module (MODULE:FUNCTION) or wait for libraries loaded later, which the ptrace "
		       "engine watches for as libraries come and go";
	for (size_t i = 0; i < p->probes.len; i++)
		if (p->probes.sites[i]->ifunc_resolver)
			return "an IFUNC's implementation is bound later, at its resolver's return";
	if (tr->ust_provider)
		return agent_filter_ust_unsuitable(p->probes.sites, p->probes.len, &tr->dopts);
	return NULL;
}

void agent_engine_clean(struct process *p)
{
	struct agent_handle h;
	struct patch_set old = {0};
	int n;

	if (agent_find(&p->t, &h) != 0)
		return;
	n = patch_adopt(&old, &p->t, &h.agent);
	if (n > 0) {
		log_debug("agent", "taking out %d patches an earlier dwtrace left in %s", n, p->t.name);
		patch_restore_all(&old, &p->t, &h.agent);
	}
	patch_set_free(&old);
}

const char *agent_engine_unusual(const struct process *p)
{
	for (size_t i = 0; i < p->probes.len; i++) {
		const struct dw_function *f = p->probes.sites[i]->fn;

		if (f->open_code)
			return "a probed function is assembly or has no DWARF (other code may jump into its middle), "
			       "which the ptrace engine follows";
		if (f->signal_frame || f->not_called || f->noreturn || (f->no_symbol && !f->size) ||
		    (dw_module_is_main(f->module) && f->addr == p->t.entry))
			return "a probed function is not entered by a call (a signal trampoline, noreturn, the entry "
			       "point), which the ptrace engine serves";
	}
	return NULL;
}

/* Functions that are not entered by a call have no exit to wait for (the
 * same rules as the ptrace engine's place_probe). */
static bool called_function(const struct process *p, const struct probe_site *site)
{
	const struct dw_function *f = site->fn;

	return !(f->noreturn || f->signal_frame || f->not_called || (f->no_symbol && !f->size) ||
		 (dw_module_is_main(f->module) && f->addr == p->t.entry));
}

/* Writes prog into the agent's op area: its first op's index, or -1 when
 * the area is full. */
static int64_t write_ops(struct engine *e, const struct capture_prog *prog)
{
	struct dwt_agent *a = &e->h.agent;
	struct dwt_cap_op *ops;

	if (!prog->nops)
		return a->nops;
	if (a->nops + (uint64_t)prog->nops > a->nops_max)
		return -1;
	ops = ring_reader_ptr(&e->rr, a->ops + (uint64_t)a->nops * sizeof(*ops), prog->nops * sizeof(*ops));
	if (!ops)
		return -1;
	memcpy(ops, prog->ops, prog->nops * sizeof(*ops));
	a->nops += prog->nops;
	return a->nops - prog->nops;
}

static ssize_t read_target(void *ctx, uint64_t addr, void *buf, size_t size)
{
	struct target *t = ctx;
	return target_read(t, t->pid, addr, buf, size);
}

/* The original code at pc (size bytes at most): the patches' bytes are
 * put back.  Returns the bytes read, or -1. */
static ssize_t read_original(struct engine *e, uint64_t pc, uint8_t *code, size_t size)
{
	ssize_t n = target_read(&e->p->t, e->p->t.pid, pc, code, size);

	for (size_t i = 0; n > 0 && i < e->ps.n; i++) {
		const struct patch_done *d = &e->ps.done[i];
		for (size_t k = 0; k < d->len; k++)
			if (d->start + k >= pc && d->start + k < pc + (uint64_t)n)
				code[d->start + k - pc] = d->orig[k];
	}
	return n;
}

/* What a jump to addr calls, for a tail call's exit event: the function
 * there, or the one a PLT entry there jumps to through its GOT slot
 * ([endbr64;] jmp *GOT(%rip)); its address when neither is known.  The
 * ptrace engine's code_name() does the same at the hit. */
static char *jump_target_name(struct engine *e, uint64_t addr)
{
	uint8_t code[2 * ARCH_INSN_MAX];
	struct arch_regs regs;
	struct arch_insn in;
	const char *name;
	uint64_t start, size, pc = addr, to, slot;
	char err[64];

	if (dw_session_symbol_at(e->p->dw, addr, &name, &start, &size) == 0)
		return addr == start ? xstrdup(name) : xasprintf("%s+0x%" PRIx64, name, addr - start);
	memset(&regs, 0, sizeof(regs));
	for (int i = 0; i < 2; i++) {
		ssize_t n = read_original(e, pc, code, sizeof(code));
		if (n <= 0 || arch_decode_flow(code, (size_t)n, pc, &in, err, sizeof(err)) != 0)
			break;
		if (in.flow == ARCH_FLOW_JMP_INDIRECT) {
			if (arch_indirect_target(code, in.len, pc, &regs, read_target, &e->p->t, &to, &slot) == 0 && slot &&
			    dw_session_got_name(e->p->dw, slot, &name) == 0)
				return xstrdup(name);
			break;
		}
		pc += in.len;
	}
	return xasprintf("0x%" PRIx64, addr);
}

/* The name a tail call at pc goes to, for exit events; NULL when the
 * instruction at pc is not a jump (a ret). */
static const char *tail_call_name(struct engine *e, uint64_t pc)
{
	uint8_t code[ARCH_INSN_MAX];
	struct arch_insn insn;
	char err[64];
	ssize_t n = read_original(e, pc, code, sizeof(code));

	if (n <= 0 || arch_decode_flow(code, (size_t)n, pc, &insn, err, sizeof(err)) != 0 ||
	    (insn.flow != ARCH_FLOW_JMP && insn.flow != ARCH_FLOW_JCC && insn.flow != ARCH_FLOW_JMP_INDIRECT))
		return NULL;
	if (insn.flow == ARCH_FLOW_JMP_INDIRECT)
		return xstrdup("(an indirect jump)");
	return jump_target_name(e, insn.target);
}

/* A thread of pid that blocks SIGTRAP (but agent_tid, the agent's watchdog,
 * which runs none of the program's code), or 0: an int3 there would kill the
 * program (the kernel forces the default action of a blocked synchronous
 * signal: kernel/signal.c, force_sig_info_to_task). */
static pid_t sigtrap_blocker(pid_t pid, pid_t agent_tid)
{
	char path[64], buf[4096];
	struct dirent *d;
	DIR *dir;
	pid_t found = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(dir = opendir(path)))
		return 0;
	while (!found && (d = readdir(dir))) {
		pid_t tid = (pid_t)atoi(d->d_name);
		char *line;
		unsigned long long mask;

		if (tid <= 0 || tid == agent_tid || procfs_read(pid, tid, "status", buf, sizeof(buf)) < 0 || !(line = strstr(buf, "\nSigBlk:")))
			continue;
		/* The watchdog writes its tid when it first runs, maybe not yet:
		 * its name is set when it is made (quiet_thread_start). */
		if (!agent_tid && !strncmp(buf, "Name:\tdwtrace-agent\n", 20))
			continue;
		/* An exited thread (zombie) runs no code. */
		if (strstr(buf, "\nState:\tZ") || strstr(buf, "\nState:\tX"))
			continue;
		if (sscanf(line + 8, "%llx", &mask) == 1 && (mask & (1ull << (SIGTRAP - 1))))
			found = tid;
	}
	closedir(dir);
	return found;
}

/* Compiles, patches and describes every probe of p.  Returns the probes
 * placed, or -errno when the process could not be written. */
static int place_all(struct engine *e)
{
	struct process *p = e->p;
	struct patch_request *req = xcalloc(p->probes.len + 1, sizeof(*req));
	struct patch_outcome *out = xcalloc(p->probes.len + 1, sizeof(*out));
	struct probe_site **of = xcalloc(p->probes.len + 1, sizeof(*of));
	uint32_t first_site = e->h.agent.nsites;
	uint64_t *busy = NULL;
	size_t nreq = 0, nbusy, ntrapped = 0;
	int placed, rc = 0;

	for (size_t i = 0; i < p->probes.len; i++) {
		struct probe_site *site = p->probes.sites[i];
		struct capture_prog prog;
		int64_t at;

		if (site->fn->dwarf_start) {
			const struct dw_function *f = site->fn;
			log_error("probe '%s' left out: its symbol says it starts at %s+0x%" PRIx64 ", its DWARF at "
				  "%s+0x%" PRIx64 " (a corrupt symbol table?); probing there could split an instruction",
				  f->name, dw_module_name(f->module), f->elf_addr, dw_module_name(f->module),
				  f->elf_addr + (f->dwarf_start - f->addr));
			continue;
		}
		req[nreq] = (struct patch_request){0};
		capture_prog_compile(&prog, site->layout, false, &e->tr->es.dopts, site->go);
		if ((at = write_ops(e, &prog)) < 0)
			goto full;
		req[nreq].entry_prog = (uint32_t)at;
		req[nreq].entry_nops = prog.nops;
		if (agent_filter_place(&e->h, &e->rr, site, &prog, &e->tr->es.dopts, p->probes.verbose, &req[nreq]) != 0)
			goto full;
		capture_prog_compile(&prog, site->layout, true, &e->tr->es.dopts, site->go);
		if ((at = write_ops(e, &prog)) < 0)
			goto full;
		req[nreq].exit_prog = (uint32_t)at;
		req[nreq].exit_nops = prog.nops;
		req[nreq].site = site;
		of[nreq++] = site;
		continue;
full:
		log_error("probe '%s' left out: the agent's capture program area is full", site->fn->name);
	}
	rc = agent_ctl_write(&p->t, &e->h, offsetof(struct dwt_agent, nops), &e->h.agent.nops,
			     sizeof(e->h.agent.nops));
	if (rc != 0)
		goto out;
	nbusy = patch_busy_pcs(&p->t, &busy);
	placed = patch_apply(&e->ps, &p->t, target_thread(&p->t, p->t.pid), &p->scratch, &e->h.agent, e->h.ctl, req,
			     nreq, busy, nbusy, out);
	if (placed < 0) {
		rc = placed;
		goto out;
	}
	for (size_t i = 0; i < nreq; i++) {
		struct probe_site *site = of[i];

		if (!out[i].patched) {
			char label[300];
			log_error("probe '%s' left out: %s", probe_site_label(site, label, sizeof(label)), out[i].why);
			continue;
		}
		site->placed = true;
		p->nplaced++;
		if (out[i].entry_only && !site->entry_only) {
			log_warning("probe '%s': entry events only (%s)", site->fn->name, out[i].why);
			site->entry_only = true;
		}
		if (out[i].ntraps) {
			ntrapped++;
			log_debug("agent", "probe '%s': %zu of its %zu patches are traps%s%s%s", site->fn->name,
				  out[i].ntraps, out[i].ntraps + out[i].njumps, *out[i].why ? " (" : "", out[i].why,
				  *out[i].why ? ")" : "");
		}
	}
	if (ntrapped && e->traps)
		log_warning("%zu of %zu probes have instructions that cannot take a jump: an int3 there is served by "
			    "the agent's SIGTRAP handler (microseconds a hit; DWTRACE_DEBUG=agent says which), and a "
			    "thread that blocks SIGTRAP dies of it",
			    ntrapped, nreq);
	/* What each new entry of the site table stands for. */
	e->nsites = e->h.agent.nsites;
	e->sites = xcalloc(e->nsites + 1, sizeof(*e->sites));
	for (uint32_t k = first_site; k < e->h.agent.nsites; k++) {
		const struct dwt_site *ds = ring_reader_ptr(&e->rr, e->h.agent.sites + k * sizeof(*ds), sizeof(*ds));
		if (!ds)
			continue;
		for (size_t i = 0; i < nreq; i++) {
			struct probe_site *site = of[i];
			bool exit = ds->kind == DWT_REC_EXIT;
			if (!site->placed || site->layout->id != ds->layout ||
			    ds->prog != (exit ? req[i].exit_prog : req[i].entry_prog))
				continue;
			e->sites[k].site = site;
			e->sites[k].nops = (int)(exit ? req[i].exit_nops : req[i].entry_nops);
			e->sites[k].go_stack_hi_op = site->go ? 0 : -1;
			if (exit)
				e->sites[k].tail_call = tail_call_name(e, ds->addr);
			break;
		}
	}
	rc = (int)p->nplaced;
out:
	free(busy);
	free(req);
	free(out);
	free(of);
	return rc;
}

static void on_record(void *ctx, const struct dwt_rec_hdr *rec)
{
	struct engine *e = ctx;
	struct capture_record r;
	struct engine_site *es;

	if (rec->site >= e->nsites || !(es = &e->sites[rec->site])->site)
		return; /* a site of an earlier attach, or not ours */
	if (record_parse(rec, rec->size, es->nops, &r) != 0) {
		e->rr.corrupt++;
		return;
	}
	r.pid = e->p->t.pid;
	r.go_stack_hi_op = es->go_stack_hi_op;
	r.ts_ns = hit_clock_mono_ns(&e->clock, rec->ts);
	if (r.kind == DWT_REC_EXIT)
		e->exit_records++;
	else
		e->entry_records++;
	if (!u64_map_get(&e->tids, r.tid))
		u64_map_put(&e->tids, r.tid, (void *)1);
	event_stream_record(&e->tr->es, es->site, &r, NULL, r.kind == DWT_REC_EXIT ? es->tail_call : NULL);
}

/* --lttng/--ctf with TSC timestamps: the agent's ns per tick for the
 * durations it computes (struct dwt_agent.ust_ns_per_tick). */
static void ust_tick_rate(struct engine *e)
{
	uint64_t q32;

	if (!e->tr->ust_provider || e->clock.kind != DWT_CLOCK_TSC)
		return;
	q32 = (uint64_t)(e->clock.ns_per_tick * 4294967296.0L);
	if (q32 != e->h.agent.ust_ns_per_tick &&
	    agent_ctl_write(&e->p->t, &e->h, offsetof(struct dwt_agent, ust_ns_per_tick), &q32, sizeof(q32)) == 0)
		e->h.agent.ust_ns_per_tick = q32;
}

/* Drains the rings; false when the output failed. */
static bool drain(struct engine *e, size_t *n)
{
	struct tracer *tr = e->tr;

	hit_clock_update(&e->clock);
	ust_tick_rate(e);
	*n = ring_reader_drain(&e->rr, on_record, e);
	ring_reader_unstall(&e->rr);
	if (tr->sink->ops->flush(tr->sink) != 0) {
		tr->output_failed = true;
		return false;
	}
	return true;
}

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Whether the process is gone; a started one is reaped for its status. */
static bool process_gone(struct engine *e, int pidfd)
{
	struct target *t = &e->p->t;
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
	int status;

	if (!t->attached) {
		pid_t w = waitpid(t->pid, &status, WNOHANG);
		if (w == t->pid && (WIFEXITED(status) || WIFSIGNALED(status))) {
			t->exited = true;
			t->exit_status = status;
			return true;
		}
		return w < 0 && errno == ECHILD;
	}
	return pidfd < 0 ? kill(t->pid, 0) != 0 && errno == ESRCH : poll(&pfd, 1, 0) == 1;
}

/* Whether the agent's watchdog watches this dwtrace yet (struct
 * dwt_agent.watch_generation == gen), asked while draining: until then a
 * watchdog still waiting for the previous reader may have cleared active,
 * which is set again.  True when done (or given up after a second). */
static bool watchdog_caught_up(struct engine *e, uint32_t gen, uint64_t since)
{
	struct target *t = &e->p->t;
	uint32_t watched = 0, active = 0, one = 1;

	if (agent_read(t, e->h.ctl + offsetof(struct dwt_agent, watch_generation), &watched, sizeof(watched)) != 0)
		return true;
	/* Until it watches us, a watchdog finishing with the previous reader
	 * may clear active: set again at every drain (a few ms). */
	if (agent_read(t, e->h.ctl + offsetof(struct dwt_agent, active), &active, sizeof(active)) == 0 && !active)
		agent_ctl_write(t, &e->h, offsetof(struct dwt_agent, active), &one, sizeof(one));
	if (watched == gen)
		return true;
	if (now_mono_ns() - since < 1000000000)
		return false;
	log_warning("the agent in %s (pid %d) does not watch dwtrace: if dwtrace dies, its probes record on until "
		    "the rings are full",
		    t->name, (int)t->pid);
	return true;
}

static int arm_traps(struct engine *e, bool on);

/* Attaches again, puts every byte back, leaves the agent in pass-through
 * and detaches: the program runs on as without dwtrace. */
static void take_out(struct engine *e)
{
	struct target *t = &e->p->t;
	uint32_t off = 0;
	int rc;

	bool attached = t->attached, go = t->goroutine_stacks;

	target_release(t);
	rc = target_attach(t, t->pid);
	t->attached = attached;
	t->goroutine_stacks = go;
	if (rc != 0) {
		/* Gone meanwhile, or not ours to attach any more: the agent
		 * goes pass-through when it sees dwtrace end. */
		log_warning("cannot attach to %s (pid %d) again to take the probes out; they stay in pass-through",
			    t->name, (int)t->pid);
		return;
	}
	rc = patch_restore_all(&e->ps, t, &e->h.agent);
	if (rc != 0)
		log_warning("putting back the code of %s (pid %d): %s", t->name, (int)t->pid, strerror(-rc));
	else if (e->ps.ntraps)
		arm_traps(e, false); /* no int3 of ours left: the program's own SIGTRAP action again */
	agent_ctl_write(t, &e->h, offsetof(struct dwt_agent, active), &off, sizeof(off));
	target_detach_all(t);
	e->tr->detached = true;
}

/* Sets SIGTRAP back to SIG_IGN in t (all threads stopped), through its
 * leader: a remote rt_sigaction (struct kernel_sigaction, 32 bytes, written
 * below the stack pointer where remote_syscall() allows arguments). */
static void sigtrap_ignore_again(struct target *t)
{
	struct thread *th = target_thread(t, t->pid);
	uint64_t act[4] = {(uint64_t)(uintptr_t)SIG_IGN, 0, 0, 0};
	struct arch_regs regs;
	uint64_t buf;
	long ret;

	if (!th || arch_regs_fetch(th->tid, &regs, false) != 0)
		return;
	buf = (arch_regs_sp(&regs) - REMOTE_ARGS_BELOW_SP / 2) & ~(uint64_t)15;
	if (target_write(t, th->tid, buf, act, sizeof(act)) != 0 ||
	    remote_syscall(t, th, 0, &ret, SYS_rt_sigaction, SIGTRAP, (long)buf, 0, 8, 0, 0) != 0 || ret != 0)
		log_warning("cannot set SIGTRAP back to ignored in %s: the agent's handler will not ignore it",
			    t->name);
}

/* Installs (on) or takes out the agent's SIGTRAP handler through a remote
 * call of dwt_arm_traps in t's leader (every thread stopped).  0 or -errno. */
static int arm_traps(struct engine *e, bool on)
{
	struct target *t = &e->p->t;
	struct thread *th = target_thread(t, t->pid);
	uint64_t result = 0;
	int rc;

	if (!th || !e->h.agent.arm_traps)
		return -ENOSYS;
	rc = remote_call(t, th, e->h.agent.arm_traps, on, &result);
	if (rc == 0 && result)
		rc = (int)(int64_t)result;
	return rc;
}

static void cleanup(struct engine *e)
{
	for (size_t i = 0; i < e->nsites; i++)
		free((char *)e->sites[i].tail_call);
	free(e->sites);
	e->sites = NULL;
	e->nsites = 0;
	free(e->entry_slot);
	free(e->exit_slot);
	free(e->emitted_before);
	e->entry_slot = e->exit_slot = NULL;
	e->emitted_before = NULL;
	u64_map_free(&e->tids);
	patch_set_free(&e->ps);
	ring_reader_close(&e->rr);
}


/* Sends the hits of this run's sites to the emitter (DWT_SITE_UST and the
 * event's slot); a site whose event could not be registered passes
 * through.  The agent is not active yet. */
static void ust_mark_sites(struct engine *e, const uint32_t *entry_slot, const uint32_t *exit_slot)
{
	struct process *p = e->p;

	for (size_t k = 0; k < e->nsites; k++) {
		struct probe_site *site = e->sites[k].site;
		struct dwt_site *ds;
		size_t j;

		if (!site || !(ds = ring_reader_ptr(&e->rr, e->h.agent.sites + k * sizeof(*ds), sizeof(*ds))))
			continue;
		for (j = 0; j < p->probes.len && p->probes.sites[j] != site; j++)
			;
		uint32_t slot = j == p->probes.len ? 0 : ds->kind == DWT_REC_EXIT ? exit_slot[j] : entry_slot[j];
		if (slot) {
			ds->ust_event = slot;
			__atomic_or_fetch(&ds->flags, DWT_SITE_UST, __ATOMIC_RELEASE);
		} else {
			__atomic_and_fetch(&ds->flags, (uint16_t)~DWT_SITE_LIVE, __ATOMIC_RELEASE);
		}
	}
}


int agent_engine_run(struct tracer *tr, struct process *p, bool traps, char **why)
{
	struct engine e = {.tr = tr, .p = p, .traps = traps};
	struct target *t = &p->t;
	bool ust = tr->ust_provider != NULL;
	unsigned ust_threads;
	uint32_t one = 1, gen;
	int rc, pidfd = -1;
	uint64_t drops, nested;
	unsigned in_use;
	size_t n;
	pid_t blocker;
	bool watched;
	uint64_t since;

	*why = NULL;
	for (size_t i = 0; i < p->probes.len; i++)
		if (!called_function(p, p->probes.sites[i]))
			p->probes.sites[i]->entry_only = true;
	if (!traps) {
		/* Decided before the agent is loaded: the ptrace engine then
		 * finds the program as it was. */
		uint64_t *busy = NULL;
		size_t nbusy = patch_busy_pcs(t, &busy);
		size_t ntraps = patch_count_traps(t, p->probes.sites, p->probes.len, busy, nbusy);

		free(busy);
		if (ntraps) {
			*why = xasprintf("%zu patch%s would be int3 traps, and a thread that blocks SIGTRAP dies of one "
					 "(--engine agent takes that risk)", ntraps, ntraps == 1 ? "" : "es");
			return 1;
		}
	}
	/* A started program that ignored SIGTRAP lost that to the trap at
	 * its entry point (target_spawn): the agent's handler must find
	 * SIG_IGN to chain to. */
	if (t->sigtrap_ignored_at_exec)
		sigtrap_ignore_again(t);
	rc = agent_load(t, &e.h, why);
	if (rc != 0)
		return 1;
	rc = ring_reader_open(&e.rr, t->pid, &e.h.agent);
	if (rc != 0) {
		*why = xasprintf("cannot map the agent's rings: %s", strerror(-rc));
		return 1;
	}
	if (ust) {
		const struct event_layout **layouts = xcalloc(p->probes.len + 1, sizeof(*layouts));

		for (size_t i = 0; i < p->probes.len; i++)
			layouts[i] = p->probes.sites[i]->layout;
		e.entry_slot = xcalloc(p->probes.len + 1, sizeof(*e.entry_slot));
		e.exit_slot = xcalloc(p->probes.len + 1, sizeof(*e.exit_slot));
		rc = ust_engine_setup(t, &e.h, &e.rr, tr->ust_provider, layouts, p->probes.len, e.entry_slot,
				      e.exit_slot, why);
		free(layouts);
		if (rc != 0) {
			cleanup(&e);
			return 1;
		}
	}
	event_stream_init(&tr->es, tr->sink, &tr->dopts);
	tr->es.stats = tr->stats;
	tr->es.no_events = tr->no_events;
	hit_clock_init(&e.clock);
	ring_reader_counts(&e.rr, &e.dropped_before, &e.nested_before, &in_use);
	e.filtered_before = ring_reader_filtered(&e.rr);
	/* Int3 patches need the agent's SIGTRAP handler before the first is
	 * written; without any, the program's own action stays. */
	if (traps && (rc = arm_traps(&e, true)) != 0) {
		*why = xasprintf("cannot install the agent's SIGTRAP handler: %s", strerror(-rc));
		cleanup(&e);
		event_stream_free(&tr->es);
		return 1;
	}
	rc = place_all(&e);
	if (traps && !e.ps.ntraps)
		arm_traps(&e, false);
	agent_ctl_read(t, &e.h);
	if (rc > 0 && e.ps.ntraps && (!traps || (blocker = sigtrap_blocker(t->pid, e.h.agent.watchdog_tid)))) {
		/* Nothing ran since: every byte goes back, the agent stays
		 * inactive, the caller may use the ptrace engine. */
		if (!traps)
			*why = xasprintf("%zu of the %zu patches would be int3 traps, and a thread that blocks SIGTRAP "
					 "dies of one (--engine agent takes that risk)",
					 e.ps.ntraps, e.ps.ntraps + e.ps.njumps);
		else
			*why = xasprintf("thread %d of %s blocks SIGTRAP, which kills it at the agent's int3 patches "
					 "(%zu of %zu)", (int)blocker, t->name, e.ps.ntraps, e.ps.ntraps + e.ps.njumps);
		patch_restore_all(&e.ps, t, &e.h.agent);
		if (traps)
			arm_traps(&e, false); /* no int3 of ours left: the program's own SIGTRAP action again */
		cleanup(&e);
		for (size_t i = 0; i < p->probes.len; i++)
			p->probes.sites[i]->placed = false;
		p->nplaced = 0;
		event_stream_free(&tr->es);
		return 1;
	}
	if (rc <= 0) {
		if (rc < 0)
			log_error("cannot write the probes into %s (pid %d): %s", t->name, (int)t->pid, strerror(-rc));
		else
			log_error("no probe could be placed in %s", t->name);
		patch_restore_all(&e.ps, t, &e.h.agent);
		cleanup(&e);
		return -1;
	}
	if (ust) {
		ust_mark_sites(&e, e.entry_slot, e.exit_slot);
		e.emitted_before = xcalloc(e.rr.nrings + 1, sizeof(*e.emitted_before));
		ring_reader_emitted(&e.rr, NULL, e.emitted_before, &ust_threads);
		ust_tick_rate(&e);
		if (tr->ust_blocking)
			ust_engine_note_blocking(t);
	} else if (tr->sink->ops->layout_added) {
		for (size_t i = 0; i < p->probes.len; i++)
			if (p->probes.sites[i]->placed)
				tr->sink->ops->layout_added(tr->sink, p->probes.sites[i]->layout);
		tr->sink->ops->flush(tr->sink);
	}
	/* The agent's clock and its reader, then live. */
	gen = e.h.agent.generation + 1;
	e.h.agent.clock = e.clock.kind;
	e.h.agent.wait_us = RING_WAIT_US;
	e.h.agent.reader_pid = getpid();
	if (agent_ctl_write(t, &e.h, offsetof(struct dwt_agent, clock), &e.h.agent.clock, sizeof(uint32_t)) ||
	    agent_ctl_write(t, &e.h, offsetof(struct dwt_agent, wait_us), &e.h.agent.wait_us, sizeof(uint32_t)) ||
	    agent_ctl_write(t, &e.h, offsetof(struct dwt_agent, reader_pid), (const void *)&e.h.agent.reader_pid, sizeof(int32_t)) ||
	    agent_ctl_write(t, &e.h, offsetof(struct dwt_agent, generation), &gen, sizeof(gen)) ||
	    agent_ctl_write(t, &e.h, offsetof(struct dwt_agent, active), &one, sizeof(one))) {
		log_error("cannot switch the agent in %s (pid %d) on", t->name, (int)t->pid);
		patch_restore_all(&e.ps, t, &e.h.agent);
		cleanup(&e);
		return -1;
	}
	tracer_adopt(tr, p);
	tr->engine_agent = true;
	log_debug("agent", "%zu probes live in %s: %zu jumps, %zu traps", p->nplaced, t->name, e.ps.njumps,
		  e.ps.ntraps);
	pidfd = pidfd_open(t->pid);
	tracer_live(tr);
	/* From here the program runs free: no ptrace stop until the end. */
	target_detach_all(t);
	watched = false;
	since = now_mono_ns();
	for (;;) {
		if (!drain(&e, &n))
			break;
		if (!watched)
			watched = watchdog_caught_up(&e, gen, since);
		if (*tr->stop_requested)
			break;
		if (process_gone(&e, pidfd)) {
			while (drain(&e, &n) && n)
				;
			break;
		}
		if (!n) {
			struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
			poll(&pfd, pidfd >= 0 ? 1 : 0, IDLE_POLL_MS);
		}
	}
	if (!t->exited && !process_gone(&e, pidfd))
		take_out(&e);
	/* What the threads wrote last, the process gone or not: the rings
	 * are shared memory (a stop requested just after the program exited
	 * lost the end of the run before). */
	while (drain(&e, &n) && n)
		;
	ring_reader_counts(&e.rr, &drops, &nested, &in_use);
	if (agent_ctl_read(t, &e.h) == 0)
		log_debug("agent", "at the end: active %u, generation %u (watched %u), no ring %" PRIu64
			  ", rings in use %u, drops %" PRIu64 ", nested %" PRIu64,
			  e.h.agent.active, e.h.agent.generation, e.h.agent.watch_generation, e.h.agent.no_ring, in_use,
			  drops, nested);
	tr->dropped = drops - e.dropped_before;
	tr->nested = nested - e.nested_before;
	tr->filtered_in_program = ring_reader_filtered(&e.rr) - e.filtered_before;
	log_debug("agent", "records read: %" PRIu64 " entries, %" PRIu64 " exits; %lu calls filtered out in the program",
		  e.entry_records, e.exit_records, tr->filtered_in_program);
	tr->corrupt = e.rr.corrupt;
	tr->threads_seen = e.tids.len;
	if (ust) {
		tr->es.events += ring_reader_emitted(&e.rr, e.emitted_before, NULL, &ust_threads);
		tr->threads_seen = ust_threads;
	}
	if (pidfd >= 0)
		close(pidfd);
	cleanup(&e);
	return 0;
}
