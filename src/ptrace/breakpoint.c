#include "breakpoint.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "probe_site.h"
#include "xalloc.h"

int bp_read_original(const struct breakpoint_table *bt, struct target *t, uint64_t addr, uint8_t *buf, size_t size)
{
	ssize_t n = target_read(t, t->pid, addr, buf, size);

	if (n <= 0)
		return -EFAULT;
	if (!bt->by_addr.len)
		return (int)n;
	for (size_t i = 0; i < (size_t)n; i++) {
		/* Byte i is byte k of the trap of a breakpoint at addr + i - k. */
		for (size_t k = 0; k < ARCH_BREAKPOINT_LEN && k <= addr + i; k++) {
			struct breakpoint *bp = bp_at(bt, addr + i - k);
			if (bp) {
				buf[i] = bp->orig[k];
				break;
			}
		}
	}
	return (int)n;
}

static void bp_free(struct breakpoint *bp)
{
	if (bp) {
		free(bp->exits);
		free(bp->arrivals);
	}
	free(bp);
}

struct breakpoint *bp_insert(struct breakpoint_table *bt, struct target *t, uint64_t addr, uint64_t ool,
			     const uint8_t *insn, size_t len, int *err)
{
	struct breakpoint *bp = bp_at(bt, addr);
	static const uint8_t trap[ARCH_BREAKPOINT_LEN] = ARCH_BREAKPOINT_INSN;
	int rc;

	if (bp)
		return bp;
	bp = xcalloc(1, sizeof(*bp));
	bp->addr = addr;
	bp->ool = ool;
	bp->insn_len = (uint8_t)(len < sizeof(bp->insn) ? len : sizeof(bp->insn));
	memcpy(bp->insn, insn, bp->insn_len);
	if (target_read(t, t->pid, addr, bp->orig, ARCH_BREAKPOINT_LEN) != ARCH_BREAKPOINT_LEN) {
		free(bp);
		*err = -EFAULT;
		return NULL;
	}
	/* In the table before the trap is in memory: dwtrace's emergency path
	 * (a fatal signal in between) restores what the table lists. */
	u64_map_put(&bt->by_addr, addr, bp);
	rc = target_write(t, t->pid, addr, trap, ARCH_BREAKPOINT_LEN);
	if (rc != 0) {
		u64_map_del(&bt->by_addr, addr);
		bp_free(bp);
		*err = rc;
		return NULL;
	}
	return bp;
}

/* Adds site to the role list *sites of *n (once). */
static void add_site(struct probe_site ***sites, size_t *n, struct probe_site *site)
{
	for (size_t i = 0; i < *n; i++)
		if ((*sites)[i] == site)
			return;
	*sites = xrealloc(*sites, (*n + 1) * sizeof(**sites));
	(*sites)[(*n)++] = site;
}

void bp_add_exit(struct breakpoint *bp, struct probe_site *site)
{
	add_site(&bp->exits, &bp->nexits, site);
}

void bp_add_arrival(struct breakpoint *bp, struct probe_site *site)
{
	add_site(&bp->arrivals, &bp->narrivals, site);
}

struct breakpoint *bp_at(const struct breakpoint_table *bt, uint64_t addr)
{
	return u64_map_get(&bt->by_addr, addr);
}

struct range_ctx {
	uint64_t start, end;
	uint64_t *addrs;
	size_t n, cap;
};

static void collect_in_range(uint64_t addr, void *value, void *arg)
{
	struct range_ctx *c = arg;

	if (addr >= c->start && addr < c->end) {
		xgrow(&c->addrs, &c->cap, c->n + 1, sizeof(*c->addrs));
		c->addrs[c->n++] = addr;
	}
}

size_t bp_forget_range(struct breakpoint_table *bt, uint64_t start, uint64_t end)
{
	struct range_ctx c = {start, end, NULL, 0, 0};

	u64_map_each(&bt->by_addr, collect_in_range, &c);
	for (size_t i = 0; i < c.n; i++)
		bp_free(u64_map_del(&bt->by_addr, c.addrs[i]));
	free(c.addrs);
	return c.n;
}

struct restore_ctx {
	int (*write_fn)(void *ctx, uint64_t addr, const void *buf, size_t size);
	void *ctx;
};

static void restore_one(uint64_t addr, void *value, void *arg)
{
	struct breakpoint *bp = value;
	struct restore_ctx *rc = arg;

	rc->write_fn(rc->ctx, addr, bp->orig, ARCH_BREAKPOINT_LEN);
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

/* The child's site for the parent's site ps, or NULL. */
static struct probe_site *child_site(const struct copy_ctx *c, const struct probe_site *ps)
{
	return ps ? u64_map_get(c->sites, probe_site_key(ps)) : NULL;
}

static void copy_one(uint64_t addr, void *value, void *arg)
{
	const struct breakpoint *bp = value;
	struct copy_ctx *c = arg;
	struct breakpoint *nb = xmalloc(sizeof(*nb));

	*nb = *bp;
	nb->exits = NULL;
	nb->nexits = 0;
	nb->arrivals = NULL;
	nb->narrivals = 0;
	nb->entry = child_site(c, bp->entry);
	for (size_t i = 0; i < bp->nexits; i++) {
		struct probe_site *s = child_site(c, bp->exits[i]);
		if (s)
			bp_add_exit(nb, s);
	}
	for (size_t i = 0; i < bp->narrivals; i++) {
		struct probe_site *s = child_site(c, bp->arrivals[i]);
		if (s)
			bp_add_arrival(nb, s);
	}
	if (!nb->entry && !nb->nexits && !nb->narrivals && !nb->dlstate) {
		target_write(c->t, c->t->pid, addr, bp->orig, ARCH_BREAKPOINT_LEN);
		bp_free(nb);
		return;
	}
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
	bp_free(value);
}

void bp_table_free(struct breakpoint_table *bt)
{
	u64_map_each(&bt->by_addr, free_one, NULL);
	u64_map_free(&bt->by_addr);
}
