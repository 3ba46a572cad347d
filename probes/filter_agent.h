/* Compiling a --filter bound to one layout (filter.h) into the agent's
 * filter program (src/agent/agent_abi.h, "filter programs"), so that the
 * in-process engine rejects calls before their records are written.
 *
 * Only entry-only filters over values the entry's record holds whole
 * compile: integer-like parameters (integers, enums, bool, pointers;
 * members of by-value structs and array elements at a fixed offset) in
 * one register or one captured memory piece, char * strings captured as
 * blobs, tid, pid, enumerators and integer constants.  Anything else
 * (floats, depth, locals, retval, duration_ns, a value in several pieces,
 * FETCH_EXPR locations) leaves the filter to dwtrace (filter_eval). */
#ifndef DWTRACE_FILTER_AGENT_H
#define DWTRACE_FILTER_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "capture_prog.h"
#include "filter.h"

struct filter_agent_prog {
	/* nops struct dwt_filter_op, then the strings they compare with:
	 * size bytes (a multiple of 8, <= DWT_FILTER_MAX_BYTES), malloc'd,
	 * owned (filter_agent_prog_free). */
	uint8_t *bytes;
	uint32_t size, nops;
	/* Reads no blob: the agent runs it before the capture program
	 * (DWT_SITE_FILTER_REGS). */
	bool regs_only;
};

/* Compiles b (bound to b->layout) into *out, reading each value where the
 * entry's capture program entry (capture_prog_compile(b->layout, false,
 * o, ...)) copies it; o: the decode options (an array element past
 * o->array_limit is missing in decoded values, so not compiled).  Returns 0, or -1 with *why a short static phrase
 * saying what the agent cannot evaluate ("names duration_ns", "compares a
 * float") and *out empty.  Never prints. */
int filter_agent_compile(const struct filter_bound *b, const struct capture_prog *entry,
			 const struct decode_opts *o, struct filter_agent_prog *out, const char **why);
void filter_agent_prog_free(struct filter_agent_prog *p);

#endif
