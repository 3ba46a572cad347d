#include "call_stack.h"

#include <stdlib.h>

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

void call_pop(struct call_stack *s)
{
	if (s->len)
		s->len--;
}

size_t call_drop_below(struct call_stack *s, uint64_t sp, int inclusive)
{
	size_t n = 0;

	while (s->len && (s->frames[s->len - 1].sp < sp || (inclusive && s->frames[s->len - 1].sp == sp))) {
		s->len--;
		n++;
	}
	return n;
}

void call_stack_copy(struct call_stack *to, const struct call_stack *from)
{
	/* The frames' nested_hits are counts of from's hits. */
	to->hits = from->hits;
	for (size_t i = 0; i < from->len; i++)
		call_push(to, &from->frames[i]);
}

void call_stack_free(struct call_stack *s)
{
	free(s->frames);
	s->frames = NULL;
	s->len = s->cap = 0;
}
