#define _GNU_SOURCE
#include "lttng_session.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lttng/lttng.h>

#include "log.h"
#include "own_lib.h"
#include "target.h"
#include "sink_lttng.h"
#include "xalloc.h"

struct sink *lttng_sink_load(const char *provider, bool with_stack)
{
	char path[PATH_MAX + 64];
	struct sink *(*make)(const char *, bool);
	void *h = NULL;
	int rc = 0;

	/* Read by lttng-ust when it is loaded: a full buffer makes us wait
	 * instead of dropping events, in channels that allow blocking. */
	setenv("LTTNG_UST_ALLOW_BLOCKING", "1", 0);
	for (int i = 0; !h && (rc = own_lib_candidate("libdwtrace-lttng.so", i, path, sizeof(path))) == 0; i++) {
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h && own_lib_candidate("libdwtrace-lttng.so", i + 1, path, sizeof(path)) != 0) {
			log_error("cannot load the LTTng module %s: %s", path, dlerror());
			return NULL;
		}
	}
	if (!h) {
		log_error("cannot find dwtrace's own executable: %s", strerror(-rc));
		return NULL;
	}
	make = (struct sink * (*)(const char *, bool)) dlsym(h, DWTRACE_LTTNG_SINK_NEW);
	if (!make) {
		log_error("%s has no %s", path, DWTRACE_LTTNG_SINK_NEW);
		return NULL;
	}
	return make(provider, with_stack);
}

struct deferred_sink {
	struct sink base;
	struct sink *real;
	char *provider;
	bool with_stack, failed;
};

static struct sink *deferred_real(struct sink *base)
{
	struct deferred_sink *d = (struct deferred_sink *)base;

	if (!d->real && !d->failed) {
		d->real = lttng_sink_load(d->provider, d->with_stack);
		d->failed = !d->real;
	}
	return d->real;
}

static void deferred_entry(struct sink *base, const struct event_layout *l, const struct event_header *h,
			   const struct value *args)
{
	struct sink *s = deferred_real(base);

	if (s)
		s->ops->entry(s, l, h, args);
}

static void deferred_exit(struct sink *base, const struct event_layout *l, const struct event_header *h,
			  const struct value *ret, uint64_t duration_ns)
{
	struct sink *s = deferred_real(base);

	if (s)
		s->ops->exit(s, l, h, ret, duration_ns);
}

static void deferred_layout_added(struct sink *base, const struct event_layout *l)
{
	struct sink *s = deferred_real(base);

	if (s && s->ops->layout_added)
		s->ops->layout_added(s, l);
}

static int deferred_flush(struct sink *base)
{
	struct deferred_sink *d = (struct deferred_sink *)base;

	if (d->failed)
		return -EIO;
	return d->real ? d->real->ops->flush(d->real) : 0;
}

static void deferred_destroy(struct sink *base)
{
	struct deferred_sink *d = (struct deferred_sink *)base;

	if (d->real)
		d->real->ops->destroy(d->real);
	free(d->provider);
	free(d);
}

static const struct sink_ops deferred_ops = {
	.entry = deferred_entry,
	.exit = deferred_exit,
	.flush = deferred_flush,
	.destroy = deferred_destroy,
	.layout_added = deferred_layout_added,
};

struct sink *lttng_sink_deferred(const char *provider, bool with_stack)
{
	struct deferred_sink *d = xcalloc(1, sizeof(*d));

	d->base.ops = &deferred_ops;
	d->provider = xstrdup(provider);
	d->with_stack = with_stack;
	return &d->base;
}

int lttng_sink_deferred_load(struct sink *s)
{
	return deferred_real(s) ? 0 : -1;
}

bool lttng_sessiond_running(void)
{
	return lttng_session_daemon_alive() == 1;
}

/* The session daemon this process started for --ctf (one --ctf session per
 * process): its pid, and a pidfd so that the signal that stops it can only
 * reach that process, never one that reused its pid. */
static pid_t own_sessiond_pid;
static int own_sessiond_pidfd = -1;

/* Waits up to timeout_ms for the process behind pidfd to end; true if it has. */
static bool pidfd_ended(int pidfd, int timeout_ms)
{
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r > 0;
}

/* In the short-lived middle process: starts lttng-sessiond in the
 * foreground with --sig-parent, waits until it says it is ready (SIGUSR1,
 * what `lttng create` does when it spawns one) or ends, and reports its pid
 * through fd.  Never returns. */
static void __attribute__((noreturn)) spawn_sessiond(int fd)
{
	struct timespec timeout = {10, 0};
	sigset_t set, old;
	pid_t pid;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* Its own session: a Ctrl-C meant for dwtrace must not stop the
		 * daemon before dwtrace has written out the trace. */
		setsid();
		/* Not dwtrace's stdout/stderr: a reader of them (a pipe, a test)
		 * would otherwise wait for the daemon to end. */
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
		execlp("lttng-sessiond", "lttng-sessiond", "--no-kernel", "--sig-parent", "--quiet",
		       (char *)NULL);
		_exit(127);
	}
	if (pid > 0) {
		sig = sigtimedwait(&set, NULL, &timeout);
		if (sig != SIGUSR1) {
			/* Ended (SIGCHLD), or silent for 10 s: not to be used,
			 * and not left behind either. */
			kill(pid, SIGKILL);
			pid = -1;
		}
	}
	if (write(fd, &pid, sizeof(pid)) != sizeof(pid))
		_exit(1);
	_exit(0);
}

/* Starts a session daemon that is not dwtrace's child (the event loop waits
 * for any child) and remembers it in own_sessiond_*.  Returns 0 when it
 * answers, -1 otherwise (a daemon that started but does not answer is
 * stopped again). */
static int start_sessiond(void)
{
	pid_t mid, pid = -1;
	int fds[2], status;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	fflush(NULL);
	mid = fork();
	if (mid == 0) {
		close(fds[0]);
		spawn_sessiond(fds[1]);
	}
	close(fds[1]);
	if (mid < 0 || read(fds[0], &pid, sizeof(pid)) != sizeof(pid))
		pid = -1;
	close(fds[0]);
	if (mid > 0)
		wait_task(mid, &status, 0);
	if (pid <= 0)
		return -1;
	own_sessiond_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (own_sessiond_pidfd < 0) {
		kill(pid, SIGTERM);
		return -1;
	}
	own_sessiond_pid = pid;
	if (!lttng_sessiond_running()) {
		/* Ready, but not for the LTTNG_HOME dwtrace sees: not usable. */
		stop_own_sessiond();
		return -1;
	}
	return 0;
}

void stop_own_sessiond(void)
{
	int fd = own_sessiond_pidfd;

	struct lttng_session *sessions = NULL;
	int others;

	if (fd < 0)
		return;
	own_sessiond_pidfd = -1;
	/* Another run may have found "our" daemon and be recording with it
	 * (two --ctf runs started at once): its trace matters more. */
	others = lttng_list_sessions(&sessions);
	free(sessions);
	if (others > 0) {
		log_note("leaving the LTTng session daemon dwtrace started (pid %d) running: %d other session%s use it",
			 (int)own_sessiond_pid, others, others == 1 ? "" : "s");
		close(fd);
		return;
	}
	/* SIGTERM lets it stop its consumer daemons; SIGKILL if it hangs. */
	if (syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0) == 0 && !pidfd_ended(fd, 5000)) {
		log_warning("the LTTng session daemon dwtrace started (pid %d) did not stop within 5 s; killing it",
			    (int)own_sessiond_pid);
		syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
		pidfd_ended(fd, 1000);
	}
	close(fd);
}

/* mkdir DIR, or accept it when it exists, is a directory and is empty:
 * an existing trace is never mixed with or replaced by a new one. */
static int prepare_trace_dir(const char *dir)
{
	struct dirent *e;
	bool empty = true;
	DIR *d;

	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno != EEXIST) {
		log_error("--ctf: cannot create the trace directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	d = opendir(dir);
	if (!d) {
		log_error("--ctf: cannot use '%s' as the trace directory: %s", dir,
			  errno == ENOTDIR ? "it exists and is not a directory" : strerror(errno));
		return -1;
	}
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	if (!empty) {
		log_error("--ctf: the trace directory '%s' is not empty; name a new or empty directory "
			  "(dwtrace does not mix or replace traces)", dir);
		return -1;
	}
	return 0;
}

/* Only the processes that write this run's events (dwtrace's own for the
 * ptrace engine; the traced program's with the agent engine, added by
 * ctf_session_track): every other process registered with the daemon
 * (another dwtrace, another application using the same provider name) gets
 * nothing of this session enabled.  A tracker rather than a filter on
 * $ctx.vpid: untracked processes do not pay a filter per event and get no
 * buffers of this session at all. */
int ctf_session_track(const char *session, pid_t pid)
{
	struct lttng_process_attr_tracker_handle *tracker = NULL;
	enum lttng_error_code code;
	enum lttng_process_attr_tracker_handle_status st;

	code = lttng_session_get_tracker_handle(session, LTTNG_DOMAIN_UST, LTTNG_PROCESS_ATTR_VIRTUAL_PROCESS_ID,
						&tracker);
	if (code != LTTNG_OK) {
		log_error("cannot get the vpid tracker of the LTTng session %s: %s", session,
			  lttng_strerror(-(int)code));
		return -1;
	}
	st = lttng_process_attr_tracker_handle_set_tracking_policy(tracker, LTTNG_TRACKING_POLICY_INCLUDE_SET);
	if (st == LTTNG_PROCESS_ATTR_TRACKER_HANDLE_STATUS_OK)
		st = lttng_process_attr_virtual_process_id_tracker_handle_add_pid(tracker, pid);
	lttng_process_attr_tracker_handle_destroy(tracker);
	if (st != LTTNG_PROCESS_ATTR_TRACKER_HANDLE_STATUS_OK && st != LTTNG_PROCESS_ATTR_TRACKER_HANDLE_STATUS_EXISTS) {
		log_error("cannot restrict the LTTng session %s to process %d (vpid tracker status %d)", session,
			  (int)pid, (int)st);
		return -1;
	}
	return 0;
}

int ctf_session_begin(const char *dir, const char *provider, char **name)
{
	static const enum lttng_event_context_type contexts[] = {LTTNG_EVENT_CONTEXT_VPID, LTTNG_EVENT_CONTEXT_VTID,
								  LTTNG_EVENT_CONTEXT_PROCNAME};
	struct lttng_domain domain = {.type = LTTNG_DOMAIN_UST, .buf_type = LTTNG_BUFFER_PER_UID};
	struct lttng_handle *handle = NULL;
	struct lttng_channel *chan;
	struct lttng_event *ev;
	char *abs;
	int rc;

	if (prepare_trace_dir(dir) != 0)
		return -1;
	abs = realpath(dir, NULL);
	if (!abs) {
		log_error("--ctf: cannot use the trace directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	if (!lttng_sessiond_running()) {
		if (start_sessiond() != 0) {
			log_error("no LTTng session daemon is running and 'lttng-sessiond --no-kernel' could not be "
				  "started (is lttng-tools installed?)");
			free(abs);
			return -1;
		}
		log_note("started an LTTng session daemon (pid %d); it stops when dwtrace ends", (int)own_sessiond_pid);
	}
	*name = xasprintf("dwtrace-%d", (int)getpid());
	rc = lttng_create_session(*name, abs);
	free(abs);
	if (rc < 0) {
		log_error("cannot create the LTTng session %s: %s", *name, lttng_strerror(rc));
		goto fail;
	}
	if (ctf_session_track(*name, getpid()) != 0)
		goto fail_destroy;
	handle = lttng_create_handle(*name, &domain);
	chan = lttng_channel_create(&domain);
	if (!handle || !chan) {
		log_error("cannot set up the LTTng session %s", *name);
		if (chan)
			lttng_channel_destroy(chan);
		goto fail_handle;
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
	/* Who wrote each event: with the agent engine the traced program's
	 * own process and thread (the ptrace engine's events carry them as
	 * the payload fields pid and tid, and their contexts are dwtrace's). */
	for (size_t i = 0; i < sizeof(contexts) / sizeof(contexts[0]); i++) {
		struct lttng_event_context ctx = {.ctx = contexts[i]};

		rc = lttng_add_context(handle, &ctx, NULL, "dwtrace");
		if (rc < 0) {
			log_error("cannot add the context %d to the LTTng channel: %s", (int)contexts[i],
				  lttng_strerror(rc));
			goto fail_handle;
		}
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
	stop_own_sessiond();
	return -1;
}

int ctf_session_end(char *name, const char *dir, bool traced)
{
	int rc = lttng_stop_tracing(name);

	if (rc < 0)
		log_error("stopping the LTTng session %s failed: %s", name, lttng_strerror(rc));
	rc = lttng_destroy_session(name);
	if (rc < 0)
		log_error("destroying the LTTng session %s failed: %s", name, lttng_strerror(rc));
	else if (traced)
		log_note("CTF trace in %s (babeltrace2 %s)", dir, dir);
	free(name);
	/* Destroying waited for the trace to be written out. */
	stop_own_sessiond();
	return rc < 0 ? -1 : 0;
}
