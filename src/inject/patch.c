/* Writing the agent engine's patches into a stopped process, and putting
 * the original bytes back. */
#define _GNU_SOURCE
#include "patch.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "log.h"
#include "patch_code.h"
#include "probe_point.h"
#include "procfs.h"
#include "trap_table.h"
#include "xalloc.h"

/* Room left past a stub's length as built at a trial address: at its real
 * address a jump it holds may need the long form (14 bytes, not 5). */
#define STUB_SLACK 48
/* Most single steps to bring a thread out of a stub (its save and restore
 * parts are about 40 instructions; the agent's hit is stepped over). */
#define STEP_MAX 512

/* Reads the function's code, one buffer per range.  Returns the count of
 * ranges read, 0 when one cannot be read. */
static size_t read_ranges(struct target *t, const struct dw_function *f, struct patch_range *r)
{
	for (size_t i = 0; i < f->nranges; i++) {
		size_t len = (size_t)(f->ranges[i].end - f->ranges[i].start);
		uint8_t *code = xmalloc(len ? len : 1);

		if (target_read(t, t->pid, f->ranges[i].start, code, len) != (ssize_t)len) {
			free(code);
			for (size_t k = 0; k < i; k++)
				free((void *)r[k].code);
			return 0;
		}
		r[i].start = f->ranges[i].start;
		r[i].code = code;
		r[i].len = len;
	}
	return f->nranges;
}

size_t patch_count_traps(struct target *t, struct probe_site *const *sites, size_t n, const uint64_t *busy,
			 size_t nbusy)
{
	size_t traps = 0;

	for (size_t i = 0; i < n; i++) {
		const struct dw_function *f = sites[i]->fn;
		struct patch_range *ranges = xcalloc(f->nranges + 1, sizeof(*ranges));
		size_t nr = read_ranges(t, f, ranges);
		struct patch_plan plan;
		char err[200];

		if (probe_site_is_point(sites[i])) {
			traps++; /* always a trap (patch_plan_point) */
		} else if (nr && patch_plan_function(sites[i]->addr, ranges, nr, !sites[i]->entry_only, f->open_code, busy,
					      nbusy, &plan, err, sizeof(err)) == 0) {
			for (size_t k = 0; k < plan.n; k++)
				traps += plan.points[k].kind == PATCH_TRAP;
			patch_plan_free(&plan);
		}
		for (size_t k = 0; k < nr; k++)
			free((void *)ranges[k].code);
		free(ranges);
	}
	return traps;
}

static bool point_vregs(const struct patch_point *p, const struct probe_site *site)
{
	if (!site->layout)
		return false;
	return p->rec == DWT_REC_ENTRY ? site->layout->entry_vregs : site->layout->exit_vregs;
}

/* Settles each point's kind by building its code at a trial address (the
 * point's own, as near as the real one): a jump whose instructions cannot
 * be relocated becomes a trap; a conditional exit that cannot, takes the
 * exits away.  Returns the points kept. */
static size_t settle_kinds(struct patch_plan *plan, const struct probe_site *site, uint64_t hit, size_t *lens,
			   struct patch_outcome *out)
{
	for (size_t i = 0; i < plan->n; i++) {
		struct patch_point *p = &plan->points[i];
		uint8_t code[PATCH_CODE_MAX], bytes[PATCH_MAX_BYTES];
		size_t plen;
		struct arch_stub_map map;
		char err[160];

		if (patch_point_code(p, p->start, 0, hit, point_vregs(p, site), code, sizeof(code), &lens[i], bytes,
				     &plen, &map, err, sizeof(err)) == 0)
			continue;
		if (patch_point_make_trap(p, err) != 0 ||
		    patch_point_code(p, p->start, 0, hit, false, code, sizeof(code), &lens[i], bytes, &plen, &map, err,
				     sizeof(err)) != 0) {
			if (i == 0) {
				snprintf(out->why, sizeof(out->why), "cannot copy its first instruction: %s", err);
				return 0;
			}
			plan->n = 1;
			plan->entry_only = true;
			snprintf(plan->why, sizeof(plan->why), "an exit at 0x%" PRIx64 " cannot be patched: %.120s",
				 p->site_pc, err);
			return 1;
		}
	}
	return plan->n;
}

struct pending {
	struct patch_done d;
	uint8_t patch[PATCH_MAX_BYTES];
	size_t patch_len;
};

/* Writes the function's points: code, sites, the site count, trap
 * entries, then the patch bytes.  Returns 0 or -errno. */
static int write_points(struct patch_set *ps, struct target *t, struct thread *th, struct scratch *s,
			struct dwt_agent *agent, uint64_t agent_addr, struct dwt_trap *traps,
			const struct patch_request *rq, struct patch_plan *plan, const size_t *lens,
			struct patch_outcome *out)
{
	struct pending *pend = xcalloc(plan->n, sizeof(*pend));
	struct dwt_site *sites = xcalloc(plan->n, sizeof(*sites));
	uint32_t first = agent->nsites;
	int rc = 0;

	if (agent->nsites + plan->n > agent->nsites_max) {
		snprintf(out->why, sizeof(out->why), "the agent's site table is full (%u sites)", agent->nsites_max);
		rc = -ENOSPC;
		goto out;
	}
	for (size_t i = 0; i < plan->n; i++) {
		struct patch_point *p = &plan->points[i];
		struct pending *pe = &pend[i];
		uint8_t code[PATCH_CODE_MAX + STUB_SLACK];
		size_t code_len;
		uint64_t at;
		char err[160];
		bool vregs = p->kind == PATCH_JUMP && point_vregs(p, rq->site);
		/* A trap's handler copies the vector registers from the
		 * signal's context (agent_trap.c): the site's flag asks it to. */
		bool site_vregs = point_vregs(p, rq->site);

		rc = scratch_alloc(s, t, th, p->start, lens[i] + STUB_SLACK, &at);
		if (rc) {
			snprintf(out->why, sizeof(out->why), "cannot map dwtrace's scratch area near 0x%" PRIx64 ": %s",
				 p->start, strerror(-rc));
			goto out;
		}
		if (patch_point_code(p, at, first + (uint32_t)i, agent->hit, vregs, code, sizeof(code), &code_len,
				     pe->patch, &pe->patch_len, &pe->d.map, err, sizeof(err)) != 0 ||
		    code_len > lens[i] + STUB_SLACK) {
			snprintf(out->why, sizeof(out->why), "at 0x%" PRIx64 ": %.160s", p->start, err);
			rc = -EINVAL;
			goto out;
		}
		rc = target_write(t, th->tid, at, code, code_len);
		if (rc)
			goto out;
		pe->d.start = p->start;
		pe->d.len = (uint8_t)pe->patch_len;
		memcpy(pe->d.orig, p->orig, pe->patch_len);
		pe->d.code = at;
		pe->d.site = first + (uint32_t)i;
		pe->d.trap = p->kind == PATCH_TRAP;
		sites[i].addr = p->site_pc;
		sites[i].resume = p->kind == PATCH_TRAP ? at : 0;
		sites[i].layout = rq->site->layout ? rq->site->layout->id : 0;
		sites[i].kind = p->rec;
		sites[i].flags = (uint16_t)(DWT_SITE_LIVE | (p->kind == PATCH_TRAP ? DWT_SITE_TRAP : 0) |
					    (site_vregs ? DWT_SITE_VREGS : 0));
		sites[i].prog = p->rec == DWT_REC_ENTRY ? rq->entry_prog : rq->exit_prog;
		sites[i].nops = p->rec == DWT_REC_ENTRY ? rq->entry_nops : rq->exit_nops;
		if (rq->filter_size) {
			sites[i].flags |= DWT_SITE_FILTER;
			if (p->rec == DWT_REC_ENTRY) {
				sites[i].flags |= rq->filter_regs ? DWT_SITE_FILTER_REGS : 0;
				sites[i].filter = rq->filter;
				sites[i].filter_nops = rq->filter_nops;
				sites[i].filter_size = rq->filter_size;
			}
		}
		sites[i].patch_addr = p->start;
		sites[i].patch_len = (uint8_t)pe->patch_len;
		memcpy(sites[i].orig, p->orig, pe->patch_len);
	}
	rc = target_write(t, th->tid, agent->sites + (uint64_t)first * sizeof(*sites), sites, plan->n * sizeof(*sites));
	if (rc)
		goto out;
	agent->nsites = first + (uint32_t)plan->n;
	rc = target_write(t, th->tid, agent_addr + offsetof(struct dwt_agent, nsites), &agent->nsites,
			  sizeof(agent->nsites));
	if (rc)
		goto out;
	for (size_t i = 0; i < plan->n; i++) {
		int64_t slot;

		if (!pend[i].d.trap)
			continue;
		slot = agent->traps && agent->ntraps_max ? dwt_trap_slot(traps, agent->ntraps_max, sites[i].addr) : -1;
		if (slot < 0) {
			snprintf(out->why, sizeof(out->why), "the agent's trap table is full");
			rc = -ENOSPC;
			goto out;
		}
		traps[slot].addr = sites[i].addr;
		traps[slot].site = pend[i].d.site + 1;
		rc = target_write(t, th->tid, agent->traps + (uint64_t)slot * sizeof(*traps), &traps[slot],
				  sizeof(traps[slot]));
		if (rc)
			goto out;
	}
	/* Last, the patches: until here nothing the program runs has changed. */
	for (size_t i = 0; i < plan->n; i++) {
		rc = target_write(t, th->tid, pend[i].d.start, pend[i].patch, pend[i].patch_len);
		if (rc) {
			/* Put back those written; their sites stay, unreached. */
			for (size_t k = 0; k < i; k++)
				target_write(t, th->tid, pend[k].d.start, pend[k].d.orig, pend[k].d.len);
			goto out;
		}
	}
	for (size_t i = 0; i < plan->n; i++) {
		xgrow(&ps->done, &ps->cap, ps->n + 1, sizeof(*ps->done));
		ps->done[ps->n++] = pend[i].d;
		if (pend[i].d.trap)
			out->ntraps++;
		else
			out->njumps++;
	}
out:
	free(pend);
	free(sites);
	return rc;
}

/* The patch of ps whose bytes overlap [start, start + len), or NULL. */
static const struct patch_done *overlapping(const struct patch_set *ps, uint64_t start, size_t len)
{
	for (size_t i = 0; i < ps->n; i++)
		if (!ps->done[i].restored && start < ps->done[i].start + ps->done[i].len &&
		    ps->done[i].start < start + len)
			return &ps->done[i];
	return NULL;
}

/* Whether a point of plan overlaps a patch made already (say which in o):
 * two patches over one instruction would corrupt it. */
static bool plan_collides(const struct patch_set *ps, const struct patch_plan *plan, struct patch_outcome *o)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct patch_done *d = overlapping(ps, plan->points[i].start, plan->points[i].len);
		if (d) {
			snprintf(o->why, sizeof(o->why),
				 "its instruction at 0x%" PRIx64 " is patched already for another probe (at 0x%" PRIx64
				 "): one patch per instruction; the ptrace engine (--engine ptrace) can place both",
				 plan->points[i].start, d->start);
			return true;
		}
	}
	return false;
}

/* The busy pcs, plus the probes inside functions among req and the
 * patches made already: no jump patch may cover one past its first byte. */
static uint64_t *busy_with_points(const struct patch_set *ps, const struct patch_request *req, size_t nreq,
				  const uint64_t *busy, size_t nbusy, size_t *n)
{
	uint64_t *all = xcalloc(nbusy + nreq + ps->n + 1, sizeof(*all));

	memcpy(all, busy, nbusy * sizeof(*busy));
	*n = nbusy;
	for (size_t i = 0; i < nreq; i++)
		if (probe_site_is_point(req[i].site))
			all[(*n)++] = req[i].site->addr;
	for (size_t i = 0; i < ps->n; i++)
		if (!ps->done[i].restored)
			all[(*n)++] = ps->done[i].start;
	return all;
}

int patch_apply(struct patch_set *ps, struct target *t, struct thread *th, struct scratch *s, struct dwt_agent *agent,
		uint64_t agent_addr, const struct patch_request *req, size_t nreq, const uint64_t *busy0, size_t nbusy0,
		struct patch_outcome *out)
{
	size_t ntab = agent->ntraps_max, patched = 0, nbusy;
	struct dwt_trap *traps = xcalloc(ntab ? ntab : 1, sizeof(*traps));
	uint64_t *busy = busy_with_points(ps, req, nreq, busy0, nbusy0, &nbusy);
	int fatal = 0;

	if (ntab && target_read(t, t->pid, agent->traps, traps, ntab * sizeof(*traps)) !=
			    (ssize_t)(ntab * sizeof(*traps))) {
		free(traps);
		free(busy);
		return -EFAULT;
	}
	/* Functions first, then the probes inside them: where both want one
	 * instruction (a point at a ret), the function keeps its exit. */
	for (size_t k = 0; k < 2 * nreq; k++) {
		size_t r = k % nreq;
		const struct probe_site *site = req[r].site;
		struct patch_range *ranges = xcalloc(site->fn->nranges ? site->fn->nranges : 1, sizeof(*ranges));
		struct patch_outcome *o = &out[r];
		struct patch_plan plan = {0};
		size_t nr, *lens = NULL;
		char err[200];

		if (probe_site_is_point(site) != (k >= nreq)) {
			free(ranges);
			continue;
		}
		memset(o, 0, sizeof(*o));
		nr = read_ranges(t, site->fn, ranges);
		if (!site->fn->nranges)
			snprintf(o->why, sizeof(o->why), "the extent of its code is unknown (a symbol without size)");
		else if (!nr)
			snprintf(o->why, sizeof(o->why), "cannot read its code");
		else if (probe_site_is_point(site) ? patch_plan_point(site->addr, ranges, nr, &plan, err, sizeof(err)) != 0
			 : patch_plan_function(site->addr, ranges, nr, !site->entry_only, site->fn->open_code, busy,
					       nbusy, &plan, err, sizeof(err)) != 0)
			snprintf(o->why, sizeof(o->why), "%s", err);
		else if (!plan_collides(ps, &plan, o)) {
			lens = xcalloc(plan.n, sizeof(*lens));
			if (settle_kinds(&plan, site, agent->hit, lens, o)) {
				int rc = write_points(ps, t, th, s, agent, agent_addr, traps, &req[r], &plan, lens, o);
				if (!rc) {
					o->patched = true;
					o->entry_only = plan.entry_only;
					patched++;
					ps->njumps += o->njumps;
					ps->ntraps += o->ntraps;
					ps->nentry_only += plan.entry_only;
					if (plan.entry_only)
						snprintf(o->why, sizeof(o->why), "entry events only: %s", plan.why);
					else if (plan.points[0].kind == PATCH_TRAP)
						snprintf(o->why, sizeof(o->why), "its entry is a trap: %s",
							 plan.points[0].why);
				} else if (rc == -ESRCH || rc == -EIO) {
					fatal = rc;
				}
			}
		}
		for (size_t i = 0; i < nr; i++)
			free((void *)ranges[i].code);
		free(ranges);
		free(lens);
		patch_plan_free(&plan);
		if (fatal)
			break;
	}
	free(traps);
	free(busy);
	return fatal && !patched ? fatal : (int)patched;
}

struct tids {
	pid_t *v;
	size_t n, cap;
};

static void collect_tid(uint64_t key, void *value, void *arg)
{
	struct tids *ts = arg;

	(void)value;
	xgrow(&ts->v, &ts->cap, ts->n + 1, sizeof(*ts->v));
	ts->v[ts->n++] = (pid_t)key;
}

/* The patch whose stub or copy holds pc, or NULL. */
static const struct patch_done *code_at(const struct patch_set *ps, uint64_t pc)
{
	for (size_t i = 0; i < ps->n; i++)
		if (pc >= ps->done[i].code && pc < ps->done[i].code + ps->done[i].map.len)
			return &ps->done[i];
	return NULL;
}

/* Moves thread tid (stopped) out of the stub or copy its pc is in: to the
 * original instruction it stands for, stepping to one when it is between.
 * Returns 0, or -errno (-ETIMEDOUT past STEP_MAX steps). */
static ssize_t read_mem(void *ctx, uint64_t addr, void *buf, size_t size)
{
	struct target *t = ctx;
	return target_read(t, t->pid, addr, buf, size);
}

static int move_out(const struct patch_set *ps, struct target *t, struct thread *th)
{
	for (int step = 0; step < STEP_MAX; step++) {
		struct arch_regs r;
		const struct patch_done *d;
		uint64_t pc;
		int status, left;

		if (arch_regs_fetch(th->tid, &r, false) != 0)
			return -ESRCH;
		pc = arch_regs_pc(&r);
		d = code_at(ps, pc);
		if (!d)
			return 0; /* left it: back in original code, or in the agent */
		log_debug("patch", "thread %d at +0x%" PRIx64 " of the code of 0x%" PRIx64 " (step %d)", (int)th->tid,
			  pc - d->code, d->start, step);
		left = arch_stub_leave(&d->map, d->code, (uint32_t)(pc - d->code), &r, read_mem, t);
		if (left < 0)
			return -EFAULT;
		if (left || arch_regs_pc(&r) != pc) {
			if (arch_regs_store(th->tid, &r) != 0)
				return -ESRCH;
			if (!code_at(ps, arch_regs_pc(&r)))
				return 0;
			continue;
		}
		if (ptrace(PTRACE_SINGLESTEP, th->tid, NULL, NULL) != 0 || wait_task(th->tid, &status, __WALL) != th->tid)
			return -ESRCH;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return -ESRCH;
		/* A signal for the thread: kept for when it goes on. */
		if (WIFSTOPPED(status) && WSTOPSIG(status) != SIGTRAP && status >> 16 == 0 && !th->pending_signal)
			th->pending_signal = WSTOPSIG(status);
	}
	return -ETIMEDOUT;
}

/* Thread th (stopped) ran one of ps's int3 traps and its SIGTRAP waits
 * for delivery (th->pending_signal, from the stop that attached to it):
 * with the original bytes back, the signal would reach the program's
 * SIGTRAP action (death, by default) once the agent's handler is out.  A
 * debugger taking out a breakpoint does what is done here: the pc goes
 * back onto the instruction, which runs as if never trapped, and the
 * signal is dropped. */
static bool after_trap(const struct patch_set *ps, uint64_t pc)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->done[i].trap && ps->done[i].start + ARCH_BREAKPOINT_PC_ADVANCE == pc)
			return true;
	return false;
}

/* Whether SIGTRAP is queued for thread tid of pid, not delivered yet
 * (/proc/PID/task/TID/status, SigPnd: the thread's own pending signals). */
static bool sigtrap_queued(pid_t pid, pid_t tid)
{
	char buf[4096], *line;
	unsigned long long mask;

	if (procfs_read(pid, tid, "status", buf, sizeof(buf)) < 0 || !(line = strstr(buf, "\nSigPnd:")))
		return false;
	return sscanf(line + 8, "%llx", &mask) == 1 && (mask & (1ull << (SIGTRAP - 1)));
}

static void unwind_pending_trap(const struct patch_set *ps, struct target *t, struct thread *th)
{
	struct arch_regs r;
	siginfo_t si;
	uint64_t at;
	int status;

	if (arch_regs_fetch(th->tid, &r, false) != 0 || !after_trap(ps, arch_regs_pc(&r)))
		return;
	/* Stopped by the attach between the int3 and the delivery of its
	 * SIGTRAP: let the kernel deliver it, which a traced thread reports
	 * as a signal-delivery stop before it runs any instruction (SIGTRAP
	 * is a synchronous signal, dequeued first). */
	if (!th->pending_signal && sigtrap_queued(t->pid, th->tid)) {
		if (ptrace(PTRACE_CONT, th->tid, NULL, NULL) != 0 || wait_task(th->tid, &status, __WALL) != th->tid ||
		    !WIFSTOPPED(status))
			return;
		if (status >> 16 == 0)
			th->pending_signal = WSTOPSIG(status);
		if (arch_regs_fetch(th->tid, &r, false) != 0)
			return;
	}
	if (th->pending_signal != SIGTRAP || ptrace(PTRACE_GETSIGINFO, th->tid, NULL, &si) != 0 ||
	    si.si_code != SI_KERNEL)
		return;
	at = arch_regs_pc(&r) - ARCH_BREAKPOINT_PC_ADVANCE;
	for (size_t i = 0; i < ps->n; i++) {
		if (!ps->done[i].trap || ps->done[i].start != at)
			continue;
		arch_regs_set_pc(&r, at);
		if (arch_regs_store(th->tid, &r) == 0) {
			th->pending_signal = 0;
			log_debug("patch", "thread %d: its SIGTRAP from the trap at 0x%" PRIx64 " is dropped, the "
				  "instruction runs again", (int)th->tid, at);
		}
		return;
	}
}

int patch_restore_all(struct patch_set *ps, struct target *t, const struct dwt_agent *agent)
{
	struct tids ts = {0};
	int first_rc = 0;

	for (size_t i = 0; i < ps->n; i++) {
		uint64_t at = agent->sites + (uint64_t)ps->done[i].site * sizeof(struct dwt_site) +
			      offsetof(struct dwt_site, flags);
		uint16_t flags;

		if (ps->done[i].restored)
			continue;
		if (target_read(t, t->pid, at, &flags, sizeof(flags)) == (ssize_t)sizeof(flags)) {
			flags &= (uint16_t)~DWT_SITE_LIVE;
			target_write(t, t->pid, at, &flags, sizeof(flags));
		}
	}
	for (size_t i = 0; i < ps->n; i++) {
		int rc;

		if (ps->done[i].restored)
			continue;
		rc = target_write(t, t->pid, ps->done[i].start, ps->done[i].orig, ps->done[i].len);
		if (rc && !first_rc)
			first_rc = rc;
		ps->done[i].restored = !rc;
	}
	u64_map_each(&t->threads, collect_tid, &ts);
	for (size_t i = 0; i < ts.n; i++) {
		struct thread *th = target_thread(t, ts.v[i]);
		int rc;

		if (th)
			unwind_pending_trap(ps, t, th);
		rc = th ? move_out(ps, t, th) : 0;

		if (rc && rc != -ESRCH && !first_rc)
			first_rc = rc;
	}
	free(ts.v);
	return first_rc;
}

int patch_adopt(struct patch_set *ps, struct target *t, const struct dwt_agent *agent)
{
	size_t n = agent->nsites, adopted = 0;
	struct dwt_site *sites;

	if (!n || !agent->sites)
		return 0;
	if (n > agent->nsites_max)
		return -EINVAL;
	sites = xcalloc(n, sizeof(*sites));
	if (target_read(t, t->pid, agent->sites, sites, n * sizeof(*sites)) != (ssize_t)(n * sizeof(*sites))) {
		free(sites);
		return -EFAULT;
	}
	for (size_t i = 0; i < n; i++) {
		struct dwt_site *st = &sites[i];
		uint8_t now[sizeof(st->orig)];
		struct patch_done d = {0};
		bool known = false;

		if (!st->patch_len || st->patch_len > sizeof(st->orig) ||
		    target_read(t, t->pid, st->patch_addr, now, st->patch_len) != (ssize_t)st->patch_len)
			continue;
		/* Still patched: the bytes are not the original ones, and they
		 * are what dwtrace writes (a trap, or a jump). */
		if (!memcmp(now, st->orig, st->patch_len) ||
		    now[0] != (st->flags & DWT_SITE_TRAP ? ARCH_BREAKPOINT_BYTE : 0xe9))
			continue;
		for (size_t k = 0; k < ps->n; k++)
			known |= ps->done[k].start == st->patch_addr && !ps->done[k].restored;
		if (known)
			continue;
		/* No map of its stub: a thread in it runs on to original code. */
		d.start = st->patch_addr;
		d.len = st->patch_len;
		memcpy(d.orig, st->orig, st->patch_len);
		d.site = (uint32_t)i;
		d.trap = (st->flags & DWT_SITE_TRAP) != 0;
		xgrow(&ps->done, &ps->cap, ps->n + 1, sizeof(*ps->done));
		ps->done[ps->n++] = d;
		adopted++;
	}
	free(sites);
	return (int)adopted;
}

void patch_set_free(struct patch_set *ps)
{
	free(ps->done);
	memset(ps, 0, sizeof(*ps));
}
