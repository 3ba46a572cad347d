/* fork_app: a process tree for following fork, vfork and exec.
 *
 *   parent   my_traced_function() of libmylib.so once, fk_work(0, 0) and
 *            fk_work(0, 1) of libfork.so, then fk_fork();
 *   child 1  (fork() inside fk_fork()) fk_work(1, 0), (1, 1), (1, 2), then
 *            execs sample_app 2 (from fork_app's own directory);
 *   parent   vfork(), whose child 2 execs sample_app 1 at once;
 *   parent   fk_work(0, 2), (0, 3), (0, 4), waits for both children.
 *
 * Each process prints what it called, prefixed with its role and pid:
 *
 *   parent 1234 my_traced_function(42, 3735928559, 3.14159, 0x12345678) = 292
 *   parent 1234 fk_work(0, 0) = 1
 *   parent 1234 fk_fork() = 1235
 *   parent 1234 vfork() = 1236
 *   child 1235 fk_work(1, 0) = 101
 *   parent 1234 child 1235 exited with status 0
 *
 * and the exec'ed sample_app processes print their own lines
 * ("my_traced_function(arg1=42, ...) = 292").  Exits 0 when both children
 * exited with status 0, else 1.
 */
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fork_lib.h"
#include "mylib.h"

static char sample_app[PATH_MAX];

static void find_sample_app(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0) {
		perror("fork_app: /proc/self/exe");
		exit(1);
	}
	exe[n] = '\0';
	snprintf(sample_app, sizeof(sample_app), "%s/sample_app", dirname(exe));
}

static void work(const char *role, int who, int first, int last)
{
	for (int i = first; i <= last; i++) {
		int ret = fk_work(who, i);

		printf("%s %d fk_work(%d, %d) = %d\n", role, (int)getpid(), who, i, ret);
	}
	fflush(stdout);
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid) {
		perror("fork_app: waitpid");
		return 1;
	}
	if (WIFEXITED(status))
		printf("parent %d child %d exited with status %d\n", (int)getpid(), (int)pid,
		       WEXITSTATUS(status));
	else
		printf("parent %d child %d was killed by signal %d\n", (int)getpid(), (int)pid,
		       WTERMSIG(status));
	return !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

int main(void)
{
	pid_t child1, child2;
	int ret;

	find_sample_app();
	ret = my_traced_function(42, 0xdeadbeef, 3.14159, (void *)0x12345678);
	printf("parent %d my_traced_function(42, 3735928559, 3.14159, 0x12345678) = %d\n",
	       (int)getpid(), ret);
	work("parent", 0, 0, 1);

	child1 = fk_fork();
	if (child1 < 0) {
		perror("fork_app: fork");
		return 1;
	}
	if (child1 == 0) {
		work("child", 1, 0, 2);
		execl(sample_app, "sample_app", "2", (char *)NULL);
		perror("fork_app: exec sample_app");
		_exit(127);
	}
	printf("parent %d fk_fork() = %d\n", (int)getpid(), (int)child1);
	fflush(stdout);

	child2 = vfork();
	if (child2 == 0) {
		execl(sample_app, "sample_app", "1", (char *)NULL);
		_exit(127);
	}
	if (child2 < 0) {
		perror("fork_app: vfork");
		return 1;
	}
	printf("parent %d vfork() = %d\n", (int)getpid(), (int)child2);

	work("parent", 0, 2, 4);
	ret = wait_child(child1);
	ret |= wait_child(child2);
	return ret;
}
