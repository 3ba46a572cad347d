/* Placing breakpoints with their out-of-line copies, and following the
 * libraries a process loads and unloads. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stack.h"
#include "tracer_internal.h"

int process_mem_write(void *process, uint64_t addr, const void *buf, size_t size)
{
	struct process *p = process;
	return target_write(&p->t, p->t.pid, addr, buf, size);
}

/* Places a breakpoint of kind at addr, with the out-of-line copy of the
 * instruction it displaces, through thread th (stopped).  what and where
 * name it in messages.  Returns 0, or -1 after printing why it is left out. */
static int place_breakpoint(struct process *p, struct thread *th, uint64_t addr, enum breakpoint_kind kind,
			    struct probe_site *site, const char *what, const char *where)
{
	uint8_t code[ARCH_INSN_MAX + 1], ool[ARCH_OOL_MAX];
	uint64_t slot;
	size_t len;
	char err[160];
	int n, rc;

	n = bp_read_original(&p->bps, &p->t, addr, code, sizeof(code));
	if (n <= 0) {
		log_error("%s left out: cannot read its code at %s", what, where);
		return -1;
	}
	rc = scratch_slot(&p->scratch, &p->t, th, addr, &slot);
	if (rc) {
		log_error("%s left out: cannot map dwtrace's scratch area near %s: %s", what, where, strerror(-rc));
		return -1;
	}
	n = arch_relocate(code, (size_t)n, addr, slot, ool, &len, err, sizeof(err));
	if (n < 0) {
		log_error("%s left out: at %s: %s", what, where, err);
		return -1;
	}
	rc = target_write(&p->t, th->tid, slot, ool, (size_t)n);
	if (!rc)
		rc = bp_insert(&p->bps, &p->t, addr, kind, site, slot);
	if (!rc)
		bp_at(&p->bps, addr)->insn_len = (uint8_t)len;
	if (rc) {
		log_error("%s left out: cannot place a breakpoint at %s: %s", what, where, strerror(-rc));
		return -1;
	}
	return 0;
}

static int place_probe(struct process *p, struct thread *th, struct probe_site *site)
{
	char what[300], where[300];

	snprintf(what, sizeof(what), "probe '%s'", site->fn->name);
	snprintf(where, sizeof(where), "%s+0x%" PRIx64, dw_module_name(site->fn->module),
		 site->fn->elf_addr + (site->addr - site->fn->addr));
	if (place_breakpoint(p, th, site->addr, BP_PROBE, site, what, where) != 0)
		return -1;
	site->placed = true;
	p->nplaced++;
	return 0;
}

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
static void libraries_changed(struct process *p, struct thread *th)
{
	size_t nmod;

	if (dw_session_refresh(p->dw) < 0) {
		log_warning("%s", dw_session_error(p->dw));
		return;
	}
	/* Another library may now live where a symbolized one was. */
	stack_forget_symbols(p);
	nmod = dw_session_nmodules(p->dw);
	for (size_t i = 0; i < nmod; i++) {
		struct dw_module *m = dw_session_module(p->dw, i);
		bool live = u64_map_get(&p->live_modules, (uint64_t)(uintptr_t)m) != NULL;
		bool mapped = module_mapped(p->t.pid, m);

		if (live && !mapped) {
			for (size_t k = 0; k < p->probes.len; k++) {
				struct probe_site *site = p->probes.sites[k];
				if (site->placed && site->fn->module == m) {
					bp_forget(&p->bps, site->addr);
					p->nplaced--;
				}
			}
			probe_set_drop_module(&p->probes, m);
			u64_map_del(&p->live_modules, (uint64_t)(uintptr_t)m);
			log_debug("dlopen", "%s unloaded", dw_module_path(m));
		} else if (!live && mapped) {
			size_t first = p->probes.len;
			size_t added = probe_set_resolve_pending(&p->probes, p->dw, m);
			u64_map_put(&p->live_modules, (uint64_t)(uintptr_t)m, (void *)1);
			log_debug("dlopen", "%s loaded: %zu new probes", dw_module_path(m), added);
			for (size_t k = first; k < p->probes.len; k++)
				place_probe(p, th, p->probes.sites[k]);
		}
	}
}

void on_dlstate(struct tracer *tr, struct event *ev)
{
	struct thread *th = ev->th;
	struct process *p = th->proc;
	int32_t state = -1;

	if (target_read(&p->t, th->tid, p->r_debug + R_DEBUG_STATE, &state, sizeof(state)) ==
		    (ssize_t)sizeof(state) &&
	    state == RT_CONSISTENT)
		libraries_changed(p, th);
	arch_regs_set_pc(&ev->regs, ev->bp->ool);
	if (arch_regs_store(th->tid, &ev->regs) == 0)
		resume_thread(th);
}

/* Watches the dynamic linker's r_brk, which it calls every time it has
 * loaded or unloaded libraries. */
static void watch_libraries(struct process *p, struct thread *th)
{
	uint64_t r_brk = 0;
	char where[64];

	for (size_t i = 0; i < dw_session_nmodules(p->dw); i++)
		u64_map_put(&p->live_modules, (uint64_t)(uintptr_t)dw_session_module(p->dw, i), (void *)1);
	if (dw_session_find_symbol(p->dw, NULL, "_r_debug", &p->r_debug) != 0 ||
	    target_read(&p->t, th->tid, p->r_debug + R_DEBUG_BRK, &r_brk, sizeof(r_brk)) != (ssize_t)sizeof(r_brk) ||
	    !r_brk) {
		if (p->probes.npending)
			log_warning("cannot find the dynamic linker's r_debug in %s: pending probes stay pending",
				    p->t.name);
		p->r_debug = 0;
		return;
	}
	snprintf(where, sizeof(where), "0x%" PRIx64, r_brk);
	place_breakpoint(p, th, r_brk, BP_DLSTATE, NULL, "watching dlopen", where);
}

int arm_process(struct tracer *tr, struct process *p, struct thread *th)
{
	size_t placed = 0;

	for (size_t i = 0; i < p->probes.len; i++)
		if (place_probe(p, th, p->probes.sites[i]) == 0)
			placed++;
	if (!placed && !p->probes.npending) {
		log_error("no probe could be placed in %s", p->t.name);
		bp_restore_all(&p->bps, process_mem_write, p);
		return -1;
	}
	watch_libraries(p, th);
	if (!p->scratch.trampoline) {
		log_error("cannot map dwtrace's scratch area in %s", p->t.name);
		bp_restore_all(&p->bps, process_mem_write, p);
		return -1;
	}
	p->trampoline = p->scratch.trampoline;
	if (bp_insert(&p->bps, &p->t, p->trampoline, BP_RETURN, NULL, 0) != 0) {
		log_error("cannot place the return trampoline in %s", p->t.name);
		bp_restore_all(&p->bps, process_mem_write, p);
		return -1;
	}
	/* Sinks that describe events up front (LTTng) do it now, off the hot path. */
	if (tr->sink->ops->layout_added) {
		for (size_t i = 0; i < p->probes.len; i++)
			if (p->probes.sites[i]->placed)
				tr->sink->ops->layout_added(tr->sink, p->probes.sites[i]->layout);
		tr->sink->ops->flush(tr->sink);
	}
	return 0;
}
