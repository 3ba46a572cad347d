/* Entry and exit events: decoding a hit into an event for the sinks, and
 * the calls in flight that exits are matched against (per thread, or per
 * goroutine in Go code). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture_prog.h"
#include "capture_run.h"
#include "ifunc_late.h"
#include "record.h"
#include "record_events.h"
#include "stack.h"
#include "tracer_internal.h"
#include "xalloc.h"

/* Live memory, for what is not decode: PLT slots, indirect jump targets. */
struct live {
	struct target *t;
	pid_t tid;
};

static ssize_t live_mem(void *ctx, uint64_t addr, void *buf, size_t size)
{
	struct live *c = ctx;
	return target_read(c->t, c->tid, addr, buf, size);
}

/* capture_run()'s reader: one page at a time, so that a range running
 * into an unmapped page gives the bytes before it (decode's strings stop
 * there, as they would in memory). */
static long capture_read(void *ctx, uint64_t addr, void *buf, uint32_t len, int stack)
{
	struct live *c = ctx;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint32_t done = 0;

	while (done < len) {
		uint64_t a = addr + done;
		uint32_t chunk = (uint32_t)(page - (a & (page - 1)));
		ssize_t n;

		if (chunk > len - done)
			chunk = len - done;
		n = target_read(c->t, c->tid, a, (uint8_t *)buf + done, chunk);
		if (n <= 0)
			break;
		done += (uint32_t)n;
		if ((uint32_t)n < chunk)
			break;
	}
	return done || !len ? (long)done : -1;
}

/* One record at a time: the tracer handles one hit at a time. */
static uint8_t record_buf[DWT_MAX_RECORD] __attribute__((aligned(8)));

/* The record of a hit of site (kind DWT_REC_ENTRY or DWT_REC_EXIT) at pc
 * by th, whose registers are regs, at ts (CLOCK_MONOTONIC ns): the
 * site's capture program run over the stopped thread's memory, as the
 * agent runs it in the program.  Fetches the vector registers into regs
 * when the program needs them.  Returns 0, or -1 (not expected: a
 * program is compiled to fit) with *r empty. */
static int hit_record(struct tracer *tr, struct thread *th, struct probe_site *site, struct arch_regs *regs,
		      uint16_t kind, uint64_t pc, uint64_t ts, struct capture_record *r)
{
	struct capture_prog prog;
	struct live live = {&th->proc->t, th->tid};
	struct capture_mem mem = {&live, capture_read};
	struct dwt_rec_hdr h = {.kind = kind, .tid = (uint32_t)th->tid, .ts = ts};
	uint32_t at = sizeof(h), n;

	capture_prog_compile(&prog, site->layout, kind == DWT_REC_EXIT, &tr->es.dopts, site->go);
	if (prog.vregs && !regs->have_fp)
		arch_regs_fetch(th->tid, regs, true);
	if (arch_regs_to_record(regs, &h.regs, (struct dwt_vregs *)(record_buf + at))) {
		h.flags |= DWT_REC_VREGS;
		at += sizeof(struct dwt_vregs);
	}
	h.regs.gpr[DWT_DW_PC] = pc;
	n = capture_run(prog.ops, prog.nops, &h.regs, &mem, record_buf + at, sizeof(record_buf) - at);
	h.size = at + n;
	memcpy(record_buf, &h, sizeof(h));
	if ((prog.nops && !n) || record_parse(record_buf, h.size, (int)prog.nops, r) != 0) {
		memset(r, 0, sizeof(*r));
		return -1;
	}
	r->pid = th->tgid;
	r->go_stack_hi_op = prog.go_stack_hi_op;
	return 0;
}

void call_entry(struct tracer *tr, struct event *ev, struct probe_site *site)
{
	struct thread *th = ev->th;
	const struct stack_trace *stack;
	struct capture_record r;

	if (hit_record(tr, th, site, &ev->regs, DWT_REC_ENTRY, ev->bp->addr, now_mono_ns(), &r) != 0)
		return;
	if (event_stream_reentry(&tr->es, site, &r))
		return;
	site->hits++;
	stack = stack_capture(th->proc, th, &ev->regs, ev->bp->addr, tr->stack_depth, &tr->es.arena);
	event_stream_record(&tr->es, site, &r, stack, NULL);
}

/* The function symbol at addr as "g" or "g+0x10", in the arena; NULL when
 * no symbol covers it. */
static const char *symbol_name(struct tracer *tr, struct process *p, uint64_t addr)
{
	const char *name, *at;
	uint64_t start, size;
	size_t n;
	char *buf;

	if (!p->dw || dw_session_symbol_at(p->dw, addr, &name, &start, &size) != 0)
		return NULL;
	at = strchr(name, '@');
	n = strlen(name) + 24;
	buf = arena_alloc(&tr->es.arena, n);
	if (addr == start)
		snprintf(buf, n, "%.*s", at ? (int)(at - name) : (int)strlen(name), name);
	else
		snprintf(buf, n, "%.*s+0x%" PRIx64, at ? (int)(at - name) : (int)strlen(name), name, addr - start);
	return buf;
}

/* What a jump to addr calls: the function there, or the one a PLT entry
 * there jumps to through its GOT slot; "0x7f…" when neither is known. */
static const char *code_name(struct tracer *tr, struct thread *th, const struct arch_regs *regs, uint64_t addr)
{
	struct live cap = {&th->proc->t, th->tid};
	const char *name = symbol_name(tr, th->proc, addr);
	uint8_t code[2 * ARCH_INSN_MAX];
	uint64_t pc = addr, to;
	char *buf, err[64];

	for (int i = 0; !name && i < 2; i++) {
		/* A PLT entry: [endbr64;] jmp *GOT(%rip) (.plt.sec or .plt). */
		struct arch_insn in;
		ssize_t n = bp_read_original(&th->proc->bps, &th->proc->t, pc, code, sizeof(code));
		if (n <= 0 || arch_decode_flow(code, (size_t)n, pc, &in, err, sizeof(err)) != 0)
			break;
		if (in.flow == ARCH_FLOW_JMP_INDIRECT) {
			uint64_t slot;
			if (arch_indirect_target(code, in.len, pc, regs, live_mem, &cap, &to, &slot) == 0 &&
			    !(slot && th->proc->dw && dw_session_got_name(th->proc->dw, slot, &name) == 0))
				name = symbol_name(tr, th->proc, to);
			break;
		}
		pc += in.len;
	}
	if (name)
		return name;
	buf = arena_alloc(&tr->es.arena, 24);
	snprintf(buf, 24, "0x%" PRIx64, addr);
	return buf;
}

/* Whether a call of one of sites (n) is in flight on th with its entry's
 * stack pointer where regs have it: an exit placed in code other functions
 * share (memmove's body, which mempcpy jumps into) is hit by those
 * functions' own calls too, and must cost them no more than this. */
static bool frame_here(struct tracer *tr, struct event *ev, struct probe_site **sites, size_t n, uint64_t ts)
{
	for (size_t i = 0; i < n; i++) {
		struct capture_record r;

		if (sites[i]->entry_only)
			continue;
		if (hit_record(tr, ev->th, sites[i], &ev->regs, DWT_REC_EXIT, ev->bp->addr, ts, &r) == 0 &&
		    event_stream_in_flight(&tr->es, sites[i], &r))
			return true;
	}
	return false;
}

void call_arrivals(struct tracer *tr, struct event *ev)
{
	struct thread *th = ev->th;
	struct breakpoint *bp = ev->bp;
	uint64_t ts = now_mono_ns();

	if (!frame_here(tr, ev, bp->arrivals, bp->narrivals, ts))
		return;
	for (size_t i = 0; i < bp->narrivals; i++) {
		struct probe_site *site = bp->arrivals[i];
		struct capture_record r;
		const char *name;

		if (site->entry_only || hit_record(tr, th, site, &ev->regs, DWT_REC_EXIT, bp->addr, ts, &r) != 0)
			continue;
		/* Named as the probe there names it, as its entry event will be. */
		name = bp->entry ? bp->entry->fn->name : code_name(tr, th, &ev->regs, bp->addr);
		if (event_stream_record(&tr->es, site, &r, NULL, name))
			i = (size_t)-1; /* the next call at the top may be another's */
		else
			arena_reset(&tr->es.arena);
	}
}

/* An instruction that may leave probed functions: a return, or a jump
 * whose target lies outside a function (a tail call).  Each function whose
 * call in flight has its entry's stack pointer here is left now. */
void call_exits(struct tracer *tr, struct event *ev)
{
	struct thread *th = ev->th;
	struct breakpoint *bp = ev->bp;
	struct live cap = {&th->proc->t, th->tid};
	uint64_t target = 0, ts = now_mono_ns();
	bool tail = bp->flow != ARCH_FLOW_RET;

	if (!frame_here(tr, ev, bp->exits, bp->nexits, ts))
		return;
	if (bp->flow == ARCH_FLOW_JMP || bp->flow == ARCH_FLOW_JCC) {
		if (bp->flow == ARCH_FLOW_JCC && !arch_jcc_taken(bp->cc, &ev->regs))
			return;
		target = bp->target;
	} else if (bp->flow == ARCH_FLOW_JMP_INDIRECT &&
		   arch_indirect_target(bp->insn, bp->insn_len, bp->addr, &ev->regs, live_mem, &cap,
					&target, NULL) != 0) {
		return;
	}
	/* Innermost first: when the instruction ends several calls at this
	 * stack pointer (one function jumped into another's entry), each is
	 * emitted as it comes to the top. */
	for (size_t i = 0; i < bp->nexits; i++) {
		struct probe_site *site = bp->exits[i];
		struct capture_record r;
		const char *name = NULL;

		if (site->entry_only || (tail && probe_site_contains(site, target)))
			continue;
		if (hit_record(tr, th, site, &ev->regs, DWT_REC_EXIT, bp->addr, ts, &r) != 0)
			continue;
		if (tail && !site->ifunc_resolver && event_stream_in_flight(&tr->es, site, &r))
			name = code_name(tr, th, &ev->regs, target);
		if (!event_stream_record(&tr->es, site, &r, NULL, name)) {
			arena_reset(&tr->es.arena);
			continue; /* entered before dwtrace came, or not by a call */
		}
		/* An IFUNC resolver's call ends without an event; a return
		 * gives the implementation. */
		if (site->ifunc_resolver && !tail)
			ifunc_late_returned(ev, site);
		i = (size_t)-1; /* the next call at the top may be another's */
	}
}
