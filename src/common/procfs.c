/* Reading /proc/PID (proc(5)). */
#define _GNU_SOURCE
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *procfs_path(char *buf, size_t size, pid_t pid, pid_t tid, const char *name)
{
	if (tid > 0)
		snprintf(buf, size, "/proc/%d/task/%d/%s", (int)pid, (int)tid, name);
	else
		snprintf(buf, size, "/proc/%d/%s", (int)pid, name);
	return buf;
}

int procfs_open(pid_t pid, const char *name, int flags)
{
	char path[64];

	return open(procfs_path(path, sizeof(path), pid, 0, name), flags | O_CLOEXEC);
}

int procfs_open_mem(pid_t pid)
{
	return procfs_open(pid, "mem", O_RDWR);
}

ssize_t procfs_read(pid_t pid, pid_t tid, const char *name, char *buf, size_t size)
{
	char path[80];
	ssize_t n, done = 0;
	int fd, e;

	if (!size) {
		errno = EINVAL;
		return -1;
	}
	fd = open(procfs_path(path, sizeof(path), pid, tid, name), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* A /proc file comes in pieces of at most a page per read. */
	while ((size_t)done < size - 1 && (n = read(fd, buf + done, size - 1 - (size_t)done)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		done += n;
	}
	close(fd);
	buf[done] = '\0';
	return done;
}

int procfs_auxv(pid_t pid, uint64_t type, uint64_t *value)
{
	uint64_t av[2];
	int fd = procfs_open(pid, "auxv", O_RDONLY), rc = -ENOENT;

	if (fd < 0)
		return -errno;
	while (read(fd, av, sizeof(av)) == (ssize_t)sizeof(av) && av[0] != 0 /* AT_NULL */) {
		if (av[0] == type) {
			*value = av[1];
			rc = 0;
			break;
		}
	}
	close(fd);
	return rc;
}

int procfs_status_long(pid_t pid, pid_t tid, const char *key, long *value)
{
	char buf[4096];
	size_t klen = strlen(key);
	ssize_t n = procfs_read(pid, tid, "status", buf, sizeof(buf));

	if (n < 0)
		return -errno;
	for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char *end;
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		errno = 0;
		*value = strtol(line + klen + 1, &end, 10);
		return errno || end == line + klen + 1 ? -EINVAL : 0;
	}
	return -ENOENT;
}

const char *proc_stat_field(const char *buf, size_t len, int field)
{
	const char *p = memrchr(buf, ')', len), *end = buf + len;

	/* Field 3 starts two bytes after the ')'. */
	for (int f = 2; p && f < field; f++) {
		while (++p < end && *p != ' ')
			;
		if (p >= end)
			return NULL;
	}
	return p && p + 1 < end ? p + 1 : NULL;
}

int procfs_maps_open(struct procfs_maps *it, pid_t pid)
{
	char path[64];

	it->f = fopen(procfs_path(path, sizeof(path), pid, 0, "maps"), "re");
	return it->f ? 0 : -errno;
}

bool procfs_maps_next(struct procfs_maps *it, struct procfs_map *m)
{
	while (it->f && fgets(it->line, sizeof(it->line), it->f)) {
		unsigned long long s, e, off, inode;
		size_t len = strlen(it->line);
		int pathpos = 0;

		if (!len || it->line[len - 1] != '\n') {
			/* Longer than the buffer: skip the rest of it. */
			int c;
			while ((c = getc(it->f)) != EOF && c != '\n')
				;
			continue;
		}
		it->line[len - 1] = '\0';
		/* "start-end perms offset dev inode   path" */
		if (sscanf(it->line, "%llx-%llx %4s %llx %*s %llu %n", &s, &e, m->perms, &off, &inode, &pathpos) < 5)
			continue;
		m->start = s;
		m->end = e;
		m->offset = off;
		m->inode = inode;
		m->path = pathpos ? it->line + pathpos : "";
		return true;
	}
	return false;
}

void procfs_maps_rewind(struct procfs_maps *it)
{
	if (it->f)
		rewind(it->f);
}

void procfs_maps_close(struct procfs_maps *it)
{
	if (it->f)
		fclose(it->f);
	it->f = NULL;
}
