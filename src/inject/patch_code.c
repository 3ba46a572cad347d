/* The bytes of planned patch points. */
#include "patch_code.h"

#include <stdio.h>
#include <string.h>

#include "agent/agent_abi.h"

int patch_point_code(const struct patch_point *p, uint64_t at, uint32_t site, uint64_t hit, bool vregs,
		     uint8_t *code, size_t cap, size_t *code_len, uint8_t *patch, size_t *patch_len,
		     struct arch_stub_map *map, char *err, size_t errsize)
{
	int n;

	memset(map, 0, sizeof(*map));
	if (p->kind == PATCH_TRAP) {
		size_t insn_len;

		if (cap < ARCH_OOL_MAX) {
			snprintf(err, errsize, "no room for the out-of-line copy");
			return -1;
		}
		n = arch_relocate(p->orig, p->len, p->start, at, code, &insn_len, err, errsize);
		if (n < 0)
			return -1;
		map->n = 1;
		map->insn[0].off = 0;
		map->insn[0].orig = p->start;
		map->len = (size_t)n;
		/* No call in a copy: nothing to step over. */
		map->call_off = map->after_call = (uint32_t)n;
		*code_len = (size_t)n;
		patch[0] = ARCH_BREAKPOINT_BYTE;
		*patch_len = 1;
		return 0;
	}
	{
		struct arch_stub_spec s = {
			.at = at,
			.site_pc = p->site_pc,
			.site = site,
			.hit = hit,
			.vregs = vregs,
			.pre = p->orig,
			.npre = p->npre,
			.pre_orig = p->start,
			.post = p->orig + p->npre,
			.npost = (size_t)(p->len - p->npre),
			.post_orig = p->start + p->npre,
			.cond = p->cond,
			.x87 = p->rec == DWT_REC_EXIT,
		};

		n = arch_stub_build(&s, code, cap, map, err, errsize);
		if (n < 0)
			return -1;
		if (arch_jump_patch(p->start, at, patch) != 0) {
			snprintf(err, errsize, "the stub is out of reach of a jump");
			return -1;
		}
		*code_len = (size_t)n;
		*patch_len = ARCH_JUMP_PATCH_LEN;
		return 0;
	}
}

int patch_point_make_trap(struct patch_point *p, const char *why)
{
	struct arch_insn in;
	char err[80];

	if (p->kind == PATCH_TRAP)
		return 0;
	if (p->cond)
		return -1;
	/* Exits: the probed instruction is the last displaced one. */
	if (p->npre) {
		memmove(p->orig, p->orig + p->npre, (size_t)(p->len - p->npre));
		p->start += p->npre;
		p->len = (uint8_t)(p->len - p->npre);
		p->npre = 0;
	}
	if (arch_decode_flow(p->orig, p->len, p->start, &in, err, sizeof(err)) != 0)
		return -1;
	p->len = in.len;
	p->site_pc = p->start;
	p->kind = PATCH_TRAP;
	snprintf(p->why, sizeof(p->why), "%s", why);
	return 0;
}
