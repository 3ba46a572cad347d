/* spin_app [MAX_SECONDS]: a long-running multi-threaded target to attach a
 * tracer to and detach it from, again and again, while the program keeps
 * checking that it is unharmed.
 *
 * Four worker threads loop forever: acc = spin_step(acc, i) of libspin.so,
 * i = iteration % SPIN_I_LIMIT, acc starting at the worker's index + 1.  After
 * every call a worker recomputes the same step inline, without spin_step,
 * and compares.  Every 1000 calls worker 0 blocks in read() on a pipe that the
 * main thread writes a byte to every 10 ms, and workers 1-3 sleep 1 ms in
 * nanosleep(), so a tracer finds threads both in user code and in system
 * calls.  read() must return 1 and nanosleep() 0: a tracer's stops must never
 * make them fail (the kernel restarts them).  The main thread waits in
 * sigtimedwait() between its writes.
 *
 * Prints "ready" once all four workers have made their first call.  On
 * SIGUSR1 it stops the workers and prints "ok iterations=N" (N calls in all)
 * and exits 0, or one "MISMATCH ..." line per failing worker and exits 1.
 * Without SIGUSR1 within MAX_SECONDS (default 600) it prints "timeout" and
 * exits 2, so that a forgotten spin_app does not run forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spin_lib.h"

#define NWORKERS 4

struct worker {
	pthread_t thread;
	int index;
	long iterations;
	long mismatches;      /* steps where spin_step's result was wrong */
	long first_bad;       /* the first such iteration, its result and the right one */
	long bad_got, bad_want;
	char syscall_error[128]; /* the first failed read() or nanosleep() */
};

static atomic_int started, stopping;
static int pipe_fd[2];

static void pause_briefly(struct worker *w)
{
	const struct timespec ms = {0, 1000000};
	char c;
	ssize_t n;

	if (w->syscall_error[0])
		return;
	if (w->index == 0) {
		n = read(pipe_fd[0], &c, 1);
		if (n != 1)
			snprintf(w->syscall_error, sizeof(w->syscall_error), "read() returned %zd (%s)",
				 n, n < 0 ? strerror(errno) : "end of file");
	} else if (nanosleep(&ms, NULL) != 0) {
		snprintf(w->syscall_error, sizeof(w->syscall_error), "nanosleep() failed: %s",
			 strerror(errno));
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	long acc = w->index + 1, want = acc, n;

	for (n = 0; !atomic_load_explicit(&stopping, memory_order_relaxed); n++) {
		int i = (int)(n % SPIN_I_LIMIT);

		acc = spin_step(acc, i);
		want = (want * 31 + i) % SPIN_MODULUS;
		if (acc != want) {
			if (w->mismatches++ == 0) {
				w->first_bad = n;
				w->bad_got = acc;
				w->bad_want = want;
			}
			acc = want; /* go on with sane arguments */
		}
		if (n == 0)
			atomic_fetch_add(&started, 1);
		if (n % 1000 == 999)
			pause_briefly(w);
	}
	w->iterations = n;
	return NULL;
}

/* Waits up to max_seconds for SIGUSR1 (blocked in every thread), writing a
 * byte to the pipe every 10 ms.  Returns 0 on SIGUSR1, -1 on timeout. */
static int wait_for_sigusr1(long max_seconds)
{
	const struct timespec tick = {0, 10000000};
	struct timespec now, deadline;
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += max_seconds;
	for (;;) {
		if (write(pipe_fd[1], "x", 1) < 0 && errno != EAGAIN)
			perror("spin_app: write");
		/* EINTR here is normal: sigtimedwait() is not restarted after a stop. */
		if (sigtimedwait(&usr1, NULL, &tick) == SIGUSR1)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > deadline.tv_sec ||
		    (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec))
			return -1;
	}
}

int main(int argc, char **argv)
{
	const struct timespec ms = {0, 1000000};
	struct worker workers[NWORKERS];
	long max_seconds = argc > 1 ? atol(argv[1]) : 600;
	long iterations = 0;
	int status = 0;
	sigset_t usr1;

	if (argc > 2 || max_seconds <= 0) {
		fprintf(stderr, "usage: spin_app [MAX_SECONDS]\n");
		return 2;
	}
	/* SIGUSR1 stays blocked everywhere; only sigtimedwait() takes it. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	if (pipe(pipe_fd) != 0 || fcntl(pipe_fd[1], F_SETFL, O_NONBLOCK) != 0) {
		perror("spin_app: pipe");
		return 1;
	}
	memset(workers, 0, sizeof(workers));
	for (int t = 0; t < NWORKERS; t++) {
		int err;

		workers[t].index = t;
		err = pthread_create(&workers[t].thread, NULL, work, &workers[t]);
		if (err) {
			fprintf(stderr, "spin_app: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	while (atomic_load(&started) < NWORKERS)
		nanosleep(&ms, NULL);
	printf("ready\n");
	fflush(stdout);

	if (wait_for_sigusr1(max_seconds) != 0) {
		printf("timeout\n");
		fflush(stdout);
		_exit(2);
	}
	atomic_store(&stopping, 1);
	if (write(pipe_fd[1], "x", 1) < 0 && errno != EAGAIN) /* wake worker 0 */
		perror("spin_app: write");
	for (int t = 0; t < NWORKERS; t++) {
		struct worker *w = &workers[t];

		pthread_join(w->thread, NULL);
		iterations += w->iterations;
		if (w->mismatches) {
			printf("MISMATCH worker %d: %ld wrong results of spin_step in %ld calls, "
			       "the first at call %ld: %ld instead of %ld\n",
			       t, w->mismatches, w->iterations, w->first_bad, w->bad_got, w->bad_want);
			status = 1;
		}
		if (w->syscall_error[0]) {
			printf("MISMATCH worker %d: %s\n", t, w->syscall_error);
			status = 1;
		}
	}
	if (status == 0)
		printf("ok iterations=%ld\n", iterations);
	return status;
}
