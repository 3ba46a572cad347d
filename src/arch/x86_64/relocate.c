/* Out-of-line copies of displaced instructions (x86-64, Zydis).
 *
 * The breakpoint replaces the first byte of an instruction; the instruction
 * itself runs from a slot in the scratch area, followed by a jump back.  What
 * depends on where it runs is fixed up: RIP-relative operands get a new
 * displacement, relative jumps are re-encoded with 32-bit displacements, and
 * calls push the original return address themselves.  What cannot run
 * elsewhere (loop, jrcxz, xbegin, calls through rsp) is refused. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "arch.h"

struct emitter {
	uint8_t *out;
	size_t len;
	uint64_t base;   /* address of out[0] in the target */
};

static void emit(struct emitter *e, const void *bytes, size_t n)
{
	memcpy(e->out + e->len, bytes, n);
	e->len += n;
}

static bool fits_rel32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* A jump to target: jmp rel32 when it reaches, else jmp [rip+0] + address. */
static void emit_jmp(struct emitter *e, uint64_t target)
{
	int64_t rel = (int64_t)(target - (e->base + e->len + 5));

	if (fits_rel32(rel)) {
		int32_t r = (int32_t)rel;
		uint8_t op = 0xe9;
		emit(e, &op, 1);
		emit(e, &r, 4);
	} else {
		static const uint8_t jmp_abs[] = {0xff, 0x25, 0, 0, 0, 0};
		emit(e, jmp_abs, sizeof(jmp_abs));
		emit(e, &target, 8);
	}
}

/* Pushes a 64-bit constant without touching flags or other registers. */
static void emit_push_imm64(struct emitter *e, uint64_t v)
{
	static const uint8_t lea_rsp[] = {0x48, 0x8d, 0x64, 0x24, 0xf8}; /* lea rsp, [rsp-8] */
	static const uint8_t mov_lo[] = {0xc7, 0x04, 0x24};             /* mov dword [rsp], imm32 */
	static const uint8_t mov_hi[] = {0xc7, 0x44, 0x24, 0x04};       /* mov dword [rsp+4], imm32 */
	uint32_t lo = (uint32_t)v, hi = (uint32_t)(v >> 32);

	emit(e, lea_rsp, sizeof(lea_rsp));
	emit(e, mov_lo, sizeof(mov_lo));
	emit(e, &lo, 4);
	emit(e, mov_hi, sizeof(mov_hi));
	emit(e, &hi, 4);
}

/* Copies the instruction to the emitter with its RIP-relative displacement
 * adjusted for where the copy lands. */
static int emit_moved(struct emitter *e, const uint8_t *code, const ZydisDecodedInstruction *in, uint64_t orig,
		      char *err, size_t errsize)
{
	size_t at = e->len;

	emit(e, code, in->length);
	if (in->attributes & ZYDIS_ATTRIB_HAS_MODRM && in->raw.modrm.mod == 0 && in->raw.modrm.rm == 5) {
		int64_t disp = in->raw.disp.value + (int64_t)(orig - (e->base + at));
		int32_t d32;
		if (in->raw.disp.size != 32 || !fits_rel32(disp)) {
			snprintf(err, errsize, "RIP-relative operand out of reach of the scratch area");
			return -1;
		}
		d32 = (int32_t)disp;
		memcpy(e->out + at + in->raw.disp.offset, &d32, 4);
	}
	return 0;
}

static bool uses_rsp(const ZydisDecodedOperand *ops, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    (ops[i].mem.base == ZYDIS_REGISTER_RSP || ops[i].mem.index == ZYDIS_REGISTER_RSP))
			return true;
		else if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER && ops[i].visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT &&
			 ops[i].reg.value == ZYDIS_REGISTER_RSP)
			return true;
	return false;
}

/* Relocates the instruction at orig (code, avail bytes of it) to where
 * emitter e stands.  jump_back: a jump to the next original instruction
 * follows when the copy goes on there; without it the caller puts what
 * comes next right after the copy.  *ends: the copy never goes on to the
 * next instruction (jmp, ret, a call, which became a jump).  Returns 0, or
 * -1 with err (e unchanged then). */
static int relocate_one(const uint8_t *code, size_t avail, uint64_t orig, struct emitter *e0, size_t *insn_len,
			bool jump_back, bool *ends, char *err, size_t errsize)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	struct emitter e = *e0;
	uint64_t next, target = 0, slot = e.base + e.len;
	char name[64];

	*ends = false;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code, avail, &in, ops))) {
		snprintf(err, errsize, "cannot decode the instruction");
		return -1;
	}
	*insn_len = in.length;
	next = orig + in.length;
	snprintf(name, sizeof(name), "%s", ZydisMnemonicGetString(in.mnemonic));

	switch (in.mnemonic) {
	case ZYDIS_MNEMONIC_JRCXZ:
	case ZYDIS_MNEMONIC_JECXZ:
	case ZYDIS_MNEMONIC_JCXZ:
	case ZYDIS_MNEMONIC_LOOP:
	case ZYDIS_MNEMONIC_LOOPE:
	case ZYDIS_MNEMONIC_LOOPNE:
	case ZYDIS_MNEMONIC_XBEGIN:
		snprintf(err, errsize, "cannot relocate '%s' (a short branch with no long form)", name);
		return -1;
	default:
		break;
	}

	if (in.meta.category == ZYDIS_CATEGORY_UNCOND_BR || in.meta.category == ZYDIS_CATEGORY_COND_BR ||
	    in.meta.category == ZYDIS_CATEGORY_CALL) {
		bool relative_imm = ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && ops[0].imm.is_relative;

		if (relative_imm && !ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in, &ops[0], orig, &target))) {
			snprintf(err, errsize, "cannot compute the target of '%s'", name);
			return -1;
		}
		if (in.meta.category == ZYDIS_CATEGORY_UNCOND_BR && relative_imm) {
			emit_jmp(&e, target);
			*ends = true;
			goto done;
		}
		if (in.meta.category == ZYDIS_CATEGORY_COND_BR && relative_imm) {
			/* jcc rel32 to the target, else on to the next instruction. */
			uint8_t cc = in.opcode & 0x0f;
			uint8_t jcc[2] = {0x0f, (uint8_t)(0x80 | cc)};
			int64_t rel;
			int32_t r;
			if (in.opcode_map != ZYDIS_OPCODE_MAP_DEFAULT && in.opcode_map != ZYDIS_OPCODE_MAP_0F) {
				snprintf(err, errsize, "cannot relocate '%s'", name);
				return -1;
			}
			rel = (int64_t)(target - (slot + 6));
			if (!fits_rel32(rel)) {
				snprintf(err, errsize, "the target of '%s' is out of reach of the scratch area", name);
				return -1;
			}
			r = (int32_t)rel;
			emit(&e, jcc, 2);
			emit(&e, &r, 4);
			if (jump_back)
				emit_jmp(&e, next);
			goto done;
		}
		if (in.meta.category == ZYDIS_CATEGORY_CALL) {
			if (in.mnemonic != ZYDIS_MNEMONIC_CALL || in.operand_count_visible != 1 ||
			    uses_rsp(ops, in.operand_count_visible)) {
				snprintf(err, errsize, "cannot relocate '%s'", name);
				return -1;
			}
			/* The call pushes the original return address itself. */
			emit_push_imm64(&e, next);
			*ends = true;
			if (relative_imm) {
				emit_jmp(&e, target);
				goto done;
			}
			/* call r/m64 (ff /2) becomes jmp r/m64 (ff /4). */
			if (in.opcode != 0xff || !(in.attributes & ZYDIS_ATTRIB_HAS_MODRM)) {
				snprintf(err, errsize, "cannot relocate '%s'", name);
				return -1;
			}
			{
				size_t at = e.len;
				if (emit_moved(&e, code, &in, orig, err, errsize) != 0)
					return -1;
				e.out[at + in.raw.modrm.offset] =
					(uint8_t)((e.out[at + in.raw.modrm.offset] & ~0x38) | (4 << 3));
			}
			goto done;
		}
		/* Indirect jumps: only the RIP-relative operand needs care. */
		if (!relative_imm) {
			if (emit_moved(&e, code, &in, orig, err, errsize) != 0)
				return -1;
			*ends = true;
			goto done;
		}
		snprintf(err, errsize, "cannot relocate '%s'", name);
		return -1;
	}
	if ((in.attributes & ZYDIS_ATTRIB_IS_RELATIVE) &&
	    !(in.attributes & ZYDIS_ATTRIB_HAS_MODRM && in.raw.modrm.mod == 0 && in.raw.modrm.rm == 5)) {
		snprintf(err, errsize, "cannot relocate '%s' (relative operand)", name);
		return -1;
	}
	if (emit_moved(&e, code, &in, orig, err, errsize) != 0)
		return -1;
	if (in.meta.category == ZYDIS_CATEGORY_RET)
		*ends = true;
	else if (jump_back)
		emit_jmp(&e, next);
done:
	*e0 = e;
	return 0;
}

int arch_relocate(const uint8_t *code, size_t avail, uint64_t orig, uint64_t slot, uint8_t *out, size_t *insn_len,
		  char *err, size_t errsize)
{
	struct emitter e = {out, 0, slot};
	bool ends;

	if (relocate_one(code, avail, orig, &e, insn_len, true, &ends, err, errsize) != 0)
		return -1;
	return (int)e.len;
}

/* The instructions a patch displaces run one after the other in the stub;
 * what would make the copy wrong is refused: a call before the last one
 * (its return address would point into the patch), a system call (a
 * restart or a thread stopped in it would sit in the stub), a relative
 * branch into the displaced bytes past their first (the original bytes are
 * gone there). */
int arch_relocate_seq(const uint8_t *code, size_t n, uint64_t orig, uint64_t at, uint8_t *out, size_t cap,
		      bool jump_back, struct arch_reloc_insn *map, size_t *nmap, bool *ends, char *err,
		      size_t errsize)
{
	struct emitter e = {out, 0, at};
	ZydisDecoder dec;
	size_t off = 0, k = 0;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
	*ends = false;
	while (off < n) {
		ZydisDecodedInstruction in;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		uint64_t pc = orig + off, target;
		size_t len;
		bool last;

		if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, code + off, n - off, &in, ops))) {
			snprintf(err, errsize, "cannot decode the instruction at +%zu", off);
			return -1;
		}
		last = off + in.length == n;
		if (in.meta.category == ZYDIS_CATEGORY_SYSCALL || in.meta.category == ZYDIS_CATEGORY_INTERRUPT ||
		    in.mnemonic == ZYDIS_MNEMONIC_SYSENTER) {
			snprintf(err, errsize, "'%s' among the displaced instructions", ZydisMnemonicGetString(in.mnemonic));
			return -1;
		}
		if (in.meta.category == ZYDIS_CATEGORY_CALL && !last) {
			snprintf(err, errsize, "a call before the last displaced instruction");
			return -1;
		}
		if (*ends) {
			snprintf(err, errsize, "displaced instructions after a jump or return");
			return -1;
		}
		if ((in.attributes & ZYDIS_ATTRIB_IS_RELATIVE) && ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE &&
		    ops[0].imm.is_relative && ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&in, &ops[0], pc, &target)) &&
		    target > orig && target < orig + n) {
			snprintf(err, errsize, "a branch into the displaced bytes (+%" PRIu64 ")", target - orig);
			return -1;
		}
		if (e.len + ARCH_OOL_MAX > cap) {
			snprintf(err, errsize, "the displaced instructions do not fit their stub");
			return -1;
		}
		if (map) {
			map[k].off = (uint32_t)e.len;
			map[k].orig = pc;
		}
		/* The next displaced instruction's copy follows this one's. */
		if (relocate_one(code + off, n - off, pc, &e, &len, last && jump_back, ends, err, errsize) != 0)
			return -1;
		off += len;
		k++;
	}
	if (nmap)
		*nmap = k;
	return (int)e.len;
}
