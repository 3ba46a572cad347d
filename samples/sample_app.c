/* sample_app N [-q] [-d USEC]: calls my_traced_function() of libmylib.so N
 * times (default 1) with fixed arguments and, unless -q is given, prints each
 * call strace-style after it returns, so a test can compare the tracer's
 * events with what the program itself saw.  -q prints nothing (benchmarks).
 * -d USEC sleeps USEC microseconds after each call, so that a run lasts a
 * known time whatever the machine's speed.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mylib.h"

static void usage(void)
{
	fprintf(stderr, "usage: sample_app [N] [-q] [-d USEC]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const int arg1 = 42;
	const uint64_t arg2 = 0xdeadbeef;
	const double arg3 = 3.14159;
	void *const arg4 = (void *)0x12345678;
	long n = 1;
	bool quiet = false;
	long delay_us = 0;
	volatile int sink = 0; /* keeps every result observable */

	for (int i = 1; i < argc; i++) {
		char *end;

		if (strcmp(argv[i], "-q") == 0) {
			quiet = true;
			continue;
		}
		if (strcmp(argv[i], "-d") == 0) {
			if (++i == argc)
				usage();
			delay_us = strtol(argv[i], &end, 10);
			if (*argv[i] == '\0' || *end != '\0' || delay_us < 0 || delay_us > 1000000)
				usage();
			continue;
		}
		n = strtol(argv[i], &end, 10);
		if (*argv[i] == '\0' || *end != '\0' || n < 0)
			usage();
	}

	for (long i = 0; i < n; i++) {
		int ret = my_traced_function(arg1, arg2, arg3, arg4);

		sink += ret;
		if (!quiet)
			printf("my_traced_function(arg1=%d, arg2=%" PRIu64
			       ", arg3=%g, arg4=%#" PRIxPTR ") = %d\n",
			       arg1, arg2, arg3, (uintptr_t)arg4, ret);
		if (delay_us) {
			struct timespec ts = {0, delay_us * 1000};

			fflush(stdout);
			while (nanosleep(&ts, &ts) != 0)
				;
		}
	}
	return 0;
}
