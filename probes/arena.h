/* A bump allocator for the values of one event: reset after each event, so
 * decoding a hit allocates nothing once the arena has grown. */
#ifndef DWTRACE_ARENA_H
#define DWTRACE_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
};

/* size bytes aligned to 16, zeroed. */
void *arena_alloc(struct arena *a, size_t size);
/* Forgets every allocation, keeping the memory. */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif
