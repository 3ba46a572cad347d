#include "call_stack.h"

#include <stdlib.h>

#include "held_entry.h"
#include "xalloc.h"

void call_push(struct call_stack *s, const struct call_frame *f)
{
	xgrow(&s->frames, &s->cap, s->len + 1, sizeof(*s->frames));
	s->frames[s->len++] = *f;
}

struct call_frame *call_top(struct call_stack *s)
{
	return s->len ? &s->frames[s->len - 1] : NULL;
}

/* A frame goes away: what it holds with it (an entry held for --filter). */
static void frame_release(struct call_frame *f)
{
	held_entry_free(f->held);
	f->held = NULL;
}

void call_pop(struct call_stack *s)
{
	if (s->len)
		frame_release(&s->frames[--s->len]);
}

size_t call_drop_below(struct call_stack *s, uint64_t sp, int inclusive)
{
	size_t n = 0;

	while (s->len && (s->frames[s->len - 1].sp < sp || (inclusive && s->frames[s->len - 1].sp == sp))) {
		frame_release(&s->frames[--s->len]);
		n++;
	}
	return n;
}

void call_stack_copy(struct call_stack *to, const struct call_stack *from)
{
	/* The frames' nested_hits are counts of from's hits. */
	to->hits = from->hits;
	for (size_t i = 0; i < from->len; i++) {
		call_push(to, &from->frames[i]);
		/* Each thread's own copy: freed with its own frame. */
		if (from->frames[i].held)
			to->frames[to->len - 1].held = held_entry_copy(from->frames[i].held);
	}
}

void call_stack_clear(struct call_stack *s)
{
	while (s->len)
		call_pop(s);
}

void call_stack_free(struct call_stack *s)
{
	call_stack_clear(s);
	free(s->frames);
	s->frames = NULL;
	s->len = s->cap = 0;
}
