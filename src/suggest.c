#include "suggest.h"

#include <stdio.h>
#include <string.h>

/* Damerau-Levenshtein (optimal string alignment) distance, capped at 255 chars. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	static size_t d[3][257];
	size_t *prev2 = d[0], *prev = d[1], *cur = d[2];

	if (la > 255 || lb > 255)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
		size_t *tmp = prev2;
		prev2 = prev;
		prev = cur;
		cur = tmp;
	}
	return prev[lb];
}

void suggest_init(struct suggestion *s, const char *wanted)
{
	s->wanted = wanted;
	s->best[0] = '\0';
	s->best_distance = (size_t)-1;
}

void suggest_offer(const char *name, void *arg)
{
	struct suggestion *s = arg;
	size_t lw = strlen(s->wanted), ln = strlen(name);
	size_t d;

	/* Cheap filter: lengths too far apart cannot be close. */
	if ((lw > ln ? lw - ln : ln - lw) >= s->best_distance)
		return;
	d = distance(s->wanted, name);
	if (d < s->best_distance) {
		s->best_distance = d;
		snprintf(s->best, sizeof(s->best), "%s", name);
	}
}

const char *suggest_result(const struct suggestion *s)
{
	size_t len = strlen(s->wanted);
	size_t limit = len < 6 ? 1 : len / 3;

	if (!s->best[0] || s->best_distance == 0 || s->best_distance > limit)
		return NULL;
	return s->best;
}
