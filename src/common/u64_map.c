#include "u64_map.h"

#include <stdlib.h>

#include "xalloc.h"

static size_t slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

void *u64_map_get(const struct u64_map *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->slots[i].value)
			return NULL;
		if (m->slots[i].key == key)
			return m->slots[i].value;
	}
}

static void grow(struct u64_map *m)
{
	struct u64_map old = *m;

	m->cap = old.cap ? old.cap * 2 : 16;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	m->len = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].value)
			u64_map_put(m, old.slots[i].key, old.slots[i].value);
	free(old.slots);
}

void u64_map_put(struct u64_map *m, uint64_t key, void *value)
{
	if ((m->len + 1) * 4 > m->cap * 3)
		grow(m);
	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->slots[i].value) {
			m->slots[i].key = key;
			m->slots[i].value = value;
			m->len++;
			return;
		}
		if (m->slots[i].key == key) {
			m->slots[i].value = value;
			return;
		}
	}
}

void *u64_map_del(struct u64_map *m, uint64_t key)
{
	size_t i, j;
	void *value;

	if (!m->cap)
		return NULL;
	for (i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->slots[i].value)
			return NULL;
		if (m->slots[i].key == key)
			break;
	}
	value = m->slots[i].value;
	m->slots[i].value = NULL;
	m->len--;
	/* Backward-shift deletion keeps probe sequences unbroken. */
	for (j = (i + 1) & (m->cap - 1); m->slots[j].value; j = (j + 1) & (m->cap - 1)) {
		size_t home = slot_of(m->slots[j].key, m->cap);
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			m->slots[i] = m->slots[j];
			m->slots[j].value = NULL;
			i = j;
		}
	}
	return value;
}

void u64_map_each(const struct u64_map *m, void (*fn)(uint64_t key, void *value, void *arg), void *arg)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].value)
			fn(m->slots[i].key, m->slots[i].value, arg);
}

void u64_map_free(struct u64_map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->len = 0;
}

uint64_t u64_hash_string(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}
