/* Where a stopped process's threads are, so that no patch goes over an
 * instruction one of them is in the middle of, now or when a signal
 * handler returns (FASTPATH.md: "a signal frame whose saved pc is inside
 * them ... defers that function"). */
#include <libunwind-ptrace.h>
#include <stdlib.h>

#include "patch.h"
#include "xalloc.h"

struct busy {
	uint64_t *pcs;
	size_t n, cap;
	unw_addr_space_t as;
};

static void add_pc(struct busy *b, uint64_t pc)
{
	xgrow(&b->pcs, &b->cap, b->n + 1, sizeof(*b->pcs));
	b->pcs[b->n++] = pc;
}

/* The pcs the signal frames of thread tid return to: the exact pc of the
 * interrupted code (not a return address).  libunwind-ptrace 1.6 flags as
 * a signal frame the interrupted frame itself (the one above the
 * trampoline); the frame above a flagged one is taken too, for versions
 * that flag the trampoline: a pc more only makes a site a trap. */
static void signal_frames(struct busy *b, pid_t tid)
{
	void *upt = _UPT_create(tid);
	unw_cursor_t c;
	bool after_signal = false;

	if (!upt)
		return;
	if (unw_init_remote(&c, b->as, upt) == 0) {
		for (int i = 0; i < PATCH_BUSY_FRAMES; i++) {
			bool signal = unw_is_signal_frame(&c) > 0;
			unw_word_t ip;

			if ((signal || after_signal) && unw_get_reg(&c, UNW_REG_IP, &ip) == 0)
				add_pc(b, (uint64_t)ip);
			after_signal = signal;
			if (unw_step(&c) <= 0)
				break;
		}
	}
	_UPT_destroy(upt);
}

static void one_thread(uint64_t key, void *value, void *arg)
{
	struct busy *b = arg;
	struct arch_regs r;

	(void)value;
	if (arch_regs_fetch((pid_t)key, &r, false) != 0)
		return;
	add_pc(b, arch_regs_pc(&r));
	if (b->as)
		signal_frames(b, (pid_t)key);
}

size_t patch_busy_pcs(struct target *t, uint64_t **pcs)
{
	struct busy b = {0};

	b.as = unw_create_addr_space(&_UPT_accessors, 0);
	if (b.as)
		unw_set_caching_policy(b.as, UNW_CACHE_NONE);
	u64_map_each(&t->threads, one_thread, &b);
	if (b.as)
		unw_destroy_addr_space(b.as);
	if (!b.pcs)
		b.pcs = xcalloc(1, sizeof(*b.pcs));
	*pcs = b.pcs;
	return b.n;
}
