#define _GNU_SOURCE
#include "stack.h"

#include <libunwind-ptrace.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "tracer.h"
#include "xalloc.h"

/* What the accessors see of the thread being unwound. */
struct unwind_ctx {
	struct process *p;
	struct thread *th;
	const struct arch_regs *regs;
	uint64_t pc;
	void *upt;                   /* libunwind-ptrace's own, for unwind info */
};

static unw_addr_space_t address_space;

/* libunwind-ptrace's own lookups call back into the accessors with its own
 * argument instead of ours: the thread being unwound is known from here
 * (dwtrace unwinds one thread at a time). */
static struct unwind_ctx *current;

static int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need, void *arg)
{
	struct unwind_ctx *c = current;
	return _UPT_find_proc_info(as, ip, pi, need, c->upt);
}

static void put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	struct unwind_ctx *c = current;
	_UPT_put_unwind_info(as, pi, c->upt);
}

static int get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
	struct unwind_ctx *c = current;
	return _UPT_get_dyn_info_list_addr(as, addr, c->upt);
}

/* Memory through process_vm_readv (dwtrace never writes the stack). */
static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	struct unwind_ctx *c = current;

	if (write)
		return -UNW_EINVAL;
	if (target_read(&c->p->t, c->th->tid, addr, val, sizeof(*val)) != (ssize_t)sizeof(*val))
		return -UNW_EINVAL;
	return 0;
}

/* Registers from the capture dwtrace already has, with the pc of the probe. */
static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
	struct unwind_ctx *c = current;
	unsigned dwarf;

	if (write)
		return -UNW_EINVAL;
	if (reg == UNW_REG_IP) {
		*val = c->pc;
		return 0;
	}
	if (reg == UNW_REG_SP) {
		*val = arch_regs_sp(c->regs);
		return 0;
	}
	/* libunwind's x86-64 numbering is the DWARF one. */
	dwarf = (unsigned)reg;
	if (dwarf > 16 || arch_reg_read(c->regs, dwarf, val, sizeof(*val)) != 0)
		return -UNW_EBADREG;
	return 0;
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write, void *arg)
{
	return -UNW_EBADREG;
}

static int resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	return -UNW_EINVAL;
}

static int get_proc_name(unw_addr_space_t as, unw_word_t ip, char *buf, size_t len, unw_word_t *off, void *arg)
{
	struct unwind_ctx *c = current;
	return _UPT_get_proc_name(as, ip, buf, len, off, c->upt);
}

static unw_accessors_t accessors = {
	.find_proc_info = find_proc_info,
	.put_unwind_info = put_unwind_info,
	.get_dyn_info_list_addr = get_dyn_info_list_addr,
	.access_mem = access_mem,
	.access_reg = access_reg,
	.access_fpreg = access_fpreg,
	.resume = resume,
	.get_proc_name = get_proc_name,
};

static const char *unwind_error(int rc)
{
	switch (-rc) {
	case UNW_ENOINFO:
		return "no unwind information";
	case UNW_EBADFRAME:
		return "bad frame";
	case UNW_EINVALIDIP:
		return "invalid return address";
	case UNW_ESTOPUNWIND:
		return "stopped";
	default:
		return "unwinding failed";
	}
}

/* Symbolized frames of one address, cached per process: stacks repeat. */
#define MAX_INLINED 32

struct symbolized {
	size_t n;
	struct dw_frame frames[MAX_INLINED];
};

static const struct symbolized *symbolize(struct process *p, uint64_t pc, bool is_return)
{
	uint64_t key = pc << 1 | is_return;
	struct symbolized *sy = u64_map_get(&p->symbols, key);

	if (!sy) {
		sy = xcalloc(1, sizeof(*sy));
		sy->n = p->dw ? dw_session_symbolize(p->dw, pc, is_return, sy->frames, MAX_INLINED) : 1;
		sy->frames[0].addr = pc;
		u64_map_put(&p->symbols, key, sy);
	}
	return sy;
}

/* The tail-call frames between the frame at callee_pc and its caller's
 * return address return_pc, cached per process under a key of both (with
 * bit 63 set: the map's other keys are pc << 1 | is_return, pc < 2^62). */
#define MAX_TAIL 16

struct tail_frames {
	uint64_t callee_pc, return_pc;
	bool callee_is_return;
	size_t n;
	struct dw_frame frames[MAX_TAIL];
};

static const struct tail_frames *tail_calls(struct process *p, uint64_t callee_pc, bool callee_is_return,
					    uint64_t return_pc)
{
	uint64_t key = (1ull << 63) | ((callee_pc * 0x9e3779b97f4a7c15ull) ^ return_pc ^ callee_is_return);
	struct tail_frames *t = u64_map_get(&p->symbols, key);

	if (!t || t->callee_pc != callee_pc || t->return_pc != return_pc || t->callee_is_return != callee_is_return) {
		if (!t) {
			t = xcalloc(1, sizeof(*t));
			u64_map_put(&p->symbols, key, t);
		}
		t->callee_pc = callee_pc;
		t->return_pc = return_pc;
		t->callee_is_return = callee_is_return;
		t->n = p->dw ? dw_session_tail_calls(p->dw, callee_pc, callee_is_return, return_pc, t->frames,
						     MAX_TAIL)
			     : 0;
	}
	return t;
}

static void free_symbolized(uint64_t key, void *value, void *arg)
{
	free(value);
}

void stack_forget_symbols(struct process *p)
{
	u64_map_each(&p->symbols, free_symbolized, NULL);
	u64_map_free(&p->symbols);
}

size_t stack_unwind(struct process *p, struct thread *th, const struct arch_regs *regs, uint64_t pc, uint64_t *pcs,
		    size_t depth, const char **stopped)
{
	struct unwind_ctx ctx = {p, th, regs, pc, NULL};
	size_t n = 0;
	unw_cursor_t cursor;
	int rc;

	*stopped = NULL;
	if (!depth)
		return 0;
	if (!address_space) {
		address_space = unw_create_addr_space(&accessors, 0);
		/* Unwind info of a module is read once, whatever the thread. */
		unw_set_caching_policy(address_space, UNW_CACHE_GLOBAL);
	}
	if (!th->unwind)
		th->unwind = _UPT_create(th->tid);
	ctx.upt = th->unwind;
	current = &ctx;
	rc = unw_init_remote(&cursor, address_space, &ctx);
	if (rc < 0) {
		*stopped = unwind_error(rc);
	} else {
		pcs[n++] = pc;
		while (n < depth) {
			unw_word_t ip;
			rc = unw_step(&cursor);
			if (rc <= 0) {
				if (rc < 0)
					*stopped = unwind_error(rc);
				break;
			}
			if (unw_get_reg(&cursor, UNW_REG_IP, &ip) < 0 || !ip)
				break;
			pcs[n++] = ip;
		}
	}
	current = NULL;
	return n;
}

/* Appends n symbolized frames to frames, up to depth. */
static void put_frames(struct stack_frame *frames, size_t *nframes, size_t depth, const struct dw_frame *df, size_t n)
{
	for (size_t j = 0; j < n && *nframes < depth; j++) {
		struct stack_frame *f = &frames[(*nframes)++];
		f->addr = df[j].addr;
		f->function = df[j].function;
		f->offset = df[j].offset;
		f->module = df[j].module;
		f->file = df[j].file;
		f->line = df[j].line;
		f->inlined = df[j].inlined;
		f->tail_call = df[j].tail_call;
	}
}

const struct stack_trace *stack_capture(struct process *p, struct thread *th, const struct arch_regs *regs,
					uint64_t pc, size_t depth, struct arena *arena)
{
	struct stack_trace *st;
	struct stack_frame *frames;
	uint64_t *pcs;
	size_t n, nframes = 0;

	if (!depth)
		return NULL;
	st = arena_alloc(arena, sizeof(*st));
	pcs = arena_alloc(arena, depth * sizeof(*pcs));
	n = stack_unwind(p, th, regs, pc, pcs, depth, &st->stopped);
	/* Symbolize afterwards: inlined calls may add frames. */
	frames = arena_alloc(arena, (depth + 1) * sizeof(*frames));
	for (size_t i = 0; i < n; i++) {
		const struct symbolized *sy = symbolize(p, pcs[i], i > 0);
		/* Functions that tail-called the inner frame's come first. */
		if (i > 0) {
			const struct tail_frames *t = tail_calls(p, pcs[i - 1], i > 1, pcs[i]);
			put_frames(frames, &nframes, depth, t->frames, t->n);
		}
		put_frames(frames, &nframes, depth, sy->frames, sy->n);
	}
	st->frames = frames;
	st->n = nframes;
	return st;
}

void stack_thread_gone(struct thread *th)
{
	if (th->unwind)
		_UPT_destroy(th->unwind);
	th->unwind = NULL;
}
