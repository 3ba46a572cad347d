/* Starting the traced program under ptrace, its threads, and its memory. */
#define _GNU_SOURCE
#include "target.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "inject/loader.h"
#include "log.h"
#include "procfs.h"
#include "stack.h"
#include "sigtrap_guard.h"
#include "wait_status.h"
#include "xalloc.h"

/* TRACESYSGOOD: the system call stops of remote_syscall() (scratch.c) are
 * told from signals without a trap. */
#define SEIZE_OPTIONS                                                                                       \
	(PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |                \
	 PTRACE_O_TRACESYSGOOD)

pid_t wait_task(pid_t pid, int *status, int flags)
{
	pid_t r;

	do
		r = waitpid(pid, status, flags);
	while (r < 0 && errno == EINTR);
	return r;
}

uint64_t now_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t now_real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int check_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (access(path, X_OK) != 0)
		return -errno;
	return 0;
}

/* The file execvp would run for cmd, or NULL with *err set. */
static char *find_program(const char *cmd, int *err)
{
	const char *path = getenv("PATH");
	int first_err = -ENOENT;

	if (strchr(cmd, '/')) {
		*err = check_executable(cmd);
		return *err ? NULL : xstrdup(cmd);
	}
	if (!path)
		path = "/usr/local/bin:/bin:/usr/bin";
	while (*path) {
		const char *colon = strchrnul(path, ':');
		char *cand = xasprintf("%.*s%s%s", (int)(colon - path), path, colon == path ? "" : "/", cmd);
		int e = check_executable(cand);
		if (!e) {
			*err = 0;
			return cand;
		}
		if (e != -ENOENT && e != -ENOTDIR && first_err == -ENOENT)
			first_err = e;
		free(cand);
		path = *colon ? colon + 1 : colon;
	}
	*err = first_err;
	return NULL;
}

int target_read_entry(pid_t pid, uint64_t *entry)
{
	int rc = procfs_auxv(pid, AT_ENTRY, entry);

	if (rc)
		errno = -rc;
	return rc ? -1 : 0;
}

uint64_t target_stub_pc(struct target *t)
{
	uint64_t base = 0;
	Elf64_Ehdr eh;

	if (procfs_auxv(t->pid, AT_BASE, &base) != 0)
		base = 0;
	/* ld.so is mapped from file offset 0: its ELF header is at base. */
	if (base && target_read(t, t->pid, base, &eh, sizeof(eh)) == (ssize_t)sizeof(eh) &&
	    !memcmp(eh.e_ident, ELFMAG, SELFMAG) && eh.e_entry)
		return base + eh.e_entry;
	return t->entry;
}

/* Runs pid until its exec: 0, or -1 after printing why not. */
static int run_to_exec(struct target *t, int errpipe, const char *cmd)
{
	struct wait_status ws;
	int status;

	for (;;) {
		if (wait_task(t->pid, &status, __WALL) < 0) {
			log_error("waiting for '%s' failed: %s", cmd, strerror(errno));
			return -1;
		}
		ws = wait_status_classify(status);
		if (ws.kind == WAIT_GONE) {
			int e = 0;
			char what[64];
			if (read(errpipe, &e, sizeof(e)) == (ssize_t)sizeof(e))
				log_error("cannot execute '%s': %s", cmd, strerror(e));
			else {
				wait_status_describe(status, what, sizeof(what));
				log_error("'%s' %s before it started", cmd, what);
			}
			t->exited = true;
			return -1;
		}
		if (ws.kind == WAIT_EXEC) {
			target_note_exec_signals(t);
			return 0;
		}
		/* Its own SIGSTOP, and the SIGCONT that ended it, are dwtrace's. */
		if (ws.kind == WAIT_SIGNAL && ws.sig != SIGCONT && ws.sig != SIGSTOP)
			ptrace(PTRACE_CONT, t->pid, NULL, (void *)(long)ws.sig);
		else
			ptrace(PTRACE_CONT, t->pid, NULL, 0);
	}
}

void target_note_exec_signals(struct target *t)
{
	int fd = sigtrap_open_stat(t->pid);
	bool caught = false, ignored = false;

	t->sigtrap_ignored_at_exec = sigtrap_state(fd, &caught, &ignored) == 0 && ignored;
	if (fd >= 0)
		close(fd);
}

/* Runs the new image to its entry point, where every library it needs is
 * mapped: 0, or -1 after printing why not. */
static int run_to_entry(struct target *t, const char *cmd)
{
	struct arch_regs regs;
	static const uint8_t trap[ARCH_BREAKPOINT_LEN] = ARCH_BREAKPOINT_INSN;
	uint8_t orig[ARCH_BREAKPOINT_LEN];
	struct wait_status ws;
	int status;

	if (target_read_entry(t->pid, &t->entry) != 0) {
		log_error("cannot read the entry point of '%s' from /proc/%d/auxv", cmd, (int)t->pid);
		return -1;
	}
	if (target_read(t, t->pid, t->entry, orig, sizeof(orig)) != (ssize_t)sizeof(orig) ||
	    target_write(t, t->pid, t->entry, trap, sizeof(trap)) != 0) {
		log_error("cannot place a breakpoint at the entry point of '%s'", cmd);
		return -1;
	}
	ptrace(PTRACE_CONT, t->pid, NULL, 0);
	for (;;) {
		if (wait_task(t->pid, &status, __WALL) < 0) {
			log_error("waiting for '%s' failed: %s", cmd, strerror(errno));
			return -1;
		}
		ws = wait_status_classify(status);
		if (ws.kind == WAIT_GONE) {
			char what[64];
			wait_status_describe(status, what, sizeof(what));
			log_error("'%s' %s before reaching its entry point", cmd, what);
			t->exited = true;
			t->exit_status = status;
			return -1;
		}
		if (ws.kind == WAIT_SIGNAL && ws.sig == SIGTRAP) {
			if (arch_regs_fetch(t->pid, &regs, false) == 0 &&
			    arch_regs_pc(&regs) == t->entry + ARCH_BREAKPOINT_PC_ADVANCE)
				break;
		}
		ptrace(PTRACE_CONT, t->pid, NULL, (void *)(long)(ws.kind == WAIT_SIGNAL ? ws.sig : 0));
	}
	arch_regs_set_pc(&regs, t->entry);
	if (target_write(t, t->pid, t->entry, orig, sizeof(orig)) != 0 || arch_regs_store(t->pid, &regs) != 0) {
		log_error("cannot restore the entry point of '%s'", cmd);
		return -1;
	}
	return 0;
}

int target_spawn(struct target *t, char **argv)
{
	int err, fds[2], status;
	char *path = find_program(argv[0], &err);

	struct process *proc = t->proc;

	memset(t, 0, sizeof(*t));
	t->proc = proc;
	t->memfd = -1;
	t->name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (!path) {
		if (err == -ENOENT)
			log_error("command '%s' not found", argv[0]);
		else
			log_error("cannot execute '%s': %s", argv[0], strerror(-err));
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC) != 0) {
		log_error("pipe: %s", strerror(errno));
		free(path);
		return -1;
	}
	fflush(NULL);
	t->pid = fork();
	if (t->pid < 0) {
		log_error("fork: %s", strerror(errno));
		free(path);
		return -1;
	}
	if (t->pid == 0) {
		close(fds[0]);
		/* Wait here until the parent has seized us. */
		kill(getpid(), SIGSTOP);
		execv(path, argv);
		err = errno;
		if (write(fds[1], &err, sizeof(err)) < 0)
			_exit(126);
		_exit(127);
	}
	free(path);
	close(fds[1]);
	if (wait_task(t->pid, &status, WUNTRACED) < 0 || wait_status_classify(status).kind != WAIT_SIGNAL ||
	    ptrace(PTRACE_SEIZE, t->pid, NULL, (void *)(long)SEIZE_OPTIONS) != 0) {
		log_error("cannot trace '%s': %s", argv[0], strerror(errno));
		kill(t->pid, SIGKILL);
		wait_task(t->pid, &status, 0);
		close(fds[0]);
		return -1;
	}
	kill(t->pid, SIGCONT);
	if (run_to_exec(t, fds[0], argv[0]) != 0) {
		close(fds[0]);
		return -1;
	}
	close(fds[0]);
	t->memfd = procfs_open_mem(t->pid);
	if (run_to_entry(t, argv[0]) != 0) {
		target_kill_unstarted(t);
		return -1;
	}
	target_add_thread(t, t->pid, t->pid)->stopped = true;
	return 0;
}

int target_read_comm(pid_t pid, char *buf, size_t size)
{
	if (procfs_read(pid, 0, "comm", buf, size) <= 0)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Seizes every task of /proc/PID/task not seized yet; returns how many were
 * new, or -errno. */
static int seize_new_tasks(struct target *t)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	int added = 0, rc = 0;

	d = opendir(procfs_path(path, sizeof(path), t->pid, 0, "task"));
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);
		if (tid <= 0 || target_thread(t, tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)SEIZE_OPTIONS) != 0) {
			if (errno == ESRCH)
				continue; /* gone meanwhile */
			rc = -errno;
			break;
		}
		target_add_thread(t, tid, t->pid);
		ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
		added++;
	}
	closedir(d);
	return rc ? rc : added;
}

/* Waits until thread th is in a ptrace stop; false when it is gone. */
static bool wait_stopped(struct target *t, struct thread *th)
{
	struct wait_status ws;
	int status;

	while (!th->stopped) {
		if (wait_task(th->tid, &status, __WALL) < 0)
			return false;
		ws = wait_status_classify(status);
		if (ws.kind == WAIT_GONE)
			return false;
		th->stopped = true;
		switch (ws.kind) {
		case WAIT_GROUP_STOP:
		case WAIT_EVENT_STOP:
			th->group_stopped = ws.kind == WAIT_GROUP_STOP;
			break;
		case WAIT_SIGNAL:
			/* A signal on its way: deliver it when the thread goes on. */
			th->pending_signal = ws.sig;
			break;
		case WAIT_CLONE: {
			/* The new thread is traced already; it stops on its own. */
			unsigned long msg = 0;
			ptrace(PTRACE_GETEVENTMSG, th->tid, NULL, &msg);
			target_add_thread(t, (pid_t)msg, t->pid);
			break;
		}
		default:
			/* fork, vfork, exec under way: the next scan will see to it */
			break;
		}
	}
	return true;
}

/* The pid of the tracer of task tid of pid (TracerPid), 0 for none, -1
 * when unknown. */
static int tracer_of(pid_t pid, pid_t tid)
{
	long tracer;

	return procfs_status_long(pid, tid, "TracerPid", &tracer) == 0 ? (int)tracer : -1;
}

static void say_already_traced(pid_t pid, const char *comm, int tracer)
{
	char tcomm[64];

	if (target_read_comm(tracer, tcomm, sizeof(tcomm)) != 0)
		snprintf(tcomm, sizeof(tcomm), "?");
	log_error("process %d (%s) is already traced by process %d (%s); a process can have only one tracer: "
		  "stop that one first",
		  (int)pid, comm, tracer, tcomm);
}

/* The number of tasks of process pid (0 when unknown). */
static size_t count_tasks(pid_t pid)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	size_t n = 0;

	d = opendir(procfs_path(path, sizeof(path), pid, 0, "task"));
	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Whether pid can be traced at all: not a zombie, not a kernel thread, not
 * traced by someone else.  Returns 0, or -1 after printing why not. */
static int check_traceable(pid_t pid, const char *comm)
{
	char buf[1024];
	const char *p;
	unsigned long flags = 0;
	char state = '?';
	ssize_t n;
	int tracer;

	n = procfs_read(pid, 0, "stat", buf, sizeof(buf));
	if (n <= 0) {
		log_error("no process with pid %d", (int)pid);
		return -1;
	}
	p = proc_stat_field(buf, (size_t)n, 3);
	if (!p || sscanf(p, "%c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
		return 0; /* let the attach itself say what is wrong */
	if ((state == 'Z' || state == 'X') && count_tasks(pid) > 1) {
		/* Its leader would never report a stop: waiting for it hangs. */
		log_error("process %d (%s) has a zombie main thread (it called pthread_exit) while other threads "
			  "run; dwtrace cannot attach to such a process",
			  (int)pid, comm);
		return -1;
	}
	if (state == 'Z' || state == 'X') {
		log_error("process %d (%s) is a zombie: it has exited and waits for its parent to collect its "
			  "status; there is nothing left to trace",
			  (int)pid, comm);
		return -1;
	}
	if (flags & 0x00200000 /* PF_KTHREAD */) {
		log_error("process %d (%s) is a kernel thread: dwtrace traces user-space programs only", (int)pid,
			  comm);
		return -1;
	}
	tracer = tracer_of(pid, pid);
	/* A dwtrace of the agent engine has detached (TracerPid 0) but reads
	 * the agent's rings: a second reader would take them over. */
	if (tracer <= 0)
		tracer = agent_live_reader(pid);
	if (tracer > 0) {
		say_already_traced(pid, comm, tracer);
		return -1;
	}
	return 0;
}

int target_attach(struct target *t, pid_t pid)
{
	char comm[64];
	int rc;
	bool again = true;

	struct process *proc = t->proc;

	memset(t, 0, sizeof(*t));
	t->proc = proc;
	t->memfd = -1;
	t->pid = pid;
	t->attached = true;
	if (target_read_comm(pid, comm, sizeof(comm)) != 0) {
		log_error("no process with pid %d", (int)pid);
		return -1;
	}
	t->name = xstrdup(comm);
	t->owned_name = true;
	if (check_traceable(pid, comm) != 0)
		return -1;
	if (target_read_entry(pid, &t->entry) != 0) {
		log_error("cannot read the entry point of process %d (%s): %s", (int)pid, comm, strerror(errno));
		return -1;
	}
	/* Threads created while we seize are seized by the kernel along with
	 * their creator; scan until a pass finds no new one. */
	while (again) {
		struct thread *th;
		rc = seize_new_tasks(t);
		if (rc < 0) {
			/* Another tracer may have come in since check_traceable. */
			int tracer = rc == -EPERM ? tracer_of(pid, pid) : 0;
			if (tracer > 0)
				say_already_traced(pid, comm, tracer);
			else
				log_error("cannot attach to process %d (%s): %s", (int)pid, comm, strerror(-rc));
			target_detach_untouched(t);
			return -1;
		}
		again = rc > 0;
		while ((th = target_running_thread(t)))
			if (!wait_stopped(t, th))
				target_drop_thread(t, th->tid);
	}
	if (!target_thread(t, pid)) {
		log_error("process %d (%s) exited while dwtrace attached", (int)pid, comm);
		target_detach_untouched(t);
		return -1;
	}
	t->memfd = procfs_open_mem(pid);
	return 0;
}

int target_stop_all(struct target *t)
{
	bool again = true;

	while (again) {
		struct thread *th;
		int rc = seize_new_tasks(t);

		if (rc < 0)
			return rc;
		again = rc > 0;
		while ((th = target_running_thread(t)))
			if (!wait_stopped(t, th))
				target_drop_thread(t, th->tid);
	}
	return target_thread(t, t->pid) ? 0 : -ESRCH;
}

void target_detach_thread(struct target *t, struct thread *th)
{
	pid_t tid = th->tid;
	int status;

	/* Fails (ESRCH) only for a thread no longer in its stop: killed by
	 * another thread's exit_group (one detached a moment ago).  A traced
	 * thread that dies waits for its tracer to collect it, and until it
	 * does the process's parent cannot collect the process: do it now. */
	if (ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)th->pending_signal) != 0 && errno == ESRCH)
		for (int i = 0; i < 1000 && waitpid(tid, &status, __WALL | WNOHANG) == 0; i++)
			usleep(1000);
	target_drop_thread(t, tid);
}

static void collect_tid(uint64_t key, void *value, void *arg)
{
	pid_t **next = arg;

	(void)value;
	*(*next)++ = (pid_t)key;
}

void target_detach_all(struct target *t)
{
	target_detach_all_but(t, 0);
}

void target_detach_all_but(struct target *t, pid_t keep)
{
	pid_t *tids = xcalloc(t->threads.len + 1, sizeof(*tids)), *next = tids;
	size_t n;

	u64_map_each(&t->threads, collect_tid, &next);
	n = (size_t)(next - tids);
	for (size_t i = 0; i < n; i++) {
		struct thread *th = tids[i] == keep ? NULL : target_thread(t, tids[i]);

		if (th)
			target_detach_thread(t, th);
	}
	free(tids);
}

struct thread *target_running_thread(struct target *t)
{
	for (size_t i = 0; i < t->threads.cap; i++) {
		struct thread *th = t->threads.slots[i].value;
		if (th && !th->stopped)
			return th;
	}
	return NULL;
}

static void detach_untouched_one(uint64_t key, void *value, void *arg)
{
	struct thread *th = value;
	ptrace(PTRACE_DETACH, th->tid, NULL, (void *)(long)th->pending_signal);
}

void target_detach_untouched(struct target *t)
{
	u64_map_each(&t->threads, detach_untouched_one, NULL);
}

void target_release(struct target *t)
{
	target_drop_all_threads_but(t, 0);
	u64_map_free(&t->threads);
	if (t->owned_name)
		free((char *)t->name);
	t->name = NULL;
	if (t->memfd >= 0)
		close(t->memfd);
	t->memfd = -1;
}

void target_kill_unstarted(struct target *t)
{
	int status;

	if (t->exited || t->pid <= 0)
		return;
	kill(t->pid, SIGKILL);
	while (wait_task(-1, &status, __WALL) > 0)
		;
	t->exited = true;
}

struct thread *target_thread(struct target *t, pid_t tid)
{
	return u64_map_get(&t->threads, (uint64_t)tid);
}

struct thread *target_add_thread(struct target *t, pid_t tid, pid_t tgid)
{
	struct thread *th = target_thread(t, tid);

	if (th)
		return th;
	th = xcalloc(1, sizeof(*th));
	th->tid = tid;
	th->tgid = tgid;
	th->proc = t->proc;
	u64_map_put(&t->threads, (uint64_t)tid, th);
	t->nthreads_seen++;
	return th;
}

void target_drop_thread(struct target *t, pid_t tid)
{
	struct thread *th = u64_map_del(&t->threads, (uint64_t)tid);

	if (th) {
		stack_thread_gone(th);
		free(th);
	}
}

void target_drop_all_threads_but(struct target *t, pid_t keep)
{
	struct u64_map old = t->threads;

	memset(&t->threads, 0, sizeof(t->threads));
	for (size_t i = 0; i < old.cap; i++) {
		struct thread *th = old.slots[i].value;
		if (!th)
			continue;
		if (th->tid == keep) {
			u64_map_put(&t->threads, (uint64_t)keep, th);
		} else {
			stack_thread_gone(th);
				free(th);
		}
	}
	u64_map_free(&old);
}

ssize_t target_read(struct target *t, pid_t tid, uint64_t addr, void *buf, size_t size)
{
	struct iovec local = {buf, size}, remote = {(void *)(uintptr_t)addr, size};
	ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);

	if (n >= 0)
		return n;
	if (t->memfd >= 0)
		return pread(t->memfd, buf, size, (off_t)addr);
	return -1;
}

int target_write(struct target *t, pid_t tid, uint64_t addr, const void *buf, size_t size)
{
	if (t->memfd >= 0 && pwrite(t->memfd, buf, size, (off_t)addr) == (ssize_t)size)
		return 0;
	/* Word by word through ptrace, for when /proc/PID/mem is not there. */
	for (size_t done = 0; done < size;) {
		uint64_t a = (addr + done) & ~UINT64_C(7);
		size_t skip = (size_t)(addr + done - a), n = 8 - skip < size - done ? 8 - skip : size - done;
		long word;

		errno = 0;
		word = ptrace(PTRACE_PEEKDATA, tid, (void *)(uintptr_t)a, NULL);
		if (errno)
			return -errno;
		memcpy((char *)&word + skip, (const char *)buf + done, n);
		if (ptrace(PTRACE_POKEDATA, tid, (void *)(uintptr_t)a, (void *)word) != 0)
			return -errno;
		done += n;
	}
	return 0;
}
