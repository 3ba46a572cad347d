/* From captured records to events: the one place both producers (the
 * ptrace engine, the agent's rings) hand their records to.  It decodes a
 * record (never live memory), keeps the calls in flight that exits are
 * matched against (per thread, or per goroutine in Go code), and writes
 * entry and exit events to the sink. */
#ifndef DWTRACE_RECORD_EVENTS_H
#define DWTRACE_RECORD_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "call_stack.h"
#include "decode.h"
#include "record.h"
#include "sink.h"
#include "u64_map.h"

struct probe_site;

struct event_stream {
	struct sink *sink;
	struct decode_opts dopts;
	struct arena arena;          /* one event's values; reset after each event */
	struct u64_map calls;        /* tid -> struct call_stack */
	struct u64_map go_calls;     /* pid -> struct u64_map: runtime.g -> struct call_stack */
	int64_t real_minus_mono;     /* CLOCK_REALTIME - CLOCK_MONOTONIC at init, ns */
	unsigned long events;
	unsigned long lost_returns;  /* calls left without returning (longjmp, exceptions) */
	uint64_t last_call_id;       /* event_header.call_id: the last one given */
	/* -c / -C (probes/stats.h): every call is counted there; NULL without.
	 * Not owned. */
	struct stats *stats;
	bool no_events;              /* -c: the sink gets no entry/exit events, only the summary */
	unsigned long filtered;      /* calls --filter dropped here (not those the agent dropped) */
};

/* Starts es writing to sink (not owned) with decode options opts. */
void event_stream_init(struct event_stream *es, struct sink *sink, const struct decode_opts *opts);
/* Tracing ended: the calls in flight are counted as unfinished in
 * es->stats (when set) and forgotten.  Call it before writing the summary. */
void event_stream_finish(struct event_stream *es);
/* Frees the calls in flight and the arena (not the sink). */
void event_stream_free(struct event_stream *es);

/* Hands one record of site to es.  ENTRY: the entry event (with stack,
 * NULL without --stack) and, unless site->entry_only, a call in flight.
 * EXIT: calls left below the record's stack pointer are dropped (counted
 * in lost_returns); when the innermost call is site's at that stack
 * pointer, it ends: the exit event (return value decoded from r unless
 * tail_call, the function a tail call jumped to), its duration from the
 * two records' ts_ns; a site->ifunc_resolver call ends without an event.
 * Returns true when r entered or ended a call, false when it matched none
 * (an exit of a call entered before tracing began, or an entry again at
 * the same stack pointer: see event_stream_reentry()). */
bool event_stream_record(struct event_stream *es, struct probe_site *site, const struct capture_record *r,
			 const struct stack_trace *stack, const char *tail_call);

/* Whether entry record r is site's call in flight starting again at its
 * entry (a function jumping back to its first instruction, Go's prologue
 * after runtime.morestack): no event then; the call's stack top is
 * updated.  The ptrace engine asks before unwinding a stack. */
bool event_stream_reentry(struct event_stream *es, struct probe_site *site, const struct capture_record *r);

/* Whether a call of site is in flight in r's thread (or goroutine) with
 * its entry's stack pointer at or below r's: an exit in code several
 * functions share costs the others nothing more than this. */
bool event_stream_in_flight(struct event_stream *es, struct probe_site *site, const struct capture_record *r);

/* tid's calls in flight (created empty when none). */
struct call_stack *event_stream_calls(struct event_stream *es, int32_t tid);
/* A new thread or process child whose stack is a copy of parent's. */
void event_stream_thread_copy(struct event_stream *es, int32_t parent, int32_t child);
/* tid is gone, or runs a new image: its calls in flight are forgotten. */
void event_stream_thread_gone(struct event_stream *es, int32_t tid);
/* Process pid is gone or runs a new image: its goroutines' calls are forgotten. */
void event_stream_process_gone(struct event_stream *es, int32_t pid);

#endif
