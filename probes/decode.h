/* Decoding: pure functions from a fetch plan, captured registers and a
 * memory reader to typed values.  No ptrace here; the capture side passes a
 * value_source, and unit tests pass fake registers. */
#ifndef DWTRACE_DECODE_H
#define DWTRACE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arena.h"
#include "dw_type.h"
#include "event_layout.h"
#include "fetch_plan.h"

struct value_source {
	void *ctx;
	/* Copies the low size bytes of DWARF register regno: 0, or -1 if not captured. */
	int (*read_reg)(void *ctx, unsigned regno, void *buf, size_t size);
	/* Reads up to size bytes at addr: the count read (maybe short), or -1. */
	ssize_t (*read_mem)(void *ctx, uint64_t addr, void *buf, size_t size);
};

struct decode_opts {
	size_t string_limit;   /* bytes of a string shown before it is cut */
	size_t array_limit;    /* elements of an array shown before it is cut */
	bool no_deref;         /* C++ references show their address only (set inside a referent) */
};

struct value {
	const struct dw_type *type;  /* as declared (typedefs kept) */
	bool available;              /* false: could not be read */
	/* When !available: why, static text shown to the user ("optimized
	 * out": DWARF has no location there; "unreadable": the memory could
	 * not be read or was not captured).  NULL reads as "unreadable". */
	const char *why;
	const uint8_t *bytes;        /* the value's image, dw_type_size(type) bytes */
	size_t size;
	/* Strings: pointers to characters (read from memory) and char arrays. */
	bool has_string;             /* false for NULL or unreadable pointers */
	const char *str;
	size_t str_len;
	bool str_truncated;
	/* Structs, unions (members in order) and arrays (elements); C++
	 * references: one child, the value referred to (none when unreadable). */
	struct value *children;
	size_t nchildren;
	bool children_truncated;
};

/* Runs plan into buf (plan->size bytes).  Returns 0, or -1 when a piece cannot be read. */
int decode_fetch(const struct fetch_plan *plan, const struct value_source *src, uint8_t *buf);
/* decode_fetch, saying why on -1 (static text, as struct value.why:
 * "optimized out", "unreadable", "not captured", or what dw_loc_eval
 * said for a FETCH_EXPR piece).  (Added by helper A.) */
int decode_fetch_why(const struct fetch_plan *plan, const struct value_source *src, uint8_t *buf, const char **why);

/* Decodes a value of type t from its image bytes (NULL: unavailable). */
void decode_value(const struct dw_type *t, const uint8_t *bytes, const struct value_source *src,
		  const struct decode_opts *opts, struct arena *arena, struct value *out);

/* The entry values of every field of l (an array of l->nfields), then of
 * every local of a LAYOUT_POINT (l->nlocals more). */
struct value *decode_entry(const struct event_layout *l, const struct value_source *src,
			   const struct decode_opts *opts, struct arena *arena);

/* The return value of l (NULL when l has none). */
struct value *decode_return(const struct event_layout *l, const struct value_source *src,
			    const struct decode_opts *opts, struct arena *arena);

/* Scalars of a value: integers (sign-extended per type), floating values. */
uint64_t value_as_u64(const struct value *v);
int64_t value_as_s64(const struct value *v);
long double value_as_float(const struct value *v);

/* The enumerator name of an enum value, or NULL. */
const char *value_enumerator(const struct value *v);

#endif
