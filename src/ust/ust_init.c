/* libdwtrace-ust.so, the in-process LTTng-UST emitter (src/agent/ust_abi.h
 * has the flow).  Its constructor runs on the agent loader's own thread,
 * after liblttng-ust's (a DT_NEEDED of this library: it registered the
 * program with the session daemon there, so no thread of the program
 * waited).  It finds the agent, hooks dwt_ust_emit into it, installs
 * lttng-ust's fork handling and starts the control thread, which serves
 * dwtrace's requests in the agent's mailbox.
 *
 * Runs inside traced programs: it never prints, never exits, never
 * touches the program's signals (its thread blocks them all), and writes
 * into the agent's region only ust_emit, the mailbox's done, result and
 * error, and the blob's slots. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <lttng/ust-fork.h>

#include "quiet_thread.h"
#include "ust_internal.h"
#include "ust_lttng.h"
#include "ust_value.h"

struct dwt_ust ust_control;
/* dwtrace finds the emitter by this symbol (DWT_UST_SYMBOL). */
extern __typeof(ust_control) dwtrace_ust __attribute__((alias("ust_control"), visibility("default")));

static struct dwt_agent *agent;
static struct dwt_ust_mailbox *mailbox;
static uint64_t mailbox_size;
/* lttng_ust_before_fork's saved signal mask, for the forking thread's
 * after-fork handler (what liblttng-ust-fork.so's fork() keeps on its
 * stack). */
static __thread sigset_t fork_sigset;

static void set_error(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_error(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

/* A shared futex (no FUTEX_PRIVATE_FLAG): dwtrace wakes it through its own
 * mapping of the agent's memfd. */
static void futex_wait(volatile uint32_t *word, uint32_t val, long timeout_ms)
{
	struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};

	syscall(SYS_futex, word, FUTEX_WAIT, val, &ts, NULL, 0);
}

static void futex_wake(volatile uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* One request: the blob is copied out of the shared region before it is
 * checked (dwtrace, or anything that can write the memfd, could change it
 * meanwhile), registered from the copy, and the slots written back. */
static void serve(uint32_t request)
{
	uint8_t *shared_blob = (uint8_t *)mailbox + DWT_UST_MAILBOX_HDR;
	uint32_t size = __atomic_load_n(&mailbox->desc_size, __ATOMIC_RELAXED);
	char error[sizeof(mailbox->error)] = "";
	const struct dwt_ust_desc *d;
	void *copy = NULL;
	int result;

	if (size > DWT_UST_DESC_MAX || size > mailbox_size - DWT_UST_MAILBOX_HDR) {
		result = -EINVAL;
		set_error(error, sizeof(error), "event description of %u bytes: more than the mailbox holds", size);
	} else if (!(copy = malloc(size ? size : 1))) {
		result = -ENOMEM;
		set_error(error, sizeof(error), "event description of %u bytes: out of memory", size);
	} else {
		memcpy(copy, shared_blob, size);
		/* Slot 0 for every event a corrupt blob leaves unregistered. */
		d = ust_desc_header(copy, size);
		for (uint32_t i = 0; d && i < d->nevents && ust_desc_event(copy, size, i); i++)
			((struct dwt_ust_event_desc *)ust_desc_event(copy, size, i))->slot = 0;
		result = ust_lttng_register(copy, size, error, sizeof(error));
		for (uint32_t i = 0; d && i < d->nevents && ust_desc_event(copy, size, i); i++) {
			const struct dwt_ust_event_desc *ev = ust_desc_event(copy, size, i);
			size_t off = (size_t)((const uint8_t *)ev - (const uint8_t *)copy);
			__atomic_store_n(&((struct dwt_ust_event_desc *)(shared_blob + off))->slot, ev->slot,
					 __ATOMIC_RELAXED);
		}
		free(copy);
	}
	mailbox->result = result;
	memcpy((char *)mailbox->error, error, sizeof(error));
	__atomic_store_n(&mailbox->done, request, __ATOMIC_RELEASE);
	futex_wake(&mailbox->done);
}

static void *control_thread(void *arg)
{
	(void)arg;
	for (;;) {
		uint32_t request = __atomic_load_n(&mailbox->request, __ATOMIC_ACQUIRE);

		if (request != __atomic_load_n(&mailbox->done, __ATOMIC_RELAXED))
			serve(request);
		else
			futex_wait(&mailbox->request, request, 1000);
	}
	return NULL;
}

/* The control thread: no signal of the program's ever reaches it. */
static int start_control_thread(void)
{
	return quiet_thread_start(control_thread, 256 * 1024, "dwtrace-ust");
}

static void before_fork(void)
{
	lttng_ust_before_fork(&fork_sigset);
}

static void after_fork_parent(void)
{
	lttng_ust_after_fork_parent(&fork_sigset);
}

static void after_fork_child(void)
{
	lttng_ust_after_fork_child(&fork_sigset);
	/* Threads do not survive fork; the child's mailbox is its agent's
	 * business (the agent makes the child pass-through). */
	start_control_thread();
}

/* Whether the program's fork() is liblttng-ust-fork.so's wrapper, which
 * calls lttng-ust's fork handling itself: doing it twice would take
 * lttng-ust's locks twice. */
static int fork_wrapped(void)
{
	void *fork_sym = dlsym(RTLD_DEFAULT, "fork");
	Dl_info info;

	return fork_sym && dladdr(fork_sym, &info) && info.dli_fname && strstr(info.dli_fname, "liblttng-ust-fork");
}

static int setup(void)
{
	void *h = dlopen(DWT_AGENT_SONAME, RTLD_NOW | RTLD_NOLOAD);
	int err;

	agent = h ? dlsym(h, DWT_AGENT_SYMBOL) : NULL;
	/* The reference dlopen took is kept: the agent is never unloaded. */
	if (!agent || __atomic_load_n(&agent->magic, __ATOMIC_ACQUIRE) != DWT_MAGIC || agent->abi != DWT_ABI ||
	    agent->status != 1) {
		set_error(ust_control.error, sizeof(ust_control.error),
			  "libdwtrace-ust.so: no ready %s of ABI %d in this process", DWT_AGENT_SONAME, DWT_ABI);
		return -ENOENT;
	}
	mailbox = (struct dwt_ust_mailbox *)(uintptr_t)agent->ust;
	mailbox_size = agent->ust_size;
	if (!mailbox || mailbox_size < DWT_UST_MAILBOX_HDR) {
		set_error(ust_control.error, sizeof(ust_control.error),
			  "libdwtrace-ust.so: the agent has no mailbox for the emitter");
		return -ENOENT;
	}
	__atomic_store_n(&agent->ust_emit, (uint64_t)(uintptr_t)&dwt_ust_emit, __ATOMIC_RELEASE);
	if (!fork_wrapped() && (err = pthread_atfork(before_fork, after_fork_parent, after_fork_child))) {
		set_error(ust_control.error, sizeof(ust_control.error), "libdwtrace-ust.so: pthread_atfork: %s",
			  strerror(err));
		return -err;
	}
	if ((err = start_control_thread()) < 0) {
		set_error(ust_control.error, sizeof(ust_control.error),
			  "libdwtrace-ust.so: cannot start its thread: %s", strerror(-err));
		return err;
	}
	return 0;
}

__attribute__((constructor)) static void ust_init(void)
{
	int err;

	if (ust_control.magic == DWT_UST_MAGIC)
		return;
	ust_control.abi = DWT_UST_ABI;
	err = setup();
	/* status before magic: dwtrace looks for the magic, then reads
	 * status (a failed emitter says why in error). */
	__atomic_store_n(&ust_control.status, err ? err : 1, __ATOMIC_RELEASE);
	__atomic_store_n(&ust_control.magic, DWT_UST_MAGIC, __ATOMIC_RELEASE);
}
