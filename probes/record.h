/* A captured record, parsed: what one probe hit copied (src/agent/agent_abi.h
 * struct dwt_rec_hdr, registers, optional vector registers, one blob per
 * capture op).  Decode reads values only through record_value_source(),
 * never live memory, whichever producer (agent ring, ptrace engine) made
 * the record. */
#ifndef DWTRACE_RECORD_H
#define DWTRACE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "agent_abi.h"
#include "decode.h"

struct record_blob {
	uint64_t addr;           /* where the bytes were read */
	uint32_t len;            /* bytes at data */
	uint32_t flags;          /* DWT_BLOB_* */
	const uint8_t *data;     /* inside the record's buffer */
};

struct capture_record {
	uint16_t kind;           /* DWT_REC_ENTRY or DWT_REC_EXIT */
	uint32_t site;           /* the producer's site index */
	uint32_t tid;
	/* CLOCK_MONOTONIC ns of the hit: record_parse() copies the header's
	 * ts; a producer whose clock is TSC ticks converts it afterwards. */
	uint64_t ts_ns;
	/* Set by the producer after record_parse() (not in the record): the
	 * process the record came from, and the op of the site's program that
	 * copied runtime.g's stack.hi (struct capture_prog go_stack_hi_op, -1
	 * when none). */
	int32_t pid;
	int go_stack_hi_op;
	struct dwt_regs regs;
	const struct dwt_vregs *vregs; /* NULL unless the record has DWT_REC_VREGS */
	uint32_t nblobs;
	struct record_blob blobs[DWT_MAX_OPS_PER_SITE];
	/* Entries: calls the agent's --filter rejected in the program that
	 * are in flight around this one (struct dwt_rec_hdr flags,
	 * DWT_REC_REJECTED_SHIFT), for its depth; 0 from other producers. */
	uint32_t rejected_above;
};

/* Parses the record of size bytes at buf (8-byte aligned, as a ring or
 * record_build() leaves it) into *r, which points into buf (keep buf while
 * r is used).  nops: the blobs the site's program makes, or -1 when not
 * known.  Returns 0, or -EINVAL for a corrupt record (header size not
 * size, a blob running past the end, more or fewer blobs than nops, a
 * padding or unknown kind): nothing is read past buf + size. */
int record_parse(const void *buf, size_t size, int nops, struct capture_record *r);

/* The bytes captured at addr in r's blobs (the blob holding the most of
 * them), in place: their count in *n, or NULL (*n 0) when none is. */
const uint8_t *record_bytes(const struct capture_record *r, uint64_t addr, uint64_t *n);

/* A deep copy of r (registers, vector registers and every blob's bytes)
 * that owns its memory and outlives the buffer r points into: what an
 * entry held for a --filter decided at the exit keeps.  Freed with
 * record_free.  (Added by F.) */
struct capture_record *record_copy(const struct capture_record *r);
void record_free(struct capture_record *r);

/* A value_source over r: registers from r->regs (and xmm0-7, st0, st1
 * from r->vregs when present), memory from the blob that holds the address
 * (the most bytes when several do); anything not captured is unreadable. */
struct value_source record_value_source(const struct capture_record *r);

#endif
