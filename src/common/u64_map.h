/* An open-addressing hash map from 64-bit keys (addresses, DIE offsets, tids)
 * to pointers.  Small and fast on the hot path: a breakpoint hit looks up its
 * site here. */
#ifndef DWTRACE_U64_MAP_H
#define DWTRACE_U64_MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64_map_slot {
	uint64_t key;
	void *value;          /* NULL = empty slot */
};

struct u64_map {
	struct u64_map_slot *slots;
	size_t cap;           /* power of two */
	size_t len;
};

/* Returns the value stored for key, or NULL. */
void *u64_map_get(const struct u64_map *m, uint64_t key);
/* Stores value (non-NULL) for key, replacing any previous one. */
void u64_map_put(struct u64_map *m, uint64_t key, void *value);
/* Removes key; returns the value it had, or NULL. */
void *u64_map_del(struct u64_map *m, uint64_t key);
/* Calls fn for every entry; fn must not change the map. */
void u64_map_each(const struct u64_map *m, void (*fn)(uint64_t key, void *value, void *arg), void *arg);
void u64_map_free(struct u64_map *m);

/* A key for the first len bytes of s (FNV-1a, 64-bit): names as keys; a
 * caller keeping one value per key confirms the name itself. */
uint64_t u64_hash_string(const char *s, size_t len);

#endif
