/* ifunc_dl_app: dlopen()s libifunc_dl.so from its own directory and calls
 * its IFUNC through call_dlfn.  test_ifunc_safety.py. */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	char self[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	void *h;
	int (*call)(int);

	if (n < 0)
		return 2;
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/libifunc_dl.so", dirname(self));
	h = dlopen(path, RTLD_NOW);
	if (!h) {
		printf("dlopen: %s\n", dlerror());
		return 3;
	}
	call = (int (*)(int))dlsym(h, "call_dlfn");
	printf("dlfn(1)=%d\n", call(1));
	return 0;
}
