/* The agent engine's LTTng side (ust_engine.h). */
#define _GNU_SOURCE
#include "ust_engine.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "loader.h"
#include "log.h"
#include "procfs.h"
#include "ring_reader.h"
#include "own_lib.h"
#include "ust_abi.h"
#include "ust_desc.h"
#include "xalloc.h"

#define REGISTER_TIMEOUT_NS (10 * 1000000000ull)

/* The emitter's lib->ready: its struct dwt_ust. */
static int ust_ready(const struct target *t, uint64_t ctl, void *arg, bool final, char **why)
{
	struct dwt_ust u;

	(void)arg;
	if (agent_read(t, ctl, &u, sizeof(u)) != 0 || u.magic != DWT_UST_MAGIC) {
		if (!final)
			return 0;
		*why = xasprintf("%s in process %d did not initialize", DWT_UST_SONAME, (int)t->pid);
		return -EPROTO;
	}
	if (u.abi != DWT_UST_ABI) {
		*why = xasprintf("process %d has a %s of ABI %u loaded, this dwtrace speaks ABI %d: use the dwtrace "
				 "that loaded it, or restart the program",
				 (int)t->pid, DWT_UST_SONAME, u.abi, DWT_UST_ABI);
		return -EPROTO;
	}
	if (u.status == 1)
		return 1;
	if (u.status < 0) {
		u.error[sizeof(u.error) - 1] = '\0';
		*why = xasprintf("the LTTng emitter in process %d failed to initialize: %s", (int)t->pid,
				 u.error[0] ? u.error : strerror(u.status < -4095 ? EIO : -u.status));
		return u.status < -4095 ? -EIO : u.status;
	}
	if (final) {
		*why = xasprintf("the LTTng emitter in process %d is still initializing", (int)t->pid);
		return -EAGAIN;
	}
	return 0;
}

/* Loads libdwtrace-ust.so into t unless it is there already, as the agent
 * is loaded (library_load()).  0, or -errno with the reason in *why. */
static int ust_engine_load(struct target *t, char **why)
{
	struct loader_lib lib = {DWT_UST_SONAME, DWT_UST_SYMBOL, ust_ready, NULL};
	struct loader_found found;
	char path[PATH_MAX];

	*why = NULL;
	if (own_lib_path(DWT_UST_SONAME, path, sizeof(path)) != 0) {
		*why = xasprintf("cannot find %s next to dwtrace", DWT_UST_SONAME);
		return -ENOENT;
	}
	return library_load(t, &lib, path, &found, why);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {0, ms * 1000000L};
	nanosleep(&ts, NULL);
}

/* Writes the description of the n layouts into the mailbox (dwtrace's
 * mapping of it), wakes the emitter's control thread (a shared futex) and
 * waits for its answer; the slots as ust_engine_setup() says.  0 (*why
 * NULL, or a warning about some events), or -errno with the reason. */
static int ust_engine_register(const struct dwt_agent *agent, void *mailbox, const char *provider,
			const struct event_layout *const *layouts, size_t n, uint32_t *entry_slot, uint32_t *exit_slot,
			char **why)
{
	struct dwt_ust_mailbox *mb = mailbox;
	struct ust_desc_opts o = {.with_pid_tid = false, .with_stack = false, .natural_align = false,
				  .string_limit = 4096};
	struct ust_desc_builder *b;
	uint32_t *entry_ev = xcalloc(n + 1, sizeof(*entry_ev)), *exit_ev = xcalloc(n + 1, sizeof(*exit_ev));
	uint8_t *blob, *in_mb = (uint8_t *)mailbox + DWT_UST_MAILBOX_HDR;
	size_t size;
	uint32_t req;
	uint64_t deadline;
	int rc = 0;

	*why = NULL;
	if (agent->ust_size < DWT_UST_MAILBOX_HDR) {
		*why = xasprintf("the agent has no room for the LTTng emitter's mailbox");
		rc = -EPROTO;
		goto out;
	}
	b = ust_desc_builder_new(provider, &o);
	for (size_t i = 0; i < n; i++)
		ust_desc_add_layout(b, layouts[i], &entry_ev[i], &exit_ev[i]);
	blob = ust_desc_finish(b, &size, NULL);
	if (!blob || size > agent->ust_size - DWT_UST_MAILBOX_HDR || size > DWT_UST_DESC_MAX) {
		*why = xasprintf("the description of the %zu probes' LTTng events (%zu bytes) does not fit the "
				 "emitter's mailbox (%u bytes): trace fewer functions at once",
				 n, size, DWT_UST_DESC_MAX);
		free(blob);
		rc = -EFBIG;
		goto out;
	}
	/* Written into the program's memory through dwtrace's mapping of
	 * the region, then announced: the emitter reads it after request. */
	memcpy(in_mb, blob, size);
	free(blob);
	mb->desc_size = (uint32_t)size;
	req = __atomic_add_fetch(&mb->request, 1, __ATOMIC_RELEASE);
	/* A shared futex (no FUTEX_PRIVATE_FLAG): both mappings are of one
	 * memfd, so the kernel keys the word by the file and offset. */
	syscall(SYS_futex, &mb->request, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	deadline = now_mono_ns() + REGISTER_TIMEOUT_NS;
	while (__atomic_load_n(&mb->done, __ATOMIC_ACQUIRE) != req) {
		if (now_mono_ns() > deadline) {
			*why = xasprintf("the LTTng emitter did not register the events within 10 s (is a thread "
					 "of the program stopped inside lttng-ust?)");
			rc = -ETIMEDOUT;
			goto out;
		}
		sleep_ms(1);
	}
	if (mb->result < 0) {
		char err[sizeof(mb->error)];
		memcpy(err, mb->error, sizeof(err));
		err[sizeof(err) - 1] = '\0';
		*why = xasprintf("the LTTng emitter could not register the events: %s",
				 err[0] ? err : strerror(-mb->result));
		rc = mb->result;
		goto out;
	}
	{
		size_t bad = 0;
		const char *first = NULL;

		for (size_t i = 0; i < n; i++) {
			const struct dwt_ust_event_desc *en = ust_desc_event(in_mb, size, entry_ev[i]);
			const struct dwt_ust_event_desc *ex = ust_desc_event(in_mb, size, exit_ev[i]);
			entry_slot[i] = en ? en->slot : 0;
			exit_slot[i] = ex ? ex->slot : 0;
			/* Points and inlined copies have no exit event. */
			if (!entry_slot[i] || (!exit_slot[i] && exit_ev[i] != UST_DESC_NO_EVENT)) {
				bad++;
				if (!first)
					first = layouts[i]->function;
			}
		}
		if (bad) {
			char err[sizeof(mb->error)];
			memcpy(err, mb->error, sizeof(err));
			err[sizeof(err) - 1] = '\0';
			*why = xasprintf("%zu of %zu probes have no LTTng events (%s): %s", bad, n, first,
					 err[0] ? err : "the emitter gave no reason");
		}
	}
out:
	free(entry_ev);
	free(exit_ev);
	return rc;
}

int ust_engine_setup(struct target *t, struct agent_handle *h, const struct ring_reader *rr, const char *provider,
		     const struct event_layout *const *layouts, size_t n, uint32_t *entry_slot, uint32_t *exit_slot,
		     char **why)
{
	bool run;
	void *mb = NULL;
	char *inner = NULL;
	int rc, stop_rc;

	*why = NULL;
	rc = ust_engine_load(t, &inner);
	if (rc == 0 && (rc = agent_ctl_read(t, h)) == 0 &&
	    !(mb = ring_reader_ptr(rr, h->agent.ust, h->agent.ust_size)))
		rc = -EPROTO;
	if (rc) {
		*why = xasprintf("the in-process LTTng emitter: %s", inner ? inner : strerror(-rc));
		free(inner);
		return rc;
	}
	/* A started program stays at its entry point (its calls would run
	 * before the probes): only the agent's, the emitter's and lttng-ust's
	 * threads run then. */
	run = t->threads.len > 1 || !t->held_at_entry;
	if (run)
		target_detach_all_but(t, t->held_at_entry ? t->pid : 0);
	rc = ust_engine_register(&h->agent, mb, provider, layouts, n, entry_slot, exit_slot, &inner);
	if (run && (stop_rc = target_stop_all(t)) != 0 && !rc) {
		free(inner);
		inner = xasprintf("cannot stop %s again: %s", t->name, strerror(-stop_rc));
		rc = stop_rc;
	}
	if (rc) {
		*why = xasprintf("the in-process LTTng emitter: %s", inner);
		free(inner);
		return rc;
	}
	if (inner)
		log_warning("%s", inner);
	free(inner);
	return 0;
}

void ust_engine_note_blocking(const struct target *t)
{
	char buf[65536];
	ssize_t n = procfs_read(t->pid, 0, "environ", buf, sizeof(buf) - 1);

	if (n < 0)
		return;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
		if (!strncmp(buf + i, "LTTNG_UST_ALLOW_BLOCKING=", 25))
			return;
	log_note("%s (pid %d) has no LTTNG_UST_ALLOW_BLOCKING in its environment: its LTTng-UST discards events "
		 "when the session's buffers are full (the trace counts them) instead of waiting",
		 t->name, (int)t->pid);
}
