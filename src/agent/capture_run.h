/* Running a capture program at a hit: the one piece of code both producers
 * share (the agent in the traced process, the ptrace engine in dwtrace).
 * Freestanding: no libc, no vector registers, no allocation. */
#ifndef DWTRACE_CAPTURE_RUN_H
#define DWTRACE_CAPTURE_RUN_H

#include <stdint.h>

#include "agent_abi.h"

/* How a producer reads the program's memory. */
struct capture_mem {
	void *ctx;
	/* Copies up to len bytes at addr into buf without ever faulting: the
	 * count copied (short when the range runs into unreadable memory), or
	 * -1 when nothing could be read.  stack: the range is in the thread's
	 * stack above its stack pointer (struct dwt_cap_op flags DWT_OP_STACK). */
	long (*read)(void *ctx, uint64_t addr, void *buf, uint32_t len, int stack);
};

/* The most bytes capture_run() writes for ops (blob headers, data, padding);
 * UINT32_MAX when that does not fit 32 bits (corrupt ops). */
uint32_t capture_max_bytes(const struct dwt_cap_op *ops, uint32_t nops);

/* Runs ops (nops of them) against the registers regs and memory mem,
 * writing one struct dwt_blob (+ data padded to 8 bytes) per op into out.
 * Returns the bytes written (a multiple of 8), or 0 when out_size is below
 * capture_max_bytes() (nothing is written then). */
uint32_t capture_run(const struct dwt_cap_op *ops, uint32_t nops, const struct dwt_regs *regs,
		     const struct capture_mem *mem, uint8_t *out, uint32_t out_size);

#endif
