/* An event's layout: the fields a probe's entry and exit events carry, built
 * once from the function's signature when the probe is placed.  Sinks format
 * events from a layout and decoded values; the LTTng sink registers one event
 * description per layout. */
#ifndef DWTRACE_EVENT_LAYOUT_H
#define DWTRACE_EVENT_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dw_session.h"
#include "dw_type.h"
#include "fetch_plan.h"

struct layout_field {
	const char *name;
	const struct dw_type *type;
	struct fetch_plan plan;
	bool unnamed;                /* the parameter has no name in DWARF: name is "argN" */
};

/* What a layout's events are (issue 13). */
enum layout_kind {
	LAYOUT_CALL = 0,     /* a function's entry and exit events ("entry", "exit") */
	/* One instruction inside a function (MODULE:0xOFFSET, FUNC+0xOFF,
	 * FILE:LINE): one event per hit, "type":"probe", with the function's
	 * parameters (fields) and every other variable in scope (locals),
	 * both located at that pc from DWARF. */
	LAYOUT_POINT = 1,
	/* The entry of a copy of a function inlined into another: entry
	 * events only, marked inlined; fields located from DWARF there. */
	LAYOUT_INLINED = 2,
};

struct event_layout {
	unsigned id;
	const char *function;
	const char *module;          /* file name of the ELF object */
	const struct dw_function *fn;
	struct layout_field *fields; /* the parameters, at the entry */
	size_t nfields;
	bool variadic;
	bool raw;                    /* no DWARF: raw integer registers */
	bool has_ret;                /* false for void */
	struct layout_field ret;     /* "retval", at the return */
	bool entry_vregs, exit_vregs; /* plans read vector/x87 registers */
	enum layout_kind kind;
	/* The fields' plans come from DWARF locations at the probe's pc, not
	 * from the calling convention (clones, other languages, points,
	 * inlined copies). */
	bool from_locations;
	/* A compiler clone probed as its function ("constprop", "isra",
	 * "part"; function is then the original's name), else NULL. */
	const char *clone_kind;
	/* LAYOUT_POINT and LAYOUT_INLINED: the probed address's offset from
	 * the start of the function containing it, and its source position
	 * from the line table (file NULL when unknown). */
	uint64_t offset;
	const char *file;
	int line;
	/* LAYOUT_POINT: the variables in scope other than the parameters,
	 * innermost block first (decode_entry returns nfields + nlocals
	 * values: the fields, then these). */
	struct layout_field *locals;
	size_t nlocals;
	/* LAYOUT_INLINED: the function the copy was inlined into (where it
	 * was called: file, line; NULL/0 when unknown). */
	const char *inlined_into;
	const char *call_file;
	int call_line;
	/* --filter bound to this layout (probes/filter.h), NULL to keep every
	 * call; owned: event_layout_free frees it. */
	struct filter_bound *filter;
};

/* One frame of a call stack, symbolized. */
struct stack_frame {
	uint64_t addr;               /* pc of frame 0, return addresses above */
	const char *function;        /* NULL when unknown */
	uint64_t offset;             /* from the function's start */
	const char *module;          /* file name of the ELF object, NULL when unknown */
	const char *file;            /* source file, NULL when unknown */
	int line;                    /* 0 when unknown */
	bool inlined;                /* an inlined call, sharing addr with the next frame */
	/* A function not on the stack that tail-called the next inner frame's
	 * function (from DWARF call sites, as gdb shows it): addr is the
	 * return address of its tail call (the jump's end), not a pc it runs. */
	bool tail_call;
};

struct stack_trace {
	const struct stack_frame *frames; /* innermost first */
	size_t n;
	const char *stopped;         /* why unwinding ended early, or NULL */
};

/* What every event carries besides its fields. */
struct event_header {
	uint64_t ts_ns;              /* CLOCK_REALTIME, nanoseconds */
	int32_t pid, tid;
	const struct stack_trace *stack; /* entry events with --stack, else NULL */
	/* Exit events left by a tail call: the function jumped to ("g",
	 * "g+0x10", or an address); the return value is then not known. */
	const char *tail_call;
	/* The call's id, unique in the run (from 1), the same in an entry
	 * and its exit; entry-only events (points, inlined copies) have their
	 * own.  0: none (an exit whose entry was before tracing began). */
	uint64_t call_id;
	/* Calls of traced functions (with exits: LAYOUT_CALL) in flight in
	 * the thread (Go: the goroutine) at the entry, this one excluded:
	 * 0 outermost.  An exit has its entry's. */
	uint32_t depth;
	/* An entry no exit event will follow: points, inlined copies, and
	 * functions whose exits are not all known (probe_site.entry_only). */
	bool entry_only;
};

/* A layout for f, with empty plans for the caller (the architecture) to fill. */
struct event_layout *event_layout_new(const struct dw_function *f, unsigned id);
void event_layout_free(struct event_layout *l);

#endif
