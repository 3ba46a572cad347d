/* dlopen_app [--wait]: loads libplugin.so (from the directory of its own
 * executable, /proc/self/exe) with dlopen(), calls plugin_fn(1), (2), (3),
 * unloads it with dlclose() and checks that it is gone from /proc/self/maps,
 * loads it again and calls plugin_fn(4), (5).  libplugin.so is not linked to
 * the program.  Prints, on stdout, one line per event:
 *
 *   dlopen libplugin.so
 *   plugin_fn(x=1) = 101
 *   ...
 *   dlclose libplugin.so
 *
 * With --wait it first reads one byte from stdin (so that a tracer can attach
 * before the library is loaded).  Exits 0, or 1 with a message on stderr.
 */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PLUGIN "libplugin.so"

static char plugin_path[PATH_MAX];

static void die(const char *what, const char *why)
{
	fprintf(stderr, "dlopen_app: %s: %s\n", what, why);
	exit(1);
}

static void find_plugin(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		die("/proc/self/exe", "cannot read the link");
	exe[n] = '\0';
	if ((size_t)snprintf(plugin_path, sizeof(plugin_path), "%s/%s", dirname(exe), PLUGIN) >=
	    sizeof(plugin_path))
		die(PLUGIN, "path too long");
}

static int mapped(void)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 128];
	int found = 0;

	if (!maps)
		die("/proc/self/maps", "cannot open");
	while (!found && fgets(line, sizeof(line), maps))
		found = strstr(line, plugin_path) != NULL;
	fclose(maps);
	return found;
}

static void call_plugin(int first, int last)
{
	void *handle = dlopen(plugin_path, RTLD_NOW | RTLD_LOCAL);
	int (*fn)(int);

	if (!handle)
		die("dlopen", dlerror());
	printf("dlopen %s\n", PLUGIN);
	*(void **)&fn = dlsym(handle, "plugin_fn");
	if (!fn)
		die("dlsym", dlerror());
	for (int x = first; x <= last; x++) {
		int ret = fn(x);

		printf("plugin_fn(x=%d) = %d\n", x, ret);
	}
	if (dlclose(handle) != 0)
		die("dlclose", dlerror());
	printf("dlclose %s\n", PLUGIN);
	if (mapped())
		die(PLUGIN, "still mapped after dlclose()");
}

int main(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--wait") != 0)) {
		fprintf(stderr, "usage: dlopen_app [--wait]\n");
		return 2;
	}
	if (argc == 2 && getchar() == EOF)
		die("stdin", "end of file before the go byte");
	find_plugin();
	if (mapped())
		die(PLUGIN, "mapped before dlopen()");
	call_plugin(1, 3);
	call_plugin(4, 5);
	return 0;
}
