/* x86-64 registers as a hit records them (src/agent/agent_abi.h). */
#ifndef DWTRACE_X86_64_AGENT_REGS_H
#define DWTRACE_X86_64_AGENT_REGS_H

#include <stdint.h>

/* General registers by DWARF number (System V x86-64 psABI, figure 3.36):
 * 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp, 7 rsp, 8-15 r8-r15,
 * 16 rip; rsp and rip as they were at the probed instruction. */
/* The byte of a trap site (struct dwt_site, DWT_SITE_TRAP): int3. */
#define DWT_TRAP_BYTE 0xcc

#define DWT_NGPR 17
struct dwt_regs {
	uint64_t gpr[DWT_NGPR];
	uint64_t rflags;
};

/* xmm0-7 (DWARF 17-24) and x87 st(0), st(1) (DWARF 33, 34; 80 bits in the low 10 bytes). */
struct dwt_vregs {
	uint8_t xmm[8][16];
	uint8_t st0[16];
	/* x87 st(1) (DWARF 34): the imaginary part of a complex long double
	 * return value (st0 holds the real part). */
	uint8_t st1[16];
};

#define DWT_DW_XMM0 17
#define DWT_DW_ST0 33
#define DWT_DW_SP 7
#define DWT_DW_PC 16
/* Go's register ABI (internal/abi): the current goroutine's runtime.g in r14. */
#define DWT_DW_GO_G 14

#endif
