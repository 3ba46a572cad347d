/* Patches a running program (test_patch_target: two threads calling five
 * functions in a tight loop and checking each result) through ptrace with
 * patch_apply(), lets it run free, stops it and puts everything back with
 * patch_restore_all(), CYCLES times.  Oracles independent of dwtrace:
 * function sizes from nm; the program's own check of every result; its
 * output and exit status equal to an untraced run's; its code bytes after
 * each restore equal to those before; no thread left in a stub; entry and
 * exit hits counted by its stand-in agent (one exit per entry, up to the
 * calls in flight at each stop).
 *
 * Usage: test_patch_apply PATH-TO-test_patch_target */
#define _GNU_SOURCE
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "inject/patch.h"

#define NFUNCS 6
#define CYCLES 25
#define NTHREADS 4 /* the main thread (in sigwait), two workers, one in a SIGSEGV handler */

static const char *target_path;
static pid_t live_pid; /* killed when a check fails with the program running */
static const char *const names[NFUNCS] = {"f_add", "f_sum", "f_rec", "f_mix", "f_switch", "f_sig"};
#define F_SIG 5 /* called once; the thread stays 300 ms in a signal frame whose pc is in its first bytes */

struct child {
	pid_t pid;
	FILE *out;
	uint64_t agent, hits, fn[NFUNCS];
};

static void start(struct child *c)
{
	int fd[2];
	char line[512];

	assert_int_equal(pipe(fd), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (!c->pid) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execl(target_path, target_path, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	live_pid = c->pid;
	c->out = fdopen(fd[0], "r");
	assert_non_null(fgets(line, sizeof(line), c->out));
	assert_int_equal(sscanf(line, "agent=%" SCNx64 " hits=%" SCNx64 " f_add=%" SCNx64 " f_sum=%" SCNx64
				      " f_rec=%" SCNx64 " f_mix=%" SCNx64 " f_switch=%" SCNx64 " f_sig=%" SCNx64,
				&c->agent, &c->hits, &c->fn[0], &c->fn[1], &c->fn[2], &c->fn[3], &c->fn[4], &c->fn[5]),
			 8);
}

/* Stops the program: its last line and its exit status. */
static int finish(struct child *c, char *last, size_t size)
{
	int status;

	kill(c->pid, SIGTERM);
	if (!fgets(last, (int)size, c->out))
		last[0] = '\0';
	fclose(c->out);
	assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
	live_pid = 0;
	return status;
}

/* The size of symbol name in the program, from nm. */
static uint64_t nm_size(const char *name)
{
	char cmd[600], line[512];
	uint64_t value, size = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm -S --defined-only '%s'", target_path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		char type, sym[256];
		uint64_t v, s;
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %c %255s", &v, &s, &type, sym) == 4 && !strcmp(sym, name)) {
			value = v;
			size = s;
		}
	}
	pclose(p);
	(void)value;
	assert_true(size > 0);
	return size;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

struct pcs_ctx {
	const struct patch_set *ps;
	int in_stub;
};

static void check_pc(uint64_t key, void *value, void *arg)
{
	struct pcs_ctx *ctx = arg;
	struct arch_regs r;

	(void)value;
	if (arch_regs_fetch((pid_t)key, &r, false) != 0)
		return;
	for (size_t i = 0; i < ctx->ps->n; i++)
		if (arch_regs_pc(&r) >= ctx->ps->done[i].code &&
		    arch_regs_pc(&r) < ctx->ps->done[i].code + ctx->ps->done[i].map.len)
			ctx->in_stub++;
}

static void test_patch_cycles(void **state)
{
	struct child plain, c;
	char want[512], got[512];
	int status;
	struct dw_function fns[NFUNCS];
	struct dw_range ranges[NFUNCS];
	struct probe_site sites[NFUNCS];
	struct patch_request req[NFUNCS];
	struct patch_outcome out[NFUNCS];
	struct patch_set ps = {0};
	struct scratch scratch = {0};
	uint8_t orig[NFUNCS][4096];
	unsigned long entry_hits[NFUNCS] = {0}, exit_hits[NFUNCS] = {0};
	int patched_cycles = 0;

	/* The untraced run. */
	start(&plain);
	sleep_ms(400);
	status = finish(&plain, want, sizeof(want));
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* Sizes first: the thread in f_sig's handler leaves it after 300 ms. */
	for (int f = 0; f < NFUNCS; f++)
		fns[f].size = nm_size(names[f]);
	start(&c);
	for (int f = 0; f < NFUNCS; f++) {
		uint64_t size = fns[f].size;

		memset(&fns[f], 0, sizeof(fns[f]));
		memset(&sites[f], 0, sizeof(sites[f]));
		fns[f].name = names[f];
		fns[f].addr = c.fn[f];
		fns[f].size = size;
		assert_true(fns[f].size <= sizeof(orig[f]));
		ranges[f].start = c.fn[f];
		ranges[f].end = c.fn[f] + fns[f].size;
		fns[f].ranges = &ranges[f];
		fns[f].nranges = 1;
		sites[f].fn = &fns[f];
		sites[f].addr = c.fn[f];
		req[f] = (struct patch_request){.site = &sites[f]};
	}
	for (int cycle = 0; cycle < CYCLES; cycle++) {
		struct target t = {0};
		struct dwt_agent agent;
		uint64_t *busy;
		size_t nbusy;
		int n;
		struct pcs_ctx ctx = {&ps, 0};

		/* Attach, patch, detach: the program runs patched. */
		assert_int_equal(target_attach(&t, c.pid), 0);
		assert_int_equal(target_read(&t, c.pid, c.agent, &agent, sizeof(agent)), (ssize_t)sizeof(agent));
		assert_true(agent.magic == DWT_MAGIC);
		for (int f = 0; f < NFUNCS; f++) {
			static uint8_t now[4096];
			assert_int_equal(target_read(&t, c.pid, c.fn[f], cycle ? now : orig[f], fns[f].size),
					 (ssize_t)fns[f].size);
			if (cycle) /* put back as it was */
				assert_memory_equal(now, orig[f], fns[f].size);
		}
		nbusy = patch_busy_pcs(&t, &busy);
		if (nbusy < t.threads.len || (cycle == 0 && t.threads.len != NTHREADS))
			fail_msg("%zu busy pcs, %zu threads", nbusy, (size_t)t.threads.len);
		if (cycle == 0) {
			/* The thread in the handler: its signal frame returns to
			 * f_sig + 6, inside the bytes a jump at f_sig + 4 takes. */
			bool found = false;
			for (size_t i = 0; i < nbusy; i++)
				found |= busy[i] == c.fn[F_SIG] + 6;
			assert_true(found);
		}
		n = patch_apply(&ps, &t, target_thread(&t, c.pid), &scratch, &agent, c.agent, req, NFUNCS, busy, nbusy,
				out);
		free(busy);
		/* A thread parked in the first bytes may keep one function out
		 * this time; never more than the threads. */
		assert_true(n >= NFUNCS - 2);
		for (int f = 0; f < NFUNCS; f++)
			if (!out[f].patched)
				assert_true(out[f].why[0] != '\0');
		if (cycle == 0) {
			assert_true(out[F_SIG].patched);
			assert_non_null(strstr(out[F_SIG].why, "a thread is at"));
		}
		target_detach_untouched(&t);
		target_release(&t);
		sleep_ms(20);
		{
			int st;
			if (waitpid(c.pid, &st, WNOHANG) == c.pid)
				fail_msg("cycle %d: the program ended (status 0x%x) while patched", cycle, st);
		}
		if (getenv("PATCH_DEBUG"))
			for (size_t i = 0; i < ps.n; i++)
				fprintf(stderr, "start 0x%" PRIx64 " len %u code 0x%" PRIx64 " trap %d\n", ps.done[i].start,
					ps.done[i].len, ps.done[i].code, ps.done[i].trap);

		/* Attach again, count, put everything back, detach. */
		assert_int_equal(target_attach(&t, c.pid), 0);
		assert_int_equal(patch_restore_all(&ps, &t, &agent), 0);
		u64_map_each(&t.threads, check_pc, &ctx);
		assert_int_equal(ctx.in_stub, 0);
		for (int f = 0; f < NFUNCS; f++) {
			uint8_t now[4096];
			assert_int_equal(target_read(&t, c.pid, c.fn[f], now, fns[f].size), (ssize_t)fns[f].size);
			assert_memory_equal(now, orig[f], fns[f].size);
		}
		{
			static unsigned long hits[8192];
			size_t nsites = agent.nsites;
			assert_true(nsites <= 8192);
			assert_int_equal(target_read(&t, c.pid, c.hits, hits, nsites * sizeof(hits[0])),
					 (ssize_t)(nsites * sizeof(hits[0])));
			for (size_t i = 0; i < nsites; i++) {
				struct dwt_site s;
				assert_int_equal(target_read(&t, c.pid, agent.sites + i * sizeof(s), &s, sizeof(s)),
						 (ssize_t)sizeof(s));
				assert_false(s.flags & DWT_SITE_LIVE);
			}
			memset(entry_hits, 0, sizeof(entry_hits));
			memset(exit_hits, 0, sizeof(exit_hits));
			for (size_t i = 0; i < ps.n; i++) {
				struct dwt_site s;
				target_read(&t, c.pid, agent.sites + ps.done[i].site * sizeof(s), &s, sizeof(s));
				for (int f = 0; f < NFUNCS; f++)
					if (s.addr >= ranges[f].start && s.addr < ranges[f].end)
						(s.kind == DWT_REC_ENTRY ? entry_hits : exit_hits)[f] += hits[ps.done[i].site];
			}
		}
		target_detach_untouched(&t);
		target_release(&t);
		patched_cycles++;
	}
	/* Every function was hit; each entry has its exit, but for calls in
	 * flight when the patches came or went (up to 40 frames of f_rec per
	 * thread, twice per cycle). */
	for (int f = 0; f < NFUNCS; f++) {
		unsigned long slack = 2ul * 41 * NTHREADS * (unsigned long)patched_cycles;
		if (f == F_SIG)
			continue;
		assert_true(entry_hits[f] > 0);
		if (out[f].entry_only)
			continue;
		assert_true(exit_hits[f] > 0);
		if (entry_hits[f] > exit_hits[f] + slack || exit_hits[f] > entry_hits[f] + slack)
			fail_msg("%s: %lu entries, %lu exits", names[f], entry_hits[f], exit_hits[f]);
	}
	/* dwtrace dies patched (its patch set is lost): the next one finds
	 * the patches through the sites, and puts the code back. */
	{
		struct target t = {0};
		struct dwt_agent agent;
		struct patch_set lost = {0}, found = {0};
		size_t npoints = 0;
		uint64_t *busy;
		size_t nbusy;

		assert_int_equal(target_attach(&t, c.pid), 0);
		assert_int_equal(target_read(&t, c.pid, c.agent, &agent, sizeof(agent)), (ssize_t)sizeof(agent));
		nbusy = patch_busy_pcs(&t, &busy);
		assert_true(patch_apply(&lost, &t, target_thread(&t, c.pid), &scratch, &agent, c.agent, req, NFUNCS, busy,
					nbusy, out) > 0);
		free(busy);
		for (int f = 0; f < NFUNCS; f++)
			npoints += out[f].njumps + out[f].ntraps;
		assert_int_equal(npoints, lost.n);
		/* Nothing adopted while the code is as dwtrace left it in ps. */
		target_detach_untouched(&t);
		target_release(&t);
		patch_set_free(&lost);
		sleep_ms(20);

		assert_int_equal(target_attach(&t, c.pid), 0);
		assert_int_equal(target_read(&t, c.pid, c.agent, &agent, sizeof(agent)), (ssize_t)sizeof(agent));
		assert_int_equal(patch_adopt(&found, &t, &agent), (int)npoints);
		assert_int_equal(patch_restore_all(&found, &t, &agent), 0);
		assert_int_equal(patch_adopt(&found, &t, &agent), 0);
		for (int f = 0; f < NFUNCS; f++) {
			static uint8_t now[4096];
			assert_int_equal(target_read(&t, c.pid, c.fn[f], now, fns[f].size), (ssize_t)fns[f].size);
			assert_memory_equal(now, orig[f], fns[f].size);
		}
		target_detach_untouched(&t);
		target_release(&t);
		patch_set_free(&found);
	}
	status = finish(&c, got, sizeof(got));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(got, want);
	patch_set_free(&ps);
	scratch_free(&scratch);
}

static int kill_live(void **state)
{
	if (live_pid > 0) {
		kill(live_pid, SIGKILL);
		/* Its threads may be traced still: reap them all. */
		while (waitpid(-1, NULL, __WALL) > 0)
			;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patch_cycles),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-test_patch_target\n", argv[0]);
		return 2;
	}
	target_path = argv[1];
	return cmocka_run_group_tests(tests, NULL, kill_live);
}
