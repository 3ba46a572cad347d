/* stack_app: reaches st_leaf() of libstack.so through the executable, the
 * library, libc's qsort() and a recursion (see stack_lib.c), then prints
 * "done" and nothing else. */
#include <stdio.h>
#include <stdlib.h>

#include "stack_lib.h"

#define NOINLINE __attribute__((noinline, noclone))

static volatile int sink;

NOINLINE int app_level1(int depth)
{
	int r = lib_level2(depth + 1);
	return r + sink;
}

NOINLINE void app_sort(void)
{
	int v[] = {3, 1, 2};

	qsort(v, sizeof v / sizeof v[0], sizeof v[0], lib_compare);
	if (v[0] != 1 || v[1] != 2 || v[2] != 3)
		abort();
}

int main(void)
{
	sink = app_level1(0);
	app_sort();
	sink = st_recurse(3);
	puts("done");
	return 0;
}
