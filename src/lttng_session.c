#define _GNU_SOURCE
#include "lttng_session.h"

#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lttng/lttng.h>

#include "log.h"
#include "target.h"
#include "sink_lttng.h"
#include "xalloc.h"

struct sink *lttng_sink_load(const char *provider, bool with_stack)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *tries[] = {"", "/../lib/dwtrace"};
	struct sink *(*make)(const char *, bool);
	void *h = NULL;
	char *dir;

	if (n <= 0) {
		log_error("cannot find dwtrace's own executable: %s", strerror(errno));
		return NULL;
	}
	exe[n] = '\0';
	dir = dirname(exe);
	/* Read by lttng-ust when it is loaded: a full buffer makes us wait
	 * instead of dropping events, in channels that allow blocking. */
	setenv("LTTNG_UST_ALLOW_BLOCKING", "1", 0);
	for (size_t i = 0; i < 2 && !h; i++) {
		snprintf(path, sizeof(path), "%s%s/libdwtrace-lttng.so", dir, tries[i]);
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h && i == 1)
			log_error("cannot load the LTTng module %s: %s", path, dlerror());
	}
	if (!h)
		return NULL;
	make = (struct sink * (*)(const char *, bool)) dlsym(h, DWTRACE_LTTNG_SINK_NEW);
	if (!make) {
		log_error("%s has no %s", path, DWTRACE_LTTNG_SINK_NEW);
		return NULL;
	}
	return make(provider, with_stack);
}

bool lttng_sessiond_running(void)
{
	return lttng_session_daemon_alive() == 1;
}

static int start_sessiond(void)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execlp("lttng-sessiond", "lttng-sessiond", "--daemonize", "--no-kernel", (char *)NULL);
		_exit(127);
	}
	if (wait_task(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	for (int i = 0; i < 100; i++) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		if (lttng_sessiond_running())
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

int ctf_session_begin(const char *dir, const char *provider, char **name)
{
	struct lttng_domain domain = {.type = LTTNG_DOMAIN_UST, .buf_type = LTTNG_BUFFER_PER_UID};
	struct lttng_handle *handle;
	struct lttng_channel *chan;
	struct lttng_event *ev;
	char *abs;
	int rc;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		log_error("cannot create the trace directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	abs = realpath(dir, NULL);
	if (!abs) {
		log_error("cannot use the trace directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	if (!lttng_sessiond_running()) {
		if (start_sessiond() != 0) {
			log_error("no LTTng session daemon is running and 'lttng-sessiond --daemonize --no-kernel' failed "
				  "(is lttng-tools installed?)");
			free(abs);
			return -1;
		}
		log_note("started an LTTng session daemon (lttng-sessiond --daemonize --no-kernel); it keeps running");
	}
	*name = xasprintf("dwtrace-%d", (int)getpid());
	rc = lttng_create_session(*name, abs);
	free(abs);
	if (rc < 0) {
		log_error("cannot create the LTTng session %s: %s", *name, lttng_strerror(rc));
		goto fail;
	}
	handle = lttng_create_handle(*name, &domain);
	chan = lttng_channel_create(&domain);
	if (!handle || !chan) {
		log_error("cannot set up the LTTng session %s", *name);
		goto fail_destroy;
	}
	snprintf(chan->name, sizeof(chan->name), "dwtrace");
	chan->attr.overwrite = 0;
	chan->attr.subbuf_size = 1 << 20;
	chan->attr.num_subbuf = 8;
	/* Nothing lost: a full buffer makes dwtrace (not the target) wait. */
	lttng_channel_set_blocking_timeout(chan, -1);
	rc = lttng_enable_channel(handle, chan);
	lttng_channel_destroy(chan);
	if (rc < 0) {
		log_error("cannot create the LTTng channel: %s", lttng_strerror(rc));
		goto fail_handle;
	}
	ev = lttng_event_create();
	ev->type = LTTNG_EVENT_TRACEPOINT;
	ev->loglevel_type = LTTNG_EVENT_LOGLEVEL_ALL;
	snprintf(ev->name, sizeof(ev->name), "%s:*", provider);
	rc = lttng_enable_event(handle, ev, "dwtrace");
	lttng_event_destroy(ev);
	if (rc < 0) {
		log_error("cannot enable the LTTng events %s:*: %s", provider, lttng_strerror(rc));
		goto fail_handle;
	}
	rc = lttng_start_tracing(*name);
	if (rc < 0) {
		log_error("cannot start the LTTng session: %s", lttng_strerror(rc));
		goto fail_handle;
	}
	lttng_destroy_handle(handle);
	return 0;

fail_handle:
	lttng_destroy_handle(handle);
fail_destroy:
	lttng_destroy_session(*name);
fail:
	free(*name);
	*name = NULL;
	return -1;
}

int ctf_session_end(char *name, const char *dir)
{
	int rc = lttng_stop_tracing(name);

	if (rc < 0)
		log_error("stopping the LTTng session %s failed: %s", name, lttng_strerror(rc));
	rc = lttng_destroy_session(name);
	if (rc < 0)
		log_error("destroying the LTTng session %s failed: %s", name, lttng_strerror(rc));
	else
		log_note("CTF trace in %s (babeltrace2 %s)", dir, dir);
	free(name);
	return rc < 0 ? -1 : 0;
}
