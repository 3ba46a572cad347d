/* A thread that dwtrace's libraries start inside the traced program (the
 * agent's watchdog, the LTTng emitter's control thread): compiled into each
 * library that needs it. */
#ifndef DWTRACE_AGENT_QUIET_THREAD_H
#define DWTRACE_AGENT_QUIET_THREAD_H

#include <stddef.h>

/* Starts fn(NULL) on a detached thread of stack_size bytes named name,
 * created with every signal blocked, so that none of the program's signals
 * is ever delivered to it.  0 or -errno (pthread_create's error). */
int quiet_thread_start(void *(*fn)(void *), size_t stack_size, const char *name)
	__attribute__((visibility("hidden")));

#endif
