/* fetch_plan_describe: a plan in words (see plan_describe.h). */
#define _GNU_SOURCE
#include "plan_describe.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arch.h"

static const char *reg_name(unsigned regno, char *buf, size_t size)
{
	const char *n = arch_reg_name(regno);

	if (n)
		return n;
	snprintf(buf, size, "DWARF register %u", regno);
	return buf;
}

/* "[rsp+8]", "[rbp-20]". */
static void reg_offset(unsigned regno, int64_t off, char *buf, size_t size)
{
	char tmp[32];

	if (off)
		snprintf(buf, size, "[%s%+" PRId64 "]", reg_name(regno, tmp, sizeof(tmp)), off);
	else
		snprintf(buf, size, "[%s]", reg_name(regno, tmp, sizeof(tmp)));
}

static void piece_describe(const struct fetch_piece *pc, uint64_t bias, char *buf, size_t size)
{
	char at[64], tmp[32];
	/* The stack pointer, or the frame pointer as code built with one
	 * uses it: a slot of the frame. */
	const char *area = (arch_reg_name(pc->regno) && (!strcmp(arch_reg_name(pc->regno), "rsp") ||
							 !strcmp(arch_reg_name(pc->regno), "rbp")))
				   ? "stack"
				   : "memory";

	switch (pc->kind) {
	case FETCH_REG:
		snprintf(buf, size, "register %s", reg_name(pc->regno, tmp, sizeof(tmp)));
		break;
	case FETCH_MEM:
		reg_offset(pc->regno, pc->offset, at, sizeof(at));
		snprintf(buf, size, "%s %s", area, at);
		break;
	case FETCH_MEM_INDIRECT:
		reg_offset(pc->regno, pc->offset, at, sizeof(at));
		snprintf(buf, size, "memory at the address in %s %s", area, at);
		break;
	case FETCH_ABS:
		snprintf(buf, size, "memory [0x%" PRIx64 "]", (uint64_t)pc->offset - bias);
		break;
	case FETCH_CONST:
		if (pc->data && pc->size && pc->size <= 8) {
			uint64_t v = 0;
			memcpy(&v, pc->data, pc->size); /* little endian, as the DWARF block */
			/* Signed, as gdb's "the constant -1" (the type decides
			 * how a value shows; this says what the bytes are). */
			if (pc->size < 8 && (v >> (8 * pc->size - 1)) & 1)
				v |= ~0ull << (8 * pc->size);
			snprintf(buf, size, "constant %" PRId64, (int64_t)v);
		} else {
			snprintf(buf, size, "constant (%" PRIu32 " bytes)", pc->size);
		}
		break;
	case FETCH_EXPR:
		snprintf(buf, size, "expression");
		break;
	case FETCH_OPTIMIZED_OUT:
		snprintf(buf, size, "optimized out");
		break;
	default:
		snprintf(buf, size, "unknown (piece kind %u)", pc->kind);
		break;
	}
}

char *fetch_plan_describe(const struct fetch_plan *p, uint64_t bias, char *buf, size_t size)
{
	size_t used = 0;

	if (!size)
		return buf;
	buf[0] = '\0';
	if (!p->available || !p->npieces) {
		snprintf(buf, size, "%s", p->why ? p->why : "optimized out");
		return buf;
	}
	for (unsigned i = 0; i < p->npieces && used < size; i++) {
		const struct fetch_piece *pc = &p->pieces[i];
		char one[128];
		int n;

		piece_describe(pc, bias, one, sizeof(one));
		if (p->npieces == 1)
			n = snprintf(buf + used, size - used, "%s", one);
		else
			n = snprintf(buf + used, size - used, "%sbytes %" PRIu32 "-%" PRIu32 ": %s", i ? ", " : "",
				     pc->dest, pc->dest + pc->size - 1, one);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}
