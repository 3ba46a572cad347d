/* pause_app [THRESHOLD_US]: how long this program is stopped while a tracer
 * attaches or detaches (the stop-the-world pause), measured from inside.
 *
 * Calls mg_0000() of libmany10k.so once (so the library is loaded), prints
 * "ready", then reads CLOCK_MONOTONIC in a tight loop that calls nothing a
 * tracer probes.  Every gap between two readings longer than THRESHOLD_US
 * (default 200) is printed as "gap START_NS LENGTH_NS" (CLOCK_MONOTONIC, the
 * clock of Python's time.monotonic_ns()), so that a benchmark can attribute
 * the gaps to the windows in which it attached and detached.  SIGTERM or
 * SIGINT: prints "max_gap_ns N" and exits 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int mg_0000(int x);

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long threshold = (argc > 1 ? atol(argv[1]) : 200) * 1000;
	long last, max_gap = 0;
	struct sigaction sa = {.sa_handler = on_signal};

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready %d\n", mg_0000(1));
	fflush(stdout);
	last = now_ns();
	while (!stop) {
		long t = now_ns(), gap = t - last;

		if (gap > max_gap)
			max_gap = gap;
		if (gap > threshold) {
			printf("gap %ld %ld\n", last, gap);
			fflush(stdout);
			t = now_ns(); /* printing is not a pause */
		}
		last = t;
	}
	printf("max_gap_ns %ld\n", max_gap);
	return 0;
}
