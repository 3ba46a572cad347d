/* libfilter.so: the functions filter_app calls for --filter's tests. */
#include "filter_lib.h"

#include <time.h>

static volatile int sink;

__attribute__((noinline)) int filter_inner(int i)
{
	sink += i;
	return i * 2;
}

__attribute__((noinline)) int filter_other(int i)
{
	sink += i;
	return i + 1;
}

__attribute__((noinline)) long filter_call(int i, unsigned long big, const char *name, enum fcolor c,
					   struct fpoint p, double d, int slow_ms)
{
	if (slow_ms) {
		struct timespec ts = {0, slow_ms * 1000000L};

		nanosleep(&ts, 0);
	}
	if (i % 2 == 0)
		sink += filter_inner(i);
	sink += (int)big + name[0] + (int)c + p.x + p.v[2] + (int)d;
	return (i * 7) % 5 - 2;
}
