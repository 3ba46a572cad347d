/* agent_load_tool: drives src/inject/loader.c for test_agent_load.py.
 *
 *   agent_load_tool [--agent PATH] [--memfd] [--times N] -p PID
 *       attaches to PID N times (default 1); each time loads the agent
 *       (agent_load_file: the first loads it, the others must find it),
 *       checks that every thread of the process is stopped, and detaches.
 *       Prints one line per attach: "attach I loaded_now=L memfd=M
 *       threads=T".  Exit 0, or 1 after printing why.
 *   agent_load_tool [--agent PATH] [--memfd] -- CMD [ARGS...]
 *       starts CMD stopped at its entry point, loads the agent, detaches,
 *       and exits with CMD's status (128 + N when killed by signal N).
 *       Prints "load ok loaded_now=L memfd=M threads=T" or "load failed:
 *       rc=-E" to stderr, then the reason as dwtrace prints it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "inject/loader.h"
#include "log.h"
#include "target.h"

static size_t count_tasks(pid_t pid)
{
	char path[64];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Loads; returns rc and prints the outcome line to out. */
static int load(struct target *t, const char *agent, unsigned flags, FILE *out, const char *prefix)
{
	struct agent_handle h;
	char *why = NULL;
	int rc = agent_load_file(t, &h, agent, flags, &why);

	if (rc) {
		fprintf(out, "%sload failed: rc=%d\n", prefix, rc);
		fflush(out);
		log_error("%s", why ? why : "(no reason given)");
		free(why);
		return rc;
	}
	if (target_running_thread(t)) {
		log_error("a thread runs after agent_load returned");
		return -1;
	}
	if (t->threads.len != count_tasks(t->pid)) {
		log_error("after agent_load, %zu threads are stopped of the %zu the process has", t->threads.len,
			  count_tasks(t->pid));
		return -1;
	}
	fprintf(out, "%sloaded_now=%d memfd=%d threads=%zu status=%d magic_ok=%d\n", prefix, h.loaded_now, h.memfd,
		t->threads.len, h.agent.status, h.agent.magic == DWT_MAGIC);
	fflush(out);
	return 0;
}

int main(int argc, char **argv)
{
	const char *agent = NULL;
	unsigned flags = 0;
	long times = 1;
	pid_t pid = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--agent") && i + 1 < argc)
			agent = argv[++i];
		else if (!strcmp(argv[i], "--memfd"))
			flags |= AGENT_LOAD_MEMFD;
		else if (!strcmp(argv[i], "--times") && i + 1 < argc)
			times = atol(argv[++i]);
		else if (!strcmp(argv[i], "-p") && i + 1 < argc)
			pid = (pid_t)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			fprintf(stderr, "usage: agent_load_tool [--agent PATH] [--memfd] [--times N] (-p PID | -- CMD...)\n");
			return 2;
		}
	}
	if (pid) {
		for (long k = 0; k < times; k++) {
			struct target t = {0};
			char prefix[32];
			int rc;

			if (target_attach(&t, pid) != 0)
				return 1;
			snprintf(prefix, sizeof(prefix), "attach %ld ", k);
			rc = load(&t, agent, flags, stdout, prefix);
			target_detach_all(&t);
			target_release(&t);
			if (rc)
				return 1;
		}
		return 0;
	}
	if (i >= argc) {
		fprintf(stderr, "agent_load_tool: no command\n");
		return 2;
	}
	{
		struct target t = {0};
		int status;

		if (target_spawn(&t, argv + i) != 0)
			return 127;
		load(&t, agent, flags, stderr, "");
		target_detach_all(&t);
		target_release(&t);
		if (wait_task(t.pid, &status, 0) != t.pid)
			return 126;
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
}
