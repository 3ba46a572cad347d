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
};

/* A layout for f, with empty plans for the caller (the architecture) to fill. */
struct event_layout *event_layout_new(const struct dw_function *f, unsigned id);
void event_layout_free(struct event_layout *l);

#endif
