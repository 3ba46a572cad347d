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

/* dwtrace list -v: for each address probe spec names (FUNC, FILE:LINE,
 * MODULE:0xOFFSET, FUNC+OFF), a line "FUNC+0xOFF MODULE 0xADDR FILE:LINE"
 * (ADDR as the ELF file has it), then one line per variable available
 * there: its C declaration and where it lives (fetch_plan_describe), the
 * parameters first, then the other variables in scope, innermost block
 * first.  In file (a path or library name) when pid is 0 and argv NULL,
 * in process pid (not stopped), or in argv started and killed at its entry
 * point as list_command does.  Returns the exit status. */
int list_variables(const char *file, pid_t pid, char **argv, const char *spec);

#endif
