/* ifunc_static_app N: a static executable (no PT_INTERP) that calls
 * strlen, glibc's IFUNC, N times on strings of its own and prints each
 * call ("strlen(\"STRING\")=LEN").  Its IRELATIVE relocations are applied by
 * its own start-up code (__libc_start_main, apply_irel), after dwtrace
 * stops it at its entry point.  Built with -fno-builtin: the calls are
 * real.  test_ifunc_late.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	static const char *const words[] = {"a", "static", "executable", "with IRELATIVE relocations"};
	int n = argc > 1 ? atoi(argv[1]) : 4;
	size_t total = 0;

	for (int i = 0; i < n; i++) {
		const char *w = words[i % 4];
		size_t len = strlen(w);
		printf("strlen(\"%s\")=%zu\n", w, len);
		total += len;
	}
	printf("total=%zu\n", total);
	return (int)(total % 7) + 1;
}
