/* Shared by loader.c (finding, checks) and loader_inject.c (loading). */
#ifndef DWTRACE_INJECT_LOADER_INTERNAL_H
#define DWTRACE_INJECT_LOADER_INTERNAL_H

#include "loader.h"

/* A file mapping of /proc/PID/maps at file offset 0. */
struct loader_mapping {
	uint64_t start, end;
	char name[256];
};

/* The first mapping at file offset 0 whose name satisfies match(name, arg):
 * 0, -ENOENT, or -errno (no /proc/PID/maps). */
int loader_find_mapping(pid_t pid, bool (*match)(const char *name, const char *arg), const char *arg,
			struct loader_mapping *out);

/* Addresses in process pid of the n symbols names[] ("name", or
 * "name|alternative" for a name that may also be spelled so) of the shared object
 * mapped at m, from its ELF symbol table (through /proc/PID/map_files).
 * Returns 0, or -errno with the reason in *why (malloc'd). */
int loader_symbol(pid_t pid, const struct loader_mapping *m, const char *const *names, uint64_t *addrs, size_t n,
		  char **why);

/* What libc.so.6 of the target gives the loader. */
enum { LIBC_DLOPEN, LIBC_PTHREAD_CREATE, LIBC_ATTR_INIT, LIBC_ATTR_SETDETACHSTATE, LIBC_NSYMS };
struct loader_libc {
	uint64_t sym[LIBC_NSYMS];
};

/* The refusals of agent_load (Go, seccomp, static, no libc, old glibc) and
 * libc's symbols: 0, or -errno with the reason in *why. */
int loader_check_target(struct target *t, struct loader_libc *libc, char **why);

/* h->agent read: 0 (ready), -EPROTO (not our magic/abi), -EAGAIN (status 0). */
int loader_check_ctl(struct agent_handle *h);

/* The reason agent_find failed with rc, in one line (malloc'd). */
char *loader_describe_find(const struct target *t, const struct agent_handle *h, int rc);

#endif
