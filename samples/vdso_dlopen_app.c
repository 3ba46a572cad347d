/* vdso_dlopen_app: calls clock_gettime() (glibc's, which calls the vDSO's)
 * three times, loads libplugin.so (from the directory of its own
 * executable) with dlopen(), then calls clock_gettime() three times more.
 * A tracer that re-reads the process's modules when the dynamic linker
 * reports a change must keep the vDSO's probes (the kernel maps the vDSO;
 * it is never unloaded).  Prints "clock_gettime calls: 6" and exits 0, or 1
 * with a message on stderr. */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int tick(void)
{
	struct timespec ts;

	return clock_gettime(CLOCK_MONOTONIC, &ts) == 0;
}

int main(void)
{
	char path[PATH_MAX], lib[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	int calls = 0;

	if (n <= 0) {
		perror("vdso_dlopen_app: /proc/self/exe");
		return 1;
	}
	path[n] = '\0';
	snprintf(lib, sizeof(lib), "%s/libplugin.so", dirname(path));
	for (int i = 0; i < 3; i++)
		calls += tick();
	if (!dlopen(lib, RTLD_NOW)) {
		fprintf(stderr, "vdso_dlopen_app: %s\n", dlerror());
		return 1;
	}
	for (int i = 0; i < 3; i++)
		calls += tick();
	printf("clock_gettime calls: %d\n", calls);
	return 0;
}
