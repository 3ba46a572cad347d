/* Stubs of the agent engine (x86-64): the code a patched instruction jumps
 * to.  Encoded by hand (each instruction named in a comment): the stub is
 * a fixed sequence and the encodings are few.
 *
 * A stub runs on the thread's own stack, below the 128-byte red zone (a
 * leaf function may keep data there).  It saves rflags and the general
 * registers into a struct dwt_frame, aligns the stack to 16 bytes for the
 * call, clears the direction flag (the C code called assumes it clear),
 * calls hit(site, frame) and puts back the general registers and flags.
 * Vector registers are stored (movdqu, fxsave: both leave the registers and
 * the x87 status alone) only for sites that need them, and never reloaded:
 * hit is general-registers-only, so they are intact.  st(0) is taken from
 * an fxsave image rather than by fld st(0); fstp, which on an empty x87
 * stack (every function entry) sets the sticky invalid and stack-fault
 * flags that fetestexcept() would then show the program. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "agent/agent_abi.h"
#include "arch.h"

#define RED_ZONE 128
#define FRAME_SIZE ((sizeof(struct dwt_frame) + 15) & ~(size_t)15)
#define FXSAVE_SIZE 512

/* x86 register numbers of the general registers in DWARF order (psABI
 * figure 3.36): rax rdx rcx rbx rsi rdi rbp rsp r8-r15. */
static const uint8_t dwarf_to_x86[16] = {0, 2, 1, 3, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15};
#define X86_RAX 0
#define X86_RSP 4

struct out {
	uint8_t *p;
	size_t len, cap;
	uint64_t base;
	bool overflow;
};

static void put(struct out *o, const void *bytes, size_t n)
{
	if (o->len + n > o->cap) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, bytes, n);
	o->len += n;
}

static void put1(struct out *o, uint8_t b)
{
	put(o, &b, 1);
}

static void put32(struct out *o, int32_t v)
{
	put(o, &v, 4);
}

static bool fits_rel32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* mov [rsp+disp], reg (store) or mov reg, [rsp+disp] (load): REX.W (+R),
 * 89/8b, modrm mod=10 rm=100 (SIB), SIB base=rsp, disp32. */
static void mov_rsp_mem(struct out *o, bool load, unsigned reg, int32_t disp)
{
	put1(o, (uint8_t)(0x48 | (reg >= 8 ? 0x04 : 0)));
	put1(o, load ? 0x8b : 0x89);
	put1(o, (uint8_t)(0x84 | ((reg & 7) << 3)));
	put1(o, 0x24);
	put32(o, disp);
}

/* lea rsp, [rsp+disp]: leaves the flags alone, unlike add/sub. */
static void lea_rsp(struct out *o, int32_t disp)
{
	static const uint8_t lea[] = {0x48, 0x8d, 0xa4, 0x24};
	put(o, lea, sizeof(lea));
	put32(o, disp);
}

static void mov_rax_imm64(struct out *o, uint64_t v)
{
	put1(o, 0x48);
	put1(o, 0xb8);
	put(o, &v, 8);
}

/* jmp to target: rel32 when it reaches, else jmp [rip+0] with the address. */
static void jmp_to(struct out *o, uint64_t target)
{
	int64_t rel = (int64_t)(target - (o->base + o->len + 5));

	if (fits_rel32(rel)) {
		put1(o, 0xe9);
		put32(o, (int32_t)rel);
	} else {
		static const uint8_t jmp_abs[] = {0xff, 0x25, 0, 0, 0, 0};
		put(o, jmp_abs, sizeof(jmp_abs));
		put(o, &target, 8);
	}
}

#define GPR_OFF(i) ((int32_t)(offsetof(struct dwt_frame, regs.gpr) + 8 * (i)))

/* Saves the registers as they are at s->site_pc, calls hit, puts them back;
 * records in map where the call is. */
static void emit_hit(struct out *o, const struct arch_stub_spec *s, struct arch_stub_map *map)
{
	static const uint8_t red_zone[] = {0x48, 0x8d, 0x64, 0x24, 0x80}; /* lea rsp, [rsp-128] */
	const int32_t flags_at = (int32_t)FRAME_SIZE, sp_delta = (int32_t)(FRAME_SIZE + 8 + RED_ZONE);

	put(o, red_zone, sizeof(red_zone));
	map->pushf_off = (uint32_t)o->len;
	map->hit_orig = s->site_pc;
	put1(o, 0x9c); /* pushfq */
	lea_rsp(o, -(int32_t)FRAME_SIZE);
	for (unsigned i = 0; i < 16; i++)
		if (dwarf_to_x86[i] != X86_RSP)
			mov_rsp_mem(o, false, dwarf_to_x86[i], GPR_OFF(i));
	/* lea rax, [rsp+sp_delta]: the stack pointer at the site */
	put1(o, 0x48);
	put1(o, 0x8d);
	put1(o, 0x84);
	put1(o, 0x24);
	put32(o, sp_delta);
	mov_rsp_mem(o, false, X86_RAX, GPR_OFF(DWT_DW_SP));
	mov_rax_imm64(o, s->site_pc);
	mov_rsp_mem(o, false, X86_RAX, GPR_OFF(DWT_DW_PC));
	mov_rsp_mem(o, true, X86_RAX, flags_at);
	mov_rsp_mem(o, false, X86_RAX, (int32_t)offsetof(struct dwt_frame, regs.rflags));
	/* mov rbx, rsp: the frame, kept across the call (rbx is callee-saved) */
	put(o, (const uint8_t[]){0x48, 0x89, 0xe3}, 3);
	if (s->vregs) {
		for (unsigned i = 0; i < 8; i++) {
			/* movdqu [rsp+disp32], xmm<i> (f3 0f 7f /r) */
			put(o, (const uint8_t[]){0xf3, 0x0f, 0x7f, (uint8_t)(0x84 | (i << 3)), 0x24}, 5);
			put32(o, (int32_t)(offsetof(struct dwt_frame, vregs.xmm) + 16 * i));
		}
	}
	if (s->vregs && s->x87) {
		lea_rsp(o, -FXSAVE_SIZE);
		put(o, (const uint8_t[]){0x48, 0x83, 0xe4, 0xf0}, 4);       /* and rsp, -16 */
		put(o, (const uint8_t[]){0x48, 0x0f, 0xae, 0x04, 0x24}, 5); /* fxsave64 [rsp] */
		for (int32_t k = 0; k < 32; k += 8) {
			/* st(0) and st(1) are at bytes 32 and 48 of the fxsave image
			 * (Intel SDM vol. 1, 10.5.1); st1 follows st0 in the frame
			 * (a complex long double returns in both). */
			mov_rsp_mem(o, true, X86_RAX, 32 + k);
			/* mov [rbx+disp32], rax */
			put(o, (const uint8_t[]){0x48, 0x89, 0x83}, 3);
			put32(o, (int32_t)offsetof(struct dwt_frame, vregs.st0) + k);
		}
	} else {
		if (s->vregs)
			for (int32_t k = 0; k < 32; k += 8) {
				/* mov qword [rbx+disp32], 0: no stack bytes in records */
				put(o, (const uint8_t[]){0x48, 0xc7, 0x83}, 3);
				put32(o, (int32_t)offsetof(struct dwt_frame, vregs.st0) + k);
				put32(o, 0);
			}
		put(o, (const uint8_t[]){0x48, 0x83, 0xe4, 0xf0}, 4); /* and rsp, -16 */
	}
	put1(o, 0xfc); /* cld */
	put1(o, 0xbf); /* mov edi, site */
	put(o, &s->site, 4);
	put(o, (const uint8_t[]){0x48, 0x89, 0xde}, 3); /* mov rsi, rbx */
	mov_rax_imm64(o, s->hit);
	map->call_off = (uint32_t)o->len;
	put(o, (const uint8_t[]){0xff, 0xd0}, 2); /* call rax */
	map->after_call = (uint32_t)o->len;
	put(o, (const uint8_t[]){0x48, 0x89, 0xdc}, 3); /* mov rsp, rbx */
	for (unsigned i = 0; i < 16; i++)
		if (dwarf_to_x86[i] != X86_RSP)
			mov_rsp_mem(o, true, dwarf_to_x86[i], GPR_OFF(i));
	lea_rsp(o, (int32_t)FRAME_SIZE);
	map->popf_off = (uint32_t)o->len;
	put1(o, 0x9d); /* popfq */
	lea_rsp(o, RED_ZONE);
}

static void map_add(struct arch_stub_map *map, uint32_t off, uint64_t orig)
{
	if (map->n < sizeof(map->insn) / sizeof(map->insn[0])) {
		map->insn[map->n].off = off;
		map->insn[map->n].orig = orig;
		map->n++;
	}
}

static int relocate_into(struct out *o, const uint8_t *code, size_t n, uint64_t orig, bool jump_back,
			 struct arch_stub_map *map, bool *ends, char *err, size_t errsize)
{
	struct arch_reloc_insn insn[ARCH_STUB_MAX_INSNS + 1];
	size_t k = 0;
	int len;

	*ends = false;
	if (!n)
		return 0;
	if (n > ARCH_STUB_MAX_INSNS) { /* at least one byte per instruction */
		snprintf(err, errsize, "too many displaced bytes");
		return -1;
	}
	len = arch_relocate_seq(code, n, orig, o->base + o->len, o->p + o->len, o->cap - o->len, jump_back, insn, &k,
				ends, err, errsize);
	if (len < 0)
		return -1;
	for (size_t i = 0; i < k; i++)
		map_add(map, (uint32_t)(o->len + insn[i].off), insn[i].orig);
	o->len += (size_t)len;
	return 0;
}

/* An exit by a conditional jump leaving the function: the hit runs when
 * the jump is taken (the inverse condition skips it), then the jump goes
 * to its target; not taken, the thread goes back after it. */
static int emit_cond(struct out *o, const struct arch_stub_spec *s, struct arch_stub_map *map, char *err,
		     size_t errsize)
{
	struct arch_insn in;
	size_t skip_at;
	int32_t rel;

	if (arch_decode_flow(s->post, s->npost, s->post_orig, &in, err, errsize) != 0)
		return -1;
	if (in.flow != ARCH_FLOW_JCC || in.len != s->npost) {
		snprintf(err, errsize, "a conditional exit that is not one jcc");
		return -1;
	}
	map_add(map, (uint32_t)o->len, s->post_orig);
	/* j<not cc> rel32 over the hit (0f 80+cc: the condition's inverse is cc ^ 1) */
	put1(o, 0x0f);
	put1(o, (uint8_t)(0x80 | ((in.cc & 0x0f) ^ 1)));
	skip_at = o->len;
	put32(o, 0);
	emit_hit(o, s, map);
	jmp_to(o, in.target);
	if (o->overflow)
		return 0;
	rel = (int32_t)(o->len - (skip_at + 4));
	memcpy(o->p + skip_at, &rel, 4);
	map_add(map, (uint32_t)o->len, s->post_orig + s->npost);
	jmp_to(o, s->post_orig + s->npost);
	return 0;
}

int arch_stub_build(const struct arch_stub_spec *s, uint8_t *out, size_t cap, struct arch_stub_map *map, char *err,
		    size_t errsize)
{
	struct out o = {out, 0, cap, s->at, false};
	bool ends;

	memset(map, 0, sizeof(*map));
	if (relocate_into(&o, s->pre, s->npre, s->pre_orig, false, map, &ends, err, errsize) != 0)
		return -1;
	if (ends) {
		snprintf(err, errsize, "an instruction before the probed one leaves");
		return -1;
	}
	if (s->cond) {
		if (emit_cond(&o, s, map, err, errsize) != 0)
			return -1;
	} else {
		/* Nothing has changed at the start of the hit: a thread there is
		 * at the probed instruction. */
		map_add(map, (uint32_t)o.len, s->site_pc);
		emit_hit(&o, s, map);
		if (!o.overflow && relocate_into(&o, s->post, s->npost, s->post_orig, true, map, &ends, err, errsize) != 0)
			return -1;
	}
	if (o.overflow) {
		snprintf(err, errsize, "the stub is longer than %zu bytes", cap);
		return -1;
	}
	map->len = o.len;
	return (int)o.len;
}

int arch_jump_patch(uint64_t from, uint64_t to, uint8_t *out)
{
	int64_t rel = (int64_t)(to - (from + ARCH_JUMP_PATCH_LEN));
	int32_t r;

	if (!fits_rel32(rel))
		return -1;
	r = (int32_t)rel;
	out[0] = 0xe9;
	memcpy(out + 1, &r, 4);
	return 0;
}

bool arch_insn_straight(const uint8_t *code, size_t avail, size_t *len)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction in;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, NULL, code, avail, &in)))
		return false;
	*len = in.length;
	switch (in.meta.category) {
	case ZYDIS_CATEGORY_COND_BR:
	case ZYDIS_CATEGORY_UNCOND_BR:
	case ZYDIS_CATEGORY_CALL:
	case ZYDIS_CATEGORY_RET:
	case ZYDIS_CATEGORY_SYSCALL:
	case ZYDIS_CATEGORY_INTERRUPT:
	case ZYDIS_CATEGORY_SYSTEM:
		return false;
	default:
		break;
	}
	if (in.mnemonic == ZYDIS_MNEMONIC_UD2 || in.mnemonic == ZYDIS_MNEMONIC_HLT || in.mnemonic == ZYDIS_MNEMONIC_XBEGIN ||
	    in.mnemonic == ZYDIS_MNEMONIC_XEND || in.mnemonic == ZYDIS_MNEMONIC_XABORT ||
	    in.mnemonic == ZYDIS_MNEMONIC_ENDBR64)
		return false;
	/* A relative operand other than a RIP-relative memory one cannot move. */
	if ((in.attributes & ZYDIS_ATTRIB_IS_RELATIVE) &&
	    !(in.attributes & ZYDIS_ATTRIB_HAS_MODRM && in.raw.modrm.mod == 0 && in.raw.modrm.rm == 5))
		return false;
	return true;
}

bool arch_insn_landing_pad(const uint8_t *code, size_t avail, size_t *len)
{
	static const uint8_t endbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};

	if (avail < sizeof(endbr64) || memcmp(code, endbr64, sizeof(endbr64)))
		return false;
	*len = sizeof(endbr64);
	return true;
}

int arch_stub_leave(const struct arch_stub_map *m, uint64_t code, uint32_t off, struct arch_regs *r,
		    ssize_t (*read)(void *ctx, uint64_t addr, void *buf, size_t size), void *ctx)
{
	for (size_t i = 0; i < m->n; i++)
		if (off == m->insn[i].off) {
			arch_regs_set_pc(r, m->insn[i].orig);
			return 1;
		}
	/* Never single-step the pushfq: under PTRACE_SINGLESTEP it pushes
	 * rflags with TF set, which the stub's popfq would give the program
	 * (a SIGTRAP of its own after the next instruction).  Before it only
	 * the red zone was skipped: undo that, and the thread is at the
	 * probed instruction (a conditional exit's jcc sees the same flags
	 * again). */
	if (m->pushf_off && off == m->pushf_off) {
		arch_regs_set_sp(r, arch_regs_sp(r) + RED_ZONE);
		arch_regs_set_pc(r, m->hit_orig);
		return 1;
	}
	/* Nor the popfq: the kernel takes a stepped popf for the program's
	 * own use of TF and stops hiding the TF it set for the step, which
	 * the program can then keep after the detach.  Emulated instead. */
	if (m->popf_off && off == m->popf_off) {
		uint64_t flags;

		if (read(ctx, arch_regs_sp(r), &flags, sizeof(flags)) != (ssize_t)sizeof(flags))
			return -1;
		r->gp.eflags = flags & ~(uint64_t)0x100; /* never TF */
		arch_regs_set_sp(r, arch_regs_sp(r) + 8);
		arch_regs_set_pc(r, code + off + 1);
		return 0;
	}
	if (off == m->call_off && m->after_call > m->call_off)
		arch_regs_set_pc(r, code + m->after_call);
	return 0;
}
