/* "Did you mean": the known name closest to a misspelt one. */
#ifndef DWTRACE_SUGGEST_H
#define DWTRACE_SUGGEST_H

#include <stddef.h>

struct suggestion {
	const char *wanted;
	char best[256];
	size_t best_distance;
};

void suggest_init(struct suggestion *s, const char *wanted);
/* Offers a candidate name (callback-compatible with dw_session_each_function_name). */
void suggest_offer(const char *name, void *suggestion);
/* The best candidate close enough to be a likely typo, or NULL. */
const char *suggest_result(const struct suggestion *s);

#endif
