/* How x86-64 instructions leave a function (Zydis): the decoding behind
 * exit probes.  A function is left by `ret`, by a jump whose target lies
 * outside its code (a tail call), or by an indirect jump whose target is
 * known only when it runs. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "arch.h"

static void decoder_init(ZydisDecoder *dec)
{
	ZydisDecoderInit(dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
}

int arch_decode_flow(const uint8_t *code, size_t avail, uint64_t pc, struct arch_insn *out, char *err,
		     size_t errsize)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];

	decoder_init(&dec);
	memset(out, 0, sizeof(*out));
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code, avail, &in, ops))) {
		snprintf(err, errsize, "undecodable bytes");
		return -1;
	}
	out->addr = pc;
	out->len = in.length;
	out->flow = ARCH_FLOW_NEXT;
	switch (in.meta.category) {
	case ZYDIS_CATEGORY_RET:
		/* ret, ret imm16 (far returns and iret leave too; none of them
		 * returns to a caller's call). */
		out->flow = in.mnemonic == ZYDIS_MNEMONIC_RET && in.meta.branch_type != ZYDIS_BRANCH_TYPE_FAR
				    ? ARCH_FLOW_RET
				    : ARCH_FLOW_STOP;
		return 0;
	case ZYDIS_CATEGORY_UNCOND_BR:
	case ZYDIS_CATEGORY_COND_BR:
		if (ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && ops[0].imm.is_relative) {
			if (!ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in, &ops[0], pc, &out->target))) {
				snprintf(err, errsize, "cannot compute the target of '%s'",
					 ZydisMnemonicGetString(in.mnemonic));
				return -1;
			}
			out->flow = in.meta.category == ZYDIS_CATEGORY_UNCOND_BR ? ARCH_FLOW_JMP : ARCH_FLOW_JCC;
			/* Jcc: the condition is the low nibble of 0x7X or 0x0F 0x8X
			 * (Intel SDM vol. 2, Jcc), whatever the prefixes. */
			out->cc = in.opcode & 0x0f;
			/* loop/jrcxz only loop back inside a function. */
			if (out->flow == ARCH_FLOW_JCC && (in.opcode_map != ZYDIS_OPCODE_MAP_DEFAULT ||
							   (in.opcode & 0xf0) != 0x70) &&
			    !(in.opcode_map == ZYDIS_OPCODE_MAP_0F && (in.opcode & 0xf0) == 0x80))
				out->flow = ARCH_FLOW_JCC_OTHER;
			return 0;
		}
		if (in.meta.category == ZYDIS_CATEGORY_UNCOND_BR && in.mnemonic == ZYDIS_MNEMONIC_JMP &&
		    in.meta.branch_type == ZYDIS_BRANCH_TYPE_NEAR) {
			out->flow = ARCH_FLOW_JMP_INDIRECT;
			return 0;
		}
		out->flow = ARCH_FLOW_STOP; /* far jumps */
		return 0;
	case ZYDIS_CATEGORY_CALL:
		/* Code after a call to a noreturn function (abort,
		 * __stack_chk_fail) is not reached from it: a function ending
		 * in one does not run into the next. */
		out->call = true;
		return 0;
	default:
		break;
	}
	if (in.mnemonic == ZYDIS_MNEMONIC_HLT || in.mnemonic == ZYDIS_MNEMONIC_UD2)
		out->flow = ARCH_FLOW_STOP;
	return 0;
}

/* The value of rflags bit b. */
static int flag(const struct arch_regs *r, unsigned b)
{
	return (int)((r->gp.eflags >> b) & 1);
}

enum { CF = 0, PF = 2, ZF = 6, SF = 7, OF = 11 };

bool arch_jcc_taken(unsigned cc, const struct arch_regs *r)
{
	bool taken;

	switch ((cc & 0x0f) >> 1) {
	case 0: taken = flag(r, OF); break;                              /* jo */
	case 1: taken = flag(r, CF); break;                              /* jb */
	case 2: taken = flag(r, ZF); break;                              /* je */
	case 3: taken = flag(r, CF) || flag(r, ZF); break;               /* jbe */
	case 4: taken = flag(r, SF); break;                              /* js */
	case 5: taken = flag(r, PF); break;                              /* jp */
	case 6: taken = flag(r, SF) != flag(r, OF); break;               /* jl */
	default: taken = flag(r, ZF) || flag(r, SF) != flag(r, OF); break; /* jle */
	}
	return (cc & 1) ? !taken : taken;
}

/* Zydis's name of a 64-bit general register → its value in r. */
static void fill_context(ZydisRegisterContext *ctx, const struct arch_regs *r)
{
	static const struct {
		ZydisRegister reg;
		size_t off;
	} gprs[] = {
		{ZYDIS_REGISTER_RAX, offsetof(struct user_regs_struct, rax)},
		{ZYDIS_REGISTER_RBX, offsetof(struct user_regs_struct, rbx)},
		{ZYDIS_REGISTER_RCX, offsetof(struct user_regs_struct, rcx)},
		{ZYDIS_REGISTER_RDX, offsetof(struct user_regs_struct, rdx)},
		{ZYDIS_REGISTER_RSI, offsetof(struct user_regs_struct, rsi)},
		{ZYDIS_REGISTER_RDI, offsetof(struct user_regs_struct, rdi)},
		{ZYDIS_REGISTER_RBP, offsetof(struct user_regs_struct, rbp)},
		{ZYDIS_REGISTER_RSP, offsetof(struct user_regs_struct, rsp)},
		{ZYDIS_REGISTER_R8, offsetof(struct user_regs_struct, r8)},
		{ZYDIS_REGISTER_R9, offsetof(struct user_regs_struct, r9)},
		{ZYDIS_REGISTER_R10, offsetof(struct user_regs_struct, r10)},
		{ZYDIS_REGISTER_R11, offsetof(struct user_regs_struct, r11)},
		{ZYDIS_REGISTER_R12, offsetof(struct user_regs_struct, r12)},
		{ZYDIS_REGISTER_R13, offsetof(struct user_regs_struct, r13)},
		{ZYDIS_REGISTER_R14, offsetof(struct user_regs_struct, r14)},
		{ZYDIS_REGISTER_R15, offsetof(struct user_regs_struct, r15)},
	};

	memset(ctx, 0, sizeof(*ctx));
	for (size_t i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++)
		memcpy(&ctx->values[gprs[i].reg], (const char *)&r->gp + gprs[i].off, 8);
}

int arch_indirect_target(const uint8_t *insn, size_t len, uint64_t pc, const struct arch_regs *r,
			 ssize_t (*read)(void *ctx, uint64_t addr, void *buf, size_t size), void *ctx,
			 uint64_t *target, uint64_t *slot)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	ZydisRegisterContext rc;
	uint64_t addr;

	decoder_init(&dec);
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, insn, len, &in, ops)) || !in.operand_count_visible)
		return -1;
	fill_context(&rc, r);
	if (slot)
		*slot = 0;
	if (ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER) {
		ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, ops[0].reg.value);
		*target = rc.values[big];
		return 0;
	}
	if (ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY ||
	    !ZYAN_SUCCESS(ZydisCalcAbsoluteAddressEx(&in, &ops[0], pc, &rc, &addr)))
		return -1;
	/* Zydis 4.0 adds no segment base: fs and gs have one in 64-bit mode. */
	if (ops[0].mem.segment == ZYDIS_REGISTER_FS)
		addr += r->gp.fs_base;
	else if (ops[0].mem.segment == ZYDIS_REGISTER_GS)
		addr += r->gp.gs_base;
	if (slot)
		*slot = addr;
	*target = 0;
	return read(ctx, addr, target, 8) == 8 ? 0 : -1;
}
