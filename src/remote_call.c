/* Remote function calls: the target's thread runs the function, which
 * returns into a system call stub whose entry stop carries the result. */
#define _GNU_SOURCE
#include "remote_call.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "emergency.h"
#include "log.h"
#include "scratch.h"
#include "stack.h"

#define CALL_TIMEOUT_NS 1000000000ull

/* The call under way, for remote_call_abandon() (a fatal signal of
 * dwtrace's own in the middle of one).  Static: the vector state and the
 * restore frame are large. */
static struct {
	volatile pid_t tid;
	struct target *t;
	struct arch_regs saved;      /* restart of an interrupted system call applied */
	struct arch_vector_state vec;
	struct arch_restore_frame frame;
	uint64_t pc;
	uint8_t orig[ARCH_CALL_RETURN_LEN];
} in_flight;

void remote_call_abandon(void)
{
	pid_t tid = in_flight.tid;
	int status;

	if (!tid)
		return;
	in_flight.tid = 0;
	/* The thread runs the function: stop it (a bounded wait), then put
	 * its registers and the program's code back. */
	ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
	for (int i = 0; i < 1000; i++) {
		struct timespec ms = {0, 1000000};
		if (arch_vector_state_restore(tid, &in_flight.vec) == 0 &&
		    arch_regs_store(tid, &in_flight.saved) == 0)
			break;
		if (waitpid(tid, &status, __WALL | WNOHANG) < 0)
			break;
		nanosleep(&ms, NULL);
	}
	target_write(in_flight.t, tid, in_flight.pc, in_flight.orig, sizeof(in_flight.orig));
}

/* Signals whose default action ends dwtrace.  While a call runs, those
 * still at their default get a handler that gives the thread back first:
 * before the tracer is armed (IFUNCs resolved at start-up) nothing else
 * would, and the kernel would let the thread go on inside the call. */
static const int deadly[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTERM, SIGINT,
			     SIGHUP,  SIGQUIT, SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2, SIGXCPU, SIGXFSZ};

static void on_deadly_signal(int sig)
{
	struct sigaction dfl;

	remote_call_abandon();
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

/* Installs on_deadly_signal for each signal of deadly[] at its default;
 * *armed gets a bit per signal installed, for disarm(). */
static void arm(unsigned *armed)
{
	struct sigaction sa, old;

	*armed = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_deadly_signal;
	sa.sa_flags = SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(deadly) / sizeof(deadly[0]); i++)
		if (sigaction(deadly[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
		    sigaction(deadly[i], &sa, NULL) == 0)
			*armed |= 1u << i;
}

static void disarm(unsigned armed)
{
	struct sigaction dfl;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (size_t i = 0; i < sizeof(deadly) / sizeof(deadly[0]); i++)
		if (armed & (1u << i))
			sigaction(deadly[i], &dfl, NULL);
}

/* At the entry stop of the stub's rt_sigreturn (fn has returned): the
 * thread back where it was, its vector state first -- killed in between,
 * dwtrace leaves the rt_sigreturn to restore everything -- then its
 * registers, with the rt_sigreturn skipped: run, it would also cancel the
 * restart of an interrupted nanosleep (restart_block). */
static int put_back(pid_t tid, void *ctx)
{
	struct arch_regs r = in_flight.saved;

	(void)ctx;
	if (arch_vector_state_restore(tid, &in_flight.vec) != 0)
		return -ESRCH;
	arch_regs_skip_syscall(&r);
	return arch_regs_store(tid, &r);
}

/* Test-only (DWTRACE_TEST_SIGRETURN): the stub's rt_sigreturn has run. */
static void check_sigreturn(pid_t tid, const char *what)
{
	char diff[160];

	if (arch_regs_check_resumed(tid, &in_flight.saved, &in_flight.vec, diff, sizeof(diff)) != 0)
		log_error("test: after the rt_sigreturn of a remote %s, %s differ from the saved ones", what, diff);
	else
		log_debug("ptrace", "test: the rt_sigreturn of a remote %s restored the thread", what);
}

int remote_call(struct target *t, struct thread *th, uint64_t fn, uint64_t arg0, uint64_t *result)
{
	return remote_call_args(t, th, fn, &arg0, 1, 0, result);
}

int remote_call_args(struct target *t, struct thread *th, uint64_t fn, const uint64_t *args, size_t nargs,
		     uint64_t timeout_ns, uint64_t *result)
{
	static const uint8_t stub[ARCH_CALL_RETURN_LEN] = ARCH_CALL_RETURN;
	struct arch_regs saved, regs;
	struct remote_signals sigs = {.n = 0};
	uint64_t pc = target_stub_pc(t), blocked = 0;
	unsigned armed;
	int rc = 0;

	if (!pc || in_flight.tid)
		return -EBUSY;
	if (nargs < 1 || nargs > ARCH_CALL_MAX_ARGS)
		return -EINVAL;
	if (arch_regs_fetch(th->tid, &saved, false) != 0 || arch_vector_state_save(th->tid, &in_flight.vec) != 0 ||
	    ptrace(PTRACE_GETSIGMASK, th->tid, (void *)sizeof(blocked), &blocked) != 0)
		return -ESRCH;
	if (target_read(t, th->tid, pc, in_flight.orig, sizeof(in_flight.orig)) != (ssize_t)sizeof(in_flight.orig))
		return -EFAULT;
	in_flight.t = t;
	in_flight.pc = pc;
	in_flight.saved = saved;
	arch_regs_restart_syscall(&in_flight.saved);
	/* fn returns into the stub, whose rt_sigreturn from this frame puts
	 * the thread back where it was even when dwtrace is dead by then
	 * (SIGKILL included): nothing is left for dwtrace to restore. */
	if (arch_restore_frame_build(&in_flight.frame, &in_flight.saved, blocked, &in_flight.vec, pc,
				     REMOTE_ARGS_BELOW_SP) != 0 ||
	    target_write(t, th->tid, in_flight.frame.addr, in_flight.frame.buf, in_flight.frame.len) != 0)
		return -EFAULT;
	arm(&armed);
	in_flight.tid = th->tid;
	if (target_write(t, th->tid, pc, stub, sizeof(stub)) != 0) {
		rc = -EFAULT;
		goto out;
	}
	regs = saved;
	arch_regs_set_call(&regs, fn, args[0], in_flight.frame.addr);
	arch_regs_set_call_args(&regs, args + 1, nargs - 1);
	if (arch_regs_store(th->tid, &regs) != 0) {
		rc = -ESRCH;
		goto out;
	}
	emergency_test_kill("call");
	rc = remote_run(th->tid, ARCH_CALL_RETURN_NR, pc + ARCH_CALL_RETURN_LEN, now_mono_ns() + (timeout_ns ? timeout_ns : CALL_TIMEOUT_NS),
			result, &sigs, emergency_test_sigreturn() ? NULL : put_back, NULL);
	if (rc == 0 && emergency_test_sigreturn())
		check_sigreturn(th->tid, "call");
	/* Leaving a system call stop, not a signal stop: an interrupted system
	 * call of the thread's is restarted as the kernel would have -- unless
	 * a signal is raised again below, when the kernel does it by the
	 * handler's SA_RESTART (EINTR without it). */
	if (rc == 0 && !sigs.n)
		arch_regs_restart_syscall(&saved);
out:
	/* Vector state, registers, then code: killed at any point, dwtrace
	 * leaves a thread that either runs on into the stub's rt_sigreturn or
	 * is back where it was. */
	arch_vector_state_restore(th->tid, &in_flight.vec);
	if (arch_regs_store(th->tid, &saved) != 0 && !rc)
		rc = -ESRCH;
	in_flight.tid = 0;
	disarm(armed);
	target_write(t, th->tid, pc, in_flight.orig, sizeof(in_flight.orig));
	if (rc != -ESRCH)
		remote_signals_raise(th->tgid ? th->tgid : t->pid, th->tid, &sigs);
	return rc;
}

/* AT_HWCAP of process pid, 0 when unknown: what glibc passes resolvers. */
static uint64_t read_hwcap(pid_t pid)
{
	char path[64];
	uint64_t av[2], hwcap = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (read(fd, av, sizeof(av)) == (ssize_t)sizeof(av) && av[0] != 0)
		if (av[0] == 16 /* AT_HWCAP */)
			hwcap = av[1];
	close(fd);
	return hwcap;
}

/* The mappings of the object mapped at addr in process pid (every segment
 * of that file): up to max ranges into r, how many. */
static size_t object_ranges(pid_t pid, uint64_t addr, uint64_t (*r)[2], size_t max)
{
	char path[64], line[4096], file[4096] = "";
	size_t n = 0;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (!(maps = fopen(path, "re")))
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		rewind(maps);
		while (fgets(line, sizeof(line), maps)) {
			unsigned long lo, hi;
			int off = 0;
			char *name;

			if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &off) < 2 || !off)
				continue;
			name = line + off;
			name[strcspn(name, "\n")] = '\0';
			if (!pass && addr >= lo && addr < hi && *name == '/')
				snprintf(file, sizeof(file), "%s", name);
			else if (pass && *file && !strcmp(name, file) && n < max) {
				r[n][0] = lo;
				r[n][1] = hi;
				n++;
			}
		}
		if (!*file)
			break;
	}
	fclose(maps);
	return n;
}

struct busy_ctx {
	struct target *t;
	uint64_t (*ranges)[2];
	size_t nranges;
	bool busy;
};

static void thread_in_ranges(uint64_t key, void *value, void *arg)
{
	struct busy_ctx *c = arg;
	struct thread *th = value;
	struct arch_regs regs;
	uint64_t pcs[64];
	const char *stopped;
	size_t n;

	(void)key;
	if (c->busy || arch_regs_fetch(th->tid, &regs, false) != 0)
		return;
	n = stack_unwind(c->t->proc, th, &regs, arch_regs_pc(&regs), pcs, 64, &stopped);
	for (size_t i = 0; i < n && !c->busy; i++)
		for (size_t k = 0; k < c->nranges; k++)
			if (pcs[i] >= c->ranges[k][0] && pcs[i] < c->ranges[k][1])
				c->busy = true;
}

/* Whether a thread of t runs the dynamic linker (a frame of it on its
 * stack): relocating a library dlopen has announced (whose resolvers read
 * GOT entries not filled yet, or are running right now), binding a lazy
 * slot.  A resolver is not called then: the dynamic linker's own call
 * binds it late. */
static bool dynamic_linker_busy(struct target *t)
{
	uint64_t ranges[8][2];
	uint64_t stub = target_stub_pc(t);
	struct busy_ctx c = {t, ranges, 0, false};

	if (!stub || stub == t->entry || !t->proc)
		return false; /* a static executable: no dynamic linker */
	c.nranges = object_ranges(t->pid, stub, ranges, 8);
	u64_map_each(&t->threads, thread_in_ranges, &c);
	return c.busy;
}

int remote_call_ifunc_resolver(void *arg, uint64_t resolver, uint64_t *result)
{
	struct target *t = arg;
	struct thread *th = target_thread(t, t->pid);

	if (!th || !th->stopped || target_running_thread(t))
		return -EAGAIN;
	if (dynamic_linker_busy(t))
		return -EBUSY;
	return remote_call(t, th, resolver, read_hwcap(t->pid), result);
}
