/* x86-64 captured registers. */
#ifndef DWTRACE_X86_64_ARCH_REGS_H
#define DWTRACE_X86_64_ARCH_REGS_H

#include <stdbool.h>
#include <sys/user.h>

struct arch_regs {
	struct user_regs_struct gp;
	struct user_fpregs_struct fp; /* fxsave area: xmmN at byte 160 + 16 N, stN at 32 + 16 N */
	bool have_fp;
};

/* DWARF register numbers (System V x86-64 psABI, figure 3.36). */
enum {
	X86_DW_RAX = 0, X86_DW_RDX = 1, X86_DW_RCX = 2, X86_DW_RBX = 3,
	X86_DW_RSI = 4, X86_DW_RDI = 5, X86_DW_RBP = 6, X86_DW_RSP = 7,
	X86_DW_R8 = 8, X86_DW_R9 = 9, X86_DW_R10 = 10, X86_DW_R11 = 11,
	X86_DW_R12 = 12, X86_DW_R13 = 13, X86_DW_R14 = 14, X86_DW_R15 = 15,
	X86_DW_RIP = 16,
	X86_DW_XMM0 = 17, /* .. XMM15 = 32 */
	X86_DW_ST0 = 33,  /* .. ST7 = 40 */
};

/* Bytes a call pushes: the return address sits at the CFA minus this
 * (psABI 3.2.2: the CFA is rsp before the call). */
#define ARCH_RETURN_ADDRESS_SIZE 8

#endif
