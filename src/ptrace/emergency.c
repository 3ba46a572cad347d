/* dwtrace's own death: on a fatal signal (a bug in dwtrace, or a library it
 * calls crashing, e.g. libunwind on a corrupt .eh_frame_hdr) the traced
 * processes are restored and let go before dwtrace dies.
 *
 * Contract of the handler: it runs on its own stack (sigaltstack, so that a
 * stack overflow is caught too), with every other fatal and stop signal
 * blocked, and calls only async-signal-safe code: detach_all_emergency()
 * (see detach.c for why that is safe) and write(2), rt_sigaction(2), raise(3).
 * It reads the tracer dwtrace armed it with as it is at the time of the
 * fault.  A second fault inside the handler is not handled: the signal is
 * blocked there, so the kernel kills dwtrace with it; a different signal
 * arriving meanwhile finds the guard set and dies at once.  After the
 * detach the handler restores the default action and re-raises, so dwtrace
 * dies of the very signal (and dumps core where the system says so). */
#define _GNU_SOURCE
#include "emergency.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "remote_call.h"
#include "tracer_internal.h"
#include "xalloc.h"

#define ALT_STACK_SIZE (256 * 1024)

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

static struct tracer *armed_tracer;
static struct process *armed_first;
static volatile sig_atomic_t in_handler;
static void *alt_stack;

/* Appends s to buf (size bytes, used *len) without stdio. */
static void put(char *buf, size_t size, size_t *len, const char *s)
{
	while (*s && *len + 1 < size)
		buf[(*len)++] = *s++;
	buf[*len] = '\0';
}

static void put_int(char *buf, size_t size, size_t *len, long v)
{
	char digits[24];
	size_t n = 0;
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	do
		digits[n++] = (char)('0' + u % 10);
	while ((u /= 10) && n < sizeof(digits));
	if (v < 0)
		put(buf, size, len, "-");
	while (n > 0) {
		char c[2] = {digits[--n], '\0'};
		put(buf, size, len, c);
	}
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGSEGV:
		return "SIGSEGV (segmentation fault)";
	case SIGBUS:
		return "SIGBUS (bus error)";
	case SIGFPE:
		return "SIGFPE (arithmetic exception)";
	case SIGILL:
		return "SIGILL (illegal instruction)";
	case SIGABRT:
		return "SIGABRT (aborted)";
	default:
		return "a fatal signal";
	}
}

static void die_of(int sig)
{
	/* The kernel's sigaction, not libc's: a sanitizer runtime intercepts
	 * sigaction() and would put its own handler back instead of SIG_DFL. */
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} dfl = {SIG_DFL, 0, NULL, 0};

	syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
	/* Blocked while the handler runs: delivered, with the default action,
	 * when it returns (a fault re-executes its instruction and faults
	 * again, which kills just the same). */
	raise(sig);
}

static void on_fatal_signal(int sig)
{
	struct tracer *tr = armed_tracer;
	char line[512];
	size_t len = 0;

	/* A resolver running in a thread of the program: first of all, give
	 * the thread back its own registers and code. */
	remote_call_abandon();
	if (in_handler || !tr) {
		die_of(sig);
		return;
	}
	in_handler = 1;
	/* Died while the first process was being armed: it is not in the
	 * list yet, but traps may be in it already. */
	if (!tr->procs)
		tr->procs = armed_first;
	if (!tr->detached && tr->procs)
		detach_all_emergency(tr);
	put(line, sizeof(line), &len, "dwtrace: ");
	put(line, sizeof(line), &len, signal_name(sig));
	put(line, sizeof(line), &len, " in dwtrace itself");
	if (tr->procs && !tr->procs->t.exited) {
		/* The agent engine left ptrace long ago: its probes pass
		 * through once the agent sees dwtrace gone, and the next
		 * dwtrace takes them out. */
		put(line, sizeof(line), &len, tr->engine_agent ? "; detached from " : "; restored and detached from ");
		put(line, sizeof(line), &len, tr->procs->t.name ? tr->procs->t.name : "the program");
		put(line, sizeof(line), &len, " (pid ");
		put_int(line, sizeof(line), &len, tr->procs->t.pid);
		put(line, sizeof(line), &len, tr->engine_agent ? "), which runs on with the agent's probes passing through"
							: "), which runs on");
	}
	put(line, sizeof(line), &len, "; please report this bug\n");
	if (write(STDERR_FILENO, line, len) < 0) {
		/* nothing left to tell it to */
	}
	die_of(sig);
}

void emergency_arm(struct tracer *tr, struct process *first)
{
	struct sigaction sa;
	stack_t ss;

	if (!alt_stack) {
		alt_stack = mmap(NULL, ALT_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (alt_stack == MAP_FAILED) {
			alt_stack = NULL;
		} else {
			ss.ss_sp = alt_stack;
			ss.ss_size = ALT_STACK_SIZE;
			ss.ss_flags = 0;
			sigaltstack(&ss, NULL);
		}
	}
	armed_first = first;
	armed_tracer = tr;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaddset(&sa.sa_mask, fatal_signals[i]);
	/* A stop request meanwhile must not start a second detach. */
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGHUP);
	sigaddset(&sa.sa_mask, SIGALRM);
	sigaddset(&sa.sa_mask, SIGPIPE);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &sa, NULL);
}

void emergency_disarm(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &sa, NULL);
	armed_tracer = NULL;
	armed_first = NULL;
}

/* ---- the test-only fault ---------------------------------------------- */

/* A sink in front of the real one that makes dwtrace really fault at the
 * entry event number DWTRACE_TEST_CRASH_AFTER + 1, while the thread that
 * hit the probe is stopped at the trap. */
struct crash_sink {
	struct sink s;
	struct sink *real;
	unsigned long left;
	int kind;                    /* 0: write to an inaccessible page, 1: overflow the stack */
};

static volatile int *volatile null_pointer;
static volatile unsigned long recursion_limit = ~0UL;

static int recurse(volatile char *prev, unsigned long depth)
{
	volatile char frame[4096];

	frame[0] = prev ? prev[0] : 1;
	if (depth >= recursion_limit)
		return frame[0];
	return recurse(frame, depth + 1) + frame[1];
}

static void crash_entry(struct sink *s, const struct event_layout *l, const struct event_header *h,
			const struct value *args)
{
	struct crash_sink *c = (struct crash_sink *)s;

	if (c->left-- == 0) {
		/* A page that faults (a null pointer would be caught earlier by
		 * UBSan in the sanitizer build, which is not what is tested). */
		volatile int *nowhere =
			mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (c->kind)
			recurse(NULL, 0);
		if (nowhere == MAP_FAILED)
			nowhere = null_pointer;
		*nowhere = 1;
	}
	c->real->ops->entry(c->real, l, h, args);
}

static void crash_exit(struct sink *s, const struct event_layout *l, const struct event_header *h,
		       const struct value *ret, uint64_t duration_ns)
{
	struct crash_sink *c = (struct crash_sink *)s;
	c->real->ops->exit(c->real, l, h, ret, duration_ns);
}

static int crash_flush(struct sink *s)
{
	struct crash_sink *c = (struct crash_sink *)s;
	return c->real->ops->flush(c->real);
}

static void crash_destroy(struct sink *s)
{
	struct crash_sink *c = (struct crash_sink *)s;
	c->real->ops->destroy(c->real);
	free(c);
}

static void crash_layout_added(struct sink *s, const struct event_layout *l)
{
	struct crash_sink *c = (struct crash_sink *)s;
	if (c->real->ops->layout_added)
		c->real->ops->layout_added(c->real, l);
}

static void crash_end_line(struct sink *s)
{
	struct crash_sink *c = (struct crash_sink *)s;
	if (c->real->ops->end_line)
		c->real->ops->end_line(c->real);
}

static uint64_t crash_held_until(struct sink *s)
{
	struct crash_sink *c = (struct crash_sink *)s;
	return c->real->ops->held_until ? c->real->ops->held_until(c->real) : 0;
}

static const struct sink_ops crash_ops = {
	.entry = crash_entry,
	.exit = crash_exit,
	.flush = crash_flush,
	.destroy = crash_destroy,
	.layout_added = crash_layout_added,
	.end_line = crash_end_line,
	.held_until = crash_held_until,
};

struct sink *emergency_test_sink(struct sink *real)
{
	const char *after = getenv("DWTRACE_TEST_CRASH_AFTER");
	const char *kind = getenv("DWTRACE_TEST_CRASH_KIND");
	struct crash_sink *c;
	char *end;
	unsigned long n;

	if (!after || !*after)
		return real;
	n = strtoul(after, &end, 10);
	if (*end)
		return real;
	c = xcalloc(1, sizeof(*c));
	c->s = *real;
	c->s.ops = &crash_ops;
	c->real = real;
	c->left = n;
	c->kind = kind && !strcmp(kind, "overflow");
	return &c->s;
}

void emergency_test_kill(const char *what)
{
	const char *want = getenv("DWTRACE_TEST_KILL_INJECTED");

	if (want && !strcmp(want, what))
		raise(SIGKILL);
}

bool emergency_test_sigreturn(void)
{
	const char *v = getenv("DWTRACE_TEST_SIGRETURN");

	return v && !strcmp(v, "1");
}
