/* ifunc_busy_app: prints "loading", dlopens libifunc_busy.so (next to it)
 * with RTLD_NOW -- its IFUNC resolver takes 0.4 s --, then calls busy_fn
 * through busy_call three times and prints each result and how many times
 * the resolver ran ("runs=1" untraced).  Exits 5.  test_ifunc_safety.py. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char path[4096];
	const char *slash = strrchr(argv[0], '/');
	void *h;
	int (*call)(int), (*runs)(void);

	(void)argc;
	snprintf(path, sizeof(path), "%.*slibifunc_busy.so", slash ? (int)(slash - argv[0] + 1) : 0, argv[0]);
	printf("loading\n");
	fflush(stdout);
	h = dlopen(path, RTLD_NOW);
	if (!h) {
		printf("dlopen: %s\n", dlerror());
		return 9;
	}
	call = (int (*)(int))dlsym(h, "busy_call");
	runs = (int (*)(void))dlsym(h, "busy_runs");
	for (int i = 0; i < 3; i++)
		printf("busy_fn(%d)=%d\n", i, call(i));
	printf("runs=%d\n", runs());
	return 5;
}
