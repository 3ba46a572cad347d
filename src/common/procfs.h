/* Reading /proc/PID: one place that knows the paths and the formats of
 * proc(5) (auxv, maps, mem, stat, status, comm, task/).  Generic (no
 * dwtrace state), so dwarf/ may use it too.  Errors come back as values;
 * nothing prints. */
#ifndef DWTRACE_PROCFS_H
#define DWTRACE_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Writes "/proc/PID/NAME" (tid <= 0) or "/proc/PID/task/TID/NAME" into
 * buf; name "" gives the directory itself.  Returns buf.  64 bytes hold
 * any path of a name up to 20 bytes. */
char *procfs_path(char *buf, size_t size, pid_t pid, pid_t tid, const char *name);

/* open(2) of /proc/PID/NAME with flags | O_CLOEXEC: the descriptor, or -1
 * with errno set.  Async-signal-safe. */
int procfs_open(pid_t pid, const char *name, int flags);

/* /proc/PID/mem opened for reading and writing (the caller must be allowed
 * to ptrace pid), or -1 with errno; the caller closes it. */
int procfs_open_mem(pid_t pid);

/* Reads the start of /proc/PID[/task/TID]/NAME (tid <= 0: the process's)
 * into buf, at most size - 1 bytes, NUL-terminated: the byte count, or -1
 * with errno.  For small files (stat, status, comm). */
ssize_t procfs_read(pid_t pid, pid_t tid, const char *name, char *buf, size_t size);

/* The value of auxiliary vector entry type (AT_ENTRY, AT_BASE, AT_HWCAP:
 * <elf.h>) of process pid, from /proc/PID/auxv (one 64-bit type, value
 * pair per entry).  Returns 0, -ENOENT when pid's vector lacks it, or
 * -errno when it cannot be read. */
int procfs_auxv(pid_t pid, uint64_t type, uint64_t *value);

/* The numeric field key ("TracerPid", "Seccomp", "Pid") of
 * /proc/PID[/task/TID]/status.  Returns 0, -ENOENT when absent, -errno. */
int procfs_status_long(pid_t pid, pid_t tid, const char *key, long *value);

/* The start of field (numbered as in proc(5), 3 or more) of the
 * /proc/PID/stat line in buf (len bytes), or NULL.  Fields follow the last
 * ')', since the command name may hold anything.  Async-signal-safe. */
const char *proc_stat_field(const char *buf, size_t len, int field);

/* One line of /proc/PID/maps. */
struct procfs_map {
	uint64_t start, end;         /* [start, end) */
	char perms[5];               /* "r-xp" */
	uint64_t offset;             /* in the file */
	uint64_t inode;              /* 0 for anonymous memory */
	const char *path;            /* "" when none, "[stack]", "/usr/lib/..."; valid
					until the next procfs_maps_next */
};

/* An iterator over /proc/PID/maps; lines longer than its buffer (a path
 * of more than 4 KiB) are skipped. */
struct procfs_maps {
	FILE *f;
	char line[4200];
};

/* Opens pid's maps: 0, or -errno. */
int procfs_maps_open(struct procfs_maps *it, pid_t pid);
/* The next mapping into *m: true, or false at the end. */
bool procfs_maps_next(struct procfs_maps *it, struct procfs_map *m);
/* Back to the first mapping (the file is read anew). */
void procfs_maps_rewind(struct procfs_maps *it);
void procfs_maps_close(struct procfs_maps *it);

#endif
