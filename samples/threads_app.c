/* threads_app [NTHREADS [CALLS]]: NTHREADS threads (default 4), released
 * together by a barrier, each call th_work(thread, i) of libthreads.so for
 * i = 0 .. CALLS-1 (default 5000): exactly NTHREADS * CALLS calls in all, made
 * concurrently, to check that a tracer misses none of them.  Prints
 *
 *   calls=N checksum=M
 *
 * N the number of calls made, M the sum of all return values as unsigned
 * 64-bit numbers (each value sign-extended, the sum modulo 2^64).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threads_lib.h"

struct worker {
	pthread_t thread;
	int index;
	long calls;
	uint64_t sum;
};

static pthread_barrier_t start;
static long calls_per_thread = 5000;

static void *work(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&start);
	for (long i = 0; i < calls_per_thread; i++) {
		w->sum += (uint64_t)(int64_t)th_work(w->index, (int)i);
		w->calls++;
	}
	return NULL;
}

static long number(const char *s, long max)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n < 1 || n > max) {
		fprintf(stderr, "usage: threads_app [NTHREADS [CALLS]] (bad number '%s')\n", s);
		exit(2);
	}
	return n;
}

int main(int argc, char **argv)
{
	long nthreads = argc > 1 ? number(argv[1], 256) : 4;
	struct worker *workers;
	long calls = 0;
	uint64_t sum = 0;

	if (argc > 2)
		calls_per_thread = number(argv[2], 100000000);
	workers = calloc((size_t)nthreads, sizeof(*workers));
	if (!workers || pthread_barrier_init(&start, NULL, (unsigned)nthreads) != 0) {
		perror("threads_app");
		return 1;
	}
	for (long t = 0; t < nthreads; t++) {
		int err;

		workers[t].index = (int)t;
		err = pthread_create(&workers[t].thread, NULL, work, &workers[t]);
		if (err) {
			fprintf(stderr, "threads_app: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	for (long t = 0; t < nthreads; t++) {
		pthread_join(workers[t].thread, NULL);
		calls += workers[t].calls;
		sum += workers[t].sum;
	}
	printf("calls=%ld checksum=%llu\n", calls, (unsigned long long)sum);
	free(workers);
	return 0;
}
