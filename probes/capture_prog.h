/* Capture programs: what a probe hit must copy so that decoding the record
 * gives what decoding live memory gave.  Compiled from an event layout
 * (fields, their fetch plans, their types) into the struct dwt_cap_op list
 * of src/agent/agent_abi.h, which capture_run() runs at the hit in either
 * producer (the agent in the program, the ptrace engine in dwtrace). */
#ifndef DWTRACE_CAPTURE_PROG_H
#define DWTRACE_CAPTURE_PROG_H

#include <stdbool.h>
#include <stdint.h>

#include "agent_abi.h"
#include "decode.h"
#include "event_layout.h"

struct capture_prog {
	struct dwt_cap_op ops[DWT_MAX_OPS_PER_SITE];
	uint32_t nops;
	/* Bytes of the whole record at most: header, vector registers when
	 * vregs, and capture_max_bytes() of the ops; <= DWT_MAX_RECORD. */
	uint32_t max_record;
	bool vregs;            /* the record needs struct dwt_vregs (xmm0-7, st0) */
	/* The op copying the 8 bytes at runtime.g + 8 (g.stack.hi) of a Go
	 * site, whose calls are tracked per goroutine; -1 for other code. */
	int go_stack_hi_op;
	/* Reads decode would make that did not fit (op count or record size):
	 * their values decode as unavailable or unreadable. */
	uint32_t left_out;
};

/* Compiles the reads decode_entry() (exit false) or decode_return() (exit
 * true) makes for layout l with options o into *p (a LAYOUT_POINT's locals
 * after its fields): every register-relative or absolute (FETCH_ABS)
 * memory piece of the fetch plans, the memory FETCH_EXPR pieces read where
 * their addresses are known before the hit (capture_expr.h), then what
 * decode dereferences (char *
 * strings, C++ references up to 64 KiB, std::string/string_view characters,
 * members and array elements of those, limited as o limits them).  go: the
 * site is Go code (adds go_stack_hi_op).  Never fails: what does not fit
 * DWT_MAX_OPS_PER_SITE or DWT_MAX_RECORD is counted in left_out and
 * decodes as unavailable. */
void capture_prog_compile(struct capture_prog *p, const struct event_layout *l, bool exit,
			  const struct decode_opts *o, bool go);

#endif
