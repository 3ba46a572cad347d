/* test_agent's signals half: the watchdog and dwtrace's exit, fork, trap
 * sites (int3 served by the agent's SIGTRAP handler), SIGTRAPs that are the
 * program's own (test_agent.h). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_agent.h"
#include "trap_table.h"

/* ---- the watchdog, fork ---------------------------------------------------- */

void test_reader_exit(void)
{
	int go[2];
	char c;

	REQUIRE(pipe(go) == 0);
	pid_t reader = fork();
	REQUIRE(reader >= 0);
	if (reader == 0) {
		close(go[1]);
		_exit(read(go[0], &c, 1) == 0 ? 0 : 1); /* exits when told */
	}
	close(go[0]);
	become_reader(reader);
	CHECK(A->active == 1);
	close(go[1]);
	REQUIRE(waitpid(reader, NULL, 0) == reader);
	uint64_t t0 = now_us();
	while (A->active && now_us() - t0 < 1500000)
		usleep(1000);
	CHECK(A->active == 0);
	CHECK(now_us() - t0 < 1000000);

	/* A reader that dies while active is being set (here: the test sets
	 * it after its "reader" is gone): cleared again within a period. */
	A->active = 1;
	t0 = now_us();
	while (A->active && now_us() - t0 < 1500000)
		usleep(1000);
	CHECK(A->active == 0);
	become_reader(getpid());
}

/* The fd numbers of this process's pidfds, as the watchdog holds one. */
static int pidfds(int *fds, int max)
{
	char path[64], target[64];
	int n = 0;

	for (int fd = 0; fd < 1024 && n < max; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ssize_t len = readlink(path, target, sizeof(target) - 1);
		if (len > 0 && (target[len] = 0, strstr(target, "pidfd")))
			fds[n++] = fd;
	}
	return n;
}

/* A program that closes every fd it did not open (closefrom) and reuses
 * the numbers: the watchdog neither takes that for dwtrace's exit nor
 * closes the program's new file, and watches through a new pidfd. */
void test_pidfd_closed(void)
{
	int fds[4], again[4];

	REQUIRE(pidfds(fds, 4) == 1);
	close(fds[0]);
	int file = open("/dev/null", O_RDONLY);
	CHECK(file == fds[0]);
	usleep(600000);
	CHECK(A->active == 1);
	CHECK(fcntl(file, F_GETFD) != -1);
	CHECK(pidfds(again, 4) == 1);
	close(file);
}

void test_fork(void)
{
	pid_t child = fork();
	int status;

	REQUIRE(child >= 0);
	if (child == 0) {
		struct dwt_frame f;
		int free_rings = 1;

		frame_init(&f, 7);
		hit(4, &f); /* pass-through in the child */
		for (uint32_t i = 0; i < A->nrings; i++)
			free_rings &= ((struct dwt_ring *)(uintptr_t)(A->rings + i * A->ring_stride))->owner == 0;
		_exit(A->active == 0 && A->watchdog_tid == 0 && A->watch_generation == 0 && free_rings ? 0 : 1);
	}
	REQUIRE(waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	usleep(300000); /* the parent's watchdog is still there and content */
	CHECK(A->active == 1 && A->watchdog_tid > 0);
}

/* ---- trap sites ------------------------------------------------------------ */

/* fn(x, s) = x + 1 with an int3 over its first instruction, served by
 * site (whose capture program is op), as the patcher would leave it. */
static int (*make_trap_fn(uint32_t site, const struct dwt_cap_op *op))(int, const char *)
{
	uint8_t *code = mmap(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(code != MAP_FAILED);
	/* fn: lea eax, [rdi+1]; ret.  Out of line at +64: lea eax, [rdi+1];
	 * jmp fn+3.  Then the int3 over the lea, as the patcher writes it. */
	static const uint8_t fn[] = { 0x8d, 0x47, 0x01, 0xc3 };
	for (long i = 0; i < PAGE; i += 2)
		memcpy(code + i, "\x0f\x0b", 2); /* ud2: a wrong jump dies of SIGILL */
	memcpy(code, fn, sizeof(fn));
	memcpy(code + 64, fn, 3);
	int32_t rel = (int32_t)((code + 3) - (code + 64 + 3 + 5));
	code[67] = 0xe9;
	memcpy(code + 68, &rel, 4);

	set_site(site, DWT_REC_ENTRY, DWT_SITE_LIVE | DWT_SITE_TRAP | DWT_SITE_VREGS, op, 1);
	struct dwt_site *s = site_at(site);
	s->addr = (uint64_t)(uintptr_t)code;
	s->resume = (uint64_t)(uintptr_t)(code + 64);
	struct dwt_trap *traps = (struct dwt_trap *)(uintptr_t)A->traps;
	int64_t slot = dwt_trap_slot(traps, A->ntraps_max, s->addr);
	REQUIRE(slot >= 0);
	traps[slot].site = site + 1;
	traps[slot].addr = s->addr;
	code[0] = 0xcc;
	__builtin___clear_cache((char *)code, (char *)code + 128);
	return (int (*)(int, const char *))(uintptr_t)code;
}

void test_trap_site(void)
{
	struct dwt_cap_op op = { .kind = DWT_CAP_STRING, .base = DWT_BASE_REG, .regno = 4, .size = 32 };
	int (*call)(int, const char *) = make_trap_fn(9, &op);
	uint8_t *code = (uint8_t *)(uintptr_t)call;
	struct dwt_site *s = site_at(9);
	uint64_t foreign = A->traps_foreign;
	CHECK(call(41, "through the trap") == 42);
	struct dwt_ring *r = ring_of(gettid());
	REQUIRE(r);
	uint64_t tail = r->tail;
	const struct dwt_rec_hdr *h = next_record(r, &tail);
	REQUIRE(h);
	CHECK(h->site == 9 && h->kind == DWT_REC_ENTRY && h->flags == DWT_REC_VREGS);
	CHECK(h->regs.gpr[DWT_DW_PC] == (uint64_t)(uintptr_t)code);
	CHECK((uint32_t)h->regs.gpr[5] == 41);
	/* rsp at the probed instruction: the return address is on top. */
	uint64_t sp = h->regs.gpr[DWT_DW_SP];
	CHECK(sp % 16 == 8 && sp < (uint64_t)(uintptr_t)&tail + 4096 && sp > (uint64_t)(uintptr_t)&tail - 65536);
	CHECK(strcmp(blob_data(blob(h, 0)), "through the trap") == 0);
	CHECK(next_record(r, &tail) == NULL);
	r->tail = tail;

	/* Not LIVE, then not active: no record, but the displaced
	 * instruction still runs out of line. */
	s->flags &= (uint16_t)~DWT_SITE_LIVE;
	CHECK(call(1, "x") == 2);
	s->flags |= DWT_SITE_LIVE;
	A->active = 0;
	CHECK(call(5, "x") == 6);
	A->active = 1;
	CHECK(next_record(r, &tail) == NULL);
	CHECK(A->traps_foreign == foreign);
	munmap(code, PAGE);
}

static volatile int own_traps;
static volatile int own_code;

static void own_trap_handler(int sig, siginfo_t *si, void *uc)
{
	own_traps++;
	own_code = si->si_code;
}

/* The program's own SIGTRAP handler, there before the agent. */
void install_program_trap_handler(void)
{
	struct sigaction act = { 0 };

	act.sa_sigaction = own_trap_handler;
	act.sa_flags = SA_SIGINFO;
	sigaction(SIGTRAP, &act, NULL);
}

void test_foreign_raise(void)
{
	uint64_t foreign = A->traps_foreign;

	raise(SIGTRAP);
	CHECK(own_traps == 1 && own_code == SI_TKILL);
	CHECK(A->traps_foreign == foreign + 1);
}

/* The program replaces the agent's SIGTRAP handler after the agent is
 * loaded (a crash reporter, a runtime): the watchdog puts it back within
 * a period, chaining to the new one. */
static volatile int later_traps;

static void later_trap_handler(int sig)
{
	later_traps++;
}

void test_rearm(void)
{
	struct dwt_cap_op op = { .kind = DWT_CAP_MEM, .base = DWT_BASE_REG, .regno = 5, .size = 8 };
	int (*call)(int, const char *) = make_trap_fn(10, &op);
	uint64_t rearmed = A->traps_rearmed;
	struct sigaction cur;
	int before = own_traps;

	signal(SIGTRAP, later_trap_handler);
	uint64_t t0 = now_us();
	while (A->traps_rearmed == rearmed && now_us() - t0 < 1500000)
		usleep(1000);
	CHECK(A->traps_rearmed == rearmed + 1);
	sigaction(SIGTRAP, NULL, &cur);
	CHECK(cur.sa_handler != later_trap_handler && (cur.sa_flags & SA_SIGINFO));
	CHECK(call(99, "") == 100);
	struct dwt_ring *r = ring_of(gettid());
	uint64_t tail = r->tail;
	const struct dwt_rec_hdr *h = next_record(r, &tail);
	CHECK(h && h->site == 10 && (uint32_t)h->regs.gpr[5] == 99);
	r->tail = tail;
	raise(SIGTRAP);
	CHECK(later_traps == 1 && own_traps == before);
	munmap((void *)(uintptr_t)call, PAGE);
}

/* ---- a SIGTRAP not ours, in a child: as without the agent ------------------ */

int scenario(const char *so, const char *mode, int with_agent)
{
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core);
	if (!strncmp(mode, "ign", 3))
		signal(SIGTRAP, SIG_IGN);
	if (with_agent && !dlopen(so, RTLD_NOW)) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 2;
	}
	if (strstr(mode, "raise"))
		raise(SIGTRAP);
	else
		__asm__ volatile("int3");
	return 3;
}

static int run_scenario(const char *self, const char *so, const char *mode, int with_agent)
{
	pid_t pid = fork();
	int status;

	REQUIRE(pid >= 0);
	if (pid == 0) {
		execl(self, self, so, mode, with_agent ? NULL : "noagent", (char *)NULL);
		_exit(127);
	}
	REQUIRE(waitpid(pid, &status, 0) == pid);
	return WIFSIGNALED(status) ? 1000 + WTERMSIG(status) : WEXITSTATUS(status);
}

void test_foreign_dispositions(const char *self, const char *so)
{
	static const char *const modes[] = { "dfl-raise", "dfl-int3", "ign-raise", "ign-int3" };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		int without = run_scenario(self, so, modes[i], 0);
		int with = run_scenario(self, so, modes[i], 1);
		if (with != without)
			fprintf(stderr, "%s: status %d with the agent, %d without\n", modes[i], with, without);
		CHECK(with == without);
	}
	/* The oracle is the kernel: these die of SIGTRAP, ign-raise does not. */
	CHECK(run_scenario(self, so, "dfl-raise", 0) == 1000 + SIGTRAP);
	CHECK(run_scenario(self, so, "ign-raise", 0) == 3);
}

