/* signals_app [-s]: counts the signals it gets, so that a run under a tracer
 * can be compared with a run without one.  In order:
 *
 *   alrm  5 one-shot 2 ms timers (setitimer): after arming each it calls
 *         sig_work() 300 times, then waits for the tick; the handler calls
 *         sig_work() once too (a probe hit inside a handler that may have
 *         interrupted another one);
 *   chld  3 children, one at a time: each calls sig_work(1000 + k) and exits
 *         with status sig_work(1000 + k) % 128, which the parent checks; the
 *         parent waits for each SIGCHLD;
 *   usr1  3 times kill(getpid(), SIGUSR1);
 *   trap  3 times raise(SIGTRAP), with a SIGTRAP handler;
 *   segv  3 reads of a PROT_NONE page, each recovered with siglongjmp() out
 *         of the SIGSEGV handler;
 *   cont  with -s only: prints "stop-me PID" and waits until someone sends it
 *         SIGSTOP and then SIGCONT (counted by a SIGCONT handler).
 *
 * sig_work() is called 50 times between the steps as well.  Every count is
 * deterministic; the last line on stdout is
 *
 *   alrm=5 chld=3 usr1=3 trap=3 segv=3 cont=C work=N
 *
 * with C 1 (-s) or 0, and N the number of sig_work() calls made by this
 * process (the children's are not counted).  Exits 0, or 1 with a message
 * on stderr when something went wrong (a wrong result, a child's status).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "signals_lib.h"

static volatile sig_atomic_t alrm, chld, usr1, trap, segv, cont, work_in_handler;
static long work;
static sigjmp_buf segv_env;
static sigset_t counted; /* the signals waited for with sigsuspend() */

static void die(const char *what)
{
	fprintf(stderr, "signals_app: %s\n", what);
	exit(1);
}

static void work_n(int n)
{
	for (int i = 0; i < n; i++, work++)
		if (sig_work(i) != i * 7 + 3)
			die("wrong result of sig_work()");
}

static void on_signal(int sig)
{
	switch (sig) {
	case SIGALRM:
		alrm++;
		if (sig_work(-1) != -4)
			_exit(3);
		work_in_handler++;
		break;
	case SIGCHLD: chld++; break;
	case SIGUSR1: usr1++; break;
	case SIGTRAP: trap++; break;
	case SIGCONT: cont++; break;
	case SIGSEGV:
		segv++;
		siglongjmp(segv_env, 1);
	}
}

/* Waits until *count reaches want, without missing a signal between the
 * test and the wait. */
static void wait_for(volatile sig_atomic_t *count, int want)
{
	sigset_t old;

	sigprocmask(SIG_BLOCK, &counted, &old);
	while (*count < want)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void alarms(void)
{
	const struct itimerval once = {.it_value = {0, 2000}};

	for (int k = 1; k <= 5; k++) {
		if (setitimer(ITIMER_REAL, &once, NULL) != 0)
			die("setitimer failed");
		work_n(300);
		wait_for(&alrm, k);
	}
}

static void children(void)
{
	for (int k = 1; k <= 3; k++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			die("fork failed");
		if (pid == 0)
			_exit(sig_work(1000 + k) % 128);
		wait_for(&chld, k);
		if (waitpid(pid, &status, 0) != pid)
			die("waitpid failed");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != ((1000 + k) * 7 + 3) % 128)
			die("a child did not exit with the status sig_work() gave it");
	}
}

static void segfaults(void)
{
	volatile int *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		die("mmap failed");
	for (int k = 1; k <= 3; k++) {
		if (sigsetjmp(segv_env, 1) == 0) {
			(void)*page;
			die("reading a PROT_NONE page did not fault");
		}
		work_n(50);
	}
	munmap((void *)page, 4096);
}

int main(int argc, char **argv)
{
	const int handled[] = {SIGALRM, SIGCHLD, SIGUSR1, SIGTRAP, SIGSEGV, SIGCONT};
	struct sigaction sa = {.sa_handler = on_signal};
	int stop_me = argc == 2 && strcmp(argv[1], "-s") == 0;

	if (argc > 2 || (argc == 2 && !stop_me)) {
		fprintf(stderr, "usage: signals_app [-s]\n");
		return 2;
	}
	sigemptyset(&sa.sa_mask);
	sigemptyset(&counted);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
		if (sigaction(handled[i], &sa, NULL) != 0)
			die("sigaction failed");
		if (handled[i] != SIGSEGV && handled[i] != SIGTRAP)
			sigaddset(&counted, handled[i]);
	}

	work_n(50);
	alarms();
	work_n(50);
	children();
	work_n(50);
	for (int k = 0; k < 3; k++) {
		kill(getpid(), SIGUSR1);
		work_n(50);
	}
	for (int k = 0; k < 3; k++) {
		raise(SIGTRAP);
		work_n(50);
	}
	segfaults();
	if (stop_me) {
		printf("stop-me %d\n", (int)getpid());
		fflush(stdout);
		work_n(50);
		wait_for(&cont, 1);
		work_n(50);
	}
	printf("alrm=%d chld=%d usr1=%d trap=%d segv=%d cont=%d work=%ld\n", (int)alrm, (int)chld,
	       (int)usr1, (int)trap, (int)segv, (int)cont, work + work_in_handler);
	return 0;
}
