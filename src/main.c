/* dwtrace: set-up, the event loop, tear-down. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "dw_session.h"
#include "emergency.h"
#include "engine.h"
#include "list_cmd.h"
#include "filter_probes.h"
#include "lttng_session.h"
#include "log.h"
#include "output_style.h"
#include "probe_report.h"
#include "probe_site.h"
#include "remote_call.h"
#include "sink.h"
#include "stats.h"
#include "target.h"
#include "tracer.h"
#include "wait_status.h"
#include "xalloc.h"

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	stop_requested = sig;
}

static const int stop_signals[] = {SIGINT,  SIGTERM, SIGHUP,    SIGALRM, SIGUSR1, SIGUSR2, SIGVTALRM, SIGPROF,
				   SIGXCPU, SIGIO,   SIGSTKFLT, SIGPWR,  SIGSYS,  SIGTRAP};

static void on_write_signal(int sig);

static void install_stop_handlers(void)
{
	struct sigaction sa, old_xfsz;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: waitpid must return so that the loop sees the request.
	 * Every signal whose default action ends dwtrace and that a handler
	 * can catch: dying of it would leave the traps in place (the fatal
	 * ones, SIGSEGV and kin, are emergency.c's).  One dwtrace was started
	 * with ignored stays ignored: a program it starts inherits that, as it
	 * would without dwtrace (handlers are reset by exec, SIG_IGN is not). */
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++) {
		struct sigaction old;
		if (sigaction(stop_signals[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(stop_signals[i], &sa, NULL);
	}
	/* A file grown past RLIMIT_FSIZE: with a handler (not SIG_IGN, which
	 * a started program would inherit) the write fails with EFBIG and
	 * dwtrace detaches as from any output that goes away. */
	if (sigaction(SIGXFSZ, NULL, &old_xfsz) == 0 && old_xfsz.sa_handler != SIG_IGN) {
		sa.sa_handler = on_write_signal;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGXFSZ, &sa, NULL);
	}
}


/* SIGPIPE (and SIGXFSZ) would kill dwtrace with its traps in place: a closed
 * output must come back as EPIPE (EFBIG) instead.  A handler rather than SIG_IGN, because a
 * started program must inherit the disposition dwtrace found (exec resets
 * handled signals to SIG_DFL, but keeps SIG_IGN); if dwtrace was started
 * with SIGPIPE ignored, it is ignored already. */
static void on_write_signal(int sig)
{
	(void)sig;
}

static void catch_sigpipe(void)
{
	struct sigaction old, sa;

	if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_write_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGPIPE, &sa, NULL);
}

/* The events' stream writes through this, so that the errno of a failed
 * write is kept (stdio keeps only an error flag, and errno is overwritten
 * long before anyone looks). */
struct output {
	int fd;
	int err;                     /* errno of the first failed write, or 0 */
	bool dropped;                /* events dropped because a stop was requested */
};

static struct output output = {-1, 0, false};

static ssize_t output_write(void *cookie, const char *buf, size_t size)
{
	struct output *o = cookie;
	size_t done = 0;

	if (o->err) {
		errno = o->err;
		return -1;
	}
	while (done < size) {
		ssize_t n = write(o->fd, buf + done, size - done);

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			/* Standard output shared with a program that set
			 * O_NONBLOCK on it: wait until it drains. */
			struct pollfd pfd = {.fd = o->fd, .events = POLLOUT};
			if (!stop_requested && poll(&pfd, 1, -1) >= 0)
				continue;
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
			/* A reader that does not read must not keep dwtrace
			 * (and a stopped target) from stopping when asked. */
			if (stop_requested) {
				o->dropped = true;
				return (ssize_t)size;
			}
			continue;
		}
		o->err = n < 0 ? errno : EIO;
		errno = o->err;
		return -1;
	}
	return (ssize_t)size;
}

static int output_close(void *cookie)
{
	struct output *o = cookie;
	return close(o->fd);
}

/* /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N name a descriptor
 * dwtrace already has (opening them again would truncate a file the shell
 * opened for appending): the descriptor, or -1. */
static int inherited_fd(const char *path)
{
	const char *n = NULL;
	char *end;
	long fd;

	if (!strcmp(path, "/dev/stdout"))
		return STDOUT_FILENO;
	if (!strcmp(path, "/dev/stderr"))
		return STDERR_FILENO;
	if (!strncmp(path, "/dev/fd/", 8))
		n = path + 8;
	else if (!strncmp(path, "/proc/self/fd/", 14))
		n = path + 14;
	if (!n || !*n)
		return -1;
	fd = strtol(n, &end, 10);
	if (*end || fd < 0 || fd > INT_MAX || fcntl((int)fd, F_GETFD) < 0)
		return -1;
	return (int)fd;
}

/* Opens -o PATH for writing without ever blocking: a regular file (created
 * or truncated), or a FIFO that a reader has open already; never a device
 * or a directory, and never through a symbolic link that someone else owns
 * in a world-writable sticky directory (the kernel's protected_symlinks
 * rule, which does not hold everywhere; dwtrace runs as root).  Returns the
 * descriptor, or -1 after printing why. */
static int open_output_path(const char *path)
{
	char *copy = xstrdup(path), *slash = strrchr(copy, '/');
	const char *dir = ".", *base = copy;
	int flags = O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW;
	int dirfd = -1, fd = -1;
	struct stat dst, st = {0};

	if (!*path) {
		log_error("-o needs a file name (or - for standard output)");
		goto out;
	}
	if (slash) {
		*slash = '\0';
		dir = slash == copy ? "/" : copy;
		base = slash + 1;
	}
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || fstat(dirfd, &dst) != 0) {
		log_error("cannot open output file '%s': directory '%s': %s", path, dir, strerror(errno));
		goto out;
	}
	if (!*base) {
		log_error("output '%s' is a directory; give -o the name of a file", path);
		goto out;
	}
	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode)) {
			if ((dst.st_mode & S_ISVTX) && (dst.st_mode & S_IWOTH) && st.st_uid != geteuid() &&
			    st.st_uid != dst.st_uid) {
				log_error("not writing events through '%s': it is a symbolic link owned by uid %d in the "
					  "world-writable sticky directory '%s', where anyone can point it anywhere; remove it "
					  "or give -o another path",
					  path, (int)st.st_uid, dir);
				goto out;
			}
			/* Only its owner or the directory's can change it. */
			flags &= ~O_NOFOLLOW;
			if (fstatat(dirfd, base, &st, 0) != 0)
				st.st_mode = S_IFREG; /* dangling: created below */
		}
		if (S_ISDIR(st.st_mode)) {
			log_error("output '%s' is a directory; give -o the name of a file", path);
			goto out;
		}
		if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
			log_error("output '%s' is a block device or socket, not a file, FIFO or character device; to "
				  "write events there, use -o - and redirect standard output",
				  path);
			goto out;
		}
	}
	fd = openat(dirfd, base, flags, 0666);
	if (fd < 0) {
		if (errno == ENXIO && S_ISFIFO(st.st_mode))
			log_error("no process has the FIFO '%s' open for reading; start its reader first (dwtrace "
				  "does not wait for one)",
				  path);
		else
			log_error("cannot open output file '%s': %s", path, strerror(errno));
		goto out;
	}
	/* What was opened, whatever happened since the checks above. */
	if (fstat(fd, &st) != 0 || (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))) {
		log_error("output '%s' is not a regular file, FIFO or character device; give -o the name of a file",
			  path);
		close(fd);
		fd = -1;
		goto out;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
out:
	if (dirfd >= 0)
		close(dirfd);
	free(copy);
	return fd;
}

/* The stream events go to: a file or FIFO, stdout, or stderr.  Events reach
 * it as they happen: line by line on a terminal, otherwise at the latest
 * when the event loop is about to wait (tracer.c flushes there). */
static FILE *open_output(const char *path)
{
	static const cookie_io_functions_t io = {.write = output_write, .close = output_close};
	int inherited = path ? (strcmp(path, "-") ? inherited_fd(path) : STDOUT_FILENO) : STDERR_FILENO;
	FILE *f;

	if (inherited >= 0) {
		output.fd = fcntl(inherited, F_DUPFD_CLOEXEC, 3);
		if (output.fd < 0) {
			log_error("cannot write events to %s: %s", path ? path : "stderr", strerror(errno));
			return NULL;
		}
	} else {
		output.fd = open_output_path(path);
		if (output.fd < 0)
			return NULL;
	}
	f = fopencookie(&output, "w", io);
	if (!f) {
		log_error("cannot write events: %s", strerror(errno));
		close(output.fd);
		return NULL;
	}
	if (isatty(output.fd))
		setvbuf(f, NULL, _IOLBF, 0);
	else
		setvbuf(f, NULL, _IOFBF, 1 << 16);
	return f;
}

/* After the output failed: a started program runs on to its own end with
 * dwtrace waiting for it, as its shell waits for dwtrace (it keeps the
 * terminal and its standard input until then). */
static void wait_for_started(struct target *t)
{
	int status;
	pid_t w;

	if (t->attached || t->exited)
		return;
	stop_requested = 0;
	/* Ctrl-C reaches the program too; SIGTERM or SIGHUP for dwtrace alone
	 * ends the wait. */
	while ((w = waitpid(t->pid, &status, 0)) < 0 && errno == EINTR)
		if (stop_requested == SIGTERM || stop_requested == SIGHUP)
			break;
	if (w == t->pid && wait_status_classify(status).kind == WAIT_GONE) {
		t->exited = true;
		t->exit_status = status;
	}
}

/* The last line on stderr: what was traced, and how it ended. */
static void summary(struct tracer *tr, const struct process *p)
{
	const struct target *t = &p->t;
	size_t nprobes = tracer_probes_placed(tr), nprocs = tr->processes_seen;
	char end[128], lost[64] = "";

	/* A started program that exec'd was detached from, then waited for. */
	if (t->exited) {
		char how[80];
		wait_status_describe(t->exit_status, how, sizeof(how));
		snprintf(end, sizeof(end), "%s %s", t->name, how);
	} else if (tr->detached)
		snprintf(end, sizeof(end), "detached from %s (pid %d), which runs on", t->name, (int)t->pid);
	else
		snprintf(end, sizeof(end), "%s is gone", t->name);
	/* Frames left by longjmp or an exception: their exits never came. */
	if (tr->es.lost_returns)
		snprintf(lost, sizeof(lost), ", %lu call%s left without returning", tr->es.lost_returns,
			 tr->es.lost_returns == 1 ? "" : "s");
	log_note("%lu event%s from %zu thread%s in %zu process%s, %zu probe%s%s; %s", tr->es.events,
		 tr->es.events == 1 ? "" : "s", tr->threads_seen, tr->threads_seen == 1 ? "" : "s", nprocs, nprocs == 1 ? "" : "es", nprobes, nprobes == 1 ? "" : "s",
		 lost, end);
	/* The agent's rings were full (dwtrace stopped, or slower than the
	 * program for longer than a ring holds). */
	if (tr->dropped)
		log_warning("%lu event%s dropped: the agent's rings were full (a hit waits at most 0.5 s for room while dwtrace frees none)",
			    tr->dropped, tr->dropped == 1 ? " was" : "s were");
	if (tr->nested)
		log_warning("%lu hit%s inside another hit of the same thread (a signal handler) %s not recorded",
			    tr->nested, tr->nested == 1 ? "" : "s", tr->nested == 1 ? "was" : "were");
	if (tr->corrupt)
		log_warning("%lu records of the agent could not be read and were skipped", tr->corrupt);
	/* --filter run by the agent: those calls left no record at all. */
	if (tr->filtered_in_program)
		log_note("%lu call%s filtered out in the program", tr->filtered_in_program,
			 tr->filtered_in_program == 1 ? "" : "s");
}

/* -c / -C: the summary, where the events go, after the last of them
 * (however tracing ended) -- unless the output is gone already. */
static void write_stats(struct tracer *tr, struct stats *st)
{
	if (!st || tr->output_failed || output.err)
		return;
	event_stream_finish(&tr->es);
	/* The engine's lost events: the table's counts miss them. */
	stats_set_run(st, tr->engine_agent ? "agent" : "ptrace", tr->dropped);
	if (tr->sink->ops->summary)
		tr->sink->ops->summary(tr->sink, st);
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
	struct filter *filter = NULL;
	struct stats *st = NULL;
	int rc;

	/* Descriptors 0-2 closed by the caller would be reused by the files
	 * dwtrace opens (a target's memory written as "standard error"). */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd ? O_WRONLY : O_RDONLY) < 0)
			return 1;
	rc = cli_parse(argc, argv, &o);
	if (rc != 0) {
		cli_free(&o);
		return rc > 0 ? 0 : 2;
	}
	log_notes(!o.quiet);
	log_color(color_wanted(o.color, STDERR_FILENO));
	if (o.list) {
		rc = o.list_vars_spec ? list_variables(o.list_file, o.list_pid, o.list_command, o.list_vars_spec)
		     : o.list_command ? list_command(o.list_command, o.list_glob)
		     : o.list_pid   ? list_process(o.list_pid, o.list_glob)
				    : list_functions(o.list_file, o.list_glob);
		cli_free(&o);
		return rc;
	}
	/* A bad expression is an error before any program starts. */
	if (o.filter && !(filter = filter_parse(o.filter, &err))) {
		log_error("%s", err);
		free(err);
		cli_free(&o);
		return 2;
	}
	/* Before anything is changed in a target: a signal from now on means
	 * "stop and leave everything as it was". */
	install_stop_handlers();
	catch_sigpipe();
	out = open_output(o.output);
	if (!out) {
		cli_free(&o);
		filter_free(filter);
		return 1;
	}
	if (o.format == FORMAT_LTTNG) {
		/* The session first: lttng-ust registers with the session
		 * daemon when the module is loaded. */
		if (o.ctf_dir && ctf_session_begin(o.ctf_dir, o.provider, &ctf_session) != 0) {
			fclose(out);
			cli_free(&o);
			filter_free(filter);
			return 1;
		}
		if (!o.ctf_dir && !lttng_sessiond_running())
			log_warning("no LTTng session daemon is running: nothing is being recorded (start lttng-sessiond "
				    "and a session, or use --ctf DIR)");
		/* Loaded when dwtrace writes events itself (the ptrace
		 * engine); with the agent engine the program does. */
		sink = lttng_sink_deferred(o.provider, o.stack_depth > 0);
		/* Read by lttng-ust when it starts: the --ctf channel makes a
		 * thread with a full buffer wait rather than drop events, in the
		 * program dwtrace starts as in dwtrace (lttng-ust(3)). */
		if (o.ctf_dir)
			setenv("LTTNG_UST_ALLOW_BLOCKING", "1", 0);
	} else {
		struct sink_opts so = sink_opts_from_cli(&o, output.fd);

		sink = o.format == FORMAT_JSON ? sink_json_new(out, &so) : sink_text_new(out, &so);
		output_messages_share(sink, output.fd);
	}
	sink = emergency_test_sink(sink);
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
	t->goroutine_stacks = dw_session_main_is_go(p->dw);
	/* An IFUNC no GOT slot binds yet: its resolver runs in the stopped
	 * target -- except in a dry run, which runs nothing there. */
	if (!o.list_probes)
		dw_session_set_ifunc_caller(p->dw, remote_call_ifunc_resolver, t);
	p->probes.keep_missing = o.follow;
	p->probes.dry_run = o.list_probes;
	p->probes.verbose = o.verbose;
	p->probes.filter = filter;
	p->probes.filter_lttng = o.format == FORMAT_LTTNG;
	if (probe_set_resolve(&p->probes, p->dw, o.probes, o.nprobes, t->name) != 0)
		goto fail_unstarted;
	if (filter_probes_bind(&p->probes) != 0) {
		rc = 2;
		goto unstarted;
	}
	if (o.list_probes) {
		/* A dry run: nothing was written into the target. */
		probe_report(&p->probes, p->dw, false, t->entry);
		rc = 0;
		goto dry_run;
	}

	/* An agent engine that was killed left its patches: out first, as
	 * the program was (either engine reads the code). */
	if (t->attached)
		agent_engine_clean(p);

	memset(&tr, 0, sizeof(tr));
	tr.specs = o.probes;
	tr.nspecs = o.nprobes;
	tr.sink = sink;
	tr.dopts.string_limit = o.string_limit;
	tr.dopts.array_limit = 64;
	tr.stop_requested = &stop_requested;
	tr.follow = o.follow;
	tracer_note_waiting(&tr, p->probes.waiting, p->probes.nwaiting);
	tr.stack_depth = o.stack_depth;
	if (o.format == FORMAT_LTTNG) {
		tr.ust_provider = o.provider;
		tr.ust_blocking = o.ctf_dir != NULL;
		/* The program's own lttng-ust writes the events with the agent
		 * engine: this run's session records its process too. */
		if (ctf_session && ctf_session_track(ctf_session, t->pid) != 0) {
			tracer_free(&tr);
			goto fail_unstarted;
		}
	}
	tr.duration = o.duration;
	tr.filter = filter;
	tr.filter_lttng = o.format == FORMAT_LTTNG;
	/* -c, -C: every call counted; -c writes no event. */
	if (o.summary != SUMMARY_NONE)
		tr.stats = st = stats_new(o.histogram);
	tr.no_events = o.summary == SUMMARY_ONLY;
	emergency_arm(&tr, p);
	if (o.engine != ENGINE_PTRACE) {
		const char *unsuitable = agent_engine_unsuitable(&tr, p);

		if (!unsuitable && o.engine == ENGINE_AUTO)
			unsuitable = agent_engine_unusual(p);
		char *why = NULL;

		if (unsuitable && o.engine == ENGINE_AGENT) {
			log_error("--engine agent cannot trace %s: %s (use --engine ptrace)", t->name, unsuitable);
			emergency_disarm();
			goto fail_unstarted;
		}
		if (unsuitable) {
			log_note("using the ptrace engine: %s", unsuitable);
		} else {
			int arc = agent_engine_run(&tr, p, o.engine == ENGINE_AGENT, &why);
			if (arc == 1 && o.engine == ENGINE_AGENT) {
				log_error("--engine agent cannot trace %s: %s (use --engine ptrace)", t->name, why);
				free(why);
				emergency_disarm();
				goto fail_unstarted;
			}
			if (arc == 1) {
				log_note("using the ptrace engine: %s", why);
				free(why);
			} else if (arc < 0) {
				emergency_disarm();
				tracer_free(&tr);
				goto fail_unstarted;
			} else if (o.verbose) {
				probe_report(&p->probes, p->dw, true, t->entry);
			}
		}
	}
	if (!tr.engine_agent) {
		/* dwtrace writes the LTTng events itself: lttng-ust must load
		 * here, before the program runs a single probed call. */
		if (o.format == FORMAT_LTTNG && lttng_sink_deferred_load(sink) != 0) {
			emergency_disarm();
			tracer_free(&tr);
			goto fail_unstarted;
		}
		if (tracer_start(&tr, p) != 0) {
			emergency_disarm();
			tracer_free(&tr);
			goto fail_unstarted;
		}
		if (o.verbose)
			probe_report(&p->probes, p->dw, true, t->entry);
		tracer_live(&tr);
		tracer_run(&tr);
	}
	emergency_disarm();

	/* Output never ends in the middle of an event's line. */
	if (tr.sink->ops->end_line)
		tr.sink->ops->end_line(tr.sink);
	write_stats(&tr, st);
	rc = tr.output_failed ? -1 : tr.sink->ops->flush(tr.sink);
	if (tr.output_failed || output.err) {
		/* The one line the user gets: the output is gone, and so is
		 * the summary's place. */
		if (tr.detached)
			log_error("output closed (%s); detached from %s (pid %d), which runs on",
				  strerror(output.err ? output.err : EIO), t->name, (int)t->pid);
		else
			log_error("output closed (%s); the last events of %s (pid %d) were lost",
				  strerror(output.err ? output.err : EIO), t->name, (int)t->pid);
		rc = -1;
		wait_for_started(t);
	} else {
		if (rc != 0)
			log_error("writing events to %s failed: %s", o.output ? o.output : "stderr", strerror(-rc));
		if (output.dropped)
			log_warning("events that could not be written when the stop was requested were dropped");
		/* After --duration or Ctrl-C, a started program runs on to its
		 * end, and its status is dwtrace's; SIGTERM or SIGHUP end
		 * dwtrace now. */
		if (tr.detached && stop_requested != SIGTERM && stop_requested != SIGHUP)
			wait_for_started(t);
		tracer_warn_unloaded(&tr);
		summary(&tr, p);
	}
	output_messages_apart();
	tr.sink->ops->destroy(tr.sink);
	tracer_free(&tr);
	stats_free(st);
	if (ctf_session && ctf_session_end(ctf_session, o.ctf_dir, true) != 0)
		rc = -1;
	if (fclose(out) != 0 && rc == 0 && !output.err) {
		log_error("writing events failed: %s", strerror(errno));
		rc = -1;
	}
	cli_free(&o);
	if (rc == 0 && t->exited && !t->attached)
		rc = wait_status_exit_code(t->exit_status);
	else
		rc = rc ? 1 : 0;
	process_free(p);
	filter_free(filter);
	return rc;

fail_unstarted:
	rc = 1;
dry_run:
unstarted:
	/* A started program has not run a single instruction of its own yet;
	 * a process we attached to goes on as it was. */
	if (t->attached)
		target_detach_untouched(t);
	else
		target_kill_unstarted(t);
	process_free(p);
	goto out;
fail:
	rc = 1;
out:
	stats_free(st);
	output_messages_apart();
	sink->ops->destroy(sink);
	/* Nothing was traced: no trace to point at. */
	if (ctf_session)
		ctf_session_end(ctf_session, o.ctf_dir, false);
	fclose(out);
	cli_free(&o);
	filter_free(filter);
	return rc;
}
