/* Loading the agent: a thread of the program's creates a thread that runs
 * dlopen(agent, RTLD_NOW) while the program runs (loader.h). */
#define _GNU_SOURCE
#include "loader.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libunwind-ptrace.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "loader_internal.h"
#include "log.h"
#include "remote_call.h"
#include "scratch.h"
#include "xalloc.h"

#define LOAD_TIMEOUT_NS (5 * 1000000000ull)
#define NEW_THREAD_TIMEOUT_NS 1000000000ull
#define PTHREAD_CREATE_TIMEOUT_NS (30 * 1000000000ull)
/* Tries at finding a thread that is in no malloc, fork or dynamic linker
 * code, the program running 10 ms between two. */
#define PICK_TRIES 20

/* The page dwtrace maps in the target (read + execute, filled through
 * /proc/PID/mem): the thread start trampoline, then the path dlopen
 * opens (read by the new thread while the program runs: it must outlive
 * the hijacked thread's call, so it is not on that thread's stack). */
#define PAGE_BYTES 4096
#define PAGE_PATH 64
#define PAGE_MEMFD_NAME 32

/* Below the hijacked thread's stack (under the red zone, above the frame
 * remote_call builds REMOTE_ARGS_BELOW_SP down): the pthread_attr_t and
 * the pthread_t pthread_create writes, used only during its calls. */
#define ATTR_BELOW_SP 256
#define ATTR_BYTES 64

static void sleep_ns(long ns)
{
	struct timespec ts = {0, ns};
	nanosleep(&ts, NULL);
}

/* Whether a function named name may hold a lock or state that
 * pthread_create (stack cache, TLS set-up, malloc) or dlopen needs: a
 * thread with such a frame on its stack is not hijacked.  Substrings, to
 * also catch glibc's internal names (__GI___libc_malloc, _int_free,
 * __lll_lock_wait_private) when debug symbols are there. */
static bool frame_unsafe(const char *name)
{
	static const char *const words[] = {"alloc", "free",        "memalign", "tcache",     "arena",
					    "_dl_",  "dlopen",      "dlclose",  "dlsym",      "dlerror",
					    "dladdr", "dl_iterate", "dlmopen",  "dlinfo",     "fork",
					    "pthread_create", "__nptl_", "lll_lock", "exit_handlers", "_Unwind_Find"};

	if (!strcmp(name, "exit") || !strcmp(name, "_exit"))
		return true;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(name, words[i]))
			return true;
	return false;
}

/* Whether thread tid (stopped) may be hijacked: no frame of its unwound
 * stack (libunwind-ptrace, symbol names from the ELF files) is unsafe.  On
 * false, the frame in *frame. */
static bool thread_safe(pid_t tid, char *frame, size_t size)
{
	unw_addr_space_t as = unw_create_addr_space(&_UPT_accessors, 0);
	void *upt = as ? _UPT_create(tid) : NULL;
	unw_cursor_t c;
	bool safe = true;

	if (!upt) {
		if (as)
			unw_destroy_addr_space(as);
		snprintf(frame, size, "(cannot unwind)");
		return false;
	}
	if (unw_init_remote(&c, as, upt) == 0) {
		for (int depth = 0; depth < 64 && safe; depth++) {
			unw_word_t off;

			if (unw_get_proc_name(&c, frame, size, &off) == 0 && frame_unsafe(frame))
				safe = false;
			if (unw_step(&c) <= 0)
				break;
		}
	}
	_UPT_destroy(upt);
	unw_destroy_addr_space(as);
	return safe;
}

/* The kernel's ERESTART_RESTARTBLOCK (include/linux/errno.h): a thread
 * stopped in nanosleep, clock_nanosleep, a timed poll or futex wait.  Were
 * dwtrace to die in the middle of a remote call there, the rt_sigreturn that
 * resumes the thread would cancel the restart (restart_block) and the
 * program's call would fail with EINTR: such a thread is the last choice. */
#define RESTART_BLOCK_RESULT (-516)

struct pick {
	struct thread *best;
	int rank;                    /* bigger is better (pick_one) */
	char frame[128];
	size_t stopped, total;
};

static void pick_one(uint64_t key, void *value, void *arg)
{
	struct pick *p = arg;
	struct thread *th = value;
	struct arch_regs regs;
	int rank = th->pending_signal ? 1 : 2;

	(void)key;
	p->total++;
	if (th->group_stopped) {
		p->stopped++;
		return;
	}
	if (arch_regs_fetch(th->tid, &regs, false) != 0)
		return;
	if (arch_regs_syscall_result(&regs) != RESTART_BLOCK_RESULT)
		rank += 2;
	if (rank <= p->rank)
		return;
	if (thread_safe(th->tid, p->frame, sizeof(p->frame))) {
		p->best = th;
		p->rank = rank;
	}
}

/* Detaches every thread of t but keep (NULL: all of them) and forgets them:
 * they run free. */
static void detach_all_but(struct target *t, struct thread *keep)
{
	target_detach_all_but(t, keep ? keep->tid : 0);
}

/* A thread to hijack (see frame_unsafe), the program running a little
 * between tries.  Returns 0 and *out, or -errno with the reason. */
static int pick_thread(struct target *t, struct thread **out, char **why)
{
	for (int i = 0; i < PICK_TRIES; i++) {
		struct pick p = {.best = NULL, .rank = 0, .frame = "", .stopped = 0, .total = 0};
		int rc;

		u64_map_each(&t->threads, pick_one, &p);
		if (p.best) {
			*out = p.best;
			return 0;
		}
		if (p.total && p.stopped == p.total) {
			*why = xasprintf("process %d is stopped (job control): continue it (kill -CONT %d) to load "
					 "the agent",
					 (int)t->pid, (int)t->pid);
			return -EAGAIN;
		}
		log_debug("inject", "no thread to load the agent from (one is in %s); trying again", p.frame);
		detach_all_but(t, NULL);
		sleep_ns(10 * 1000000L);
		rc = target_stop_all(t);
		if (rc) {
			*why = xasprintf("cannot stop process %d again: %s", (int)t->pid, strerror(-rc));
			return rc;
		}
	}
	*why = xasprintf("every thread of process %d was in malloc, fork or the dynamic linker each time "
			 "dwtrace looked: the agent was not loaded",
			 (int)t->pid);
	return -EBUSY;
}

/* Whether t's files are not dwtrace's: another mount namespace or root. */
static bool other_filesystem(pid_t pid)
{
	char path[64];
	struct stat ours, theirs;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	if (stat(path, &theirs) != 0 || stat("/proc/self/ns/mnt", &ours) != 0 || ours.st_ino != theirs.st_ino ||
	    ours.st_dev != theirs.st_dev)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	return stat(path, &theirs) != 0 || stat("/", &ours) != 0 || ours.st_ino != theirs.st_ino ||
	       ours.st_dev != theirs.st_dev;
}

/* Copies file into the target's memfd fd through /proc/PID/fd/FD. */
static int fill_memfd(pid_t pid, long fd, const char *file)
{
	char path[64], buf[65536];
	int in, out, rc = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%ld", (int)pid, fd);
	in = open(file, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(path, O_WRONLY | O_CLOEXEC);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = -EIO;
			break;
		}
	if (n < 0)
		rc = -errno;
	close(in);
	close(out);
	return rc;
}

struct inject {
	struct target *t;
	const struct loader_lib *lib;
	const char *file;
	unsigned flags;
	struct loader_libc libc;
	uint64_t page;
	long memfd;                  /* in the target, -1 for none */
	pid_t hijacked;
	pid_t loader;                /* the thread running dlopen, 0 when unknown */
	bool keep_stopped;           /* the program stays stopped during the load */
	uint64_t t0;                 /* CLOCK_MONOTONIC ns when the checks were done (debug output) */
};

/* Maps the page and writes the trampoline and the path into it (through
 * a memfd when asked or when the target sees other files). */
static int prepare_page(struct inject *in, struct thread *th, char **why)
{
	struct target *t = in->t;
	uint8_t code[ARCH_TRAMPOLINE_MAX];
	char path[PAGE_BYTES - PAGE_PATH];
	size_t n;
	long ret;
	int rc;

	rc = remote_syscall(t, th, 0, &ret, SYS_mmap, 0, PAGE_BYTES, PROT_READ | PROT_EXEC,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rc || (ret < 0 && ret > -4096)) {
		*why = xasprintf("cannot map a page in process %d: %s", (int)t->pid, strerror(rc ? -rc : (int)-ret));
		return rc ? rc : (int)ret;
	}
	in->page = (uint64_t)ret;
	if ((in->flags & AGENT_LOAD_MEMFD) || other_filesystem(t->pid)) {
		const char *name = in->lib->soname;

		if (strlen(name) >= PAGE_PATH - PAGE_MEMFD_NAME ||
		    target_write(t, th->tid, in->page + PAGE_MEMFD_NAME, name, strlen(name) + 1) != 0) {
			*why = xasprintf("cannot write into process %d", (int)t->pid);
			return -EFAULT;
		}
		rc = remote_syscall(t, th, 0, &ret, SYS_memfd_create, (long)(in->page + PAGE_MEMFD_NAME), MFD_CLOEXEC,
				    0, 0, 0, 0);
		if (rc || ret < 0) {
			*why = xasprintf("cannot create a memfd in process %d: %s", (int)t->pid,
					 strerror(rc ? -rc : (int)-ret));
			return rc ? rc : (int)ret;
		}
		in->memfd = ret;
		rc = fill_memfd(t->pid, in->memfd, in->file);
		if (rc) {
			*why = xasprintf("cannot copy %s into a memfd of process %d: %s", in->file, (int)t->pid,
					 strerror(-rc));
			return rc;
		}
		/* /proc/self, not the pid: the target's own /proc resolves it,
		 * whatever its pid namespace. */
		snprintf(path, sizeof(path), "/proc/self/fd/%ld", in->memfd);
	} else if (strlen(in->file) >= sizeof(path)) {
		*why = xasprintf("the path of %s is too long: %s", in->lib->soname, in->file);
		return -ENAMETOOLONG;
	} else {
		snprintf(path, sizeof(path), "%s", in->file);
	}
	n = arch_tail_call_trampoline(code, in->libc.sym[LIBC_DLOPEN], RTLD_NOW);
	if (target_write(t, th->tid, in->page, code, n) != 0 ||
	    target_write(t, th->tid, in->page + PAGE_PATH, path, strlen(path) + 1) != 0) {
		*why = xasprintf("cannot write into process %d", (int)t->pid);
		return -EFAULT;
	}
	return 0;
}

/* One remote call that must return 0 (pthread functions return an error
 * number). */
static int call0(struct inject *in, struct thread *th, int sym, const uint64_t *args, size_t n, const char *what,
		 char **why)
{
	uint64_t result = 0;
	/* pthread_create makes system calls with malloc's or the stack
	 * cache's lock held: a call stopped there would leave the lock held
	 * for ever.  The program's other threads run, so it ends: wait long. */
	uint64_t timeout = sym == LIBC_PTHREAD_CREATE ? PTHREAD_CREATE_TIMEOUT_NS : 0;
	int rc = remote_call_args(in->t, th, in->libc.sym[sym], args, n, timeout, &result);

	if (rc || (int)result != 0) {
		*why = xasprintf("%s in process %d failed: %s", what, (int)in->t->pid,
				 strerror(rc ? -rc : (int)result));
		return rc ? rc : -(int)result;
	}
	return 0;
}

/* The threads pthread_create made traced (it inherits PTRACE_O_TRACECLONE
 * from the hijacked thread): wait for their first stop (up to wait_ns) and
 * detach them. */
static void release_new_threads(struct inject *in, uint64_t wait_ns)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)in->t->pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);
		uint64_t deadline = now_mono_ns() + wait_ns;
		int status;
		pid_t r;

		if (tid <= 0 || target_thread(in->t, tid))
			continue;
		/* Not ours (ECHILD): a thread of a detached thread's. */
		while ((r = waitpid(tid, &status, __WALL | WNOHANG)) == 0 && now_mono_ns() < deadline)
			sleep_ns(100000);
		if (r != tid)
			continue;
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		in->loader = tid;
	}
	closedir(d);
}

/* Whether task tid of pid exists and has not exited (a zombie has). */
static bool task_alive(pid_t pid, pid_t tid)
{
	char path[64], buf[512];
	const char *state;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	state = n > 0 ? proc_stat_field(buf, (size_t)n, 3) : NULL;
	return state && *state != 'Z' && *state != 'X';
}

/* The library is ready: lets the loading thread finish returning from
 * dlopen and exit (it has every signal blocked: a thread that blocks
 * SIGTRAP would die of an int3 patch, and dwtrace refuses int3 patches
 * while one is there), waiting 1 s at most. */
static void wait_loader_gone(struct inject *in)
{
	uint64_t deadline = now_mono_ns() + 1000000000ull;

	while (in->loader && task_alive(in->t->pid, in->loader) && now_mono_ns() < deadline)
		sleep_ns(100000);
}

/* Polls the library's control object (in->lib->ready) until it is ready
 * (0), failed, or the time is up; where it is in *found. */
static int wait_ready(struct inject *in, struct loader_found *found, char **why)
{
	const struct loader_lib *lib = in->lib;
	const char *const sym[] = {lib->symbol};
	uint64_t deadline = now_mono_ns() + LOAD_TIMEOUT_NS;
	pid_t pid = in->t->pid;
	bool resolved = false;

	for (;;) {
		bool loader_gone = in->loader && !task_alive(pid, in->loader);
		struct loader_mapping m;
		int rc;

		/* Its first stop came late: never leave it stopped. */
		if (!in->loader && in->hijacked)
			release_new_threads(in, 0);
		if (!resolved) {
			rc = loader_find_mapping(pid, loader_maps_name_is, lib->soname, &m);
			if (rc == 0) {
				/* The dynamic linker maps the file's whole extent,
				 * then each segment over it: a range seen a moment
				 * ago may be gone (then look again). */
				char *err = NULL;

				resolved = loader_symbol(pid, &m, sym, &found->ctl, 1, &err) == 0;
				free(err);
				found->base = m.start;
				snprintf(found->file, sizeof(found->file), "%s", m.name);
			} else if (rc != -ENOENT) {
				*why = xasprintf("process %d went away while %s loaded", (int)pid, lib->soname);
				return -ESRCH;
			}
		}
		if (resolved) {
			rc = lib->ready(in->t, found->ctl, lib->arg, false, why);
			if (rc > 0)
				wait_loader_gone(in);
			if (rc != 0)
				return rc > 0 ? 0 : rc;
		}
		if (!task_alive(pid, pid)) {
			*why = xasprintf("process %d exited while %s loaded", (int)pid, lib->soname);
			return -ESRCH;
		}
		if (loader_gone) {
			/* Its dlopen has returned: what it did is all there is,
			 * and the mappings are settled. */
			char *err = NULL;

			rc = loader_find_mapping(pid, loader_maps_name_is, lib->soname, &m);
			if (!rc)
				rc = loader_symbol(pid, &m, sym, &found->ctl, 1, &err);
			free(err);
			if (!rc) {
				found->base = m.start;
				snprintf(found->file, sizeof(found->file), "%s", m.name);
				rc = lib->ready(in->t, found->ctl, lib->arg, true, why);
				if (rc != 0)
					return rc > 0 ? 0 : rc;
			}
			*why = xasprintf("dlopen of %s in process %d failed (the loading thread ended without it "
					 "ready)",
					 in->file, (int)pid);
			return -ENOEXEC;
		}
		if (now_mono_ns() > deadline) {
			*why = xasprintf("%s did not get ready in process %d within 5 s; the program runs on, "
					 "the library (if it ever loads) stays inactive",
					 lib->soname, (int)pid);
			return -ETIMEDOUT;
		}
		sleep_ns(resolved ? 200000 : 1000000);
	}
}

/* The agent's lib->ready: h (arg) gets the control object. */
static int agent_ready(const struct target *t, uint64_t ctl, void *arg, bool final, char **why)
{
	struct agent_handle *h = arg;
	int rc;

	h->ctl = ctl;
	if (agent_ctl_read(t, h) != 0 || h->agent.magic != DWT_MAGIC)
		return 0;
	if (h->agent.abi != DWT_ABI) {
		*why = loader_describe_find(t, h, -EPROTO);
		return -EPROTO;
	}
	if (h->agent.status == 1)
		return 1;
	if (h->agent.status < 0 || final) {
		rc = loader_check_ctl(h);
		*why = loader_describe_find(t, h, rc);
		return rc;
	}
	return 0;
}

/* The load itself, every thread of t stopped on entry; on return too
 * (unless the process went away). */
static int inject(struct inject *in, struct loader_found *found, char **why)
{
	struct target *t = in->t;
	struct thread *th, *leader = target_thread(t, t->pid);
	struct arch_regs regs;
	uint64_t attr, args[4];
	int rc;

	/* A started program at its entry point holds no lock: it may stay
	 * stopped, so that no call of it is missed while the agent loads. */
	in->keep_stopped = !t->attached && (t->threads.len == 1 || t->held_at_entry) && leader &&
			   arch_regs_fetch(leader->tid, &regs, false) == 0 && arch_regs_pc(&regs) == t->entry;
	t->held_at_entry = in->keep_stopped;
	if (in->keep_stopped)
		th = leader;
	else if ((rc = pick_thread(t, &th, why)) != 0)
		return rc;
	in->hijacked = th->tid;
	log_debug("inject", "loading %s through thread %d of process %d, %" PRIu64 " us after the checks", in->file,
		  (int)th->tid, (int)t->pid, (now_mono_ns() - in->t0) / 1000);
	rc = prepare_page(in, th, why);
	if (rc)
		return rc;
	if (arch_regs_fetch(th->tid, &regs, false) != 0) {
		*why = xasprintf("thread %d of process %d went away", (int)th->tid, (int)t->pid);
		return -ESRCH;
	}
	attr = (arch_regs_sp(&regs) - ATTR_BELOW_SP) & ~(uint64_t)63;
	args[0] = attr;
	rc = call0(in, th, LIBC_ATTR_INIT, args, 1, "pthread_attr_init", why);
	args[1] = 1; /* PTHREAD_CREATE_DETACHED: nobody joins the loading thread */
	if (!rc)
		rc = call0(in, th, LIBC_ATTR_SETDETACHSTATE, args, 2, "pthread_attr_setdetachstate", why);
	if (rc)
		return rc;
	/* The program's other threads run during pthread_create: a lock one
	 * of them holds is released, it cannot block the call. */
	if (!in->keep_stopped)
		detach_all_but(t, th);
	args[0] = attr + ATTR_BYTES;
	args[1] = attr;
	args[2] = in->page;
	args[3] = in->page + PAGE_PATH;
	rc = call0(in, th, LIBC_PTHREAD_CREATE, args, 4, "pthread_create", why);
	release_new_threads(in, NEW_THREAD_TIMEOUT_NS);
	if (!in->keep_stopped)
		detach_all_but(t, NULL);
	log_debug("inject", "pthread_create returned %d after %" PRIu64 " us (the loading thread: %d)", rc,
		  (now_mono_ns() - in->t0) / 1000, (int)in->loader);
	if (!rc)
		rc = wait_ready(in, found, why);
	log_debug("inject", "%s ready (%d) after %" PRIu64 " us", in->lib->soname, rc,
		  (now_mono_ns() - in->t0) / 1000);
	return rc;
}

/* Waits for a load an earlier dwtrace started (still initializing, or
 * stuck), the program running meanwhile: never a second copy. */
static int wait_earlier(struct inject *in, struct loader_found *found, char **why)
{
	int rc, stop_rc;

	detach_all_but(in->t, NULL);
	rc = wait_ready(in, found, why);
	stop_rc = target_stop_all(in->t);
	return rc ? rc : stop_rc;
}

/* The load of in->file (an absolute path) itself: the checks, the
 * injection, every thread stopped again, the memfd closed. */
static int load(struct inject *in, struct loader_found *found, char **why)
{
	struct target *t = in->t;
	int rc, stop_rc;

	rc = loader_check_target(t, &in->libc, why);
	if (rc)
		return rc;
	in->t0 = now_mono_ns();
	rc = inject(in, found, why);
	stop_rc = target_stop_all(t);
	if (stop_rc && !rc) {
		free(*why);
		*why = xasprintf("cannot stop process %d again after loading %s: %s", (int)t->pid, in->lib->soname,
				 strerror(-stop_rc));
		rc = stop_rc;
	}
	if (in->memfd >= 0 && !stop_rc) {
		/* The mapping keeps the file: the descriptor is not the program's
		 * to see. */
		struct thread *leader = target_thread(t, t->pid);
		long ret;

		if (leader)
			remote_syscall(t, leader, 0, &ret, SYS_close, in->memfd, 0, 0, 0, 0, 0);
	}
	return rc;
}

/* path made absolute in file (the program's working directory is not
 * dwtrace's): 0, or -ENOENT with the reason. */
static int absolute(const char *path, char *file, const char *what, char **why)
{
	if (!realpath(path, file) || access(file, R_OK) != 0) {
		*why = xasprintf("cannot read %s %s: %s", what, path, strerror(errno));
		return -ENOENT;
	}
	return 0;
}

int agent_load_file(struct target *t, struct agent_handle *h, const char *path, unsigned flags, char **why)
{
	char file[PATH_MAX];
	struct loader_lib lib = {DWT_AGENT_SONAME, DWT_AGENT_SYMBOL, agent_ready, h};
	struct inject in = {.t = t, .lib = &lib, .flags = flags, .memfd = -1};
	struct loader_found found;
	int rc;

	*why = NULL;
	rc = agent_find(t, h);
	if (rc == 0 || (rc != -ENOENT && rc != -EAGAIN)) {
		if (rc)
			*why = loader_describe_find(t, h, rc);
		return rc;
	}
	if (rc == -EAGAIN) {
		in.file = h->file;
		return wait_earlier(&in, &found, why);
	}
	if (!path) {
		if (agent_library_path(file, sizeof(file)) != 0) {
			*why = xasprintf("cannot find %s next to dwtrace (%s)", DWT_AGENT_SONAME, file);
			return -ENOENT;
		}
	} else if ((rc = absolute(path, file, "the agent", why)) != 0) {
		return rc;
	}
	in.file = file;
	rc = load(&in, &found, why);
	if (rc)
		return rc;
	/* wait_ready found it: its file and address stand. */
	h->base = found.base;
	h->ctl = found.ctl;
	snprintf(h->file, sizeof(h->file), "%s", found.file);
	rc = agent_ctl_read(t, h);
	if (!rc)
		rc = loader_check_ctl(h);
	if (rc) {
		*why = loader_describe_find(t, h, rc);
		return rc;
	}
	h->memfd = in.memfd >= 0;
	h->loaded_now = true;
	return 0;
}

int agent_load(struct target *t, struct agent_handle *h, char **why)
{
	return agent_load_file(t, h, NULL, 0, why);
}

int library_load(struct target *t, const struct loader_lib *lib, const char *path, struct loader_found *out,
		 char **why)
{
	char file[PATH_MAX];
	struct inject in = {.t = t, .lib = lib, .memfd = -1};
	int rc;

	rc = library_find(t, lib, out, why);
	if (rc == 0) {
		rc = lib->ready(t, out->ctl, lib->arg, false, why);
		if (rc != 0)
			return rc > 0 ? 0 : rc;
		in.file = out->file;
		return wait_earlier(&in, out, why);
	}
	if (rc != -ENOENT)
		return rc;
	free(*why);
	*why = NULL;
	rc = absolute(path, file, lib->soname, why);
	if (rc)
		return rc;
	in.file = file;
	return load(&in, out, why);
}
