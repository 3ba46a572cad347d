/* Per-thread stack of the calls whose return address dwtrace replaced with
 * its return trampoline. */
#ifndef DWTRACE_SHADOW_STACK_H
#define DWTRACE_SHADOW_STACK_H

#include <stddef.h>
#include <stdint.h>

struct probe_site;

struct shadow_entry {
	uint64_t ret_addr;           /* the real return address */
	uint64_t slot;               /* where it was on the stack (rsp at entry) */
	uint64_t entry_mono_ns;
	struct probe_site *site;
};

struct shadow_stack {
	struct shadow_entry *entries;
	size_t len, cap;
};

void shadow_push(struct shadow_stack *s, const struct shadow_entry *e);
/* The innermost entry, or NULL. */
struct shadow_entry *shadow_top(struct shadow_stack *s);
void shadow_pop(struct shadow_stack *s);
void shadow_free(struct shadow_stack *s);

#endif
