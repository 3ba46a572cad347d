#include "shadow_stack.h"

#include <stdlib.h>

#include "xalloc.h"

void shadow_push(struct shadow_stack *s, const struct shadow_entry *e)
{
	xgrow(&s->entries, &s->cap, s->len + 1, sizeof(*s->entries));
	s->entries[s->len++] = *e;
}

struct shadow_entry *shadow_top(struct shadow_stack *s)
{
	return s->len ? &s->entries[s->len - 1] : NULL;
}

void shadow_pop(struct shadow_stack *s)
{
	if (s->len)
		s->len--;
}

void shadow_free(struct shadow_stack *s)
{
	free(s->entries);
	s->entries = NULL;
	s->len = s->cap = 0;
}
