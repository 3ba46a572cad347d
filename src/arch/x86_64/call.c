/* x86-64: calling a function in a stopped thread (System V ABI). */
#include <errno.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "arch.h"

uint64_t arch_regs_set_call(struct arch_regs *r, uint64_t fn, uint64_t arg0)
{
	/* Below the 128-byte red zone of the interrupted code, 16-byte
	 * aligned before the call pushes its return address (psABI 3.2.2). */
	uint64_t sp = ((r->gp.rsp - 128 - 256) & ~(uint64_t)15) - 8;

	r->gp.rsp = sp;
	r->gp.rip = fn;
	r->gp.rdi = arg0;
	r->gp.rax = 0;               /* no vector arguments (varargs convention) */
	r->gp.orig_rax = (uint64_t)-1;
	return sp;
}

int arch_fpregs_save(pid_t tid, struct arch_regs *r)
{
	if (ptrace(PTRACE_GETFPREGS, tid, NULL, &r->fp) != 0)
		return -errno;
	r->have_fp = true;
	return 0;
}

int arch_fpregs_restore(pid_t tid, const struct arch_regs *r)
{
	if (r->have_fp && ptrace(PTRACE_SETFPREGS, tid, NULL, &r->fp) != 0)
		return -errno;
	return 0;
}
