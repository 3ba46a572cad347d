#ifndef DWTRACE_LIST_CMD_H
#define DWTRACE_LIST_CMD_H

#include <sys/types.h>

/* Prints the functions of file (a path, or a library name found as the
 * dynamic linker finds it) matching glob; returns the exit status. */
int list_functions(const char *file, const char *glob);

/* Prints the functions of every module of process pid matching glob,
 * grouped under "# PATH" lines, without stopping the process; returns the
 * exit status. */
int list_process(pid_t pid, const char *glob);

/* Starts argv stopped at its entry point, prints the functions of every
 * module it has then (as list_process), and kills it before any of its own
 * code ran; returns the exit status. */
int list_command(char **argv, const char *glob);

#endif
