/* What generic code needs from an architecture.  Each architecture provides
 * these in src/arch/<arch>/ under the same names; nothing generic has an
 * architecture #ifdef. */
#ifndef DWTRACE_ARCH_H
#define DWTRACE_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dw_session.h"
#include "fetch_plan.h"

#if defined(__x86_64__)
#include "x86_64/arch_regs.h"
#else
#error "dwtrace supports x86-64 only so far (add src/arch/<arch>/)"
#endif

/* Plans, from the calling convention, where each parameter of f is at its
 * entry (params[f->nparams]) and where the return value is when it returns
 * (*ret; ret->available is false for void).  Sets *entry_vregs / *exit_vregs
 * when the plans read vector or x87 registers. */
void arch_plan_call(const struct dw_function *f, struct fetch_plan *params, struct fetch_plan *ret,
		    bool *entry_vregs, bool *exit_vregs);

/* Go's register ABI (ABIInternal, cmd/compile/abi-internal.md): where each
 * parameter of f (a Go function) is at its entry and where its results
 * (f->ret, a struct of them when several) are at its exits.  A value Go
 * passes on the stack is !available.  Same outputs as arch_plan_call. */
void arch_plan_go_call(const struct dw_function *f, struct fetch_plan *params, struct fetch_plan *ret,
		       bool *entry_vregs, bool *exit_vregs);

/* Whether plan reads vector or x87 registers (x86-64: DWARF registers 17-32
 * xmm0-15, 33+ st0-7...), so that the layout's entry_vregs/exit_vregs make
 * the hit capture them: FETCH_REG pieces and the register ops of a
 * FETCH_EXPR piece's expression.  A record holds xmm0-7, st0 and st1 only
 * (agent_abi.h); dw_loc_plan marks values in others unavailable. */
bool arch_plan_reads_vregs(const struct fetch_plan *p);

/* The name of DWARF register regno as the ABI names it ("rdi", "xmm0",
 * "st0"; System V x86-64 ABI 3.6.2, figure 3.36), or NULL when the
 * architecture has none by that number. */
const char *arch_reg_name(unsigned regno);

/* Reads the registers of stopped thread tid (vector registers too when
 * want_vregs).  Returns 0 or -errno. */
int arch_regs_fetch(pid_t tid, struct arch_regs *r, bool want_vregs);
/* Writes back the general registers. */
int arch_regs_store(pid_t tid, const struct arch_regs *r);

/* Copies the low size bytes of DWARF register regno; returns 0, or -1 for a
 * register that was not captured or does not exist. */
int arch_reg_read(const struct arch_regs *r, unsigned regno, void *buf, size_t size);

uint64_t arch_regs_pc(const struct arch_regs *r);
void arch_regs_set_pc(struct arch_regs *r, uint64_t pc);
uint64_t arch_regs_sp(const struct arch_regs *r);
/* The running goroutine (its runtime.g) in a Go function of the register
 * ABI (Go internal ABI, amd64: R14), 0 when the architecture has none. */
uint64_t arch_regs_go_g(const struct arch_regs *r);

struct dwt_regs;
struct dwt_vregs;
/* r as a hit record holds it (src/agent/agent_abi.h): the general
 * registers by DWARF number into *out; xmm0-7, st(0) and st(1) into *vout when r
 * has them (r->have_fp) and vout is not NULL.  Returns whether *vout was
 * filled. */
bool arch_regs_to_record(const struct arch_regs *r, struct dwt_regs *out, struct dwt_vregs *vout);

/* Prepares r to make system call nr with up to six arguments from the
 * syscall instruction at pc, so that an interrupted system call is not
 * restarted at the wrong place. */
void arch_regs_set_syscall(struct arch_regs *r, uint64_t pc, long nr, const long args[6]);
long arch_regs_syscall_result(const struct arch_regs *r);
/* When r is a thread stopped on its way out of an interrupted system call
 * (-ERESTARTSYS and its kin in the result), makes r restart it as the
 * kernel does when no handler runs (arch/x86/kernel/signal.c). */
void arch_regs_restart_syscall(struct arch_regs *r);
/* Makes the system call r is at the entry stop of not run (its registers
 * otherwise as r has them when the thread goes on). */
void arch_regs_skip_syscall(struct arch_regs *r);
#define ARCH_SIGRETURN_NR 15     /* rt_sigreturn */
/* The stub of remote system calls: the system call instruction, then an
 * rt_sigreturn from the restore frame at the stack pointer (struct
 * arch_restore_frame), which puts the thread back where it was even when
 * dwtrace dies before it can.  "syscall; mov $15,%eax; syscall". */
#define ARCH_SYSCALL_STUB {0x0f, 0x05, 0xb8, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05}
#define ARCH_SYSCALL_STUB_LEN 9
#define ARCH_SYSCALL_LEN 2       /* the system call instruction alone */

/* Most bytes arch_relocate() writes. */
#define ARCH_OOL_MAX 48
/* Longest instruction. */
#define ARCH_INSN_MAX 15

/* Writes to out a copy of the instruction at orig (its bytes: code, avail
 * of them) that runs at address slot and then goes on where the original
 * would have: at most ARCH_OOL_MAX bytes.  Returns their count and sets
 * *insn_len to the instruction's length, or returns -1 with a message naming
 * the instruction in err. */
int arch_relocate(const uint8_t *code, size_t avail, uint64_t orig, uint64_t slot, uint8_t *out, size_t *insn_len,
		  char *err, size_t errsize);

/* How an instruction goes on (exit probes: DESIGN.md, "Exit probes"). */
enum arch_flow {
	ARCH_FLOW_NEXT,          /* to the next instruction (calls included) */
	ARCH_FLOW_RET,           /* returns to its caller */
	ARCH_FLOW_JMP,           /* jumps to target */
	ARCH_FLOW_JCC,           /* jumps to target when its condition holds (arch_jcc_taken) */
	ARCH_FLOW_JCC_OTHER,     /* loop, jrcxz: to target or the next instruction */
	ARCH_FLOW_JMP_INDIRECT,  /* jumps through a register or memory (arch_indirect_target) */
	ARCH_FLOW_STOP,          /* goes nowhere a call returns from (hlt, ud2, far jumps) */
};

struct arch_insn {
	uint64_t addr;
	uint8_t len;
	enum arch_flow flow;
	uint64_t target;         /* ARCH_FLOW_JMP, _JCC, _JCC_OTHER */
	uint8_t cc;              /* ARCH_FLOW_JCC: its condition (arch_jcc_taken) */
	bool call;               /* ARCH_FLOW_NEXT: a call (which may not return) */
};

/* Decodes the instruction at pc (its bytes: code, avail of them) into *out.
 * Returns 0, or -1 with the reason in err. */
int arch_decode_flow(const uint8_t *code, size_t avail, uint64_t pc, struct arch_insn *out, char *err,
		     size_t errsize);

/* Whether a conditional jump of condition cc (struct arch_insn) is taken
 * with the flags of r. */
bool arch_jcc_taken(unsigned cc, const struct arch_regs *r);

/* Where the indirect jump insn (len bytes at pc, ARCH_FLOW_JMP_INDIRECT)
 * goes with registers r, reading a memory operand through read.  Returns 0
 * and *target, and in *slot (when not NULL) the address the target was read
 * from (0 for a register operand); or -1. */
int arch_indirect_target(const uint8_t *insn, size_t len, uint64_t pc, const struct arch_regs *r,
			 ssize_t (*read)(void *ctx, uint64_t addr, void *buf, size_t size), void *ctx,
			 uint64_t *target, uint64_t *slot);

/* The software breakpoint instruction (ARCH_BREAKPOINT_LEN bytes; its
 * first byte ARCH_BREAKPOINT_BYTE), and how far the pc is past its address
 * when its SIGTRAP stops the thread. */
#define ARCH_BREAKPOINT_BYTE 0xcc
#define ARCH_BREAKPOINT_INSN {0xcc}
#define ARCH_BREAKPOINT_LEN 1
#define ARCH_BREAKPOINT_PC_ADVANCE 1

/* Remote calls (src/remote_call.c).  Sets r to enter fn(arg0) as a call
 * would, with the stack pointer at sp (16-byte aligned + 8, holding the
 * return address: struct arch_restore_frame's addr). */
void arch_regs_set_call(struct arch_regs *r, uint64_t fn, uint64_t arg0, uint64_t sp);
/* The arguments after the first of such a call: args[i] is argument i + 1
 * (at most ARCH_CALL_MAX_ARGS - 1 of them, integer class). */
#define ARCH_CALL_MAX_ARGS 6
void arch_regs_set_call_args(struct arch_regs *r, const uint64_t *args, size_t n);
/* Writes to out (ARCH_TRAMPOLINE_MAX bytes) position-independent code that
 * sets the second integer argument to arg1 and jumps to fn, the first
 * argument left as it came: a thread start routine "fn(arg, arg1)" for
 * pthread_create (src/inject/loader.c: dlopen(path, RTLD_NOW)).  Returns
 * its length. */
#define ARCH_TRAMPOLINE_MAX 32
size_t arch_tail_call_trampoline(uint8_t *out, uint64_t fn, uint32_t arg1);
/* Code the called function returns into: it makes rt_sigreturn from the
 * restore frame with the function's return value as its first argument,
 * where a PTRACE_SYSCALL entry stop reads it (no trap, so no signal is
 * forced on the program); dwtrace alive puts the thread back there and
 * skips the rt_sigreturn (arch_regs_skip_syscall), dwtrace dead lets the
 * thread resume where it was.  "mov %rax,%rdi; mov $15,%eax; syscall". */
#define ARCH_CALL_RETURN {0x48, 0x89, 0xc7, 0xb8, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05}
#define ARCH_CALL_RETURN_LEN 10
#define ARCH_CALL_RETURN_NR ARCH_SIGRETURN_NR
/* A thread's whole floating-point and vector state, saved and put back
 * around a remote call: everything a called function may clobber (on
 * x86-64 the XSAVE area: AVX upper halves, AVX-512, opmask registers; the
 * fxsave area alone where the kernel offers no more). */
#define ARCH_VECTOR_STATE_MAX 16384
struct arch_vector_state {
	size_t len;                  /* bytes of buf in use; 0: nothing saved */
	int kind;                    /* arch-private: which request filled buf */
	uint8_t buf[ARCH_VECTOR_STATE_MAX] __attribute__((aligned(64)));
};
/* 0 or -errno (then v->len is 0 and restoring does nothing). */
int arch_vector_state_save(pid_t tid, struct arch_vector_state *v);
int arch_vector_state_restore(pid_t tid, const struct arch_vector_state *v);


/* A signal frame built by dwtrace below a thread's stack (under its red
 * zone) that makes rt_sigreturn resume the thread exactly as it was: its
 * general registers, blocked signal mask and whole floating-point/vector
 * state (arch/x86/kernel/signal.c, fpu/signal.c).  buf[0..8) is the
 * return address of a remote call; the rt_sigreturn must run with the
 * stack pointer at addr + 8, as after a signal handler's ret. */
#define ARCH_RESTORE_FRAME_MAX (ARCH_VECTOR_STATE_MAX + 1024)
struct arch_restore_frame {
	uint64_t addr;               /* where buf goes in the target */
	size_t len;                  /* bytes of buf */
	uint8_t buf[ARCH_RESTORE_FRAME_MAX] __attribute__((aligned(64)));
};
/* Builds f for a thread to resume with registers resume (an interrupted
 * system call's restart already applied: rt_sigreturn never restarts one),
 * blocked signals blocked (PTRACE_GETSIGMASK) and vector state v (saved by
 * arch_vector_state_save; when empty the frame has no FP state and the
 * kernel would reset it), return_to in the return-address slot; the frame
 * ends at least keep bytes (and the red zone) below resume's stack
 * pointer.  Returns 0, or -ENOSPC when v does not fit. */
int arch_restore_frame_build(struct arch_restore_frame *f, const struct arch_regs *resume, uint64_t blocked,
			     const struct arch_vector_state *v, uint64_t return_to, uint64_t keep);
void arch_regs_set_sp(struct arch_regs *r, uint64_t sp);

/* Test-only check of an rt_sigreturn from struct arch_restore_frame:
 * whether stopped thread tid now has the general registers of want (but
 * orig_rax, which rt_sigreturn resets) and the x87/SSE/AVX state of v.
 * Returns 0, or -1 with the first difference named in what. */
int arch_regs_check_resumed(pid_t tid, const struct arch_regs *want, const struct arch_vector_state *v, char *what,
			    size_t size);

/* A cycle counter that runs at a constant rate on every CPU (x86-64: the
 * TSC), for the agent's hit timestamps (src/inject/hit_clock.c). */
uint64_t arch_cycle_counter(void);

/* ---- the agent engine's stubs (src/arch/x86_64/stub.c, relocate.c) ---- */

/* Where the copy of one displaced instruction starts in a stub. */
struct arch_reloc_insn {
	uint32_t off;                /* bytes into the stub */
	uint64_t orig;               /* the original instruction's address */
};

/* Copies the whole instructions code[0..n) (at orig in the target) to run
 * one after the other at address at (out, cap bytes): relative branches
 * re-encoded with 32-bit displacements (rel8 jcc/jmp included), RIP-relative
 * operands re-targeted.  jump_back: a jump to orig + n follows unless the
 * last instruction never goes on (*ends: jmp, ret, call).  map[i] (when not
 * NULL; room for n entries) gets where the copy of instruction i starts,
 * *nmap their count.  Refused (-1 with err): a call that is not the last,
 * a system call, a branch into the displaced bytes past the first,
 * anything arch_relocate() refuses.  Returns the bytes written. */
int arch_relocate_seq(const uint8_t *code, size_t n, uint64_t orig, uint64_t at, uint8_t *out, size_t cap,
		      bool jump_back, struct arch_reloc_insn *map, size_t *nmap, bool *ends, char *err,
		      size_t errsize);

/* The patch that sends a thread from a probed instruction to its stub. */
#define ARCH_JUMP_PATCH_LEN 5

/* Writes to out (ARCH_JUMP_PATCH_LEN bytes) a jump from address from to
 * address to.  Returns 0, or -1 when to is out of its reach (±2 GiB). */
int arch_jump_patch(uint64_t from, uint64_t to, uint8_t *out);

/* Whether the instruction at code (avail bytes) only computes (moves,
 * pops, arithmetic, lea, leave: no branch, call, system call, stack switch
 * the stub could not follow), so that an exit stub may run its copy before
 * recording; *len its length.  False for undecodable bytes. */
bool arch_insn_straight(const uint8_t *code, size_t avail, size_t *len);

/* Whether the instruction at code is the CET landing pad (endbr64) that
 * starts a function: a patch goes after it.  Its length in *len. */
bool arch_insn_landing_pad(const uint8_t *code, size_t avail, size_t *len);

#define ARCH_STUB_MAX 1024           /* bytes of the longest stub */
#define ARCH_STUB_MAX_INSNS 16       /* displaced instructions per stub */

/* One stub: what runs before the hit (pre: an exit's instructions before
 * its ret), the hit (registers saved into a struct dwt_frame with rip =
 * site_pc and rsp as it is there, hit(site, frame) called, general
 * registers and flags put back), then post (an entry's displaced
 * instructions, an exit's ret or jump), then a jump back to post_orig +
 * npost unless post never goes on.  cond (an exit by a conditional jump
 * leaving the function): post is that jcc alone, and the hit runs only
 * when it is taken. */
struct arch_stub_spec {
	uint64_t at;                 /* the stub's address in the target */
	uint64_t site_pc;            /* rip in the frame: the probed instruction */
	uint32_t site;               /* first argument of hit */
	uint64_t hit;                /* dwt_hit(uint32_t site, struct dwt_frame *) */
	bool vregs;                  /* store xmm0-7 into the frame (st(0): x87) */
	const uint8_t *pre;
	size_t npre;
	uint64_t pre_orig;
	const uint8_t *post;
	size_t npost;
	uint64_t post_orig;
	bool cond;
	/* With vregs: st(0) too (an fxsave, ~10x the cost of the xmm
	 * stores): only where it may hold a value, at exits (a long double
	 * return); at an entry the x87 stack is empty (SysV: long double
	 * arguments are in memory). */
	bool x87;
};

/* Where a thread inside a stub is in the original code: at offset
 * insn[i].off it is at insn[i].orig with the same registers.  Between
 * those offsets it must run on (single-step) to one of them, stepping over
 * the call at call_off (to after_call). */
struct arch_stub_map {
	size_t len;
	uint32_t call_off, after_call;
	uint32_t pushf_off;          /* the save part's pushfq (0: none) */
	uint32_t popf_off;           /* the restore part's popfq (0: none) */
	uint64_t hit_orig;           /* where a thread before it is: the probed instruction */
	size_t n;
	struct arch_reloc_insn insn[2 * ARCH_STUB_MAX_INSNS + 1];
};

/* Moves stopped thread r, at offset off of a stub (code at its start, m
 * its map), out of it without running code where it can: returns 1 with r
 * at the matching original instruction; 0 when it must run on (single
 * step) first -- r is moved past the call to the hit, or past the
 * restoring of the flags (emulated, reading the stack through read), when
 * it is there; -1 when read fails. */
int arch_stub_leave(const struct arch_stub_map *m, uint64_t code, uint32_t off, struct arch_regs *r,
		    ssize_t (*read)(void *ctx, uint64_t addr, void *buf, size_t size), void *ctx);

/* Builds the stub s into out (cap bytes, at least ARCH_STUB_MAX).  Returns
 * its length (also map->len), or -1 with err (an instruction that cannot
 * be relocated, a target out of reach). */
int arch_stub_build(const struct arch_stub_spec *s, uint8_t *out, size_t cap, struct arch_stub_map *map, char *err,
		    size_t errsize);

/* Facts of the architecture's Linux ABI that generic code must not assume. */
/* Whether a signal with siginfo si_signo, si_code comes from a breakpoint
 * instruction (x86-64: int3 gives SIGTRAP with SI_KERNEL), not from kill(),
 * tgkill() or raise().  (Not a siginfo_t: <signal.h> clashes with the
 * kernel headers some arch files use.) */
bool arch_siginfo_is_breakpoint(int si_signo, int si_code);
/* The integer return value register (x86-64: rax) of a thread stopped at
 * its function's return. */
uint64_t arch_regs_return_value(const struct arch_regs *r);
/* Bytes below the stack pointer a function may use without moving it (the
 * SysV x86-64 red zone, ABI 3.2.2): nothing may be written there. */
#define ARCH_RED_ZONE 128
/* The highest address user-space mappings reach (x86-64 with 4-level page
 * tables: TASK_SIZE_MAX, (1 << 47) - one page); an mmap hint above it is
 * ignored. */
#define ARCH_USER_ADDR_MAX 0x7ffffffff000ULL

#endif
