/* The consumer half of the agent's rings (ring_reader.h). */
#define _GNU_SOURCE
#include "ring_reader.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xalloc.h"

/* Bytes of one ring used per drain before their room is given back. */
#define DRAIN_BATCH (16 * 1024)

struct ring_pending {
	uint64_t ts;
	uint32_t ring;
	uint32_t seq;              /* order within the drain, for a stable sort */
	const struct dwt_rec_hdr *rec;
};

int ring_reader_open(struct ring_reader *rr, int pid, const struct dwt_agent *ctl)
{
	char path[64];
	int fd;
	void *m;

	memset(rr, 0, sizeof(*rr));
	if (!ctl->shared || !ctl->shared_size || !ctl->nrings || !ctl->ring_bytes ||
	    (ctl->ring_bytes & (ctl->ring_bytes - 1)) || ctl->ring_stride < DWT_RING_HDR + (uint64_t)ctl->ring_bytes ||
	    ctl->rings < ctl->shared ||
	    (ctl->rings - ctl->shared) + ctl->ring_stride * ctl->nrings > ctl->shared_size)
		return -EINVAL;
	/* The mapping itself, not the descriptor: the program may have closed
	 * that or given its number to another file. */
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, ctl->shared,
		 ctl->shared + ctl->shared_size);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	m = mmap(NULL, ctl->shared_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -errno;
	rr->map = m;
	rr->map_size = ctl->shared_size;
	rr->prog_base = ctl->shared;
	rr->rings = ctl->rings;
	rr->ring_stride = ctl->ring_stride;
	rr->nrings = ctl->nrings;
	rr->ring_bytes = ctl->ring_bytes;
	return 0;
}

void ring_reader_close(struct ring_reader *rr)
{
	if (rr->map)
		munmap(rr->map, rr->map_size);
	free(rr->pending);
	memset(rr, 0, sizeof(*rr));
}

void *ring_reader_ptr(const struct ring_reader *rr, uint64_t addr, size_t size)
{
	if (!rr->map || addr < rr->prog_base || addr - rr->prog_base > rr->map_size ||
	    size > rr->map_size - (addr - rr->prog_base))
		return NULL;
	return rr->map + (addr - rr->prog_base);
}

static struct dwt_ring *ring_at(const struct ring_reader *rr, uint32_t i)
{
	return ring_reader_ptr(rr, rr->rings + (uint64_t)i * rr->ring_stride, DWT_RING_HDR + rr->ring_bytes);
}

static int by_time(const void *a, const void *b)
{
	const struct ring_pending *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

size_t ring_reader_drain(struct ring_reader *rr, void (*fn)(void *ctx, const struct dwt_rec_hdr *rec), void *ctx)
{
	uint64_t *heads = xcalloc(rr->nrings ? rr->nrings : 1, sizeof(*heads));
	uint32_t seq = 0;
	size_t pads = 0;
	size_t n;

	rr->npending = 0;
	for (uint32_t i = 0; i < rr->nrings; i++) {
		struct dwt_ring *r = ring_at(rr, i);
		uint8_t *data = (uint8_t *)r + DWT_RING_HDR;
		uint64_t tail, head, end;

		if (!r || !__atomic_load_n(&r->owner, __ATOMIC_RELAXED))
			continue;
		head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		tail = r->tail;
		if (head - tail > rr->ring_bytes || (head & 7) || (tail & 7)) {
			/* The producer's state is not a ring's: start after it. */
			rr->corrupt++;
			__atomic_store_n(&r->tail, head, __ATOMIC_RELEASE);
			continue;
		}
		/* A bounded batch: the producer may be waiting for room, which
		 * is given back only after the batch is used. */
		end = head - tail > DRAIN_BATCH ? tail + DRAIN_BATCH : head;
		heads[i] = tail;
		while (tail < end) {
			uint32_t off = (uint32_t)(tail & (rr->ring_bytes - 1));
			const struct dwt_rec_hdr *rec = (const struct dwt_rec_hdr *)(data + off);
			uint32_t size = rec->size;

			if (size < 8 || (size & 7) || size > rr->ring_bytes - off || size > head - tail ||
			    (rec->kind != DWT_REC_PAD && size < sizeof(*rec)) || rec->kind > DWT_REC_EXIT) {
				/* Not a record: start after what the producer wrote. */
				rr->corrupt++;
				heads[i] = head;
				break;
			}
			if (rec->kind != DWT_REC_PAD) {
				if (rr->npending == rr->pending_cap) {
					rr->pending_cap = rr->pending_cap ? 2 * rr->pending_cap : 1024;
					rr->pending = xrealloc(rr->pending, rr->pending_cap * sizeof(*rr->pending));
				}
				rr->pending[rr->npending++] = (struct ring_pending){rec->ts, i, seq++, rec};
			} else {
				pads++;
			}
			tail += size;
			heads[i] = tail;
		}
	}
	if (rr->npending)
		qsort(rr->pending, rr->npending, sizeof(*rr->pending), by_time);
	for (size_t k = 0; k < rr->npending; k++)
		fn(ctx, rr->pending[k].rec);
	n = rr->npending + pads;
	rr->npending = 0;
	/* Space is given back only after the records were used: the
	 * producer may overwrite it from now on. */
	for (uint32_t i = 0; i < rr->nrings; i++) {
		struct dwt_ring *r = ring_at(rr, i);
		if (r && heads[i] && heads[i] != r->tail) {
			__atomic_store_n(&r->tail, heads[i], __ATOMIC_RELEASE);
			/* Room again: hits wait for it instead of dropping. */
			if (__atomic_load_n(&r->flags, __ATOMIC_RELAXED) & DWT_RING_STALLED)
				__atomic_fetch_and(&r->flags, ~DWT_RING_STALLED, __ATOMIC_RELEASE);
		}
	}
	free(heads);
	return n;
}

void ring_reader_counts(const struct ring_reader *rr, uint64_t *drops, uint64_t *nested, unsigned *in_use)
{
	*drops = *nested = 0;
	*in_use = 0;
	for (uint32_t i = 0; i < rr->nrings; i++) {
		struct dwt_ring *r = ring_at(rr, i);
		if (!r)
			continue;
		*drops += __atomic_load_n(&r->drops, __ATOMIC_RELAXED);
		*nested += __atomic_load_n(&r->nested, __ATOMIC_RELAXED);
		if (__atomic_load_n(&r->owner, __ATOMIC_RELAXED))
			(*in_use)++;
	}
}

uint64_t ring_reader_filtered(const struct ring_reader *rr)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < rr->nrings; i++) {
		struct dwt_ring *r = ring_at(rr, i);
		if (r)
			n += __atomic_load_n(&r->filtered, __ATOMIC_RELAXED);
	}
	return n;
}

uint64_t ring_reader_emitted(const struct ring_reader *rr, const uint64_t *before, uint64_t *after,
			     unsigned *threads)
{
	uint64_t sum = 0;

	*threads = 0;
	for (uint32_t i = 0; i < rr->nrings; i++) {
		struct dwt_ring *r = ring_at(rr, i);
		uint64_t n = r ? __atomic_load_n(&r->emitted, __ATOMIC_RELAXED) : 0;
		if (after)
			after[i] = n;
		if (before)
			n -= before[i];
		sum += n;
		*threads += n != 0;
	}
	return sum;
}

void ring_reader_unstall(struct ring_reader *rr)
{
	for (uint32_t i = 0; i < rr->nrings; i++) {
		struct dwt_ring *r = ring_at(rr, i);
		if (r && (__atomic_load_n(&r->flags, __ATOMIC_RELAXED) & DWT_RING_STALLED) &&
		    __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == r->tail)
			__atomic_fetch_and(&r->flags, ~DWT_RING_STALLED, __ATOMIC_RELEASE);
	}
}
