/* Running a filter program (agent_abi.h, "filter programs") at an entry
 * hit, over the record being captured.  Freestanding like capture_run.c:
 * compiled into the agent's hot path (no libc, no allocation, no vector
 * registers) and into dwtrace's probes library for the unit tests. */
#ifndef DWTRACE_FILTER_RUN_H
#define DWTRACE_FILTER_RUN_H

#include <stdint.h>

#include "agent_abi.h"

/* What a filter program reads: the hit's registers, the blobs capture_run()
 * wrote (blobs_size bytes at blobs, the first struct dwt_blob; 0 and NULL
 * when the filter runs before the capture: DWT_SITE_FILTER_REGS), and the
 * thread and process ids.  The blob bytes may be in memory another
 * process writes too (a ring shared with a fork child): they are read as
 * data, every length checked against blobs_size. */
struct filter_view {
	const struct dwt_regs *regs;
	const uint8_t *blobs;
	uint32_t blobs_size;
	uint32_t tid, pid;
};

/* Runs the filter program of size bytes at prog (nops struct dwt_filter_op,
 * then its strings; 8-byte aligned) over v.  Returns 0 when the filter
 * rejects the call, 1 when it keeps it or decides nothing (a malformed
 * program, a string cut at the capture limit, a shift count out of
 * range): the record is written then, and dwtrace's filter decides.
 * At most nops steps; never reads outside prog + size, v->regs and
 * v->blobs + v->blobs_size. */
int filter_run(const uint8_t *prog, uint32_t size, uint32_t nops, const struct filter_view *v);

#endif
