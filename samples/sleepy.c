/* sleepy [-f FILE] [-t SECONDS]: threads that spend their time blocked, for
 * injecting into a process whose threads sit in system calls:
 *   - one in nanosleep (20 ms at a time),
 *   - one in read() on a pipe the main thread writes a byte to every 20 ms,
 *   - one in pthread_cond_wait (a futex) signalled every 20 ms,
 *   - two in a malloc/free storm (sizes 1..4096, each block filled and
 *     checked before it is freed).
 * Each loop calls the traced function sl_tick(kind, i).  Runs until FILE
 * exists, SIGTERM or SIGUSR1 arrives, or SECONDS (default 10) have passed;
 * then every thread checks its own work and the program prints one "ok"
 * line per kind and "checksum OK" (or what went wrong, exit 1): the same
 * text in every run, whatever the number of rounds.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static int pipefd[2];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long cond_sent, cond_seen;
static long bytes_written, bytes_read;
static long tick_sum[5], tick_expected[5], tick_count[5];

/* The traced function. */
__attribute__((noinline, noipa)) long sl_tick(int kind, long i)
{
	return kind * 1000003L + i;
}

static void tick(int kind, long i)
{
	tick_sum[kind] += sl_tick(kind, i);
	tick_expected[kind] += kind * 1000003L + i;
	tick_count[kind]++;
}

static void *sleeper(void *arg)
{
	struct timespec ts = {0, 20 * 1000 * 1000};

	(void)arg;
	for (long i = 0; !stop; i++) {
		tick(0, i);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void *reader(void *arg)
{
	char c;

	(void)arg;
	for (long i = 0;; i++) {
		ssize_t n = read(pipefd[0], &c, 1);

		if (n <= 0)
			break; /* EOF: the main thread closed the pipe */
		bytes_read += n;
		tick(1, i);
	}
	return NULL;
}

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (long i = 0; !stop; i++) {
		while (cond_seen == cond_sent && !stop)
			pthread_cond_wait(&cond, &lock);
		cond_seen = cond_sent;
		tick(2, i);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void *storm(void *arg)
{
	int kind = (int)(intptr_t)arg;
	unsigned seed = (unsigned)kind;
	long bad = 0;

	for (long i = 0; !stop; i++) {
		size_t size = 1 + rand_r(&seed) % 4096;
		unsigned char *p = malloc(size);

		if (!p)
			continue;
		memset(p, (int)(i & 0xff), size);
		for (size_t k = 0; k < size; k++)
			bad += p[k] != (i & 0xff);
		free(p);
		tick(kind, i);
	}
	return (void *)(intptr_t)bad;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	const char *stop_file = NULL;
	double seconds = 10;
	struct sigaction sa = {.sa_handler = on_signal};
	struct timespec t0, t, step = {0, 20 * 1000 * 1000};
	pthread_t th[5];
	void *storm_bad[2];
	int c, ok = 1;

	while ((c = getopt(argc, argv, "f:t:")) != -1) {
		if (c == 'f')
			stop_file = optarg;
		else if (c == 't' && atof(optarg) > 0)
			seconds = atof(optarg);
		else {
			fprintf(stderr, "usage: sleepy [-f FILE] [-t SECONDS]\n");
			return 2;
		}
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	if (pipe(pipefd))
		return 1;
	pthread_create(&th[0], NULL, sleeper, NULL);
	pthread_create(&th[1], NULL, reader, NULL);
	pthread_create(&th[2], NULL, waiter, NULL);
	pthread_create(&th[3], NULL, storm, (void *)(intptr_t)3);
	pthread_create(&th[4], NULL, storm, (void *)(intptr_t)4);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		nanosleep(&step, NULL);
		if (write(pipefd[1], "x", 1) == 1)
			bytes_written++;
		pthread_mutex_lock(&lock);
		cond_sent++;
		pthread_cond_signal(&cond);
		pthread_mutex_unlock(&lock);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((stop_file && access(stop_file, F_OK) == 0) ||
		    (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 >= seconds)
			stop = 1;
	}
	close(pipefd[1]);
	pthread_mutex_lock(&lock);
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < 5; i++)
		pthread_join(th[i], i >= 3 ? &storm_bad[i - 3] : NULL);

	printf("nanosleep %s\n", tick_sum[0] == tick_expected[0] ? "ok" : "BAD");
	printf("read %s\n", tick_sum[1] == tick_expected[1] && bytes_read == bytes_written ? "ok" : "BAD");
	printf("futex %s\n", tick_sum[2] == tick_expected[2] ? "ok" : "BAD");
	printf("malloc storm %s\n", tick_sum[3] == tick_expected[3] && tick_sum[4] == tick_expected[4] &&
	       !storm_bad[0] && !storm_bad[1] ? "ok" : "BAD");
	for (int k = 0; k < 5; k++)
		ok &= tick_sum[k] == tick_expected[k];
	ok &= bytes_read == bytes_written && !storm_bad[0] && !storm_bad[1];
	printf("checksum %s\n", ok ? "OK" : "BAD");
	/* the rounds vary from run to run: not on stdout */
	fprintf(stderr, "rounds: nanosleep %ld read %ld futex %ld storm %ld %ld\n", tick_count[0],
		tick_count[1], tick_count[2], tick_count[3], tick_count[4]);
	return ok ? 0 : 1;
}
