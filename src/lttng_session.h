/* LTTng sessions for --lttng and --ctf, through liblttng-ctl, and loading
 * the LTTng-UST sink module. */
#ifndef DWTRACE_LTTNG_SESSION_H
#define DWTRACE_LTTNG_SESSION_H

#include <stdbool.h>

#include "sink.h"

/* Loads libdwtrace-lttng.so (next to the dwtrace executable, or in
 * ../lib/dwtrace) and makes the sink.  Returns NULL after printing why. */
struct sink *lttng_sink_load(const char *provider, bool with_stack);

/* True when a session daemon answers (for the LTTNG_HOME in force). */
bool lttng_sessiond_running(void);

/* --ctf DIR: starts a session daemon if none runs, creates a session
 * writing to dir, enables PROVIDER:* in a blocking channel, and starts it.
 * Returns 0 and the session's name in *name, or -1 after printing why. */
int ctf_session_begin(const char *dir, const char *provider, char **name);

/* Stops (waiting for the data to be written) and destroys the session. */
int ctf_session_end(char *name, const char *dir);

#endif
