/* bench_threads THREADS CALLS [-w FILE]: THREADS threads each call
 * my_traced_function(42, 0xdeadbeef, 3.14159, (void *)0x12345678) of
 * libmylib.so CALLS times -- the same call and fields as sample_app and the
 * hand-written tracepoint of tests/lttng/handwritten_app -- for the
 * benchmark's per-thread rows (tests/bench/run).
 *
 * stdout: "checksum N", the sum of every return value (the oracle:
 * THREADS * CALLS * 292).  stderr: "loop_ns N", the wall time from the
 * moment every thread is released until the last one is done (start-up,
 * attaching and tear-down excluded), and "agent yes|no", whether an object
 * named *dwtrace-agent* is mapped into this process when the calls end
 * (/proc/self/maps), so that a benchmark row can say which engine it saw.
 * With -w FILE the calls start only once FILE exists (polled every ms).
 *
 * Built with -DBENCH_TP_OWN (tests/lttng: bench_threads_tp), each call is
 * wrapped in the hand-written tracepoints of the provider mylib_own
 * (tests/lttng/mylib_own_tp.h: the fields dwtrace's events have when the
 * program writes them itself), so the benchmark times a compiled-in
 * tracepoint with the same loop and the same clock as dwtrace --lttng on
 * bench_threads.  Without it the tracepoint macros are empty: the loop is
 * the same code as before.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mylib.h"

#ifdef BENCH_TP_OWN
#include "mylib_own_tp.h"
/* duration_ns = 0 as in handwritten_own_app: a compiled-in tracepoint
 * pays for no clock read here. */
#define TP_ENTRY(a1, a2, a3, a4) \
	tracepoint(mylib_own, my_traced_function_entry, a1, a2, a3, a4)
#define TP_EXIT(r) tracepoint(mylib_own, my_traced_function_exit, r, 0)
#else
#define TP_ENTRY(a1, a2, a3, a4) do { } while (0)
#define TP_EXIT(r) do { } while (0)
#endif

static long calls;
static pthread_barrier_t start;

static void usage(void)
{
	fprintf(stderr, "usage: bench_threads THREADS CALLS [-w FILE]\n");
	exit(2);
}

static long number(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 1 || v > max)
		usage();
	return v;
}

static void *worker(void *arg)
{
	long *sum = arg;
	long s = 0;

	pthread_barrier_wait(&start);
	for (long i = 0; i < calls; i++) {
		int r;

		TP_ENTRY(42, 0xdeadbeef, 3.14159, (void *)0x12345678);
		r = my_traced_function(42, 0xdeadbeef, 3.14159, (void *)0x12345678);
		TP_EXIT(r);
		s += r;
	}
	*sum = s;
	return NULL;
}

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static int agent_mapped(void)
{
	char line[4096];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "dwtrace-agent"))
			found = 1;
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	const char *wait_file = NULL;
	long nthreads, total = 0, t0, t1;
	pthread_t *tids;
	long *sums;

	if (argc != 3 && !(argc == 5 && !strcmp(argv[3], "-w")))
		usage();
	nthreads = number(argv[1], 1024);
	calls = number(argv[2], 1L << 40);
	if (argc == 5)
		wait_file = argv[4];

	tids = calloc(nthreads, sizeof(*tids));
	sums = calloc(nthreads, sizeof(*sums));
	if (!tids || !sums || pthread_barrier_init(&start, NULL, nthreads + 1))
		return 1;
	for (long t = 0; t < nthreads; t++)
		if (pthread_create(&tids[t], NULL, worker, &sums[t]))
			return 1;
	while (wait_file && access(wait_file, F_OK) != 0)
		usleep(1000);
	t0 = now_ns();
	pthread_barrier_wait(&start);
	for (long t = 0; t < nthreads; t++) {
		pthread_join(tids[t], NULL);
		total += sums[t];
	}
	t1 = now_ns();
	printf("checksum %ld\n", total);
	fprintf(stderr, "loop_ns %ld\nagent %s\n", t1 - t0, agent_mapped() ? "yes" : "no");
	free(tids);
	free(sums);
	return 0;
}
