/* The agent engine: dwtrace's side of the in-process fast path.  Loads the
 * agent into the process (inject/loader.h), compiles each probe's capture
 * programs into the agent's op area, patches entries and exits
 * (inject/patch.h), detaches from ptrace so that the program runs free,
 * then drains the agent's rings into the same event stream the ptrace
 * engine feeds (src/record_events.h).  At a stop it attaches again, puts
 * every byte back and leaves the agent in pass-through. */
#ifndef DWTRACE_ENGINE_H
#define DWTRACE_ENGINE_H

#include <stdbool.h>

#include "tracer.h"

/* Why the agent engine cannot trace p as asked (a phrase for "using the
 * ptrace engine: ..."), or NULL when it can try.  Decided before anything
 * is written into the process: -f, --stack, a Go program, probes waiting
 * for a library, IFUNCs whose implementation is bound later. */
const char *agent_engine_unsuitable(const struct tracer *tr, const struct process *p);

/* Takes out the patches a killed dwtrace's agent engine left in p (every
 * thread stopped): found through the agent's site table, put back as they
 * were, so that neither engine takes a patch for the program's code. */
void agent_engine_clean(struct process *p);

/* Why the default engine (auto) leaves p to the ptrace engine although the
 * agent could try (--engine agent does): code the ptrace engine handles
 * better, or NULL. */
const char *agent_engine_unusual(const struct process *p);

/* Traces p (every thread in a ptrace stop, probes resolved) with the agent
 * until the program ends, a stop is requested or the output fails.  traps:
 * instructions that cannot take a jump may become int3s the agent serves
 * (a thread blocking SIGTRAP dies of one: the kernel forces the default
 * action); without, such a probe makes the agent engine give up.
 * Returns 0 after the run (p detached, or exited), 1 when the agent could
 * not be set up and nothing of the program was changed (p still stopped:
 * the caller may use the ptrace engine; *why says why, malloc'd), or -1
 * after printing why tracing failed. */
int agent_engine_run(struct tracer *tr, struct process *p, bool traps, char **why);

#endif
