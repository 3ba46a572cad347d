/* The values of LTTng fields described by an event description blob
 * (src/agent/ust_abi.h), as scalars both LTTng writers take: the
 * in-process emitter (libdwtrace-ust.so) computes them from a captured
 * record on the hitting thread, dwtrace's own LTTng sink (ptrace engine)
 * from decoded values.  Pure: no lttng-ust, no allocation, no I/O. */
#ifndef DWTRACE_UST_VALUE_H
#define DWTRACE_UST_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "ust_abi.h"

/* One field's value.  available 0: written as 0, "(null)" (STRING,
 * DEC128) or an empty array (CHARS), and given to filters as such. */
struct ust_scalar {
	uint8_t available;
	uint64_t u;          /* INT, ENUM: sign- (is_signed) or zero-extended to 64 bits */
	double d;            /* FLOAT */
	const char *str;     /* STRING, DEC128, CHARS: len bytes, not NUL-terminated; they
			      * live in the record, the values or the caller's buffer */
	uint32_t len;
};

/* The event description at index i of the blob of size bytes, its
 * fields, images, enum entries and strings; NULL when the blob is corrupt
 * there (an offset or count running past size, a string without NUL). */
const struct dwt_ust_desc *ust_desc_header(const void *blob, size_t size);
const struct dwt_ust_event_desc *ust_desc_event(const void *blob, size_t size, uint32_t i);
const struct dwt_ust_field *ust_desc_fields(const void *blob, size_t size, const struct dwt_ust_event_desc *ev);
const struct dwt_ust_image *ust_desc_images(const void *blob, size_t size, const struct dwt_ust_event_desc *ev);
const struct dwt_ust_enum_entry *ust_desc_entries(const void *blob, size_t size, const struct dwt_ust_field *f);
const char *ust_desc_string(const void *blob, size_t size, uint32_t off);

struct capture_record;

/* Fills out[0..ev->nfields) from record r: images assembled from their
 * pieces (registers, vector registers, and the record's blobs for memory,
 * as decode_fetch() over record_value_source() would), fields extracted
 * from them (bit fields, sign extension, x87 and binary128 floats made
 * doubles, char * and std::string characters found in the record's blobs),
 * FROM_DURATION from duration_ns; PID, TID and STACK fields are left
 * unavailable.  buf (size bytes; 16 KiB holds any event) holds the images
 * and the digits of DEC128 values; out's strings point into r's buffer or
 * buf.  Runs on the traced program's hitting thread in the emitter: no
 * allocation, no locks, bounded stack. */
void ust_scalars_from_record(const void *blob, size_t size, const struct dwt_ust_event_desc *ev,
			     const struct capture_record *r, uint64_t duration_ns, struct ust_scalar *out,
			     uint8_t *buf, size_t buf_size);

#endif
