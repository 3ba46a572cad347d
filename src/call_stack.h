/* Per-thread stack of the probed calls in flight: what exit probes match
 * their entries against.  Nothing of it is in the target: dwtrace never
 * writes the program's stack. */
#ifndef DWTRACE_CALL_STACK_H
#define DWTRACE_CALL_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct probe_site;

struct call_frame {
	uint64_t sp;                 /* stack pointer at the entry: the return address slot */
	uint64_t entry_mono_ns;      /* CLOCK_MONOTONIC at the entry */
	uint64_t stack_top;          /* Go: the goroutine's stack.hi at the entry, else 0 */
	struct probe_site *site;
	uint64_t call_id;            /* event_header.call_id of the entry */
	uint32_t depth;              /* event_header.depth of the entry */
	bool rejected;               /* --filter dropped the entry: no exit event either */
	/* --filter decided at the exit: the entry, held until then (record_events.c) */
	void *held;
	/* Hits of traced functions in this thread inside the call (their cost
	 * is inside its duration: the summary's overhead).  Until the exit,
	 * call_stack.hits at the entry; record_exit() makes it the hits in
	 * between. */
	uint64_t nested_hits;
};

struct call_stack {
	struct call_frame *frames;   /* outermost first */
	size_t len, cap;
	/* The summary (record_events.c): hits of traced functions in this
	 * thread so far, and the last one's CLOCK_MONOTONIC ns (0: none). */
	uint64_t hits;
	uint64_t last_hit_ns;
};

void call_push(struct call_stack *s, const struct call_frame *f);
/* The innermost frame, or NULL. */
struct call_frame *call_top(struct call_stack *s);
void call_pop(struct call_stack *s);
/* Drops the innermost frames whose stack pointer is below sp (or at it, when
 * inclusive): calls left without returning, by longjmp or an exception,
 * whose stack the thread has since reused.  Returns how many. */
size_t call_drop_below(struct call_stack *s, uint64_t sp, int inclusive);
/* Appends from's frames to to, each entry held for --filter copied (deep). */
void call_stack_copy(struct call_stack *to, const struct call_stack *from);
/* Pops every frame (freeing what they hold). */
void call_stack_clear(struct call_stack *s);
void call_stack_free(struct call_stack *s);

#endif
