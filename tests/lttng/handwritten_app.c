/* handwritten_app [N] | handwritten_app -i: the hand-written counterpart of
 * "dwtrace --lttng --provider mylib -e my_traced_function -- sample_app N".
 *
 * Calls my_traced_function(42, 0xdeadbeef, 3.14159, (void *)0x12345678) of
 * libmylib.so N times (default 1), exactly as sample_app does, and around
 * each call emits hand-written tracepoints.  Like sample_app, it prints each
 * call with its return value on stdout.  Built three times (CMakeLists.txt):
 *
 *   handwritten_app      provider mylib (mylib_tp.h): pid, tid, arg1..arg4
 *                        and pid, tid, retval, duration_ns = 0, the shape of
 *                        dwtrace's events written from dwtrace's process
 *                        (the ptrace engine)
 *   handwritten_own_app  provider mylib_own (mylib_own_tp.h): arg1..arg4 and
 *                        retval, duration_ns = 0, the shape of dwtrace's
 *                        events written by the traced program itself (the
 *                        agent engine)
 *   call_app             no tracepoint and no lttng-ust: a plain program
 *
 * -i: prints "ready", then reads lines from stdin: a line "N" makes N calls
 * (each printed) followed by the line "done"; stdout is flushed after each
 * line read.  End of input: exit 0.  Lets a test attach, then say exactly
 * when calls happen.
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

#if defined(HW_PROVIDER_OWN)
#include "mylib_own_tp.h"
#define TP_ENTRY(a1, a2, a3, a4) \
	tracepoint(mylib_own, my_traced_function_entry, a1, a2, a3, a4)
#define TP_EXIT(r) tracepoint(mylib_own, my_traced_function_exit, r, 0)
#elif defined(HW_NO_PROVIDER)
#define TP_ENTRY(a1, a2, a3, a4) do { } while (0)
#define TP_EXIT(r) do { } while (0)
#else
#include "mylib_tp.h"
#define TP_ENTRY(a1, a2, a3, a4) \
	tracepoint(mylib, my_traced_function_entry, pid, tid, a1, a2, a3, a4)
#define TP_EXIT(r) tracepoint(mylib, my_traced_function_exit, pid, tid, r, 0)
#endif

static void usage(void)
{
	fprintf(stderr, "usage: handwritten_app [N | -i]\n");
	exit(2);
}

static void calls(long n)
{
	const int arg1 = 42;
	const uint64_t arg2 = 0xdeadbeef;
	const double arg3 = 3.14159;
	void *const arg4 = (void *)0x12345678;
	const int pid = (int)getpid();
	const int tid = (int)syscall(SYS_gettid);

	(void)pid;
	(void)tid;
	for (long i = 0; i < n; i++) {
		int ret;

		TP_ENTRY(arg1, arg2, arg3, arg4);
		ret = my_traced_function(arg1, arg2, arg3, arg4);
		TP_EXIT(ret);
		printf("my_traced_function(arg1=%d, arg2=%" PRIu64
		       ", arg3=%g, arg4=%#" PRIxPTR ") = %d\n",
		       arg1, arg2, arg3, (uintptr_t)arg4, ret);
	}
}

static long count(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || (*end != '\0' && *end != '\n') || n < 0)
		usage();
	return n;
}

int main(int argc, char **argv)
{
	char line[64];

	if (argc > 2)
		usage();
	if (argc == 2 && strcmp(argv[1], "-i") == 0) {
		puts("ready");
		fflush(stdout);
		while (fgets(line, sizeof(line), stdin)) {
			calls(count(line));
			puts("done");
			fflush(stdout);
		}
		return 0;
	}
	calls(argc == 2 ? count(argv[1]) : 1);
	return 0;
}
