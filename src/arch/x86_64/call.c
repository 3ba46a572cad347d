/* x86-64: calling a function in a stopped thread (System V ABI). */
#include <elf.h>
#include <errno.h>
#include <sys/uio.h>
#include <sys/user.h>
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

/* Which request filled a struct arch_vector_state. */
enum { VS_XSTATE = 1, VS_FXSAVE = 2 };

int arch_vector_state_save(pid_t tid, struct arch_vector_state *v)
{
	struct iovec iov = {v->buf, sizeof(v->buf)};

	v->len = 0;
	/* The kernel says how much of the XSAVE area it filled (iov_len). */
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &iov) == 0 && iov.iov_len > 0) {
		v->len = iov.iov_len;
		v->kind = VS_XSTATE;
		return 0;
	}
	if (ptrace(PTRACE_GETFPREGS, tid, NULL, v->buf) != 0)
		return -errno;
	v->len = sizeof(struct user_fpregs_struct);
	v->kind = VS_FXSAVE;
	return 0;
}

int arch_vector_state_restore(pid_t tid, const struct arch_vector_state *v)
{
	struct iovec iov = {(void *)v->buf, v->len};

	if (!v->len)
		return 0;
	if (v->kind == VS_XSTATE)
		return ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &iov) == 0 ? 0 : -errno;
	return ptrace(PTRACE_SETFPREGS, tid, NULL, (void *)v->buf) == 0 ? 0 : -errno;
}
