/* Reading the agent's per-thread rings from dwtrace's own mapping of the
 * agent's shared memory (src/agent/agent_abi.h): the consumer half of each
 * single-producer/single-consumer ring. */
#ifndef DWTRACE_RING_READER_H
#define DWTRACE_RING_READER_H

#include <stddef.h>
#include <stdint.h>

#include "agent_abi.h"

struct ring_reader {
	uint8_t *map;              /* dwtrace's mapping of the shared region */
	size_t map_size;
	uint64_t prog_base;        /* the region's address in the program */
	uint64_t rings;            /* struct dwt_agent.rings, ring_stride, nrings, ring_bytes */
	uint64_t ring_stride;
	uint32_t nrings, ring_bytes;
	uint64_t corrupt;          /* rings resynchronized after a record that did not parse */
	/* Records of one drain, merged by time across rings (scratch). */
	struct ring_pending *pending;
	size_t npending, pending_cap;
};

/* Maps the shared region of an agent whose control object is ctl, through
 * /proc/PID/map_files/ of process pid.  Returns 0, or -errno. */
int ring_reader_open(struct ring_reader *rr, int pid, const struct dwt_agent *ctl);
void ring_reader_close(struct ring_reader *rr);

/* A program address inside the shared region as dwtrace's pointer, or NULL
 * when [addr, addr + size) is not inside it. */
void *ring_reader_ptr(const struct ring_reader *rr, uint64_t addr, size_t size);

/* Calls fn for every record committed so far in every ring, oldest first
 * across rings (by the record's raw timestamp; in order within a ring),
 * then frees their space.  A record that does not parse (size, kind) makes
 * that ring skip to its head, counted in corrupt.  Returns the records
 * and paddings consumed (0: the rings were empty). */
size_t ring_reader_drain(struct ring_reader *rr, void (*fn)(void *ctx, const struct dwt_rec_hdr *rec),
			 void *ctx);

/* Sum of the rings' drop and nesting counters, and rings in use. */
void ring_reader_counts(const struct ring_reader *rr, uint64_t *drops, uint64_t *nested, unsigned *in_use);

/* Sum of the rings' filtered counters: calls the agent's filters rejected. */
uint64_t ring_reader_filtered(const struct ring_reader *rr);

/* Clears DWT_RING_STALLED of rings whose space was freed. */
/* The events the rings' threads passed to the in-process LTTng emitter
 * (struct dwt_ring.emitted), summed, and the rings that have any; before
 * (nrings entries, or NULL) holds the counts of an earlier call, whose
 * differences are returned instead; after (or NULL) gets this call's. */
uint64_t ring_reader_emitted(const struct ring_reader *rr, const uint64_t *before, uint64_t *after,
			     unsigned *threads);

void ring_reader_unstall(struct ring_reader *rr);

#endif
