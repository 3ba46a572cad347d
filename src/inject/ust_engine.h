/* The agent engine's LTTng side (--lttng, --ctf): the in-process emitter
 * libdwtrace-ust.so loaded into the program, and the events of the placed
 * probes registered there, so that the program's own threads write them
 * into its own LTTng-UST buffers (src/agent/ust_abi.h has the protocol). */
#ifndef DWTRACE_INJECT_UST_ENGINE_H
#define DWTRACE_INJECT_UST_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "agent_abi.h"
#include "event_layout.h"
#include "target.h"

struct agent_handle;
struct ring_reader;

/* --lttng/--ctf with the agent engine, the agent loaded in t (every thread
 * stopped): loads libdwtrace-ust.so (next to dwtrace, as own_lib_path()
 * finds it; its DT_NEEDED liblttng-ust.so.1 comes with it, and lttng-ust's
 * constructor registers the program with the session daemon on the
 * loading thread, not on one of the program's) unless it is there, and
 * registers the entry and exit events of the n layouts under provider
 * through the mailbox at h->agent.ust (rr maps it): the description
 * (probes/ust_desc.c, the program's shape: no pid/tid fields), a wake of
 * the emitter's control thread, up to 10 s of waiting.  The program runs
 * meanwhile (lttng-ust waits for RCU readers when it registers a
 * tracepoint) unless it is a started program held at its entry point;
 * every thread is stopped again on return.  entry_slot[i], exit_slot[i]
 * get the emitter's slots (struct dwt_site.ust_event; 0 for an event it
 * could not register, with a warning).  Returns 0, or -errno with a
 * one-line reason in *why (malloc'd). */
int ust_engine_setup(struct target *t, struct agent_handle *h, const struct ring_reader *rr, const char *provider,
		     const struct event_layout *const *layouts, size_t n, uint32_t *entry_slot, uint32_t *exit_slot,
		     char **why);

/* --ctf and an attached program: says in one line when its environment
 * lacks LTTNG_UST_ALLOW_BLOCKING, which lttng-ust reads when it starts
 * (lttng-ust(3)): without it a blocking channel discards when full. */
void ust_engine_note_blocking(const struct target *t);

#endif
