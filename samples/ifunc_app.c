/* ifunc_app: waits in read(2) on stdin with handlers for SIGUSR1 and
 * SIGUSR2 installed without SA_RESTART; each line read arms libifunc.so and
 * calls its IFUNCs (faulty, slow, stuck); an interrupted read is counted.
 * At end of input it prints how many of each signal arrived, whether a read
 * failed with EINTR and whether the upper half of ymm15, set before each
 * read, was still there after it (slow's resolver clears it): what a tracer
 * that hijacks the thread meanwhile must leave exactly as it was.
 * test_ifunc_safety.py. */
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

/* read(2) made with ymm15 holding a pattern in all eight floats: *kept
 * says whether its upper four were still there after the system call. */
static long read_keeping_ymm15(int fd, void *buf, size_t size, int *kept)
{
	static const float pattern = 1234.5f;
	float upper[4];
	long ret;

	if (!__builtin_cpu_supports("avx")) {
		*kept = 1;
		return read(fd, buf, size);
	}
	__asm__ volatile("vbroadcastss %[pat], %%ymm15\n\t"
			 "syscall\n\t"
			 "vextractf128 $1, %%ymm15, %[up]"
			 : "=a"(ret), [up] "=m"(upper)
			 : "a"(0L), "D"((long)fd), "S"(buf), "d"(size), [pat] "m"(pattern)
			 : "rcx", "r11", "memory", "xmm15");
	*kept = upper[0] == pattern && upper[1] == pattern && upper[2] == pattern && upper[3] == pattern;
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

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
	int eintr = 0, kept, all_kept = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: read fails with EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		ssize_t n = read_keeping_ymm15(0, buf, sizeof(buf), &kept);

		all_kept &= kept;
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
	printf("usr1=%d usr2=%d eintr=%s ymm15=%s\n", (int)usr1, (int)usr2, eintr ? "yes" : "no",
	       all_kept ? "kept" : "lost");
	return 0;
}
