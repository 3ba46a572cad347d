/* ifunc_late_app now|lazy|dlsym N: dlopen()s libifunc_late.so from its own
 * directory (RTLD_NOW, RTLD_LAZY, or RTLD_LAZY and late_fn found by dlsym)
 * and makes N calls of its IFUNC late_fn, printing each ("late_fn(X)=R"),
 * then how often late_fn's resolver ran.  test_ifunc_late.py. */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *mode = argc > 1 ? argv[1] : "now";
	int calls = argc > 2 ? atoi(argv[2]) : 3;
	int (*call)(int), (*fn)(int) = NULL, (*runs)(void);
	void *h;

	if (n < 0)
		return 2;
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/libifunc_late.so", dirname(self));
	h = dlopen(path, strcmp(mode, "now") ? RTLD_LAZY : RTLD_NOW);
	if (!h) {
		printf("dlopen: %s\n", dlerror());
		return 3;
	}
	call = (int (*)(int))dlsym(h, "late_call");
	runs = (int (*)(void))dlsym(h, "late_resolver_runs");
	if (!strcmp(mode, "dlsym"))
		fn = (int (*)(int))dlsym(h, "late_fn");
	for (int i = 0; i < calls; i++) {
		int x = 7 * i + 2;
		/* late_call adds 1000 to what late_fn returned. */
		int r = fn ? fn(x) : call(x) - 1000;
		printf("late_fn(%d)=%d\n", x, r);
	}
	printf("resolver runs=%d\n", runs());
	dlclose(h);
	return 4;
}
