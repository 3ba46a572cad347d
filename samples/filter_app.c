/* filter_app [N [wait]]: calls filter_call() of libfilter.so N times (default 24)
 * with i = 0..N-1 and values that vary with i (an unsigned long above
 * INT64_MAX every third call, negative struct members, strings, an enum,
 * a double; calls 5 and 13 sleep 60 ms), and filter_other(i) after each.
 * Prints one JSON line per call of filter_call after it returns: what it
 * passed, what it got back, whether it slept and whether filter_call
 * called filter_inner -- the oracle of --filter's tests.  With "wait",
 * first reads a line from stdin (a process to attach to). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter_lib.h"

static const char *const color_names[] = {"RED", "GREEN", "BLUE"};

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 24;
	char name[32];

	if (argc > 2 && !strcmp(argv[2], "wait") && !fgets(name, sizeof(name), stdin))
		return 1;

	for (int i = 0; i < n; i++) {
		unsigned long big = i % 3 == 0 ? 0xfffffffffffffff0ul + (unsigned long)(i % 16) : (unsigned long)i * 1000;
		enum fcolor c = (enum fcolor)(i % 3);
		struct fpoint p = {i - 10, i * i, {i, -i, 2 * i}};
		double d = i / 4.0;
		int slow = i == 5 || i == 13 ? 60 : 0;
		long ret;

		switch (i % 4) {
		case 0: snprintf(name, sizeof(name), "main.c"); break;
		case 1: snprintf(name, sizeof(name), "util.h"); break;
		case 2: snprintf(name, sizeof(name), "file_%d.c", i); break;
		default: snprintf(name, sizeof(name), "README*"); break;
		}
		ret = filter_call(i, big, name, c, p, d, slow);
		printf("{\"i\": %d, \"big\": %lu, \"name\": \"%s\", \"c\": \"%s\", \"x\": %d, \"y\": %d, "
		       "\"v\": [%d, %d, %d], \"d\": %.17g, \"slow\": %d, \"ret\": %ld, \"inner\": %d}\n",
		       i, big, name, color_names[c], p.x, p.y, p.v[0], p.v[1], p.v[2], d, slow, ret, i % 2 == 0);
		filter_other(i);
	}
	return 0;
}
