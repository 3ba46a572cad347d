/* many_app: calls mf_0000() of libmany.so (1000 functions) once a
 * millisecond until killed; prints "ready" first.  The benchmark attaches to
 * it with 1, 100 and 1000 probes. */
#include <stdio.h>
#include <time.h>

int mf_0000(int x);

int main(void)
{
	struct timespec ms = {0, 1000000};
	volatile int sink = 0;

	printf("ready\n");
	fflush(stdout);
	for (int i = 0;; i++) {
		sink += mf_0000(i);
		nanosleep(&ms, NULL);
	}
	return sink;
}
