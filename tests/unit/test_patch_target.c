/* The program test_patch_apply patches: two threads call the functions
 * below in a tight loop and check every result against the same value
 * computed another way; a stand-in for the agent (its control object, a
 * general-registers-only dwt_hit that counts hits per site, a SIGTRAP
 * handler serving trap sites) lives in it.
 *
 * Prints "agent=ADDR hits=ADDR" and each function's address on one line,
 * then runs until SIGTERM; then prints the results of fixed calls and the
 * number of wrong results, and exits 0 when there was none (3 else).
 * Built with -O2 and -fcf-protection (endbr64 at the entries). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "agent/agent_abi.h"

#define NSITES 8192
#define NTRAPS 1024

struct dwt_agent dwtrace_agent;
static struct dwt_site sites[NSITES];
static struct dwt_trap traps[NTRAPS];
unsigned long hit_count[NSITES];

__attribute__((target("general-regs-only"))) static void fake_hit(uint32_t site, struct dwt_frame *f)
{
	(void)f;
	if (site < NSITES && (sites[site].flags & DWT_SITE_LIVE))
		__atomic_fetch_add(&hit_count[site], 1, __ATOMIC_RELAXED);
}

/* Same hashing as src/agent/trap_table.h. */
static int64_t trap_slot(uint64_t addr)
{
	uint32_t mask = NTRAPS - 1, i = (uint32_t)((addr * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & mask;

	for (uint32_t n = 0; n < NTRAPS; n++, i = (i + 1) & mask)
		if (traps[i].addr == addr || traps[i].addr == 0)
			return i;
	return -1;
}

static void on_trap(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	uint64_t pc = (uint64_t)uc->uc_mcontext.gregs[REG_RIP] - 1;
	int64_t slot = trap_slot(pc);

	(void)sig;
	(void)si;
	if (slot < 0 || traps[slot].addr != pc || !traps[slot].site) {
		char msg[128];
		int n = snprintf(msg, sizeof(msg), "test_patch_target: a SIGTRAP not at a trap site: pc 0x%llx si_code %d\n",
				 (unsigned long long)pc + 1, si->si_code);
		if (write(2, msg, (size_t)n) < 0)
			abort();
		abort();
	}
	fake_hit((uint32_t)(traps[slot].site - 1), NULL);
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)sites[traps[slot].site - 1].resume;
}

/* ---- the functions probed ---- */
__attribute__((noinline, noclone)) long f_add(long a, long b)
{
	return a + b;
}

__attribute__((noinline, noclone)) long f_sum(const long *v, int n)
{
	long s = 0;
	for (int i = 0; i < n; i++)
		s += v[i] * (i + 1);
	return s;
}

__attribute__((noinline, noclone)) long f_rec(long n)
{
	if (n <= 1)
		return 1;
	return n + f_rec(n - 1) * 3 % 1000003;
}

__attribute__((noinline, noclone)) double f_mix(double x, long k)
{
	return x * (double)k + 0.5;
}

__attribute__((noinline, noclone)) int f_switch(int c)
{
	switch (c) {
	case 0: return 11;
	case 1: return 23;
	case 2: return 37;
	case 3: return 41;
	case 4: return 59;
	case 5: return 61;
	case 6: return 73;
	default: return -1;
	}
}

/* f_sig(a, p) = a + *p, written so that its load is inside the bytes an
 * entry jump would take (endbr64; xor eax, eax; mov eax, [rsi]; add eax,
 * edi; ret): called with p NULL, it faults there, and the SIGSEGV handler
 * holds the thread in its signal frame for a while, then skips the load. */
long f_sig(long a, const int *p);
__asm__(".text\n.globl f_sig\n.type f_sig, @function\nf_sig:\n"
	".byte 0xf3, 0x0f, 0x1e, 0xfa\n" /* endbr64 */
	".byte 0x31, 0xc0\n"             /* xor eax, eax */
	"f_sig_load:\n"
	".byte 0x8b, 0x06\n"             /* mov eax, [rsi] */
	".byte 0x01, 0xf8\n"             /* add eax, edi */
	".byte 0x48, 0x98\n"             /* cdqe */
	".byte 0xc3\n"                   /* ret */
	".size f_sig, .-f_sig\n");
extern const char f_sig_load[];
static volatile int in_handler;
static long sig_result;

static void on_segv(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;

	(void)sig;
	(void)si;
	if ((uint64_t)uc->uc_mcontext.gregs[REG_RIP] != (uint64_t)(uintptr_t)f_sig_load)
		abort();
	in_handler = 1;
	/* 300 ms in nanosleep (libc, with unwind information: the vDSO's
	 * clock_gettime has none libunwind-ptrace finds). */
	for (int i = 0; i < 300; i++) {
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	uc->uc_mcontext.gregs[REG_RIP] += 2;
}

static void *sig_thread(void *arg)
{
	(void)arg;
	sig_result = f_sig(5, NULL);
	return NULL;
}

static volatile int stop;
static unsigned long wrong, calls;

static long rec_ref(long n)
{
	long r = 1;
	for (long i = 2; i <= n; i++)
		r = i + r * 3 % 1000003;
	return r;
}

static void *worker(void *arg)
{
	static const int sw[] = {11, 23, 37, 41, 59, 61, 73};
	long v[16];
	unsigned long bad = 0, n = 0;

	for (long i = (long)(intptr_t)arg; !stop; i++, n++) {
		long want = 0;
		int k = (int)(i % 16);

		for (int j = 0; j < 16; j++)
			v[j] = i + j;
		for (int j = 0; j < k; j++)
			want += v[j] * (j + 1);
		bad += f_add(i, 7) != i + 7;
		bad += f_sum(v, k) != want;
		bad += f_rec(i % 40) != rec_ref(i % 40);
		bad += f_mix(1.5, i) != 1.5 * (double)i + 0.5;
		bad += f_switch((int)(i % 9)) != (i % 9 < 7 ? sw[i % 9] : -1);
	}
	__atomic_fetch_add(&wrong, bad, __ATOMIC_RELAXED);
	__atomic_fetch_add(&calls, n, __ATOMIC_RELAXED);
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	pthread_t th[2], sth;
	sigset_t term;
	int sig;

	dwtrace_agent.magic = DWT_MAGIC;
	dwtrace_agent.abi = DWT_ABI;
	dwtrace_agent.status = 1;
	dwtrace_agent.active = 1;
	dwtrace_agent.hit = (uint64_t)(uintptr_t)fake_hit;
	dwtrace_agent.sites = (uint64_t)(uintptr_t)sites;
	dwtrace_agent.nsites_max = NSITES;
	dwtrace_agent.traps = (uint64_t)(uintptr_t)traps;
	dwtrace_agent.ntraps_max = NTRAPS;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGTRAP, &sa, NULL);
	sa.sa_sigaction = on_segv;
	sigaction(SIGSEGV, &sa, NULL);
	pthread_create(&sth, NULL, sig_thread, NULL);
	while (!in_handler)
		usleep(1000);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, NULL);

	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, worker, (void *)(intptr_t)(i * 1000));
	printf("agent=%p hits=%p f_add=%p f_sum=%p f_rec=%p f_mix=%p f_switch=%p f_sig=%p\n", (void *)&dwtrace_agent,
	       (void *)hit_count, (void *)f_add, (void *)f_sum, (void *)f_rec, (void *)f_mix, (void *)f_switch,
	       (void *)f_sig);
	fflush(stdout);
	sigwait(&term, &sig);
	stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_join(sth, NULL);
	printf("f_add=%ld f_sum=%ld f_rec=%ld f_mix=%g f_switch=%d f_sig=%ld wrong=%lu\n", f_add(2, 3),
	       f_sum((const long[]){1, 2, 3}, 3), f_rec(30), f_mix(2.0, 3), f_switch(4), sig_result, wrong);
	return wrong ? 3 : 0;
}
