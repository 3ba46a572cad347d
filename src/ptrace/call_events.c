/* Entry and exit events: decoding a hit into an event for the sinks, and
 * the calls in flight that exits are matched against (per thread, or per
 * goroutine in Go code). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ifunc_late.h"
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

static void free_call_stack(uint64_t key, void *value, void *arg)
{
	call_stack_free(value);
	free(value);
}

void calls_forget_goroutines(struct process *p)
{
	u64_map_each(&p->go_calls, free_call_stack, NULL);
	u64_map_free(&p->go_calls);
}

static void emit_header(struct thread *th, struct event_header *h)
{
	memset(h, 0, sizeof(*h));
	h->ts_ns = now_real_ns();
	h->pid = th->tgid;
	h->tid = th->tid;
}

/* Go's goroutines move between threads and their stacks are copied to grow
 * (runtime/stack.go: copystack keeps every frame's distance from the top
 * of the stack, g.stack.hi).  Their calls are tracked per goroutine, by
 * that distance, as a stack pointer that orders frames the same way. */
#define GO_STACK_TOP (1ull << 62)
#define GO_G_STACK_HI 8 /* runtime.g: stack.lo, stack.hi, ... */

/* The calls in flight a hit of site in th (registers regs) is matched
 * against, in *sp the stack pointer as they record it and in *top the top
 * of a goroutine's stack (0 for other code). */
static struct call_stack *calls_of(struct thread *th, const struct probe_site *site, const struct arch_regs *regs,
				   uint64_t *sp, uint64_t *top)
{
	struct process *p = th->proc;
	uint64_t g = arch_regs_go_g(regs), hi = 0;
	struct call_stack *cs;

	*sp = arch_regs_sp(regs);
	*top = 0;
	if (!site->go || !g || target_read(&p->t, th->tid, g + GO_G_STACK_HI, &hi, sizeof(hi)) != sizeof(hi) ||
	    hi < *sp || hi - *sp >= GO_STACK_TOP)
		return &th->calls;
	*sp = GO_STACK_TOP - (hi - *sp);
	*top = hi;
	cs = u64_map_get(&p->go_calls, g);
	if (!cs) {
		cs = xcalloc(1, sizeof(*cs));
		u64_map_put(&p->go_calls, g, cs);
	}
	return cs;
}

void call_entry(struct tracer *tr, struct event *ev, struct probe_site *site)
{
	struct thread *th = ev->th;
	struct event_layout *l = site->layout;
	struct capture cap = {&th->proc->t, th->tid, &ev->regs};
	struct value_source src = {&cap, capture_reg, capture_mem};
	struct event_header h;
	struct call_stack *calls;
	struct call_frame *last;
	uint64_t sp, top;

	calls = site->entry_only ? NULL : calls_of(th, site, &ev->regs, &sp, &top);
	last = calls ? call_top(calls) : NULL;
	if (last && (top || site->reentered) && last->site == site && last->sp == sp) {
		/* The same call at its entry again: a function whose code
		 * jumps back to its first instruction, or Go's prologue, which
		 * found the stack too small or a preemption request, so that
		 * runtime.morestack (after copying the stack, or rescheduling
		 * the goroutine) starts the call again from its entry.  (A call
		 * a panic or longjmp left is then taken for the next one at the
		 * same depth.) */
		last->stack_top = top;
		return;
	}
	site->hits++;
	if (l->entry_vregs)
		arch_regs_fetch(th->tid, &ev->regs, true);
	emit_header(th, &h);
	h.stack = stack_capture(th->proc, th, &ev->regs, ev->bp->addr, tr->stack_depth, &tr->arena);
	tr->sink->ops->entry(tr->sink, l, &h, decode_entry(l, &src, &tr->dopts, &tr->arena));
	arena_reset(&tr->arena);
	tr->events++;
	if (site->entry_only)
		return;
	/* In flight until an exit of the function finds the stack pointer
	 * where it is now (pointing at the return address).  Calls whose
	 * stack this one reuses were left without returning. */
	tr->lost_returns += call_drop_below(calls, sp, 1);
	call_push(calls, &(struct call_frame){.sp = sp, .entry_mono_ns = now_mono_ns(), .stack_top = top, .site = site});
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
	buf = arena_alloc(&tr->arena, n);
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
	struct capture cap = {&th->proc->t, th->tid, (struct arch_regs *)regs};
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
			if (arch_indirect_target(code, in.len, pc, regs, capture_mem, &cap, &to, &slot) == 0 &&
			    !(slot && th->proc->dw && dw_session_got_name(th->proc->dw, slot, &name) == 0))
				name = symbol_name(tr, th->proc, to);
			break;
		}
		pc += in.len;
	}
	if (name)
		return name;
	buf = arena_alloc(&tr->arena, 24);
	snprintf(buf, 24, "0x%" PRIx64, addr);
	return buf;
}

/* Whether a call of one of sites (n) is in flight on th with its entry's
 * stack pointer where regs have it: an exit placed in code other functions
 * share (memmove's body, which mempcpy jumps into) is hit by those
 * functions' own calls too, and must cost them no more than this. */
static bool frame_here(struct thread *th, struct probe_site **sites, size_t n, const struct arch_regs *regs)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t sp, top;
		struct call_frame *f;

		if (sites[i]->entry_only)
			continue;
		f = call_top(calls_of(th, sites[i], regs, &sp, &top));
		if (f && f->sp <= sp)
			return true;
	}
	return false;
}

void call_arrivals(struct tracer *tr, struct event *ev)
{
	struct thread *th = ev->th;
	struct breakpoint *bp = ev->bp;

	if (!frame_here(th, bp->arrivals, bp->narrivals, &ev->regs))
		return;
	for (size_t i = 0; i < bp->narrivals; i++) {
		struct probe_site *site = bp->arrivals[i];
		struct event_header h;
		struct call_stack *calls;
		struct call_frame *top;
		uint64_t sp, stack_top;

		if (site->entry_only)
			continue;
		calls = calls_of(th, site, &ev->regs, &sp, &stack_top);
		tr->lost_returns += call_drop_below(calls, sp, 0);
		top = call_top(calls);
		if (!top || top->sp != sp || top->site != site)
			continue; /* the other function called directly */
		emit_header(th, &h);
		/* Named as the probe there names it, as its entry event will be. */
		h.tail_call = bp->entry ? bp->entry->fn->name : code_name(tr, th, &ev->regs, bp->addr);
		tr->sink->ops->exit(tr->sink, site->layout, &h, NULL, now_mono_ns() - top->entry_mono_ns);
		arena_reset(&tr->arena);
		call_pop(calls);
		tr->events++;
		i = (size_t)-1; /* the next call at the top may be another's */
	}
}

/* An instruction that may leave probed functions: a return, or a jump
 * whose target lies outside a function (a tail call).  Each function whose
 * call in flight has its entry's stack pointer here is left now. */
void call_exits(struct tracer *tr, struct event *ev)
{
	struct thread *th = ev->th;
	struct breakpoint *bp = ev->bp;
	struct capture cap = {&th->proc->t, th->tid, &ev->regs};
	uint64_t target = 0;
	bool tail = bp->flow != ARCH_FLOW_RET;
	bool vregs_fetched = false;

	if (!frame_here(th, bp->exits, bp->nexits, &ev->regs))
		return;
	if (bp->flow == ARCH_FLOW_JMP || bp->flow == ARCH_FLOW_JCC) {
		if (bp->flow == ARCH_FLOW_JCC && !arch_jcc_taken(bp->cc, &ev->regs))
			return;
		target = bp->target;
	} else if (bp->flow == ARCH_FLOW_JMP_INDIRECT &&
		   arch_indirect_target(bp->insn, bp->insn_len, bp->addr, &ev->regs, capture_mem, &cap,
					&target, NULL) != 0) {
		return;
	}
	/* Innermost first: when the instruction ends several calls at this
	 * stack pointer (one function jumped into another's entry), each is
	 * emitted as it comes to the top. */
	for (size_t i = 0; i < bp->nexits; i++) {
		struct probe_site *site = bp->exits[i];
		struct event_layout *l = site->layout;
		struct value_source src = {&cap, capture_reg, capture_mem};
		struct event_header h;
		struct call_stack *calls;
		struct call_frame *top;
		const struct value *ret = NULL;
		uint64_t now, sp, stack_top;

		if (site->entry_only || (tail && probe_site_contains(site, target)))
			continue;
		/* Calls below the stack pointer were left without returning. */
		calls = calls_of(th, site, &ev->regs, &sp, &stack_top);
		tr->lost_returns += call_drop_below(calls, sp, 0);
		top = call_top(calls);
		if (!top || top->sp != sp || top->site != site)
			continue; /* entered before dwtrace came, or not by a call */
		if (site->ifunc_resolver) {
			/* Internal: no event; a return gives the implementation. */
			if (!tail)
				ifunc_late_returned(ev, site);
			call_pop(calls);
			i = (size_t)-1;
			continue;
		}
		now = now_mono_ns();
		emit_header(th, &h);
		if (tail) {
			h.tail_call = code_name(tr, th, &ev->regs, target);
		} else {
			if (l->exit_vregs && !vregs_fetched) {
				arch_regs_fetch(th->tid, &ev->regs, true);
				vregs_fetched = true;
			}
			ret = decode_return(l, &src, &tr->dopts, &tr->arena);
		}
		tr->sink->ops->exit(tr->sink, l, &h, ret, now - top->entry_mono_ns);
		arena_reset(&tr->arena);
		call_pop(calls);
		tr->events++;
		i = (size_t)-1; /* the next call at the top may be another's */
	}
}
