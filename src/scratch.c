/* Scratch areas in the target, and system calls made on its behalf. */
#define _GNU_SOURCE
#include "scratch.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/wait.h>
#include <time.h>

#include "arch.h"
#include "emergency.h"
#include "log.h"
#include "xalloc.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* Area layout: magic, at 16 the bytes in use (int3 padding in areas of
 * versions that replaced return addresses and kept their trampoline there),
 * the system call stub at 24 (ARCH_SYSCALL_STUB), then slots. */
static const char area_magic[16] = "dwtrace-scratch";
#define AREA_USED 16  /* uint64_t: bytes of the area in use (the high-water mark) */
#define AREA_STUB 24
#define AREA_FIRST_SLOT 64

/* rel32 reaches ±2 GiB from the end of an instruction; keep a margin. */
#define REACH ((uint64_t)1 << 30)

static int within_reach(uint64_t a, uint64_t b)
{
	uint64_t d = a > b ? a - b : b - a;
	return d + SCRATCH_AREA_SIZE < REACH;
}

int scratch_contains(const struct scratch *s, uint64_t addr)
{
	for (size_t i = 0; i < s->n; i++)
		if (addr >= s->areas[i].addr && addr < s->areas[i].addr + SCRATCH_AREA_SIZE)
			return 1;
	return 0;
}

/* The remote system call under way, for remote_syscall_abandon() (a fatal
 * signal of dwtrace's own in the middle of one).  Static: the restore
 * frame is large. */
static struct {
	volatile pid_t tid;
	struct target *t;
	struct arch_regs saved;
	uint64_t pc;
	uint8_t orig[ARCH_SYSCALL_STUB_LEN];
	bool wrote;
	struct arch_vector_state vec;
	struct arch_restore_frame frame;
} in_flight;

void remote_syscall_abandon(void)
{
	pid_t tid = in_flight.tid;
	int status;

	if (!tid)
		return;
	in_flight.tid = 0;
	/* Stopped at the system call's entry or exit, or soon (a bounded
	 * wait: the call is an mmap or an rt_sigaction).  Left alone, the
	 * stub's rt_sigreturn would restore the thread too; this restores it
	 * without one (which would cancel a nanosleep's restart). */
	for (int i = 0; i < 1000; i++) {
		struct timespec ms = {0, 1000000};
		if (arch_regs_store(tid, &in_flight.saved) == 0)
			break;
		if (waitpid(tid, &status, __WALL | WNOHANG) < 0)
			break;
		nanosleep(&ms, NULL);
	}
	if (in_flight.wrote)
		target_write(in_flight.t, tid, in_flight.pc, in_flight.orig, sizeof(in_flight.orig));
}

/* Whether the signal stop described by si is a fault of the code the
 * thread was running (the kernel's own, si_code > 0), not one sent to it. */
static bool synchronous_fault(const siginfo_t *si)
{
	switch (si->si_signo) {
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
		return si->si_code > 0;
	default:
		return false;
	}
}

/* Classifies the signal stop tid is in (signal sig): -EFAULT for a fault of
 * the code being run, else 0 with the signal appended to sigs. */
static int classify_signal(pid_t tid, int sig, struct remote_signals *sigs)
{
	siginfo_t si;

	if (ptrace(PTRACE_GETSIGINFO, tid, NULL, &si) != 0) {
		memset(&si, 0, sizeof(si));
		si.si_signo = sig;
		si.si_code = SI_TKILL;
	}
	if (synchronous_fault(&si))
		return -EFAULT;
	if (sigs->n < REMOTE_MAX_SIGNALS)
		sigs->info[sigs->n++] = si;
	return 0;
}

/* tid's next stop: 0 and *status, -ETIMEDOUT past deadline (0: none), or
 * -ESRCH. */
static int wait_until(pid_t tid, int *status, uint64_t deadline)
{
	if (!deadline)
		return wait_task(tid, status, __WALL) == tid ? 0 : -ESRCH;
	for (;;) {
		struct timespec pause = {0, 100000};
		pid_t r = waitpid(tid, status, __WALL | WNOHANG);

		if (r == tid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -ESRCH;
		if (now_mono_ns() > deadline)
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
}

int remote_run(pid_t tid, long nr, uint64_t end_pc, uint64_t deadline, uint64_t *arg0, struct remote_signals *sigs,
	       int (*at_entry)(pid_t tid, void *ctx), void *ctx)
{
	bool entered = false;
	int status, rc;

	for (;;) {
		if (ptrace(PTRACE_SYSCALL, tid, NULL, NULL) != 0)
			return -ESRCH;
		rc = wait_until(tid, &status, deadline);
		if (rc == -ETIMEDOUT) {
			/* Stop it where it is; the caller puts everything back. */
			if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) != 0 || wait_task(tid, &status, __WALL) != tid ||
			    !WIFSTOPPED(status))
				return -ESRCH;
			if (status >> 16 == 0 && WSTOPSIG(status) != (SIGTRAP | 0x80))
				classify_signal(tid, WSTOPSIG(status), sigs);
			return -ETIMEDOUT;
		}
		if (rc != 0 || !WIFSTOPPED(status))
			return -ESRCH;
		if (status >> 16 != 0)
			continue; /* an event stop (group stop, clone...): go on */
		if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
			/* Ours: the entry of nr at end_pc, then its exit (an
			 * interrupted system call may report its exit first). */
			struct __ptrace_syscall_info info;
			if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof(info), &info) <= 0)
				continue;
			if (info.op == PTRACE_SYSCALL_INFO_ENTRY && info.entry.nr == (uint64_t)nr &&
			    info.instruction_pointer == end_pc) {
				if (arg0)
					*arg0 = info.entry.args[0];
				entered = true;
				if (at_entry && at_entry(tid, ctx) != 0)
					return -ESRCH;
			} else if (info.op == PTRACE_SYSCALL_INFO_EXIT && entered) {
				return 0;
			}
			continue;
		}
		/* A fault of the code being run ends it: re-running the
		 * faulting instruction only faults again, and the thread
		 * must never get a signal its own code did not cause. */
		if (classify_signal(tid, WSTOPSIG(status), sigs) != 0)
			return -EFAULT;
	}
}

void remote_signals_raise(pid_t pid, pid_t tid, const struct remote_signals *sigs)
{
	for (size_t i = 0; i < sigs->n; i++) {
		siginfo_t si = sigs->info[i];
		if (si.si_code < 0 && si.si_code != SI_TKILL &&
		    syscall(SYS_rt_tgsigqueueinfo, pid, tid, si.si_signo, &si) == 0)
			continue;
		syscall(SYS_tgkill, pid, tid, si.si_signo);
	}
}

int remote_syscall(struct target *t, struct thread *th, uint64_t stub, long *ret, long nr, long a0, long a1, long a2,
		   long a3, long a4, long a5)
{
	static const uint8_t code[ARCH_SYSCALL_STUB_LEN] = ARCH_SYSCALL_STUB;
	long args[6] = {a0, a1, a2, a3, a4, a5};
	struct arch_regs saved, regs;
	struct remote_signals sigs = {.n = 0};
	uint8_t orig[ARCH_SYSCALL_STUB_LEN];
	uint64_t pc = stub ? stub : target_stub_pc(t), blocked = 0;
	bool frame;
	int rc = 0;

	if (in_flight.tid)
		return -EBUSY;
	if (arch_regs_fetch(th->tid, &saved, false) != 0 || arch_vector_state_save(th->tid, &in_flight.vec) != 0 ||
	    ptrace(PTRACE_GETSIGMASK, th->tid, (void *)sizeof(blocked), &blocked) != 0)
		return -ESRCH;
	if (!pc)
		return -EFAULT;
	if (!stub && target_read(t, th->tid, pc, orig, sizeof(orig)) != (ssize_t)sizeof(orig))
		return -EFAULT;
	in_flight.t = t;
	in_flight.saved = saved;
	arch_regs_restart_syscall(&in_flight.saved);
	/* Self-completing: the stub ends in an rt_sigreturn from this frame,
	 * so that a thread dwtrace dies in (even of SIGKILL) goes on exactly
	 * where it was.  Not on a goroutine stack, where the frame's 4 KiB
	 * below the stack pointer may be another goroutine's memory: there
	 * the old window stays (see LIMITATIONS). */
	frame = !t->goroutine_stacks;
	if (frame && (arch_restore_frame_build(&in_flight.frame, &in_flight.saved, blocked, &in_flight.vec, 0,
					       REMOTE_ARGS_BELOW_SP) != 0 ||
		      target_write(t, th->tid, in_flight.frame.addr, in_flight.frame.buf, in_flight.frame.len) != 0))
		return -EFAULT;
	if (!stub && target_write(t, th->tid, pc, code, sizeof(code)) != 0)
		return -EFAULT;
	in_flight.pc = pc;
	memcpy(in_flight.orig, orig, sizeof(orig));
	in_flight.wrote = !stub;
	in_flight.tid = th->tid;
	regs = saved;
	arch_regs_set_syscall(&regs, pc, nr, args);
	if (frame)
		arch_regs_set_sp(&regs, in_flight.frame.addr + 8);
	if (arch_regs_store(th->tid, &regs) != 0) {
		rc = -ESRCH;
		goto out;
	}
	emergency_test_kill("syscall");
	/* Run to the system call's exit stop (PTRACE_SYSCALL, stops marked
	 * SIGTRAP|0x80): no trap instruction runs, so no forced SIGTRAP resets
	 * a handler or mask of the program's (kernel/signal.c,
	 * force_sig_info_to_task).  The stub's rt_sigreturn is for a dwtrace
	 * that died: alive, it puts the registers back itself, because
	 * rt_sigreturn also cancels the restart of an interrupted nanosleep
	 * (restart_block, arch/x86/kernel/signal.c). */
	rc = remote_run(th->tid, nr, pc + ARCH_SYSCALL_LEN, 0, NULL, &sigs, NULL, NULL);
	if (rc)
		goto out;
	if (arch_regs_fetch(th->tid, &regs, false) != 0) {
		rc = -ESRCH;
		goto out;
	}
	*ret = arch_regs_syscall_result(&regs);
	if (frame && emergency_test_sigreturn()) {
		char diff[160];

		rc = remote_run(th->tid, ARCH_SIGRETURN_NR, pc + ARCH_SYSCALL_STUB_LEN, 0, NULL, &sigs, NULL, NULL);
		if (rc)
			goto out;
		if (arch_regs_check_resumed(th->tid, &in_flight.saved, &in_flight.vec, diff, sizeof(diff)) != 0)
			log_error("test: after the rt_sigreturn of a remote system call, %s differ from the saved ones",
				  diff);
		else
			log_debug("ptrace", "test: the rt_sigreturn of a remote system call restored the thread");
	}
	/* Back from a system call stop, not a signal stop: the kernel will not
	 * restart a system call the thread was interrupted in, so do what it
	 * would have done on the way out of the interrupt -- unless a signal
	 * is raised again below: then the kernel does it, by the handler's
	 * SA_RESTART. */
	if (!sigs.n)
		arch_regs_restart_syscall(&saved);
	if (arch_regs_store(th->tid, &saved) != 0)
		rc = -ESRCH;
out:
	/* Registers first: until they are back the thread may need the stub
	 * (dwtrace killed here). */
	if (rc)
		arch_regs_store(th->tid, &saved);
	in_flight.tid = 0;
	if (!stub)
		target_write(t, th->tid, pc, orig, sizeof(orig));
	if (rc != -ESRCH)
		remote_signals_raise(th->tgid ? th->tgid : t->pid, th->tid, &sigs);
	return rc;
}

struct mapping {
	uint64_t start, end;
	bool anon_rx;
};

/* The target's mappings, sorted as /proc lists them. */
static struct mapping *read_maps(pid_t pid, size_t *n)
{
	char path[64], line[512];
	FILE *f;
	struct mapping *maps = NULL;
	size_t cap = 0;

	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e, off, inode;
		char perms[8];
		int consumed = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %llu%n", &s, &e, perms, &off, &inode, &consumed) < 5)
			continue;
		xgrow(&maps, &cap, *n + 1, sizeof(*maps));
		maps[*n].start = s;
		maps[*n].end = e;
		maps[*n].anon_rx = inode == 0 && !strcmp(perms, "r-xp") && e - s == SCRATCH_AREA_SIZE &&
				   !strchr(line + consumed, '[');
		(*n)++;
	}
	fclose(f);
	return maps;
}

static void add_area(struct scratch *s, uint64_t addr, size_t used)
{
	xgrow(&s->areas, &s->cap, s->n + 1, sizeof(*s->areas));
	s->areas[s->n].addr = addr;
	s->areas[s->n].used = used;
	s->n++;
	if (!s->syscall_stub)
		s->syscall_stub = addr + AREA_STUB;
}

/* An area an earlier dwtrace left within reach of addr, or 0. */
static uint64_t reusable_area(struct scratch *s, struct target *t, const struct mapping *maps, size_t n,
			      uint64_t addr)
{
	for (size_t i = 0; i < n; i++) {
		char magic[sizeof(area_magic)];
		if (!maps[i].anon_rx || !within_reach(maps[i].start, addr) || scratch_contains(s, maps[i].start))
			continue;
		if (target_read(t, t->pid, maps[i].start, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
		    !memcmp(magic, area_magic, sizeof(magic)))
			return maps[i].start;
	}
	return 0;
}

/* A free, page-aligned range for a new area within reach of addr, or 0. */
static uint64_t free_range_near(const struct mapping *maps, size_t n, uint64_t addr)
{
	uint64_t best = 0, best_dist = UINT64_MAX;
	const uint64_t low = 0x10000, high = 0x7ffffffff000ULL;

	for (size_t i = 0; i <= n; i++) {
		uint64_t gap_start = i ? maps[i - 1].end : low;
		uint64_t gap_end = i < n ? maps[i].start : high;
		uint64_t cand, dist;

		if (gap_start < low)
			gap_start = low;
		if (gap_end <= gap_start || gap_end - gap_start < SCRATCH_AREA_SIZE + 2 * 4096)
			continue;
		/* Leave a guard page on each side; stay as close to addr as the gap allows. */
		if (addr < gap_start)
			cand = gap_start + 4096;
		else if (addr > gap_end)
			cand = gap_end - 4096 - SCRATCH_AREA_SIZE;
		else
			cand = (addr & ~(uint64_t)4095) + 4096 <= gap_end - 4096 - SCRATCH_AREA_SIZE
				       ? (addr & ~(uint64_t)4095) + 4096
				       : gap_end - 4096 - SCRATCH_AREA_SIZE;
		dist = cand > addr ? cand - addr : addr - cand;
		if (within_reach(cand, addr) && dist < best_dist) {
			best = cand;
			best_dist = dist;
		}
	}
	return best;
}

/* How much of a reused area earlier attaches filled (AREA_USED): their
 * stubs are never overwritten, since a thread may still return into one
 * (from the agent's hit, or a signal frame).  Areas of versions that did
 * not keep it have int3 bytes there: then from the first slot on. */
static size_t reused_high_water(struct target *t, uint64_t addr)
{
	uint64_t used = 0;

	if (target_read(t, t->pid, addr + AREA_USED, &used, sizeof(used)) != (ssize_t)sizeof(used) ||
	    used < AREA_FIRST_SLOT || used > SCRATCH_AREA_SIZE || used % 16)
		return AREA_FIRST_SLOT;
	return (size_t)used;
}

static int new_area(struct scratch *s, struct target *t, struct thread *th, uint64_t near)
{
	size_t n;
	struct mapping *maps = read_maps(t->pid, &n);
	uint64_t addr;
	long ret;
	int rc;
	uint8_t header[AREA_FIRST_SLOT];
	static const uint8_t stub[ARCH_SYSCALL_STUB_LEN] = ARCH_SYSCALL_STUB;

	if (!maps)
		return -ESRCH;
	addr = reusable_area(s, t, maps, n, near);
	if (addr) {
		free(maps);
		log_debug("scratch", "reusing area at 0x%" PRIx64, addr);
		/* Areas of earlier versions end their stub with a trap. */
		if (target_write(t, th->tid, addr + AREA_STUB, stub, sizeof(stub)) != 0)
			return -EFAULT;
		add_area(s, addr, reused_high_water(t, addr));
		return 0;
	}
	addr = free_range_near(maps, n, near);
	free(maps);
	if (!addr)
		return -ENOMEM;
	rc = remote_syscall(t, th, s->syscall_stub, &ret, SYS_mmap, (long)addr, SCRATCH_AREA_SIZE,
			    PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (rc)
		return rc;
	if (ret < 0 && ret > -4096)
		return (int)ret;
	if ((uint64_t)ret != addr)
		return -EEXIST;
	memset(header, 0xcc, sizeof(header));
	memcpy(header, area_magic, sizeof(area_magic));
	memcpy(header + AREA_STUB, stub, sizeof(stub));
	if (target_write(t, th->tid, addr, header, sizeof(header)) != 0)
		return -EFAULT;
	log_debug("scratch", "new area at 0x%" PRIx64 " for 0x%" PRIx64, addr, near);
	add_area(s, addr, AREA_FIRST_SLOT);
	return 0;
}

int scratch_slot(struct scratch *s, struct target *t, struct thread *th, uint64_t addr, uint64_t *slot)
{
	return scratch_alloc(s, t, th, addr, SCRATCH_SLOT_SIZE, slot);
}

int scratch_alloc(struct scratch *s, struct target *t, struct thread *th, uint64_t addr, size_t size, uint64_t *at)
{
	size = (size + 15) & ~(size_t)15;
	if (!size || size > SCRATCH_AREA_SIZE - AREA_FIRST_SLOT)
		return -EINVAL;
	for (int attempt = 0; attempt < 2; attempt++) {
		for (size_t i = 0; i < s->n; i++) {
			struct scratch_area *a = &s->areas[i];
			if (a->used + size <= SCRATCH_AREA_SIZE && within_reach(a->addr, addr)) {
				uint64_t used = a->used + size;
				if (target_write(t, th->tid, a->addr + AREA_USED, &used, sizeof(used)) != 0)
					return -EFAULT;
				*at = a->addr + a->used;
				a->used = used;
				return 0;
			}
		}
		if (attempt == 0) {
			int rc = new_area(s, t, th, addr);
			if (rc)
				return rc;
		}
	}
	return -ENOMEM;
}

void scratch_copy(struct scratch *to, const struct scratch *from)
{
	*to = *from;
	to->areas = xcalloc(from->cap ? from->cap : 1, sizeof(*to->areas));
	memcpy(to->areas, from->areas, from->n * sizeof(*to->areas));
}

void scratch_free(struct scratch *s)
{
	free(s->areas);
	memset(s, 0, sizeof(*s));
}
