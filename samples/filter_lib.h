#ifndef FILTER_LIB_H
#define FILTER_LIB_H

enum fcolor { RED, GREEN, BLUE };

struct fpoint {
	int x;
	int y;
	int v[3];
};

/* The call --filter's tests select from: every kind of value an
 * expression compares.  Sleeps slow_ms milliseconds; calls filter_inner
 * when i is even.  Returns (i * 7) % 5 - 2. */
long filter_call(int i, unsigned long big, const char *name, enum fcolor c, struct fpoint p, double d, int slow_ms);
/* Called from filter_call (a nested call: depth 1). */
int filter_inner(int i);
/* A function with none of filter_call's names but i. */
int filter_other(int i);

#endif
