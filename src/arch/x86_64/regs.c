/* x86-64 register capture through ptrace, and access by DWARF number. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>

#include "agent_regs.h"
#include "arch.h"

int arch_regs_fetch(pid_t tid, struct arch_regs *r, bool want_vregs)
{
	if (ptrace(PTRACE_GETREGS, tid, NULL, &r->gp) != 0)
		return -errno;
	r->have_fp = false;
	if (want_vregs) {
		if (ptrace(PTRACE_GETFPREGS, tid, NULL, &r->fp) != 0)
			return -errno;
		r->have_fp = true;
	}
	return 0;
}

int arch_regs_store(pid_t tid, const struct arch_regs *r)
{
	if (ptrace(PTRACE_SETREGS, tid, NULL, &r->gp) != 0)
		return -errno;
	return 0;
}

static const size_t gp_offsets[17] = {
	offsetof(struct user_regs_struct, rax), offsetof(struct user_regs_struct, rdx),
	offsetof(struct user_regs_struct, rcx), offsetof(struct user_regs_struct, rbx),
	offsetof(struct user_regs_struct, rsi), offsetof(struct user_regs_struct, rdi),
	offsetof(struct user_regs_struct, rbp), offsetof(struct user_regs_struct, rsp),
	offsetof(struct user_regs_struct, r8),  offsetof(struct user_regs_struct, r9),
	offsetof(struct user_regs_struct, r10), offsetof(struct user_regs_struct, r11),
	offsetof(struct user_regs_struct, r12), offsetof(struct user_regs_struct, r13),
	offsetof(struct user_regs_struct, r14), offsetof(struct user_regs_struct, r15),
	offsetof(struct user_regs_struct, rip),
};

int arch_reg_read(const struct arch_regs *r, unsigned regno, void *buf, size_t size)
{
	const unsigned char *src;
	size_t avail;

	if (regno <= X86_DW_RIP) {
		src = (const unsigned char *)&r->gp + gp_offsets[regno];
		avail = 8;
	} else if (regno >= X86_DW_XMM0 && regno < X86_DW_XMM0 + 16) {
		if (!r->have_fp)
			return -1;
		src = (const unsigned char *)r->fp.xmm_space + 16 * (regno - X86_DW_XMM0);
		avail = 16;
	} else if (regno >= X86_DW_ST0 && regno < X86_DW_ST0 + 8) {
		if (!r->have_fp)
			return -1;
		src = (const unsigned char *)r->fp.st_space + 16 * (regno - X86_DW_ST0);
		avail = 10;
	} else {
		return -1;
	}
	if (size > avail)
		return -1;
	memcpy(buf, src, size);
	return 0;
}

uint64_t arch_regs_pc(const struct arch_regs *r)
{
	return r->gp.rip;
}

void arch_regs_set_pc(struct arch_regs *r, uint64_t pc)
{
	r->gp.rip = pc;
}

uint64_t arch_regs_sp(const struct arch_regs *r)
{
	return r->gp.rsp;
}

bool arch_regs_to_record(const struct arch_regs *r, struct dwt_regs *out, struct dwt_vregs *vout)
{
	for (unsigned i = 0; i < DWT_NGPR; i++)
		memcpy(&out->gpr[i], (const unsigned char *)&r->gp + gp_offsets[i], 8);
	out->rflags = r->gp.eflags;
	if (!vout || !r->have_fp)
		return false;
	memcpy(vout->xmm, r->fp.xmm_space, sizeof(vout->xmm));
	memset(vout->st0, 0, sizeof(vout->st0));
	memcpy(vout->st0, r->fp.st_space, 10);
	memset(vout->st1, 0, sizeof(vout->st1));
	memcpy(vout->st1, (const unsigned char *)r->fp.st_space + 16, 10);
	return true;
}

uint64_t arch_regs_go_g(const struct arch_regs *r)
{
	return r->gp.r14;
}

void arch_regs_set_syscall(struct arch_regs *r, uint64_t pc, long nr, const long args[6])
{
	r->gp.rip = pc;
	r->gp.rax = (uint64_t)nr;
	r->gp.orig_rax = (uint64_t)-1;
	r->gp.rdi = (uint64_t)args[0];
	r->gp.rsi = (uint64_t)args[1];
	r->gp.rdx = (uint64_t)args[2];
	r->gp.r10 = (uint64_t)args[3];
	r->gp.r8 = (uint64_t)args[4];
	r->gp.r9 = (uint64_t)args[5];
}

void arch_regs_restart_syscall(struct arch_regs *r)
{
	/* include/linux/errno.h: ERESTARTSYS 512, ERESTARTNOINTR 513,
	 * ERESTARTNOHAND 514, ERESTART_RESTARTBLOCK 516. */
	long rax = (long)r->gp.rax;

	if ((long)r->gp.orig_rax < 0)
		return;
	if (rax == -512 || rax == -513 || rax == -514) {
		r->gp.rax = r->gp.orig_rax;
		r->gp.rip -= 2;
	} else if (rax == -516) {
		r->gp.rax = 219; /* __NR_restart_syscall */
		r->gp.rip -= 2;
	} else {
		return;
	}
	r->gp.orig_rax = (uint64_t)-1;
}

long arch_regs_syscall_result(const struct arch_regs *r)
{
	return (long)r->gp.rax;
}

void arch_regs_skip_syscall(struct arch_regs *r)
{
	/* At a system call entry stop the kernel runs the call orig_rax
	 * names, none for -1, leaving rax as it is (arch/x86/entry,
	 * do_syscall_64). */
	r->gp.orig_rax = (uint64_t)-1;
}

void arch_regs_set_sp(struct arch_regs *r, uint64_t sp)
{
	r->gp.rsp = sp;
}

uint64_t arch_cycle_counter(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

const char *arch_reg_name(unsigned regno)
{
	static const char *const gp[] = {"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8",
					 "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rip"};
	static const char *const xmm[] = {"xmm0", "xmm1", "xmm2",  "xmm3",  "xmm4",  "xmm5",  "xmm6",  "xmm7",
					  "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"};
	static const char *const st[] = {"st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7"};

	if (regno <= X86_DW_RIP)
		return gp[regno];
	if (regno >= X86_DW_XMM0 && regno < X86_DW_XMM0 + 16)
		return xmm[regno - X86_DW_XMM0];
	if (regno >= X86_DW_ST0 && regno < X86_DW_ST0 + 8)
		return st[regno - X86_DW_ST0];
	return NULL;
}
