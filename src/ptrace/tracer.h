/* The tracer: traced processes, and the event loop that serves them. */
#ifndef DWTRACE_TRACER_H
#define DWTRACE_TRACER_H

#include <signal.h>
#include <stdbool.h>

#include "arena.h"
#include "breakpoint.h"
#include "decode.h"
#include "dw_session.h"
#include "probe_site.h"
#include "scratch.h"
#include "sigtrap_guard.h"
#include "record_events.h"
#include "sink.h"
#include "target.h"

/* One traced process and what dwtrace placed in it. */
struct process {
	struct target t;
	struct dw_session *dw;       /* its modules */
	struct probe_set probes;
	struct breakpoint_table bps;
	struct scratch scratch;      /* out-of-line copies of displaced instructions */
	uint64_t r_debug;            /* the dynamic linker's r_debug, 0 when not watched */
	struct u64_map live_modules; /* struct dw_module * → 1 while it is mapped */
	size_t nplaced;              /* probes placed */
	size_t nundecodable;         /* probes with entry events only for want of decoding */
	struct dw_range *code_maps;  /* executable mappings when probes were last placed */
	size_t ncode_maps;
	/* --stack: pc << 1 (bit 0 set: return address) → struct symbolized;
	 * bit 63 set: a hash of a callee pc and a return address → the
	 * tail-call frames between them (stack.c) */
	struct u64_map symbols;
	uint64_t entry_bp;           /* a new image running to its entry point (-f, exec) */
	uint8_t entry_orig[ARCH_BREAKPOINT_LEN];
	struct sigtrap_guard sigtrap; /* the program's SIGTRAP handler, kept through our traps */
	struct process *next;
};

struct tracer {
	struct process *procs;       /* the first one is the one dwtrace started or attached to */
	char **specs;                /* the -e specs, for images found later (-f) */
	size_t nspecs;
	struct sink *sink;
	struct decode_opts dopts;
	struct event_stream es;      /* records to events: sink, arena, calls in flight, counters */
	size_t threads_seen;
	size_t processes_seen;       /* processes traced over the run, the first included */
	struct u64_map placed_probes;/* module path and address of every probe placed over the run */
	bool *spec_pending;          /* per -e spec: a MODULE: probe waiting for its module */
	bool *spec_loaded;           /* per -e spec: its module was loaded in some image */
	volatile sig_atomic_t *stop_requested;
	struct u64_map early_tasks;  /* tids that stopped before their parent's clone event */
	bool follow;                 /* -f: fork/vfork children and exec */
	size_t stack_depth;          /* --stack: frames at each entry, 0 for none */
	bool detached;
	bool output_failed;          /* a sink flush failed (next_event): detach, say "output closed" */
	bool *spec_waiting;          /* per -e spec: a bare name no image had yet (-f) */
	bool engine_agent;           /* the agent engine traced the first process */
	unsigned long dropped;       /* agent: records dropped (rings full) */
	unsigned long nested;        /* agent: hits inside a hit (signal handlers), not recorded */
	unsigned long corrupt;       /* agent: records that did not parse */
	unsigned long filtered_in_program; /* agent: calls its --filter rejected in the program (no records) */
	/* --lttng/--ctf: the provider; with the agent engine the program's
	 * own threads write the events (src/inject/ust_engine.h), else
	 * dwtrace's sink does.  NULL for text and JSON. */
	const char *ust_provider;
	bool ust_blocking;           /* --ctf: the session's channel blocks when full */
	double duration;             /* --duration: seconds of tracing once the probes are live (0: none) */
	/* --filter (not owned), NULL without: bound to the probes of every
	 * image found later (struct probe_set.filter). */
	const struct filter *filter;
	bool filter_lttng;
	/* -c / -C: copied into es when an engine starts it (not owned). */
	struct stats *stats;
	bool no_events;
};

/* The probes are live (either engine): starts the --duration clock, a
 * SIGALRM tr->duration seconds from now (ITIMER_REAL), so that set-up
 * time, however long, is not taken from the tracing. */
void tracer_live(struct tracer *tr);

/* A process record for target t; takes over t (its threads become the
 * process's). */
struct process *process_new(void);
void process_free(struct process *p);

/* Places every probe of p (resolved, all threads stopped), entries and
 * exits, makes p the tracer's first process and resumes it.  A probe
 * whose instruction cannot be relocated is left out with a message.
 * Returns 0, or -1 after printing why (p is then unchanged and stopped). */
int tracer_start(struct tracer *tr, struct process *p);

/* Runs until no traced task is left or a stop is requested (then detaches,
 * leaving every process running unmodified). */
void tracer_run(struct tracer *tr);

/* The number of probes placed over the run (one per function and module,
 * however often its module was loaded), and the processes' own. */
size_t tracer_probes_placed(struct tracer *tr);

/* Warns about each MODULE: probe whose module no traced image ever loaded. */
void tracer_warn_unloaded(struct tracer *tr);

/* Notes the specs (pointers into tr->specs) that are bare names the first
 * image lacks (-f): a note says when they are placed, a warning at the end
 * if never. */
void tracer_note_waiting(struct tracer *tr, const char **waiting, size_t n);

/* Makes p the tracer's first process (the agent engine, which does not
 * run the ptrace event loop). */
void tracer_adopt(struct tracer *tr, struct process *p);

/* Frees the tracer and its processes but the first. */
void tracer_free(struct tracer *tr);

#endif
