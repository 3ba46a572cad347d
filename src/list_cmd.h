#ifndef DWTRACE_LIST_CMD_H
#define DWTRACE_LIST_CMD_H

/* Prints the functions of file matching glob; returns the exit status. */
int list_functions(const char *file, const char *glob);

#endif
