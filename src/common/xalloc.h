/* Allocation that never returns NULL: out of memory is the one failure that
 * ends dwtrace on the spot, so callers never check.  Every layer uses these. */
#ifndef DWTRACE_XALLOC_H
#define DWTRACE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows *p (an array of elem-sized items of capacity *cap) to hold need items. */
void xgrow(void *pp, size_t *cap, size_t need, size_t elem);

#endif
