/* The event loop: every ptrace stop of every traced task goes through
 * next_event() and is handled by dispatch_event(). */
#ifndef DWTRACE_TRACER_H
#define DWTRACE_TRACER_H

#include <signal.h>
#include <stdbool.h>

#include "arena.h"
#include "breakpoint.h"
#include "decode.h"
#include "probe_site.h"
#include "scratch.h"
#include "sink.h"
#include "target.h"

struct tracer {
	struct target *target;
	struct probe_set *probes;
	struct dw_session *dw;       /* the target's modules */
	uint64_t r_debug;            /* the dynamic linker's r_debug, 0 when not watched */
	struct u64_map live_modules; /* struct dw_module * → 1 while it is mapped */
	struct breakpoint_table bps;
	struct scratch scratch;      /* out-of-line copies and the trampoline */
	uint64_t trampoline;         /* return trampoline address */
	size_t nplaced;              /* probes placed */
	struct sink *sink;
	struct decode_opts dopts;
	struct arena arena;
	unsigned long events;
	unsigned long lost_returns;  /* frames left by longjmp and the like */
	volatile sig_atomic_t *stop_requested;
	struct u64_map early_tasks;  /* tids that stopped before their parent's clone event */
	bool follow;                 /* -f */
	bool detached;
	bool output_failed;
};

/* Places every probe's breakpoint and the return trampoline in the target,
 * all of whose threads are stopped, and resumes them.  A probe whose
 * instruction cannot be relocated is left out with a message.  Returns 0, or
 * -1 after printing why (the target is then unchanged and still stopped). */
int tracer_start(struct tracer *tr);

/* Runs until no traced task is left or a stop is requested (then detaches,
 * leaving the target running unmodified). */
void tracer_run(struct tracer *tr);

void tracer_free(struct tracer *tr);

#endif
