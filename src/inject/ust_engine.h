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

/* Loads libdwtrace-ust.so (next to dwtrace, as own_lib_path() finds it)
 * into t unless it is there already, as the agent is loaded (every thread
 * of t stopped on entry and on return; see library_load()).  Its DT_NEEDED
 * liblttng-ust.so.1 comes with it; lttng-ust's constructor registers the
 * program with the session daemon on the loading thread, not on a thread
 * of the program's.  Returns 0, or -errno with a one-line reason in *why
 * (malloc'd). */
int ust_engine_load(struct target *t, char **why);

/* Registers the entry and exit events of the n layouts with the emitter
 * of t under provider, through the mailbox at agent->ust, which mailbox
 * points to in dwtrace's own mapping of the agent's region: writes the
 * description (probes/ust_desc.c, the program's shape: no pid/tid
 * fields), wakes the emitter's control thread, waits up to 10 s.  The
 * program should be running (lttng-ust waits for RCU readers when a
 * tracepoint is registered) unless it is a started program stopped at its
 * entry point.  entry_slot[i], exit_slot[i] get the emitter's slots
 * (struct dwt_site.ust_event; 0 for an event it could not register, said
 * in *why).  Returns 0 (*why NULL, or a warning about some events), or
 * -errno with the reason in *why (malloc'd). */
int ust_engine_register(const struct dwt_agent *agent, void *mailbox, const char *provider,
			const struct event_layout *const *layouts, size_t n, uint32_t *entry_slot, uint32_t *exit_slot,
			char **why);

#endif
