/* wait_status_classify() against real stops: each child does one known
 * thing (exits, is killed, forks, execs, traps, is interrupted), and the
 * classification must name what the child did. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "wait_status.h"

#define OPTIONS                                                                                             \
	(PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |                \
	 PTRACE_O_TRACESYSGOOD)

static int wait_one(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, __WALL) < 0)
		assert_int_equal(errno, EINTR);
	return status;
}

/* A child that stops itself, is seized, and runs body once continued. */
static pid_t seized_child(void (*body)(void))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		raise(SIGSTOP);
		body();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
	/* Not traced yet: a stop by the signal. */
	assert_int_equal(wait_status_classify(status).kind, WAIT_SIGNAL);
	assert_int_equal(wait_status_classify(status).sig, SIGSTOP);
	assert_int_equal(ptrace(PTRACE_SEIZE, pid, NULL, (void *)(long)OPTIONS), 0);
	kill(pid, SIGCONT);
	return pid;
}

/* Runs pid to its end, resuming as the header says; counts every kind. */
static void run_to_end(pid_t pid, unsigned counts[WAIT_NOT_STOPPED + 1], int *end_status)
{
	for (;;) {
		int status;
		pid_t w = waitpid(-1, &status, __WALL);
		struct wait_status ws;

		if (w < 0 && errno == EINTR)
			continue;
		assert_true(w > 0);
		ws = wait_status_classify(status);
		if (w == pid)
			counts[ws.kind]++;
		switch (ws.kind) {
		case WAIT_GONE:
			if (w == pid) {
				*end_status = status;
				return;
			}
			break;
		case WAIT_SIGNAL:
			/* The SIGSTOP/SIGCONT of the start are ours. */
			ptrace(PTRACE_CONT, w, NULL,
			       (void *)(long)(ws.sig == SIGSTOP || ws.sig == SIGCONT ? 0 : ws.sig));
			break;
		case WAIT_EXEC:
			/* One system call stop after the exec. */
			ptrace(PTRACE_SYSCALL, w, NULL, NULL);
			break;
		case WAIT_GROUP_STOP:
			ptrace(PTRACE_LISTEN, w, NULL, NULL);
			break;
		default:
			ptrace(PTRACE_CONT, w, NULL, NULL);
			break;
		}
	}
}

static void *thread_main(void *arg)
{
	return arg;
}

static void fork_clone_exec(void)
{
	pthread_t thr;
	pid_t c = fork();

	if (c == 0)
		_exit(0);
	waitpid(c, NULL, 0);
	pthread_create(&thr, NULL, thread_main, NULL);
	pthread_join(thr, NULL);
	execl("/bin/sh", "sh", "-c", "exit 3", (char *)NULL);
	_exit(99);
}

static void test_events(void **state)
{
	unsigned counts[WAIT_NOT_STOPPED + 1] = {0};
	int end = 0;
	pid_t pid = seized_child(fork_clone_exec);
	char how[80];

	run_to_end(pid, counts, &end);
	assert_int_equal(counts[WAIT_FORK], 1);
	assert_int_equal(counts[WAIT_CLONE], 1);
	assert_int_equal(counts[WAIT_EXEC], 1);
	assert_int_equal(counts[WAIT_SYSCALL], 1);
	assert_int_equal(counts[WAIT_GONE], 1);
	/* sh's own "exit 3", in the shell's terms. */
	assert_int_equal(wait_status_classify(end).code, 3);
	assert_int_equal(wait_status_classify(end).sig, 0);
	assert_int_equal(wait_status_exit_code(end), 3);
	wait_status_describe(end, how, sizeof(how));
	assert_string_equal(how, "exited with status 3");
}

static void sleep_long(void)
{
	struct timespec ts = {30, 0};
	nanosleep(&ts, NULL);
}

static void test_stops_and_kill(void **state)
{
	pid_t pid = seized_child(sleep_long);
	struct wait_status ws;
	int status;
	char how[80];

	/* Our own SIGSTOP and SIGCONT, in whichever form they come. */
	ptrace(PTRACE_INTERRUPT, pid, NULL, NULL);
	for (;;) {
		ws = wait_status_classify(wait_one(pid));
		if (ws.kind == WAIT_EVENT_STOP)
			break;
		ptrace(PTRACE_CONT, pid, NULL, NULL);
	}
	/* A signal the child gets: delivery stop, then (delivered) its
	 * group-stop.  SIGSTOP, not SIGTSTP: the kernel discards SIGTSTP in
	 * an orphaned process group (a test run from a detached shell). */
	kill(pid, SIGSTOP);
	assert_int_equal(ptrace(PTRACE_CONT, pid, NULL, NULL), 0);
	ws = wait_status_classify(wait_one(pid));
	assert_int_equal(ws.kind, WAIT_SIGNAL);
	assert_int_equal(ws.sig, SIGSTOP);
	assert_int_equal(ptrace(PTRACE_CONT, pid, NULL, (void *)(long)SIGSTOP), 0);
	ws = wait_status_classify(wait_one(pid));
	assert_int_equal(ws.kind, WAIT_GROUP_STOP);
	assert_int_equal(ws.sig, SIGSTOP);
	kill(pid, SIGKILL);
	status = wait_one(pid);
	ws = wait_status_classify(status);
	assert_int_equal(ws.kind, WAIT_GONE);
	assert_int_equal(ws.sig, SIGKILL);
	assert_int_equal(wait_status_exit_code(status), 128 + SIGKILL);
	wait_status_describe(status, how, sizeof(how));
	assert_string_equal(how, "was killed by Killed");
}

static void trap_insn(void)
{
	__asm__ volatile("int3");
}

static void trap_raise(void)
{
	raise(SIGTRAP);
}

/* Whether the first SIGTRAP of a child running body is a breakpoint's. */
static bool first_trap_is_breakpoint(void (*body)(void))
{
	pid_t pid = seized_child(body);
	struct wait_status ws;
	bool bp;

	for (;;) {
		ws = wait_status_classify(wait_one(pid));
		if (ws.kind == WAIT_SIGNAL && ws.sig == SIGTRAP)
			break;
		ptrace(PTRACE_CONT, pid, NULL, NULL);
	}
	bp = wait_trap_is_breakpoint(pid);
	kill(pid, SIGKILL);
	wait_one(pid);
	return bp;
}

static void test_trap_origin(void **state)
{
	assert_true(first_trap_is_breakpoint(trap_insn));
	assert_false(first_trap_is_breakpoint(trap_raise));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_stops_and_kill),
		cmocka_unit_test(test_trap_origin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
