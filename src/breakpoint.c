#include "breakpoint.h"

#include <errno.h>
#include <stdlib.h>

#include "arch.h"
#include "xalloc.h"

int bp_read_original(const struct breakpoint_table *bt, struct target *t, uint64_t addr, uint8_t *buf, size_t size)
{
	ssize_t n = target_read(t, t->pid, addr, buf, size);

	if (n <= 0)
		return -EFAULT;
	for (size_t i = 0; i < (size_t)n; i++) {
		struct breakpoint *bp = bp_at(bt, addr + i);
		if (bp)
			buf[i] = bp->orig;
	}
	return (int)n;
}

int bp_insert(struct breakpoint_table *bt, struct target *t, uint64_t addr, enum breakpoint_kind kind,
	      struct probe_site *site, uint64_t ool)
{
	struct breakpoint *bp = xcalloc(1, sizeof(*bp));
	uint8_t trap = ARCH_BREAKPOINT_BYTE;
	int rc;

	bp->addr = addr;
	bp->kind = kind;
	bp->site = site;
	bp->ool = ool;
	if (target_read(t, t->pid, addr, &bp->orig, 1) != 1) {
		free(bp);
		return -EFAULT;
	}
	rc = target_write(t, t->pid, addr, &trap, 1);
	if (rc != 0) {
		free(bp);
		return rc;
	}
	bp->inserted = true;
	u64_map_put(&bt->by_addr, addr, bp);
	return 0;
}

struct breakpoint *bp_at(const struct breakpoint_table *bt, uint64_t addr)
{
	return u64_map_get(&bt->by_addr, addr);
}

void bp_forget(struct breakpoint_table *bt, uint64_t addr)
{
	free(u64_map_del(&bt->by_addr, addr));
}

struct restore_ctx {
	int (*write_fn)(void *ctx, uint64_t addr, const void *buf, size_t size);
	void *ctx;
};

static void restore_one(uint64_t addr, void *value, void *arg)
{
	struct breakpoint *bp = value;
	struct restore_ctx *rc = arg;

	rc->write_fn(rc->ctx, addr, &bp->orig, 1);
}

void bp_restore_all(const struct breakpoint_table *bt,
		    int (*write_fn)(void *ctx, uint64_t addr, const void *buf, size_t size), void *ctx)
{
	struct restore_ctx rc = {write_fn, ctx};
	u64_map_each(&bt->by_addr, restore_one, &rc);
}

struct copy_ctx {
	struct breakpoint_table *to;
	const struct u64_map *sites;
	struct target *t;
};

static void copy_one(uint64_t addr, void *value, void *arg)
{
	const struct breakpoint *bp = value;
	struct copy_ctx *c = arg;
	struct breakpoint *nb;

	if (bp->kind == BP_PROBE && !u64_map_get(c->sites, addr)) {
		target_write(c->t, c->t->pid, addr, &bp->orig, 1);
		return;
	}
	nb = xmalloc(sizeof(*nb));
	*nb = *bp;
	if (bp->kind == BP_PROBE)
		nb->site = u64_map_get(c->sites, addr);
	u64_map_put(&c->to->by_addr, addr, nb);
}

void bp_table_copy(struct breakpoint_table *to, const struct breakpoint_table *from, const struct u64_map *sites,
		   struct target *t)
{
	struct copy_ctx c = {to, sites, t};
	u64_map_each(&from->by_addr, copy_one, &c);
}

static void free_one(uint64_t addr, void *value, void *arg)
{
	free(value);
}

void bp_table_free(struct breakpoint_table *bt)
{
	u64_map_each(&bt->by_addr, free_one, NULL);
	u64_map_free(&bt->by_addr);
}
