/* inject_storm [MS [NTHREADS]]: a program to load the agent into while its
 * threads sit where a hijacked thread could hang: NTHREADS threads (default
 * 4) malloc, fill, check and free blocks of varying sizes in a loop for MS
 * milliseconds (default 300) or until SIGUSR1 comes (a test ends the storm
 * once it is done with it), holding malloc's locks often; one thread
 * blocks in read() on a pipe, one sleeps 12 times 25 ms in nanosleep(), one
 * waits in pthread_cond_wait() (a futex).  Then the main thread writes 4096
 * bytes into the pipe and signals the condition.
 *
 * Prints "errors=E pipe=P sleeps=S woken=W": E blocks found corrupted
 * (0), P the sum of the bytes read (522240), S the nanosleep calls that
 * returned 0 (12), W 1 once the condition was signalled.  Nothing it
 * prints depends on timing, so a run under a tracer must print the same.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PIPE_BYTES 4096
#define SLEEPS 12

static atomic_int stop;
static volatile sig_atomic_t usr1;
static atomic_long errors;
static int pipefd[2];
static long pipe_sum;
static int sleeps_ok;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int signalled, woken;

static void *storm(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
	void *keep[64] = {0};

	while (!atomic_load(&stop)) {
		unsigned slot = (seed = seed * 1103515245u + 12345u) % 64;
		size_t size = 16 + (seed >> 8) % 8192;
		unsigned char *p;

		if (keep[slot]) {
			unsigned char *q = keep[slot];
			size_t n;
			memcpy(&n, q, sizeof(n));
			for (size_t i = sizeof(n); i < n; i++)
				if (q[i] != (unsigned char)(n + i))
					atomic_fetch_add(&errors, 1);
			free(q);
		}
		p = malloc(size);
		if (!p) {
			atomic_fetch_add(&errors, 1);
			continue;
		}
		memcpy(p, &size, sizeof(size));
		for (size_t i = sizeof(size); i < size; i++)
			p[i] = (unsigned char)(size + i);
		keep[slot] = p;
	}
	for (int i = 0; i < 64; i++)
		free(keep[i]);
	return NULL;
}

static void *reader(void *arg)
{
	unsigned char buf[512];
	long got = 0;

	(void)arg;
	while (got < PIPE_BYTES) {
		ssize_t n = read(pipefd[0], buf, sizeof(buf));
		if (n <= 0) {
			atomic_fetch_add(&errors, 1);
			break;
		}
		for (ssize_t i = 0; i < n; i++)
			pipe_sum += buf[i];
		got += n;
	}
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (int i = 0; i < SLEEPS; i++) {
		struct timespec ts = {0, 25 * 1000000L};
		if (nanosleep(&ts, NULL) == 0)
			sleeps_ok++;
	}
	return NULL;
}

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	while (!signalled)
		pthread_cond_wait(&cond, &lock);
	woken = 1;
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 300;
	int n = argc > 2 ? atoi(argv[2]) : 4;
	pthread_t storms[64], others[3];
	unsigned char buf[PIPE_BYTES];
	struct timespec ts;
	sigset_t usr1_set;

	if (ms < 0 || n < 1 || n > 64 || pipe(pipefd) != 0) {
		fprintf(stderr, "usage: inject_storm [MS [NTHREADS (1-64)]]\n");
		return 2;
	}
	/* The threads start with SIGUSR1 blocked: only main, in nanosleep,
	 * takes it. */
	signal(SIGUSR1, on_usr1);
	sigemptyset(&usr1_set);
	sigaddset(&usr1_set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1_set, NULL);
	for (int i = 0; i < n; i++)
		pthread_create(&storms[i], NULL, storm, (void *)(uintptr_t)i);
	pthread_create(&others[0], NULL, reader, NULL);
	pthread_create(&others[1], NULL, sleeper, NULL);
	pthread_create(&others[2], NULL, waiter, NULL);
	pthread_sigmask(SIG_UNBLOCK, &usr1_set, NULL);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = ms % 1000 * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && !usr1)
		;
	atomic_store(&stop, 1);
	for (int i = 0; i < n; i++)
		pthread_join(storms[i], NULL);
	for (int i = 0; i < PIPE_BYTES; i++)
		buf[i] = (unsigned char)i;
	if (write(pipefd[1], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		atomic_fetch_add(&errors, 1);
	pthread_mutex_lock(&lock);
	signalled = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < 3; i++)
		pthread_join(others[i], NULL);
	printf("errors=%ld pipe=%ld sleeps=%d woken=%d\n", atomic_load(&errors), pipe_sum, sleeps_ok, woken);
	return 0;
}
