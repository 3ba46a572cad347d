/* x86-64: calling a function in a stopped thread (System V ABI). */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "arch.h"

void arch_regs_set_call(struct arch_regs *r, uint64_t fn, uint64_t arg0, uint64_t sp)
{
	r->gp.rsp = sp;
	r->gp.rip = fn;
	r->gp.rdi = arg0;
	r->gp.rax = 0;               /* no vector arguments (varargs convention) */
	r->gp.orig_rax = (uint64_t)-1;
}

void arch_regs_set_call_args(struct arch_regs *r, const uint64_t *args, size_t n)
{
	unsigned long long *regs[ARCH_CALL_MAX_ARGS - 1] = {&r->gp.rsi, &r->gp.rdx, &r->gp.rcx, &r->gp.r8, &r->gp.r9};

	for (size_t i = 0; i < n && i < ARCH_CALL_MAX_ARGS - 1; i++)
		*regs[i] = args[i];
}

size_t arch_tail_call_trampoline(uint8_t *out, uint64_t fn, uint32_t arg1)
{
	/* mov $arg1, %esi; jmp *0(%rip); .quad fn -- an absolute jump, so
	 * that the code may be anywhere. */
	static const uint8_t jmp[] = {0xff, 0x25, 0x00, 0x00, 0x00, 0x00};
	size_t n = 0;

	out[n++] = 0xbe;
	memcpy(out + n, &arg1, 4);
	n += 4;
	memcpy(out + n, jmp, sizeof(jmp));
	n += sizeof(jmp);
	memcpy(out + n, &fn, 8);
	return n + 8;
}

/* The kernel's struct ucontext for x86-64 (uapi asm/ucontext.h, with
 * sigcontext_64 of asm/sigcontext.h and stack_t), written out here because
 * glibc's ucontext_t differs (a 128-byte sigset_t, more after it). */
struct kernel_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t ss_pad;
	uint64_t ss_size;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
	uint64_t uc_sigmask;
};
_Static_assert(sizeof(struct kernel_ucontext) == 304, "kernel struct ucontext is 304 bytes on x86-64");

/* uapi asm/ucontext.h and asm/sigcontext.h. */
#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#define FXSAVE_SIZE 512
#define SW_BYTES_OFFSET 464      /* struct _fpx_sw_bytes in fxsave's sw_reserved */

enum { VS_XSTATE = 1, VS_FXSAVE = 2 };

int arch_restore_frame_build(struct arch_restore_frame *f, const struct arch_regs *resume, uint64_t blocked,
			     const struct arch_vector_state *v, uint64_t return_to, uint64_t keep)
{
	const struct user_regs_struct *g = &resume->gp;
	/* The interrupted code's red zone (128 bytes) stays, and what the
	 * caller keeps below it. */
	uint64_t top = (g->rsp - (keep > 128 ? keep : 128)) & ~(uint64_t)15;
	uint64_t fp, addr;
	bool xstate = v->kind == VS_XSTATE && v->len >= FXSAVE_SIZE + 64;
	/* Room for FP_XSTATE_MAGIC2 after the XSAVE image. */
	size_t fp_len = v->len + (xstate ? 4 : 0);
	struct kernel_ucontext uc;

	/* XRSTOR wants 64-byte alignment; the frame below it is laid out as
	 * the kernel's rt_sigframe: return address, then the ucontext. */
	fp = (top - fp_len) & ~(uint64_t)63;
	addr = ((fp - 8 - sizeof(uc)) & ~(uint64_t)15) - 8;
	if (top - addr > sizeof(f->buf))
		return -ENOSPC;
	f->addr = addr;
	f->len = top - addr;
	memset(f->buf, 0, f->len);
	memcpy(f->buf, &return_to, 8);

	memset(&uc, 0, sizeof(uc));
	uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (xstate ? UC_FP_XSTATE : 0);
	/* uc_stack of zeros: rt_sigreturn's restore_altstack() then fails
	 * quietly (size below MINSIGSTKSZ) and the thread's alternate signal
	 * stack stays as it is. */
	uc.r8 = g->r8, uc.r9 = g->r9, uc.r10 = g->r10, uc.r11 = g->r11;
	uc.r12 = g->r12, uc.r13 = g->r13, uc.r14 = g->r14, uc.r15 = g->r15;
	uc.rdi = g->rdi, uc.rsi = g->rsi, uc.rbp = g->rbp, uc.rbx = g->rbx;
	uc.rdx = g->rdx, uc.rax = g->rax, uc.rcx = g->rcx, uc.rsp = g->rsp;
	uc.rip = g->rip, uc.eflags = g->eflags;
	uc.cs = (uint16_t)g->cs;
	uc.ss = (uint16_t)g->ss;
	uc.fpstate = v->len ? fp : 0;
	uc.uc_sigmask = blocked;
	memcpy(f->buf + 8, &uc, sizeof(uc));
	if (v->len) {
		uint8_t *fx = f->buf + (fp - addr);
		uint32_t sw[12] = {0};

		memcpy(fx, v->buf, v->len);
		/* NT_X86_XSTATE gives XCR0 in the first 8 bytes of sw_reserved
		 * (what gdb reads there), not the struct _fpx_sw_bytes a
		 * signal frame has: write that one (fpu/signal.c,
		 * check_xstate_in_sigframe), or rt_sigreturn restores only
		 * the fxsave part and resets AVX and the rest. */
		if (xstate) {
			uint64_t xcr0;
			uint32_t magic2 = FP_XSTATE_MAGIC2;

			memcpy(&xcr0, v->buf + SW_BYTES_OFFSET, 8);
			sw[0] = FP_XSTATE_MAGIC1;
			sw[1] = (uint32_t)v->len + 4;  /* extended_size */
			memcpy(&sw[2], &xcr0, 8);       /* xfeatures */
			sw[4] = (uint32_t)v->len;      /* xstate_size */
			memcpy(fx + v->len, &magic2, 4);
		}
		memcpy(fx + SW_BYTES_OFFSET, sw, sizeof(sw));
	}
	return 0;
}

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

int arch_regs_check_resumed(pid_t tid, const struct arch_regs *want, const struct arch_vector_state *v, char *what,
			    size_t size)
{
	static struct arch_vector_state now;
	struct arch_regs r;

	if (arch_regs_fetch(tid, &r, false) != 0) {
		snprintf(what, size, "cannot read the registers");
		return -1;
	}
	r.gp.orig_rax = want->gp.orig_rax;
	if (memcmp(&r.gp, &want->gp, sizeof(r.gp)) != 0) {
		snprintf(what, size, "general registers (rip 0x%llx, want 0x%llx; rsp 0x%llx, want 0x%llx)",
			 r.gp.rip, want->gp.rip, r.gp.rsp, want->gp.rsp);
		return -1;
	}
	if (!v->len || arch_vector_state_save(tid, &now) != 0)
		return 0;
	/* x87 and SSE state up to xmm15 (fxsave layout); the upper halves
	 * of ymm0-15 at 576 in the standard XSAVE layout. */
	if (memcmp(now.buf, v->buf, 160 + 256) != 0) {
		snprintf(what, size, "x87/SSE state");
		return -1;
	}
	if (v->kind == VS_XSTATE && v->len >= 576 + 256 && now.len >= 576 + 256 &&
	    memcmp(now.buf + 576, v->buf + 576, 256) != 0) {
		snprintf(what, size, "upper halves of ymm0-15");
		return -1;
	}
	return 0;
}
