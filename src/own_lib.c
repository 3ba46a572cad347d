/* Finding dwtrace's own libraries next to its executable. */
#define _GNU_SOURCE
#include "own_lib.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

int own_lib_candidate(const char *name, int i, char *buf, size_t size)
{
	static const char *const tries[] = {"", "/../lib/dwtrace"};
	char exe[PATH_MAX];
	ssize_t n;
	int len;

	if (i < 0 || i >= (int)(sizeof(tries) / sizeof(tries[0])))
		return -ENOENT;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return n < 0 ? -errno : -ENOENT;
	exe[n] = '\0';
	len = snprintf(buf, size, "%s%s/%s", dirname(exe), tries[i], name);
	return len < 0 || (size_t)len >= size ? -ENAMETOOLONG : 0;
}

int own_lib_path(const char *name, char *buf, size_t size)
{
	int rc = -ENOENT;

	for (int i = 0; own_lib_candidate(name, i, buf, size) == 0; i++) {
		if (access(buf, R_OK) == 0)
			return 0;
		rc = -ENOENT;
	}
	return rc;
}
