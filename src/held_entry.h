/* An entry held back until its exit: --filter on retval or duration_ns
 * decides at the exit whether the call is written, entry included. */
#ifndef DWTRACE_HELD_ENTRY_H
#define DWTRACE_HELD_ENTRY_H

#include "event_layout.h"
#include "record.h"

struct held_entry {
	struct capture_record *rec;  /* deep copy of the entry's record (owned) */
	struct stack_trace stack;    /* --stack: deep copy (owned); has_stack false without */
	bool has_stack;
	struct event_header h;       /* the entry's header (h.stack points at stack) */
};

/* Copies record r, stack (NULL: none) and header h, so that the entry can
 * be decoded and written after r's buffer is reused.  Owned by the
 * caller: held_entry_free. */
struct held_entry *held_entry_new(const struct capture_record *r, const struct stack_trace *stack,
				  const struct event_header *h);
/* A deep copy of e (a forked child's copy of its parent's calls). */
struct held_entry *held_entry_copy(const struct held_entry *e);
void held_entry_free(struct held_entry *e);

#endif
