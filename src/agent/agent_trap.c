/* Trap sites: an int3 over a probed instruction that could not take a
 * jump.  The agent's SIGTRAP handler records the hit from the signal's
 * ucontext and sends the thread to the out-of-line copy of the displaced
 * instruction (struct dwt_site.resume); a SIGTRAP that is not at a trap
 * site goes to the program's own action, as the kernel would have
 * delivered it.
 *
 * Compiled like agent_hit.c (no libc, no vector registers): a signal
 * handler may interrupt anything. */
#define _GNU_SOURCE /* REG_* */
#include <signal.h>
#include <stdint.h>
#include <ucontext.h>

#include "agent_internal.h"
#include "agent_syscall.h"
#include "trap_table.h"

/* The site index for a trap at pc, or -1. */
static int64_t trap_site(uint64_t pc)
{
	const struct dwt_trap *t = (const struct dwt_trap *)(uintptr_t)agent.traps;
	int64_t slot;
	uint64_t site;

	if (!t || !agent.ntraps_max)
		return -1;
	slot = dwt_trap_slot(t, agent.ntraps_max, pc);
	if (slot < 0 || ((const volatile struct dwt_trap *)&t[slot])->addr != pc)
		return -1;
	site = ((const volatile struct dwt_trap *)&t[slot])->site;
	if (site == 0 || site > agent.nsites_max)
		return -1;
	return (int64_t)(site - 1);
}

static void copy_bytes(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	while (n--)
		*dst++ = *src++;
}

/* The registers at the probed instruction, from the signal's context. */
static void frame_from_ucontext(struct dwt_frame *f, const ucontext_t *uc, uint64_t pc, int vregs)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	uint64_t *r = f->regs.gpr;

	r[0] = (uint64_t)g[REG_RAX];
	r[1] = (uint64_t)g[REG_RDX];
	r[2] = (uint64_t)g[REG_RCX];
	r[3] = (uint64_t)g[REG_RBX];
	r[4] = (uint64_t)g[REG_RSI];
	r[5] = (uint64_t)g[REG_RDI];
	r[6] = (uint64_t)g[REG_RBP];
	r[7] = (uint64_t)g[REG_RSP];
	r[8] = (uint64_t)g[REG_R8];
	r[9] = (uint64_t)g[REG_R9];
	r[10] = (uint64_t)g[REG_R10];
	r[11] = (uint64_t)g[REG_R11];
	r[12] = (uint64_t)g[REG_R12];
	r[13] = (uint64_t)g[REG_R13];
	r[14] = (uint64_t)g[REG_R14];
	r[15] = (uint64_t)g[REG_R15];
	r[16] = pc;
	f->regs.rflags = (uint64_t)g[REG_EFL];
	if (!vregs)
		return;
	if (!uc->uc_mcontext.fpregs) {
		for (uint32_t i = 0; i < sizeof(f->vregs); i++)
			((volatile uint8_t *)&f->vregs)[i] = 0;
		return;
	}
	/* The fxsave image: _st[0] is st(0) (stack order), 16 bytes. */
	const struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
	for (int i = 0; i < 8; i++)
		copy_bytes(f->vregs.xmm[i], (const uint8_t *)&fp->_xmm[i], 16);
	copy_bytes(f->vregs.st0, (const uint8_t *)&fp->_st[0], 16);
	copy_bytes(f->vregs.st1, (const uint8_t *)&fp->_st[1], 16);
}

/* The agent's action as the kernel holds it (glibc's restorer included),
 * to put back with a raw system call. */
static struct kernel_sigaction ours;

/* The program's action to chain to, in two slots: the watchdog writes the
 * one not in use, then publishes its index, while handlers on other
 * threads may be reading the other. */
static struct kernel_sigaction prev[2];
static volatile uint32_t prev_idx;

static void set_prev(const struct kernel_sigaction *k)
{
	uint32_t next = prev_idx ^ 1u;

	prev[next] = *k;
	__atomic_store_n(&prev_idx, next, __ATOMIC_RELEASE);
}

/* What the kernel would have done with this SIGTRAP had the agent not been
 * there: run the program's handler, ignore it, or die of it. */
static void chain(int sig, siginfo_t *si, void *uc)
{
	const struct kernel_sigaction *p = &prev[__atomic_load_n(&prev_idx, __ATOMIC_ACQUIRE)];
	void *h = p->handler;

	if (h != (void *)SIG_DFL && h != (void *)SIG_IGN) {
		if (p->flags & SA_SIGINFO)
			((void (*)(int, siginfo_t *, void *))h)(sig, si, uc);
		else
			((void (*)(int))h)(sig);
		return;
	}
	/* SIG_IGN ignores a sent SIGTRAP, but a trap from an instruction
	 * (si_code > 0) is forced: the kernel resets it to SIG_DFL. */
	if (h == (void *)SIG_IGN && si->si_code <= 0)
		return;
	/* Default action: die of SIGTRAP (core), as before.  SIGTRAP is not
	 * blocked here (SA_NODEFER), so it is delivered as the tgkill returns. */
	struct kernel_sigaction dfl = { 0, 0, 0, 0 };
	agent_syscall4(AGENT_NR_RT_SIGACTION, SIGTRAP, &dfl, 0, 8);
	agent_syscall3(AGENT_NR_TGKILL, agent_syscall0(AGENT_NR_GETPID),
		       agent_syscall0(AGENT_NR_GETTID), SIGTRAP);
}

void agent_trap_handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	greg_t *g = uc->uc_mcontext.gregs;

	/* int3 on x86-64: si_code SI_KERNEL, rip just after the 0xcc. */
	if (si->si_code == SI_KERNEL) {
		uint64_t pc = (uint64_t)g[REG_RIP] - 1;
		int64_t idx = trap_site(pc);
		if (idx >= 0) {
			const struct dwt_site *s = (const struct dwt_site *)(uintptr_t)agent.sites + idx;
			uint64_t resume = s->resume;
			if (resume) {
				uint16_t flags = s->flags;
				if (agent.active && (flags & DWT_SITE_LIVE)) {
					struct dwt_frame f;
					frame_from_ucontext(&f, uc, pc, (flags & DWT_SITE_VREGS) != 0);
					agent_record((uint32_t)idx, &f);
				}
				/* Even pass-through: the int3 stays (until the
				 * watchdog takes it out after the reader died;
				 * a thread that trapped just before still comes
				 * here), so the displaced instruction must run
				 * out of line. */
				g[REG_RIP] = (greg_t)resume;
				return;
			}
		}
	}
	__atomic_fetch_add(&agent.traps_foreign, 1, __ATOMIC_RELAXED);
	chain(sig, si, uc);
}

void agent_trap_adopt(const struct kernel_sigaction *program, const struct kernel_sigaction *agent_act)
{
	prev[0] = *program;
	if (agent_act)
		ours = *agent_act;
}

void agent_trap_disarm(void)
{
	const struct kernel_sigaction *p = &prev[__atomic_load_n(&prev_idx, __ATOMIC_ACQUIRE)];
	struct kernel_sigaction cur;

	/* Only when ours is still in: a program that replaced it keeps its own. */
	if (agent_syscall4(AGENT_NR_RT_SIGACTION, SIGTRAP, 0, &cur, 8) == 0 && cur.handler == ours.handler)
		agent_syscall4(AGENT_NR_RT_SIGACTION, SIGTRAP, p, 0, 8);
}

void agent_trap_rearm(void)
{
	struct kernel_sigaction cur, old;

	/* Only while dwtrace has int3 patches in the code (dwt_arm_traps):
	 * otherwise the program's own choice of handler stands untouched. */
	if (!agent.traps_armed)
		return;
	if (!ours.handler || agent_syscall4(AGENT_NR_RT_SIGACTION, SIGTRAP, 0, &cur, 8) < 0 ||
	    cur.handler == ours.handler)
		return;
	set_prev(&cur);
	/* Swap in ours; the action it replaced is the one to chain to, in
	 * case the program changed it again in between. */
	if (agent_syscall4(AGENT_NR_RT_SIGACTION, SIGTRAP, &ours, &old, 8) < 0)
		return;
	if (old.handler != cur.handler && old.handler != ours.handler)
		set_prev(&old);
	__atomic_fetch_add(&agent.traps_rearmed, 1, __ATOMIC_RELAXED);
}

/* /proc/self/mem: the kernel writes through it as ptrace's POKETEXT does
 * (FOLL_FORCE, fs/proc/base.c mem_rw), past the page's protection, which
 * is never changed: no window where the program's code is writable, no
 * race with the program's own mprotect, no need to read /proc/self/maps. */
static const char self_mem[] = "/proc/self/mem";

uint32_t agent_untrap(uint32_t gen)
{
	const struct dwt_site *sites = (const struct dwt_site *)(uintptr_t)agent.sites;
	uint32_t n = agent.nsites, done = 0;
	long fd;

	if (!sites || n > agent.nsites_max)
		return 0;
	fd = agent_syscall4(AGENT_NR_OPENAT, -100 /* AT_FDCWD */, self_mem, 02 | 02000000 /* O_RDWR | O_CLOEXEC */,
			    0);
	if (fd < 0)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		const volatile struct dwt_site *s = &sites[i];
		uint64_t at = s->patch_addr;
		uint8_t orig = s->orig[0], now = 0;

		if (!(s->flags & DWT_SITE_TRAP) || s->patch_len != 1 || orig == DWT_TRAP_BYTE || !at ||
		    at >= (UINT64_C(1) << 63))
			continue;
		/* A newer dwtrace owns the code from here on. */
		if (__atomic_load_n(&agent.generation, __ATOMIC_ACQUIRE) != gen)
			break;
		/* Only over an int3 that is there now.  The program may have
		 * closed our descriptor and opened a file under its number
		 * meanwhile: at an offset like a code address, a file reads
		 * nothing (EOF) and a pipe or socket fails (ESPIPE), so no
		 * byte of the program's files is ever written. */
		if (agent_syscall4(AGENT_NR_PREAD64, fd, &now, 1, at) != 1 || now != DWT_TRAP_BYTE)
			continue;
		if (agent_syscall4(AGENT_NR_PWRITE64, fd, &orig, 1, at) == 1)
			done++;
	}
	agent_syscall1(AGENT_NR_CLOSE, fd);
	return done;
}
