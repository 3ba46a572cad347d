/* stress_threads [-n CALLS | -f FILE] [-t SECONDS] [-j THREADS]: 16 threads
 * (or THREADS) in a tight loop calling the traced function st_step(), for a
 * tracer attaching and detaching again and again while they run.
 *
 * -n CALLS: each thread makes exactly CALLS calls (deterministic output);
 * otherwise each runs until FILE exists (checked every 1024 calls) or
 * SECONDS (default 10) have passed.  At the end every thread's line says how
 * many calls it made and the sum of st_step()'s results next to the sum
 * computed without calling it; "ok" when all agree, exit status 0 (else
 * "MISMATCH", exit 1).  With -n the lines are the same in every run.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct worker {
	pthread_t thread;
	int index;
	long calls, sum, expected;
};

static long fixed_calls;
static const char *stop_file;
static double seconds = 10;
static volatile int stop;

/* The traced function: a value depending on both arguments. */
__attribute__((noinline, noipa)) long st_step(int thread, long i)
{
	return (i % 1000) * (thread + 1) + 1;
}

static void *work(void *arg)
{
	struct worker *w = arg;

	for (long i = 0;; i++) {
		if (fixed_calls ? i == fixed_calls : stop)
			break;
		w->sum += st_step(w->index, i);
		w->expected += (i % 1000) * (w->index + 1) + 1;
		w->calls++;
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: stress_threads [-n CALLS | -f FILE] [-t SECONDS] [-j THREADS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int nthreads = 16, c, bad = 0;
	struct worker *w;
	struct timespec t0, t;

	while ((c = getopt(argc, argv, "n:f:t:j:")) != -1) {
		switch (c) {
		case 'n': fixed_calls = atol(optarg); if (fixed_calls < 1) usage(); break;
		case 'f': stop_file = optarg; break;
		case 't': seconds = atof(optarg); if (!(seconds > 0)) usage(); break;
		case 'j': nthreads = atoi(optarg); if (nthreads < 1 || nthreads > 256) usage(); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	w = calloc(nthreads, sizeof(*w));
	if (!w)
		return 1;
	for (int i = 0; i < nthreads; i++) {
		w[i].index = i;
		if (pthread_create(&w[i].thread, NULL, work, &w[i]))
			return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!fixed_calls && !stop) {
		usleep(2000);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((stop_file && access(stop_file, F_OK) == 0) ||
		    (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 >= seconds)
			stop = 1;
	}
	for (int i = 0; i < nthreads; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].sum != w[i].expected)
			bad = 1;
		printf("thread %d: calls %ld sum %ld expected %ld\n", i, w[i].calls, w[i].sum,
		       w[i].expected);
	}
	printf("%s\n", bad ? "MISMATCH" : "ok");
	free(w);
	return bad;
}
