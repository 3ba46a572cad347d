/* The floor under any ptrace tracer: the cost of one breakpoint stop.
 *
 * A child executes int3 N times; the parent, its tracer, takes each stop
 * (waitpid), reads the registers (PTRACE_GETREGS) and resumes it
 * (PTRACE_CONT).  Prints the time per round trip in nanoseconds.
 *
 *   ptrace_roundtrip [N]     (default 100000)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	int status;
	pid_t child;
	double t0, t1;

	child = fork();
	if (child == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		for (long i = 0; i < n; i++)
			__asm__ volatile("int3");
		_exit(0);
	}
	waitpid(child, &status, 0);
	ptrace(PTRACE_CONT, child, NULL, NULL);
	t0 = now();
	for (long i = 0; i < n; i++) {
		struct user_regs_struct regs;
		if (waitpid(child, &status, 0) < 0 || !WIFSTOPPED(status)) {
			fprintf(stderr, "ptrace_roundtrip: child stopped unexpectedly\n");
			return 1;
		}
		ptrace(PTRACE_GETREGS, child, NULL, &regs);
		ptrace(PTRACE_CONT, child, NULL, NULL);
	}
	t1 = now();
	waitpid(child, &status, 0);
	printf("%.0f ns per int3 stop + GETREGS + CONT (%ld stops)\n", (t1 - t0) * 1e9 / (double)n, n);
	return 0;
}
