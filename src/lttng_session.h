/* LTTng sessions for --lttng and --ctf, through liblttng-ctl, and loading
 * the LTTng-UST sink module. */
#ifndef DWTRACE_LTTNG_SESSION_H
#define DWTRACE_LTTNG_SESSION_H

#include <stdbool.h>
#include <sys/types.h>

#include "sink.h"

/* Loads libdwtrace-lttng.so (next to the dwtrace executable, or in
 * ../lib/dwtrace) and makes the sink.  Returns NULL after printing why. */
struct sink *lttng_sink_load(const char *provider, bool with_stack);

/* True when a session daemon answers (for the LTTNG_HOME in force). */
bool lttng_sessiond_running(void);

/* --ctf DIR: creates dir (an existing one must be an empty directory),
 * starts a session daemon if none runs (not a child of dwtrace; stopped
 * again by ctf_session_end or stop_own_sessiond), creates a session writing
 * to dir that tracks only dwtrace's own vpid, enables PROVIDER:* in a
 * blocking channel, and starts it.  Returns 0 and the session's name in
 * *name (the caller passes it to ctf_session_end), or -1 after printing why,
 * with no daemon or session left running. */
int ctf_session_begin(const char *dir, const char *provider, char **name);

/* Adds process pid (a traced program whose own lttng-ust writes the
 * events: the agent engine) to the vpid tracker of session name.  0, or
 * -1 after printing why. */
int ctf_session_track(const char *name, pid_t pid);

/* A sink that loads libdwtrace-lttng.so (lttng_sink_load) when it is first
 * given an event layout or an event, so that dwtrace's own process
 * registers with the session daemon only when it writes events itself
 * (the ptrace engine); with the agent engine the program does.  Never
 * NULL; a load that fails prints why and makes flush fail. */
struct sink *lttng_sink_deferred(const char *provider, bool with_stack);

/* Loads the module of a sink lttng_sink_deferred() made, now: 0, or -1
 * after printing why. */
int lttng_sink_deferred_load(struct sink *s);

/* Stops (waiting for the data to be written) and destroys the session, then
 * stops the session daemon ctf_session_begin started, if it did.  Frees
 * name.  traced: tracing started, so a note says where the trace is (none
 * when dwtrace gave up before).  Returns 0, or -1 after printing why. */
int ctf_session_end(char *name, const char *dir, bool traced);

/* Stops the session daemon ctf_session_begin started (SIGTERM, SIGKILL
 * after 5 s), by a pidfd so no other process can be hit; nothing if it
 * started none or it is stopped already. */
void stop_own_sessiond(void);

#endif
