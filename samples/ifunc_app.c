/* ifunc_app: waits in read(2) on stdin with handlers for SIGUSR1 and
 * SIGUSR2 installed without SA_RESTART; each line read arms libifunc.so and
 * calls its IFUNCs (faulty, slow, stuck); an interrupted read is counted.
 * At end of input it prints how many of each signal arrived and whether a
 * read failed with EINTR: what a tracer that hijacks the thread meanwhile
 * must leave exactly as it was.  test_ifunc_safety.py. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern volatile int ifunc_armed;
int faulty(int x);
int slow(int x);
int stuck(int x);

static volatile sig_atomic_t usr1, usr2;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		usr1++;
	else
		usr2++;
}

int main(void)
{
	struct sigaction sa;
	char buf[64];
	int eintr = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: read fails with EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));
		if (n < 0 && errno == EINTR) {
			eintr = 1;
			continue;
		}
		if (n <= 0)
			break;
		ifunc_armed = 1;
		printf("faulty(1)=%d slow(1)=%d stuck(1)=%d\n", faulty(1), slow(1), stuck(1));
		fflush(stdout);
	}
	printf("usr1=%d usr2=%d eintr=%s\n", (int)usr1, (int)usr2, eintr ? "yes" : "no");
	return 0;
}
