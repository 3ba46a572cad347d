/* handwritten_app N: the hand-written counterpart of
 * "dwtrace --lttng --provider mylib -e my_traced_function -- sample_app N".
 *
 * Calls my_traced_function(42, 0xdeadbeef, 3.14159, (void *)0x12345678) of
 * libmylib.so N times (default 1), exactly as sample_app does, and around
 * each call emits the hand-written tracepoints mylib:my_traced_function_entry
 * (pid, tid, arg1..arg4) and mylib:my_traced_function_exit (pid, tid, retval,
 * duration_ns = 0), with its own pid and tid.  Like sample_app, it prints
 * each call with its return value on stdout.
 *
 * LTTng-UST's constructor registers the process with the session daemon and
 * waits (up to LTTNG_UST_REGISTER_TIMEOUT, 3 s by default) until the enabled
 * events are connected, so the first call is recorded too.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mylib.h"
#include "mylib_tp.h"

static void usage(void)
{
	fprintf(stderr, "usage: handwritten_app [N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const int arg1 = 42;
	const uint64_t arg2 = 0xdeadbeef;
	const double arg3 = 3.14159;
	void *const arg4 = (void *)0x12345678;
	const int pid = (int)getpid();
	const int tid = (int)syscall(SYS_gettid);
	long n = 1;

	if (argc > 2)
		usage();
	if (argc == 2) {
		char *end;

		n = strtol(argv[1], &end, 10);
		if (*argv[1] == '\0' || *end != '\0' || n < 0)
			usage();
	}

	for (long i = 0; i < n; i++) {
		int ret;

		tracepoint(mylib, my_traced_function_entry, pid, tid, arg1, arg2,
			   arg3, arg4);
		ret = my_traced_function(arg1, arg2, arg3, arg4);
		tracepoint(mylib, my_traced_function_exit, pid, tid, ret, 0);
		printf("my_traced_function(arg1=%d, arg2=%" PRIu64
		       ", arg3=%g, arg4=%#" PRIxPTR ") = %d\n",
		       arg1, arg2, arg3, (uintptr_t)arg4, ret);
	}
	return 0;
}
