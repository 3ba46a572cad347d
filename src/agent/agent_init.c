/* libdwtrace-agent.so's set-up and its watchdog.
 *
 * The constructor runs when dwtrace's loader dlopens the agent on a thread
 * of the agent's own (src/inject/loader.c), so it may use libc: it maps the
 * tables and rings, installs the SIGTRAP handler for trap sites, registers
 * the fork handler and starts the watchdog, then publishes status and
 * magic in struct dwt_agent (agent_abi.h), where dwtrace finds them. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "agent_internal.h"
#include "agent_syscall.h"
#include "quiet_thread.h"
#include "ust_abi.h"

/* Sizes: only the pages touched cost memory (MAP_NORESERVE). */
#define AGENT_SITES 65536u
#define AGENT_OPS (1u << 20)
#define AGENT_TRAPS (1u << 16)
#define AGENT_RINGS 256u
#define AGENT_RING_BYTES (1u << 20)
#define AGENT_PAGE 4096u
#define AGENT_WATCH_MS 200

struct dwt_agent agent;
/* dwtrace finds the agent by this symbol (DWT_AGENT_SYMBOL). */
extern __typeof(agent) dwtrace_agent __attribute__((alias("agent"), visibility("default")));

int32_t agent_pid;
uint32_t agent_vsave;
uint32_t agent_kmovq;
uint32_t agent_xinuse;

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* What emit_ust() (agent_hit.c) saves: the vector registers the CPU has
 * and the kernel enabled in XCR0 (Intel SDM vol. 1, 13.3: AVX needs XCR0
 * bits 1-2, AVX-512 bits 5-7; CPUID leaf 1 ECX bit 27 OSXSAVE, bit 28
 * AVX; leaf 7 EBX bit 16 AVX512F, bit 30 AVX512BW), and XINUSE (leaf 0xD
 * sub-leaf 1, EAX bit 2). */
static void find_vector_state(void)
{
	uint32_t r[4], lo, hi, max;
	uint64_t xcr0;
	bool avx;

	cpuid(0, 0, r);
	max = r[0];
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 27))) /* no OSXSAVE: SSE only */
		return;
	avx = r[2] & (1u << 28);
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	xcr0 = (uint64_t)hi << 32 | lo;
	if (!avx || (xcr0 & 0x6) != 0x6)
		return;
	agent_vsave = AGENT_VSAVE_AVX;
	if (max >= 7) {
		cpuid(7, 0, r);
		if ((r[1] & (1u << 16)) && (xcr0 & 0xe0) == 0xe0) {
			agent_vsave = AGENT_VSAVE_AVX512;
			agent_kmovq = (r[1] >> 30) & 1;
		}
	}
	if (max >= 0xd) {
		cpuid(0xd, 1, r);
		agent_xinuse = (r[0] >> 2) & 1;
	}
}

static uint64_t page_round(uint64_t n)
{
	return (n + AGENT_PAGE - 1) & ~(uint64_t)(AGENT_PAGE - 1);
}

/* The layout of the shared region: site table, ops, trap table, the
 * in-process LTTng emitter's mailbox (ust_abi.h), rings. */
static uint64_t region_layout(uint64_t *sites, uint64_t *ops, uint64_t *traps, uint64_t *ust, uint64_t *stride)
{
	*sites = page_round((uint64_t)AGENT_SITES * sizeof(struct dwt_site));
	*ops = page_round((uint64_t)AGENT_OPS * sizeof(struct dwt_cap_op));
	*traps = page_round((uint64_t)AGENT_TRAPS * sizeof(struct dwt_trap));
	*ust = page_round((uint64_t)DWT_UST_MAILBOX_HDR + DWT_UST_DESC_MAX);
	/* Each ring's header on a page of its own, away from the previous
	 * ring's data (another thread writes there). */
	*stride = page_round(DWT_RING_HDR + (uint64_t)AGENT_RING_BYTES);
	return *sites + *ops + *traps + *ust + AGENT_RINGS * *stride;
}

/* A new memfd of size bytes mapped shared at addr (MAP_FIXED: replacing
 * what is there) or anywhere (addr 0); raw system calls, so that a fork
 * child may call it.  The mapping's address, or -errno; *fd its file. */
static long map_region(uint64_t addr, uint64_t size, int32_t *fd)
{
	struct {
		uint64_t cur, max;
	} fsize = { ~UINT64_C(0), ~UINT64_C(0) };
	long f, m;

	/* A memfd is a file: growing it past RLIMIT_FSIZE would send the
	 * program SIGXFSZ, which kills it.  No agent then. */
	agent_syscall2(AGENT_NR_GETRLIMIT, 1 /* RLIMIT_FSIZE */, &fsize);
	if (fsize.cur < size)
		return -EFBIG;
	f = agent_syscall2(AGENT_NR_MEMFD_CREATE, "dwtrace-agent", 1 /* MFD_CLOEXEC */);
	if (f < 0)
		return f;
	if ((m = agent_syscall2(AGENT_NR_FTRUNCATE, f, size)) < 0)
		goto fail;
	m = agent_syscall6(AGENT_NR_MMAP, (long)addr, (long)size, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_NORESERVE | (addr ? MAP_FIXED : 0), f, 0);
	if (m < 0 && m > -4096)
		goto fail;
	*fd = (int32_t)f;
	return m;
fail:
	agent_syscall1(AGENT_NR_CLOSE, f);
	return m;
}

/* The site table, ops, trap table and rings in one memfd mapped shared
 * (agent_abi.h: dwtrace maps it too, so that what a thread wrote just
 * before the process ended can still be read).  0 or -errno. */
static int map_tables(void)
{
	uint64_t sites, ops, traps, ust, stride, total = region_layout(&sites, &ops, &traps, &ust, &stride);
	int32_t fd;
	long base = map_region(0, total, &fd);

	if (base < 0 && base > -4096)
		return (int)base;
	uint64_t b = (uint64_t)base;
	agent.memfd = fd;
	agent.shared = b;
	agent.shared_size = total;
	agent.sites = b;
	agent.nsites_max = AGENT_SITES;
	agent.ops = b + sites;
	agent.nops_max = AGENT_OPS;
	agent.traps = b + sites + ops;
	agent.ntraps_max = AGENT_TRAPS;
	agent.ust = b + sites + ops + traps;
	agent.ust_size = ust;
	agent.rings = b + sites + ops + traps + ust;
	agent.nrings = AGENT_RINGS;
	agent.ring_bytes = AGENT_RING_BYTES;
	agent.ring_stride = stride;
	return 0;
}

/* A fork child shares the parent's region: it gets one of its own at the
 * same address, with the parent's sites, ops and trap table copied (its
 * code has the parent's patches, whose traps must still resume), fresh
 * rings, so that a dwtrace attaching to it later never reads or writes
 * the parent's.  Async-signal-safe (raw system calls, plain copies).  On
 * failure the child keeps the shared region, inactive. */
static void own_region(void)
{
	uint64_t sites, ops, traps, ust, stride, total = region_layout(&sites, &ops, &traps, &ust, &stride);
	uint64_t keep = sites + ops + traps;
	int32_t fd, tmpfd;
	long tmp = map_region(0, keep, &tmpfd);

	if (!agent.shared || (tmp < 0 && tmp > -4096))
		return;
	/* Only the used parts: the rest of the tables is zero pages. */
	agent_copy((uint8_t *)tmp, (const uint8_t *)(uintptr_t)agent.sites,
		   agent.nsites * sizeof(struct dwt_site));
	agent_copy((uint8_t *)tmp + sites, (const uint8_t *)(uintptr_t)agent.ops,
		   agent.nops * sizeof(struct dwt_cap_op));
	agent_copy((uint8_t *)tmp + sites + ops, (const uint8_t *)(uintptr_t)agent.traps, traps);
	agent_syscall1(AGENT_NR_CLOSE, tmpfd);
	long m = map_region(agent.shared, total, &fd);
	if (m < 0 && m > -4096) {
		agent_syscall2(AGENT_NR_MUNMAP, tmp, keep);
		return;
	}
	agent_copy((uint8_t *)(uintptr_t)agent.shared, (const uint8_t *)tmp, keep);
	agent_syscall2(AGENT_NR_MUNMAP, tmp, keep);
	/* The parent's descriptor stays open in the child, as every other
	 * descriptor does (its number may be the program's by now). */
	agent.memfd = fd;
}

/* Every period of the watchdog: the SIGTRAP handler is still ours. */
static void sleep_ms(long ms)
{
	agent_trap_rearm();
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	agent_syscall2(AGENT_NR_NANOSLEEP, &ts, 0);
}

static int same_reader(uint32_t gen, int32_t pid)
{
	return agent.generation == gen && agent.reader_pid == pid;
}

/* The reader of generation gen is gone: every probe becomes pass-through,
 * unless a newer reader has taken over meanwhile. */
static void reader_gone(uint32_t gen)
{
	if (agent.generation == gen)
		agent.active = 0;
}

/* Until dwtrace attaches again: a write of active = 1 that was under way
 * when the reader died (or a reader that set active without waiting for
 * watch_generation) is undone within one period. */
static void wait_for_new_reader(uint32_t gen, int32_t pid)
{
	while (same_reader(gen, pid)) {
		reader_gone(gen);
		sleep_ms(AGENT_WATCH_MS);
	}
}

/* The reader of generation gen died (or had gone before its pidfd could
 * be opened): pass-through, and its int3s out of the code, so that the
 * program runs on at its untraced speed (a dwtrace that ended normally
 * has put its bytes back already: nothing is left to do); then wait for
 * the next reader. */
static void reader_died(uint32_t gen, int32_t pid)
{
	reader_gone(gen);
	agent_untrap(gen);
	wait_for_new_reader(gen, pid);
}

/* Watches dwtrace (reader_pid) through a pidfd and, when it exits
 * (SIGKILL included), clears active and takes its int3s out.  Raw system calls only: the user may be tracing
 * libc's poll, and a trap site hit here, with every signal blocked, would
 * kill the program.  It writes nothing but struct dwt_agent and, after a
 * reader died, the original bytes of its trap sites; it never ends. */
static void *watchdog(void *arg)
{
	(void)arg;
	agent.watchdog_tid = (int32_t)agent_syscall0(AGENT_NR_GETTID);
	for (;;) {
		uint32_t gen = agent.generation;
		int32_t pid = agent.reader_pid;

		if (pid <= 0) {
			sleep_ms(AGENT_WATCH_MS);
			continue;
		}
		long fd = agent_syscall2(AGENT_NR_PIDFD_OPEN, pid, 0);
		if (fd == -ESRCH) {
			reader_died(gen, pid);
			continue;
		}
		if (fd < 0) {
			/* No pidfd (EMFILE, an old kernel): probe with kill 0. */
			agent.watch_generation = gen;
			while (same_reader(gen, pid)) {
				if (agent_syscall2(AGENT_NR_KILL, pid, 0) == -ESRCH) {
					reader_died(gen, pid);
					break;
				}
				sleep_ms(AGENT_WATCH_MS);
			}
			continue;
		}
		agent.watch_generation = gen;
		for (;;) {
			struct {
				int32_t fd;
				int16_t events, revents;
			} p = { (int32_t)fd, 1 /* POLLIN */, 0 };
			long n = agent_syscall3(AGENT_NR_POLL, &p, 1, AGENT_WATCH_MS);
			agent_trap_rearm();
			if (n == 0 && same_reader(gen, pid))
				continue;
			/* The program may have closed the pidfd (closefrom,
			 * close_range) and reused its number: ask the fd what it
			 * is before believing it, and never close a file that is
			 * not ours.  -ESRCH: a pidfd of an exited process; 0: of a
			 * live one (never readable, so not ours after an event);
			 * -EBADF: no pidfd at all. */
			long st = agent_syscall4(AGENT_NR_PIDFD_SEND_SIGNAL, fd, 0, 0, 0);
			if (st == -ESRCH || (st == 0 && n == 0))
				agent_syscall1(AGENT_NR_CLOSE, fd);
			if (st == -ESRCH) {
				reader_died(gen, pid);
			}
			break; /* a new pidfd: for the same reader, or the next */
		}
	}
	return NULL;
}

/* The watchdog thread: no signal of the program's ever reaches it. */
static int start_watchdog(void)
{
	return quiet_thread_start(watchdog, 64 * 1024, "dwtrace-agent");
}

/* A fork child has a private copy of everything and no watchdog (threads
 * do not survive fork) and is not dwtrace's to read: pass-through. */
static void in_fork_child(void)
{
	agent.active = 0;
	own_region();
	agent.watch_generation = 0;
	agent.watchdog_tid = 0;
	agent_pid = (int32_t)agent_syscall0(AGENT_NR_GETPID);
	agent_forget_rings();
}

/* SA_SIGINFO for the ucontext; SA_ONSTACK so that a program's alternate
 * stack is used as its own handlers would use it (Go requires it);
 * SA_NODEFER so that a trap site reached inside the program's SIGTRAP
 * handler (called from ours) traps again instead of being killed by a
 * blocked synchronous SIGTRAP; SA_RESTART as the kernel's default would
 * leave system calls.  Installed through glibc (for its restorer), read
 * back in the kernel's form for the watchdog's re-arming.  0 or -errno. */
static int install_trap_handler(void)
{
	struct kernel_sigaction program, ours;
	struct sigaction act;
	long err;

	if ((err = agent_syscall4(AGENT_NR_RT_SIGACTION, SIGTRAP, 0, &program, 8)) < 0)
		return (int)err;
	memset(&act, 0, sizeof(act));
	act.sa_sigaction = agent_trap_handler;
	act.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&act.sa_mask);
	/* The program's action first: a SIGTRAP may come as soon as ours is in. */
	agent_trap_adopt(&program, NULL);
	if (sigaction(SIGTRAP, &act, NULL) < 0)
		return -errno;
	if ((err = agent_syscall4(AGENT_NR_RT_SIGACTION, SIGTRAP, 0, &ours, 8)) < 0)
		return (int)err;
	agent_trap_adopt(&program, &ours);
	return 0;
}

static int setup(void)
{
	int err;

	agent_pid = (int32_t)agent_syscall0(AGENT_NR_GETPID);
	agent_find_vdso();
	find_vector_state();
	if ((err = map_tables()))
		return err;
	if ((err = pthread_atfork(NULL, NULL, in_fork_child)))
		return -err;
	return start_watchdog();
}

/* dwtrace's remote call (agent_abi.h, arm_traps): the SIGTRAP handler goes
 * in only when int3 patches are about to exist, and out when they are all
 * gone, so that a program traced with jumps alone keeps its own action. */
long dwt_arm_traps(uint64_t on)
{
	if (on && !agent.traps_armed) {
		int err = install_trap_handler();
		if (err)
			return err;
		agent.traps_armed = 1;
	} else if (!on && agent.traps_armed) {
		agent.traps_armed = 0;
		agent_trap_disarm();
	}
	return 0;
}

__attribute__((constructor)) static void agent_init(void)
{
	if (agent.magic == DWT_MAGIC)
		return;
	agent.abi = DWT_ABI;
	agent.clock = DWT_CLOCK_TSC;
	agent.wait_us = 1000;
	agent.hit = (uint64_t)(uintptr_t)&dwt_hit;
	agent.arm_traps = (uint64_t)(uintptr_t)&dwt_arm_traps;
	int err = setup();
	/* status after everything else, magic last: dwtrace looks for the
	 * magic, then reads status (a failed agent says why, active stays 0). */
	__atomic_store_n(&agent.status, err ? err : 1, __ATOMIC_RELEASE);
	__atomic_store_n(&agent.magic, DWT_MAGIC, __ATOMIC_RELEASE);
}
