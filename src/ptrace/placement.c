/* Placing breakpoints with their out-of-line copies, and following the
 * libraries a process loads and unloads. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "probe_point.h"
#include "procfs.h"
#include "filter_probes.h"
#include "stack.h"
#include "tracer_internal.h"
#include "xalloc.h"

int process_mem_write(void *process, uint64_t addr, const void *buf, size_t size)
{
	struct process *p = process;
	return target_write(&p->t, p->t.pid, addr, buf, size);
}

/* Reads the executable mappings of p (/proc/PID/maps): the only memory
 * a breakpoint may go into.  A module's file can also be mapped as data
 * (a program or library that reads ELF files by mmap), and a breakpoint
 * written there would change the program's data. */
static void read_code_maps(struct process *p)
{
	struct procfs_maps it;
	struct procfs_map m;
	size_t cap = 0;

	p->ncode_maps = 0;
	if (procfs_maps_open(&it, p->t.pid) != 0)
		return;
	while (procfs_maps_next(&it, &m)) {
		if (m.perms[2] != 'x')
			continue;
		xgrow(&p->code_maps, &cap, p->ncode_maps + 1, sizeof(*p->code_maps));
		p->code_maps[p->ncode_maps++] = (struct dw_range){m.start, m.end};
	}
	procfs_maps_close(&it);
}

static bool in_code(const struct process *p, uint64_t addr)
{
	for (size_t i = 0; i < p->ncode_maps; i++)
		if (addr >= p->code_maps[i].start && addr < p->code_maps[i].end)
			return true;
	return false;
}

/* The breakpoint at addr, placed with the out-of-line copy of the
 * instruction it displaces through thread th (stopped) when there is none
 * yet.  what and where name it in messages.  Returns it, or NULL after
 * printing why it is left out. */
static struct breakpoint *place_breakpoint(struct process *p, struct thread *th, uint64_t addr, const char *what,
					   const char *where)
{
	uint8_t code[ARCH_INSN_MAX + 1], ool[ARCH_OOL_MAX];
	struct breakpoint *bp = bp_at(&p->bps, addr);
	uint64_t slot;
	size_t len;
	char err[160];
	int n, rc;

	if (bp)
		return bp;
	if (!in_code(p, addr)) {
		log_error("%s left out: %s is not in executable memory of %s (the file mapped as data?)", what, where,
			  p->t.name);
		return NULL;
	}
	n = bp_read_original(&p->bps, &p->t, addr, code, sizeof(code));
	if (n <= 0) {
		log_error("%s left out: cannot read its code at %s", what, where);
		return NULL;
	}
	rc = scratch_slot(&p->scratch, &p->t, th, addr, &slot);
	if (rc) {
		log_error("%s left out: cannot map dwtrace's scratch area near %s: %s", what, where, strerror(-rc));
		return NULL;
	}
	n = arch_relocate(code, (size_t)n, addr, slot, ool, &len, err, sizeof(err));
	if (n < 0) {
		log_error("%s left out: at %s: %s", what, where, err);
		return NULL;
	}
	rc = target_write(&p->t, th->tid, slot, ool, (size_t)n);
	if (!rc && (bp = bp_insert(&p->bps, &p->t, addr, slot, code, len, &rc)))
		return bp;
	log_error("%s left out: cannot place a breakpoint at %s: %s", what, where, strerror(-rc));
	return NULL;
}

static void site_where(const struct probe_site *site, uint64_t addr, char *buf, size_t size)
{
	const struct dw_function *f = site->fn;

	snprintf(buf, size, "%s+0x%" PRIx64, dw_module_name(f->module), f->elf_addr + (addr - f->addr));
}

/* Code of other functions that a probed function runs on in: glibc's
 * assembly shares code between functions (mempcpy sets rax and jumps into
 * memmove's body; __strcasecmp_evex falls through into
 * __strcasecmp_l_evex).  The call ends at the returns reached there, so
 * that code is decoded too, from where the function enters it, following
 * its jumps.  Bounded: a jump that would take more goes on being a tail
 * call, as it was before this. */
#define SHARED_MAX_FUNCS 8        /* other functions' code followed per probe */
#define SHARED_MAX_INSNS 16384    /* instructions decoded there per probe */
#define SHARED_MAX_SIZE (1u << 20) /* largest function followed into */

struct shared_code {
	uint64_t start, end;
	uint8_t *code;
};

/* What decoding a function's code found: the instructions that may leave
 * it, the entries of other probed functions it runs into, and whether its
 * entry is an instruction boundary. */
struct code_scan {
	struct arch_insn *exits;
	size_t n, cap;
	uint64_t *arrivals;          /* probed entries the code runs into without a jump */
	size_t narrivals, arrivals_cap;
	int entry_boundary;          /* 1 yes, 0 no, -1 not reached */
	char why[512];               /* why the code could not be decoded completely */
	/* Other functions' code followed (shared tails). */
	struct shared_code shared[SHARED_MAX_FUNCS];
	size_t nshared;
	struct u64_map seen;         /* instructions decoded there */
	size_t ninsns;
	bool shared_broken;          /* a bound was hit: no more following */
	uint64_t *work;              /* where decoding is still to start */
	size_t nwork, work_cap;
};

static void code_scan_free(struct code_scan *sc)
{
	free(sc->exits);
	free(sc->arrivals);
	for (size_t i = 0; i < sc->nshared; i++)
		free(sc->shared[i].code);
	u64_map_free(&sc->seen);
	free(sc->work);
}

static void add_exit(struct code_scan *sc, const struct arch_insn *in)
{
	xgrow(&sc->exits, &sc->cap, sc->n + 1, sizeof(*sc->exits));
	sc->exits[sc->n++] = *in;
}

static void add_arrival(struct code_scan *sc, uint64_t addr)
{
	xgrow(&sc->arrivals, &sc->arrivals_cap, sc->narrivals + 1, sizeof(*sc->arrivals));
	sc->arrivals[sc->narrivals++] = addr;
}

/* Where addr lies, seen from site's code. */
enum code_place {
	CODE_OWN,      /* site's own function */
	CODE_ENTRY,    /* another function's first instruction: getting there is a tail call */
	CODE_MIDDLE,   /* inside another function: the same call goes on there */
	CODE_UNKNOWN,  /* no function symbol with a size covers it */
};

static enum code_place code_place(struct process *p, const struct probe_site *site, uint64_t addr)
{
	const char *name;
	uint64_t start, size;

	if (probe_site_contains(site, addr))
		return CODE_OWN;
	if (!p->dw || dw_session_symbol_at(p->dw, addr, &name, &start, &size) != 0)
		return CODE_UNKNOWN;
	if (start == addr)
		return CODE_ENTRY;
	return size && addr - start < size ? CODE_MIDDLE : CODE_UNKNOWN;
}

/* Whether another probed function starts at addr. */
static bool probed_entry(struct process *p, const struct probe_site *site, uint64_t addr)
{
	const struct probe_site *other = u64_map_get(&p->probes.by_addr, addr);

	/* A probe inside a function (a source line) is no call's start. */
	return other && other != site && !probe_site_is_point(other);
}

/* The bytes of the function (as its symbol gives it) holding addr, read
 * once per scan; *avail how many from addr on.  NULL when its extent is
 * unknown or a bound is reached. */
static const uint8_t *shared_code_at(struct process *p, struct code_scan *sc, uint64_t addr, size_t *avail)
{
	struct shared_code *c = NULL;
	const char *name;
	uint64_t start, size;

	for (size_t i = 0; i < sc->nshared && !c; i++)
		if (addr >= sc->shared[i].start && addr < sc->shared[i].end)
			c = &sc->shared[i];
	if (!c) {
		if (sc->nshared == SHARED_MAX_FUNCS || !p->dw ||
		    dw_session_symbol_at(p->dw, addr, &name, &start, &size) != 0 || !size || addr - start >= size ||
		    size > SHARED_MAX_SIZE)
			return NULL;
		c = &sc->shared[sc->nshared];
		c->code = xmalloc(size);
		if (bp_read_original(&p->bps, &p->t, start, c->code, size) != (int)size) {
			free(c->code);
			return NULL;
		}
		c->start = start;
		c->end = start + size;
		sc->nshared++;
	}
	*avail = (size_t)(c->end - addr);
	return c->code + (addr - c->start);
}

/* Decodes the code site's function runs on in at addr (the middle of
 * another function, or one it runs into), and what that reaches, adding its
 * returns and the jumps leaving it to sc's exits.  Returns 0, or -1 with
 * nothing added when a bound is reached or the code cannot be decoded. */
static int follow_shared(struct process *p, struct probe_site *site, struct code_scan *sc, uint64_t addr)
{
	size_t nexits = sc->n, narrivals = sc->narrivals;
	char err[120];

	if (sc->shared_broken)
		return -1;
	sc->nwork = 0;
	xgrow(&sc->work, &sc->work_cap, 1, sizeof(*sc->work));
	sc->work[sc->nwork++] = addr;
	while (sc->nwork) {
		uint64_t pc = sc->work[--sc->nwork];

		while (!probe_site_contains(site, pc) && !u64_map_get(&sc->seen, pc)) {
			struct arch_insn in;
			const uint8_t *code;
			size_t avail;
			enum code_place to;

			code = shared_code_at(p, sc, pc, &avail);
			if (!code || ++sc->ninsns > SHARED_MAX_INSNS ||
			    arch_decode_flow(code, avail, pc, &in, err, sizeof(err)) != 0)
				goto broken;
			u64_map_put(&sc->seen, pc, (void *)1);
			if (in.flow == ARCH_FLOW_RET || in.flow == ARCH_FLOW_JMP_INDIRECT) {
				add_exit(sc, &in);
				break;
			}
			if (in.flow == ARCH_FLOW_STOP)
				break;
			if (in.flow != ARCH_FLOW_NEXT) {
				to = code_place(p, site, in.target);
				if (to == CODE_MIDDLE) {
					xgrow(&sc->work, &sc->work_cap, sc->nwork + 1, sizeof(*sc->work));
					sc->work[sc->nwork++] = in.target;
				} else if (to != CODE_OWN) {
					if (in.flow == ARCH_FLOW_JCC_OTHER)
						goto broken; /* a loop instruction leaving: nothing to probe */
					add_exit(sc, &in); /* a tail call */
				}
				if (in.flow == ARCH_FLOW_JMP)
					break;
			}
			pc += in.len;
			if (in.len < avail)
				continue;
			/* At the end of the function's code: a call there does not
			 * return (abort); anything else runs into what follows. */
			if (in.flow == ARCH_FLOW_NEXT && in.call)
				break;
			if (probed_entry(p, site, pc)) {
				add_arrival(sc, pc);
				break;
			}
			to = code_place(p, site, pc);
			if (to != CODE_ENTRY && to != CODE_MIDDLE)
				break;
		}
	}
	return 0;
broken:
	sc->n = nexits;
	sc->narrivals = narrivals;
	sc->shared_broken = true;
	return -1;
}

/* Longest range of code decoded for exits. */
#define SCAN_MAX (16u << 20)

/* A jump of site's own code (in) to outside it: a tail call when it goes to
 * a function's entry, else the call goes on in the code there. */
static void leaving_jump(struct process *p, struct probe_site *site, struct code_scan *sc, const struct arch_insn *in)
{
	char where[300];

	if (in->flow != ARCH_FLOW_JMP_INDIRECT && code_place(p, site, in->target) == CODE_MIDDLE) {
		if (follow_shared(p, site, sc, in->target) == 0)
			return;
		site_where(site, in->addr, where, sizeof(where));
		log_debug("ptrace", "probe '%s': the code its jump at %s goes on in is too large to follow: a tail "
			  "call there",
			  site->fn->name, where);
	}
	add_exit(sc, in);
}

/* The last instruction of a range of site's code (in) does not leave it:
 * the code runs on into what follows the range. */
static void runs_on(struct process *p, struct probe_site *site, struct code_scan *sc, const struct arch_insn *in)
{
	uint64_t next = in->addr + in->len;
	enum code_place to;

	if ((in->flow == ARCH_FLOW_NEXT && in->call) || in->flow == ARCH_FLOW_RET || in->flow == ARCH_FLOW_JMP ||
	    in->flow == ARCH_FLOW_JMP_INDIRECT || in->flow == ARCH_FLOW_STOP)
		return;
	/* Into another probed function: as a jump to its entry would, this
	 * call ends as a tail call to it, and that one's call starts. */
	if (probed_entry(p, site, next)) {
		add_arrival(sc, next);
		return;
	}
	to = code_place(p, site, next);
	if ((to == CODE_ENTRY || to == CODE_MIDDLE) && follow_shared(p, site, sc, next) != 0)
		log_debug("ptrace", "probe '%s': the code it runs into at 0x%" PRIx64 " is too large to follow",
			  site->fn->name, next);
}

static int scan_range(struct process *p, struct probe_site *site, const struct dw_range *r, struct code_scan *sc)
{
	size_t size = (size_t)(r->end - r->start), off = 0;
	uint8_t *code;
	char err[120], where[300];
	bool has_entry = site->addr >= r->start && site->addr < r->end;
	struct arch_insn last = {.flow = ARCH_FLOW_STOP};
	int rc = 0;

	if (size > SCAN_MAX) {
		snprintf(sc->why, sizeof(sc->why), "its code is larger than %u MiB", SCAN_MAX >> 20);
		return -1;
	}
	code = xmalloc(size);
	if (bp_read_original(&p->bps, &p->t, r->start, code, size) != (int)size) {
		site_where(site, r->start, where, sizeof(where));
		snprintf(sc->why, sizeof(sc->why), "cannot read its code at %s", where);
		free(code);
		return -1;
	}
	while (off < size) {
		struct arch_insn in;
		uint64_t pc = r->start + off;

		if (has_entry && sc->entry_boundary < 0 && pc >= site->addr)
			sc->entry_boundary = pc == site->addr;
		if (arch_decode_flow(code + off, size - off, pc, &in, err, sizeof(err)) != 0) {
			site_where(site, pc, where, sizeof(where));
			snprintf(sc->why, sizeof(sc->why), "%s at %s", err, where);
			rc = -1;
			break;
		}
		off += in.len;
		last = in;
		if ((in.flow == ARCH_FLOW_JMP || in.flow == ARCH_FLOW_JCC || in.flow == ARCH_FLOW_JCC_OTHER) &&
		    in.target == site->addr)
			site->reentered = true;
		if (in.flow == ARCH_FLOW_RET)
			add_exit(sc, &in);
		else if (in.flow == ARCH_FLOW_JMP_INDIRECT ||
			 ((in.flow == ARCH_FLOW_JMP || in.flow == ARCH_FLOW_JCC) && !probe_site_contains(site, in.target)))
			leaving_jump(p, site, sc, &in);
		else if (in.flow == ARCH_FLOW_JCC_OTHER && !probe_site_contains(site, in.target)) {
			site_where(site, pc, where, sizeof(where));
			snprintf(sc->why, sizeof(sc->why), "a loop instruction at %s leaves it", where);
			rc = -1;
			break;
		}
	}
	free(code);
	if (!rc && size && !probe_site_contains(site, r->end))
		runs_on(p, site, sc, &last);
	return rc;
}

/* Decodes every range of site's function.  Returns 0, or -1 with sc->why. */
static int scan_function(struct process *p, struct probe_site *site, struct code_scan *sc)
{
	const struct dw_function *f = site->fn;

	sc->entry_boundary = -1;
	if (!f->nranges) {
		snprintf(sc->why, sizeof(sc->why), "the extent of its code is unknown (a symbol without size)");
		return -1;
	}
	for (size_t i = 0; i < f->nranges; i++)
		if (scan_range(p, site, &f->ranges[i], sc) != 0)
			return -1;
	return 0;
}

/* Places the exit breakpoints of site.  Returns 0, or -1 after printing
 * why its exits are left out. */
static int place_exits(struct process *p, struct thread *th, struct probe_site *site, const struct code_scan *sc,
		       const char *what)
{
	char where[300];

	for (size_t i = 0; i < sc->n; i++) {
		struct breakpoint *bp;

		site_where(site, sc->exits[i].addr, where, sizeof(where));
		bp = place_breakpoint(p, th, sc->exits[i].addr, what, where);
		if (!bp)
			return -1;
		bp->flow = sc->exits[i].flow;
		bp->target = sc->exits[i].target;
		bp->cc = sc->exits[i].cc;
		bp_add_exit(bp, site);
		site->nexits++;
	}
	/* The other function's entry breakpoint, placed here when that one
	 * comes later. */
	for (size_t i = 0; i < sc->narrivals; i++) {
		struct breakpoint *bp;

		site_where(site, sc->arrivals[i], where, sizeof(where));
		bp = place_breakpoint(p, th, sc->arrivals[i], what, where);
		if (!bp)
			return -1;
		bp_add_arrival(bp, site);
		site->nexits++;
	}
	return 0;
}

#define UNDECODABLE_SHOWN 3

static void note_undecodable(struct process *p, size_t before)
{
	if (p->nundecodable > UNDECODABLE_SHOWN && before < p->nundecodable)
		log_warning("%zu more probed functions cannot be decoded completely: entry events only",
			    p->nundecodable - (before > UNDECODABLE_SHOWN ? before : UNDECODABLE_SHOWN));
}

/* A probe inside a function (probe_point.c): one breakpoint at that
 * instruction, which is checked to start one when the spec is resolved.
 * It may share the breakpoint of another probed function's exit (a `ret`):
 * the breakpoint then has both roles, and the point's event comes first. */
static int place_point(struct process *p, struct thread *th, struct probe_site *site)
{
	const struct dw_function *f = site->fn;
	struct breakpoint *bp;
	char what[300], where[300];

	snprintf(what, sizeof(what), "probe '%s+0x%" PRIx64 "'", f->name, site->addr - f->addr);
	site_where(site, site->addr, where, sizeof(where));
	bp = place_breakpoint(p, th, site->addr, what, where);
	if (!bp)
		return -1;
	if (bp->entry && bp->entry != site) {
		log_error("%s left out: %s is the entry of %s, probed already", what, where, bp->entry->fn->name);
		return -1;
	}
	bp->entry = site;
	site->placed = true;
	site->entry_only = true;
	p->nplaced++;
	return 0;
}

int place_probe(struct process *p, struct thread *th, struct probe_site *site)
{
	const struct dw_function *f = site->fn;
	struct code_scan sc = {0};
	struct breakpoint *bp;
	char what[300], where[300], start[300];
	int scanned;

	if (probe_site_is_point(site))
		return place_point(p, th, site);
	snprintf(what, sizeof(what), "probe '%s'", f->name);
	site_where(site, site->addr, where, sizeof(where));
	if (f->dwarf_start) {
		site_where(site, f->dwarf_start, start, sizeof(start));
		log_error("%s left out: its symbol says it starts at %s, its DWARF at %s (a corrupt symbol table?); "
			  "probing there could split an instruction",
			  what, where, start);
		return -1;
	}
	scanned = scan_function(p, site, &sc);
	if (sc.entry_boundary == 0) {
		log_error("%s left out: %s is not an instruction boundary of its code as decoded (a corrupt symbol "
			  "table?)",
			  what, where);
		code_scan_free(&sc);
		return -1;
	}
	bp = place_breakpoint(p, th, site->addr, what, where);
	if (!bp) {
		code_scan_free(&sc);
		return -1;
	}
	bp->entry = site;
	site->placed = true;
	p->nplaced++;
	/* Functions that are not called have no exit to wait for. */
	if (f->noreturn || f->signal_frame || f->not_called || (f->no_symbol && !f->size) ||
	    (dw_module_is_main(f->module) && f->addr == p->t.entry)) {
		log_debug("ptrace", "%s: entry events only (%s)", what,
			  f->noreturn         ? "noreturn"
			  : f->signal_frame   ? "a signal trampoline"
			  : f->not_called     ? "its call frame information says it is entered by a jump"
			  : f->no_symbol && !f->size ? "no symbol and no call frame information give its extent"
					      : "the entry point");
		site->entry_only = true;
	} else if (scanned != 0) {
		/* A glob over a large library could name many: a few, then a count. */
		if (p->nundecodable++ < UNDECODABLE_SHOWN)
			log_warning("%s: cannot decode all of its code (%s): entry events only", what, sc.why);
		site->entry_only = true;
	} else if (!sc.n && !sc.narrivals) {
		log_debug("ptrace", "%s: no instruction leaves it: entry events only", what);
		site->entry_only = true;
	} else if (place_exits(p, th, site, &sc, what) != 0) {
		log_warning("%s: entry events only", what);
		site->entry_only = true;
	} else if (sc.nshared || sc.narrivals) {
		log_debug("ptrace", "%s: %zu exits, in its code and %zu other functions' it runs on in (%zu "
			  "instructions decoded there); %zu probed entries it runs into",
			  what, sc.n, sc.nshared, sc.ninsns, sc.narrivals);
	}
	code_scan_free(&sc);
	return 0;
}

/* r_debug (glibc <link.h>): r_brk at 16, r_state at 24. */
#define R_DEBUG_BRK 16
#define R_DEBUG_STATE 24
#define RT_CONSISTENT 0

/* Whether a mapping of m's file still lies where m was loaded. */
static bool module_mapped(pid_t pid, const struct dw_module *m)
{
	struct procfs_maps it;
	struct procfs_map map;
	uint64_t start, end;
	bool found = false;

	/* The vDSO (libdwfl names it "[vdso: PID]", the maps "[vdso]") is
	 * mapped by the kernel and never unloaded: taking it for unloaded at
	 * the first dlopen would forget its breakpoints with their int3 still
	 * in its code, and the next call would die of SIGTRAP. */
	if (dw_module_path(m)[0] == '[')
		return true;
	dw_module_range(m, &start, &end);
	if (procfs_maps_open(&it, pid) != 0)
		return true;
	while (!found && procfs_maps_next(&it, &map))
		found = *map.path && map.start < end && map.end > start && !strcmp(map.path, dw_module_path(m));
	procfs_maps_close(&it);
	return found;
}

/* After the dynamic linker changed the set of libraries: probes of unloaded
 * modules are forgotten, pending probes go into new ones. */
static void libraries_changed(struct process *p, struct thread *th)
{
	size_t nmod;
	bool *mapped;

	if (dw_session_refresh(p->dw) < 0) {
		log_warning("%s", dw_session_error(p->dw));
		return;
	}
	/* Another library may now live where a symbolized one was. */
	stack_forget_symbols(p);
	read_code_maps(p);
	nmod = dw_session_nmodules(p->dw);
	mapped = xcalloc(nmod ? nmod : 1, sizeof(*mapped));
	for (size_t i = 0; i < nmod; i++)
		mapped[i] = module_mapped(p->t.pid, dw_session_module(p->dw, i));
	/* Unloads first: a library loaded where another was unloaded must not
	 * find that one's breakpoints. */
	for (size_t i = 0; i < nmod; i++) {
		struct dw_module *m = dw_session_module(p->dw, i);
		uint64_t start, end;

		if (mapped[i] || !u64_map_get(&p->live_modules, (uint64_t)(uintptr_t)m))
			continue;
		dw_module_range(m, &start, &end);
		bp_forget_range(&p->bps, start, end);
		for (size_t k = 0; k < p->probes.len; k++) {
			struct probe_site *site = p->probes.sites[k];
			if (site->placed && site->fn->module == m)
				p->nplaced--;
		}
		probe_set_drop_module(&p->probes, m);
		u64_map_del(&p->live_modules, (uint64_t)(uintptr_t)m);
		log_debug("dlopen", "%s unloaded", dw_module_path(m));
	}
	for (size_t i = 0; i < nmod; i++) {
		struct dw_module *m = dw_session_module(p->dw, i);
		size_t first = p->probes.len, before = p->nundecodable, added;

		if (!mapped[i] || u64_map_get(&p->live_modules, (uint64_t)(uintptr_t)m))
			continue;
		added = probe_set_resolve_pending(&p->probes, p->dw, m);
		u64_map_put(&p->live_modules, (uint64_t)(uintptr_t)m, (void *)1);
		log_debug("dlopen", "%s loaded: %zu new probes", dw_module_path(m), added);
		for (size_t k = first; k < p->probes.len; k++)
			if (!filter_site_refused(p->probes.sites[k]))
				place_probe(p, th, p->probes.sites[k]);
		note_undecodable(p, before);
	}
	free(mapped);
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
}

/* Watches the dynamic linker's r_brk, which it calls every time it has
 * loaded or unloaded libraries. */
static void watch_libraries(struct process *p, struct thread *th)
{
	uint64_t r_brk = 0;
	char where[64];
	struct breakpoint *bp;

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
	bp = place_breakpoint(p, th, r_brk, "watching dlopen", where);
	if (bp)
		bp->dlstate = true;
}

int arm_process(struct tracer *tr, struct process *p, struct thread *th)
{
	size_t placed = 0, before = p->nundecodable;

	read_code_maps(p);
	for (size_t i = 0; i < p->probes.len; i++)
		if (place_probe(p, th, p->probes.sites[i]) == 0)
			placed++;
	note_undecodable(p, before);
	if (!placed && !p->probes.npending) {
		log_error("no probe could be placed in %s", p->t.name);
		bp_restore_all(&p->bps, process_mem_write, p);
		return -1;
	}
	watch_libraries(p, th);
	/* Sinks that describe events up front (LTTng) do it now, off the hot path. */
	if (tr->sink->ops->layout_added) {
		for (size_t i = 0; i < p->probes.len; i++)
			if (p->probes.sites[i]->placed)
				tr->sink->ops->layout_added(tr->sink, p->probes.sites[i]->layout);
		tr->sink->ops->flush(tr->sink);
	}
	return 0;
}
