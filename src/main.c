/* dwtrace: set-up, the event loop, tear-down. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "dw_session.h"
#include "list_cmd.h"
#include "lttng_session.h"
#include "log.h"
#include "probe_site.h"
#include "sink.h"
#include "target.h"
#include "tracer.h"

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	stop_requested = sig;
}

static void install_stop_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: waitpid must return so that the loop sees the request. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
}

static void arm_duration(double seconds)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = (time_t)seconds;
	it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
	if (!it.it_value.tv_sec && !it.it_value.tv_usec)
		it.it_value.tv_usec = 1;
	setitimer(ITIMER_REAL, &it, NULL);
}

/* The stream events go to: a file, stdout, or a buffered copy of stderr. */
static FILE *open_output(const char *path)
{
	FILE *f;

	if (path && strcmp(path, "-") != 0) {
		f = fopen(path, "we");
		if (!f) {
			log_error("cannot open output file '%s': %s", path, strerror(errno));
			return NULL;
		}
	} else {
		int fd = path ? STDOUT_FILENO : STDERR_FILENO;
		int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		f = copy >= 0 ? fdopen(copy, "w") : NULL;
		if (!f) {
			log_error("cannot write events to %s: %s", path ? "stdout" : "stderr", strerror(errno));
			return NULL;
		}
		if (isatty(fd)) {
			setvbuf(f, NULL, _IOLBF, 0);
			return f;
		}
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

static int exit_code_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 0;
}

/* The last line on stderr: what was traced, and how it ended. */
static void summary(struct tracer *tr, const struct process *p)
{
	const struct target *t = &p->t;
	size_t nprobes = tracer_probes_placed(tr), nprocs = tr->processes_seen;
	char end[128], lost[64] = "";

	/* A started program that exec'd was detached from, then waited for. */
	if (t->exited && WIFSIGNALED(t->exit_status))
		snprintf(end, sizeof(end), "%s was killed by %s", t->name, strsignal(WTERMSIG(t->exit_status)));
	else if (t->exited)
		snprintf(end, sizeof(end), "%s exited with status %d", t->name, WEXITSTATUS(t->exit_status));
	else if (tr->detached)
		snprintf(end, sizeof(end), "detached from %s (pid %d), which runs on", t->name, (int)t->pid);
	else
		snprintf(end, sizeof(end), "%s is gone", t->name);
	/* Frames left by longjmp or an exception: their exits never came. */
	if (tr->lost_returns)
		snprintf(lost, sizeof(lost), ", %lu call%s left without returning", tr->lost_returns,
			 tr->lost_returns == 1 ? "" : "s");
	log_note("%lu events from %zu thread%s in %zu process%s, %zu probe%s%s; %s", tr->events, tr->threads_seen,
		 tr->threads_seen == 1 ? "" : "s", nprocs, nprocs == 1 ? "" : "es", nprobes, nprobes == 1 ? "" : "s",
		 lost, end);
}

int main(int argc, char **argv)
{
	struct options o;
	struct process *p;
	struct target *t;
	struct tracer tr;
	FILE *out;
	char *err = NULL, *ctf_session = NULL;
	struct sink *sink = NULL;
	int rc;

	rc = cli_parse(argc, argv, &o);
	if (rc != 0) {
		cli_free(&o);
		return rc > 0 ? 0 : 2;
	}
	if (o.list) {
		rc = list_functions(o.list_file, o.list_glob);
		cli_free(&o);
		return rc;
	}
	/* Before anything is changed in a target: a signal from now on means
	 * "stop and leave everything as it was". */
	install_stop_handlers();
	out = open_output(o.output);
	if (!out) {
		cli_free(&o);
		return 1;
	}
	if (o.format == FORMAT_LTTNG) {
		/* The session first: lttng-ust registers with the session
		 * daemon when the module is loaded. */
		if (o.ctf_dir && ctf_session_begin(o.ctf_dir, o.provider, &ctf_session) != 0) {
			fclose(out);
			cli_free(&o);
			return 1;
		}
		if (!o.ctf_dir && !lttng_sessiond_running())
			log_warning("no LTTng session daemon is running: nothing is being recorded (start lttng-sessiond "
				    "and a session, or use --ctf DIR)");
		sink = lttng_sink_load(o.provider, o.stack_depth > 0);
		if (!sink) {
			if (ctf_session)
				ctf_session_end(ctf_session, o.ctf_dir);
			fclose(out);
			cli_free(&o);
			return 1;
		}
	} else {
		sink = o.format == FORMAT_JSON ? sink_json_new(out) : sink_text_new(out);
	}
	p = process_new();
	t = &p->t;
	if ((o.pid ? target_attach(t, o.pid) : target_spawn(t, o.command)) != 0) {
		process_free(p);
		goto fail;
	}
	if (dw_session_open_pid(t->pid, &p->dw, &err) != 0) {
		log_error("%s", err);
		free(err);
		goto fail_unstarted;
	}
	if (probe_set_resolve(&p->probes, p->dw, o.probes, o.nprobes, t->name) != 0)
		goto fail_unstarted;

	memset(&tr, 0, sizeof(tr));
	tr.specs = o.probes;
	tr.nspecs = o.nprobes;
	tr.sink = sink;
	tr.dopts.string_limit = o.string_limit;
	tr.dopts.array_limit = 64;
	tr.stop_requested = &stop_requested;
	tr.follow = o.follow;
	tr.stack_depth = o.stack_depth;
	if (o.duration > 0)
		arm_duration(o.duration);
	if (tracer_start(&tr, p) != 0) {
		tracer_free(&tr);
		goto fail_unstarted;
	}
	tracer_run(&tr);

	rc = tr.sink->ops->flush(tr.sink);
	if (rc != 0)
		log_error("writing events to %s failed: %s", o.output ? o.output : "stderr", strerror(errno));
	tracer_warn_unloaded(&tr);
	summary(&tr, p);
	tr.sink->ops->destroy(tr.sink);
	tracer_free(&tr);
	if (ctf_session && ctf_session_end(ctf_session, o.ctf_dir) != 0)
		rc = -1;
	if (fclose(out) != 0 && rc == 0) {
		log_error("writing events failed: %s", strerror(errno));
		rc = -1;
	}
	cli_free(&o);
	if (rc == 0 && t->exited && !t->attached)
		rc = exit_code_of(t->exit_status);
	else
		rc = rc ? 1 : 0;
	process_free(p);
	return rc;

fail_unstarted:
	/* A started program has not run a single instruction of its own yet;
	 * a process we attached to goes on as it was. */
	if (t->attached)
		target_detach_untouched(t);
	else
		target_kill_unstarted(t);
	process_free(p);
fail:
	sink->ops->destroy(sink);
	if (ctf_session)
		ctf_session_end(ctf_session, o.ctf_dir);
	fclose(out);
	cli_free(&o);
	return 1;
}
