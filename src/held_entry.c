/* Entries held for an exit-decided --filter (held_entry.h). */
#include "held_entry.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct held_entry *held_entry_new(const struct capture_record *r, const struct stack_trace *stack,
				  const struct event_header *h)
{
	struct held_entry *e = xcalloc(1, sizeof(*e));

	e->rec = record_copy(r);
	e->h = *h;
	e->h.stack = NULL;
	if (stack) {
		/* The symbolizer's strings may not outlive this event. */
		struct stack_frame *frames = xcalloc(stack->n ? stack->n : 1, sizeof(*frames));

		for (size_t i = 0; i < stack->n; i++) {
			frames[i] = stack->frames[i];
			frames[i].function = dup_or_null(stack->frames[i].function);
			frames[i].module = dup_or_null(stack->frames[i].module);
			frames[i].file = dup_or_null(stack->frames[i].file);
		}
		e->stack.frames = frames;
		e->stack.n = stack->n;
		e->stack.stopped = dup_or_null(stack->stopped);
		e->has_stack = true;
		e->h.stack = &e->stack;
	}
	return e;
}

struct held_entry *held_entry_copy(const struct held_entry *e)
{
	return held_entry_new(e->rec, e->has_stack ? &e->stack : NULL, &e->h);
}

void held_entry_free(struct held_entry *e)
{
	if (!e)
		return;
	for (size_t i = 0; e->has_stack && i < e->stack.n; i++) {
		free((char *)e->stack.frames[i].function);
		free((char *)e->stack.frames[i].module);
		free((char *)e->stack.frames[i].file);
	}
	if (e->has_stack) {
		free((struct stack_frame *)e->stack.frames);
		free((char *)e->stack.stopped);
	}
	record_free(e->rec);
	free(e);
}
