/* dwtrace's own libraries (libdwtrace-lttng.so, libdwtrace-agent.so): where
 * they are for the dwtrace executable that runs. */
#ifndef DWTRACE_OWN_LIB_H
#define DWTRACE_OWN_LIB_H

#include <stddef.h>

/* The candidate paths of library name (a file name), in the order to try:
 * i = 0 next to the dwtrace executable (/proc/self/exe's directory: a build
 * tree), i = 1 in its ../lib/dwtrace/ (an installed dwtrace).  Returns 0 and
 * the path in buf, -ENOENT when there is no candidate i, or another -errno
 * (dwtrace's own executable cannot be found, or buf is too small). */
int own_lib_candidate(const char *name, int i, char *buf, size_t size);

/* The first candidate of name that exists: 0 and the path in buf, or
 * -ENOENT (buf then holds the last candidate tried, for a message). */
int own_lib_path(const char *name, char *buf, size_t size);

#endif
