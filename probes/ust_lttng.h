/* The lttng-ust side both LTTng writers share: dwtrace's own sink
 * (libdwtrace-lttng.so, ptrace engine) and the in-process emitter
 * (libdwtrace-ust.so, agent engine).  From an event description blob
 * (src/agent/ust_abi.h) it builds the lttng-ust event descriptions
 * (lttng/ust-events.h: event desc, tracepoint class, fields, types, enum
 * descs) and registers them (lttng_ust_tracepoint_module_register,
 * lttng_ust_probe_register); from field scalars (ust_value.h) it writes one
 * event as the code lttng/ust-tracepoint-event.h generates for a
 * TRACEPOINT_EVENT does: enabled checks, filter, notifier capture,
 * reserve, write, commit.
 *
 * One table of registered events per process (lttng-ust's registry is per
 * process too); an event's slot is its index in the table + 1.  Nothing is
 * ever unregistered or freed: lttng-ust keeps pointers into the
 * descriptions, and another dwtrace attaching later reuses them.
 *
 * Never prints, never exits, never aborts on out-of-memory: it runs inside
 * traced programs. */
#ifndef DWTRACE_UST_LTTNG_H
#define DWTRACE_UST_LTTNG_H

#include <stddef.h>
#include <stdint.h>

#include "ust_abi.h"
#include "ust_value.h"

/* The most events the table holds (all registrations of the process). */
#define UST_LTTNG_MAX_EVENTS 16384u
/* The most fields an event has: the emitter keeps one struct ust_scalar
 * per field on the hitting thread's stack. */
#define UST_LTTNG_MAX_FIELDS 128u

/* Registers the events of the description blob of size bytes (dwtrace's
 * compiler, probes/ust_desc.c): checks all of it first (every offset,
 * count, string, type, image and piece in range: the blob comes from
 * another process), then per event builds and registers its lttng-ust
 * description, or reuses the one registered earlier with the same
 * provider, name and fields, and writes its slot into the blob's
 * struct dwt_ust_event_desc.slot (0 for an event that failed).  The
 * blob's sources (images, pieces, offsets) are copied: the caller may
 * reuse the blob once this returns, and a reused event takes the new
 * sources.  Returns 0 when every event has a slot; -EINVAL for a corrupt
 * blob or an event of more than UST_LTTNG_MAX_FIELDS fields (no slot
 * written), -EEXIST when some event was registered earlier
 * with other fields, -ENOSPC when the table is full, -ENOMEM; error
 * (error_size bytes) then holds one line saying why, for the first
 * failure.  Serialized by an internal mutex; never call it from the hot
 * path (lttng_ust_probe_register talks to the session daemon). */
int ust_lttng_register(void *blob, size_t size, char *error, size_t error_size);

/* The description event slot's scalars are computed from: the blob copy
 * (its size in *size) and the event in it; NULL for a slot that is not
 * registered.  Lock-free; the copy lives as long as the process. */
const struct dwt_ust_event_desc *ust_lttng_source(uint32_t slot, const void **blob, size_t *size);

/* Writes event slot with scalars sc (one per field of the event, in the
 * blob's order) to every session, channel and notifier lttng-ust
 * connected to its tracepoint; ip is the `ip` context (the probed
 * instruction's address; 0 when not known).  Available-less scalars are
 * written as 0, "(null)" or an empty array.  No allocation, no lock but
 * lttng-ust's RCU read side; a bad slot is ignored. */
void ust_lttng_fire(uint32_t slot, const struct ust_scalar *sc, uint64_t ip);

/* Whether any session, channel or notifier may want event slot now (its
 * tracepoint is enabled): callers skip computing scalars otherwise. */
int ust_lttng_enabled(uint32_t slot);

#endif
