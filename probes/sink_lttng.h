/* The LTTng-UST sink, in the module libdwtrace-lttng.so. */
#ifndef DWTRACE_SINK_LTTNG_H
#define DWTRACE_SINK_LTTNG_H

#include "sink.h"

/* Events PROVIDER:FUNCTION_entry and _exit.  Layouts announced with
 * ops->layout_added are registered with lttng-ust at the next flush (or
 * first use).  with_stack adds the string field "stack" to entry events. */
struct sink *dwtrace_lttng_sink_new(const char *provider, bool with_stack);

/* The symbol dwtrace looks up after loading the module. */
#define DWTRACE_LTTNG_SINK_NEW "dwtrace_lttng_sink_new"

#endif
