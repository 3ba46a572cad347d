/* Unit tests of probes inside functions: the agent engine's plan of one
 * (src/inject/patch_plan.c, patch_plan_point: an int3 at that instruction,
 * never a jump over a branch target), how a function's patches make room
 * for one (a point among the busy pcs), and fetch_plan_describe
 * (src/plan_describe.c) for `dwtrace list -v`.  Oracles: the instruction
 * lengths and branch targets of hand-assembled x86-64 (Intel SDM), the
 * DWARF register numbers of the SysV ABI (figure 3.36). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "inject/patch_plan.h"
#include "plan_describe.h"

#define BASE 0x401000u

/* A loop: the nop at +2 is within 5 bytes of the loop's head at +3, the
 * target of the jne: a jump patched at +2 would cut that target in two. */
static const uint8_t loop[] = {
	0x31, 0xc0,       /* +0 xor %eax,%eax */
	0x90,             /* +2 nop */
	0x83, 0xc0, 0x01, /* +3 add $1,%eax   <- jne's target */
	0x83, 0xf8, 0x05, /* +6 cmp $5,%eax */
	0x75, 0xf8,       /* +9 jne +3 */
	0xc3,             /* +11 ret */
};

static void test_point_is_trap(void **state)
{
	struct patch_range r = {BASE, loop, sizeof(loop)};
	struct patch_plan plan;
	char err[200];

	(void)state;
	assert_int_equal(patch_plan_point(BASE + 2, &r, 1, &plan, err, sizeof(err)), 0);
	assert_int_equal(plan.n, 1);
	assert_int_equal(plan.points[0].kind, PATCH_TRAP);
	assert_int_equal(plan.points[0].start, BASE + 2);
	assert_int_equal(plan.points[0].site_pc, BASE + 2);
	assert_int_equal(plan.points[0].len, 1);
	assert_true(plan.entry_only);
	patch_plan_free(&plan);

	/* At the loop's head itself, a 3-byte instruction. */
	assert_int_equal(patch_plan_point(BASE + 3, &r, 1, &plan, err, sizeof(err)), 0);
	assert_int_equal(plan.points[0].kind, PATCH_TRAP);
	assert_int_equal(plan.points[0].len, 3);
	assert_memory_equal(plan.points[0].orig, loop + 3, 3);
	patch_plan_free(&plan);
}

static void test_point_mid_instruction(void **state)
{
	struct patch_range r = {BASE, loop, sizeof(loop)};
	struct patch_plan plan;
	char err[200] = "";

	(void)state;
	assert_int_equal(patch_plan_point(BASE + 4, &r, 1, &plan, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not the start of an instruction"));
	assert_int_equal(plan.n, 0);
}

/* A function whose entry a 6-byte jump would take, over an instruction a
 * point probes: with the point among the busy pcs the entry becomes a
 * trap, and no patch covers the point. */
static void test_entry_makes_room(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x89, 0xf8, /* +0 mov %rdi,%rax */
		0x48, 0x01, 0xf0, /* +3 add %rsi,%rax   <- a point */
		0xc3,             /* +6 ret */
	};
	struct patch_range r = {BASE, code, sizeof(code)};
	uint64_t point = BASE + 3;
	struct patch_plan plan;
	char err[200];

	(void)state;
	assert_int_equal(patch_plan_function(BASE, &r, 1, false, false, NULL, 0, &plan, err, sizeof(err)), 0);
	assert_int_equal(plan.points[0].kind, PATCH_JUMP);
	assert_true(plan.points[0].start + plan.points[0].len > point);
	patch_plan_free(&plan);

	assert_int_equal(patch_plan_function(BASE, &r, 1, true, false, &point, 1, &plan, err, sizeof(err)), 0);
	assert_int_equal(plan.points[0].kind, PATCH_TRAP);
	for (size_t i = 0; i < plan.n; i++)
		assert_false(point > plan.points[i].start && point < plan.points[i].start + plan.points[i].len);
	patch_plan_free(&plan);
}

static void test_describe(void **state)
{
	static const uint8_t five[4] = {5, 0, 0, 0};
	struct fetch_plan p = {.available = true, .size = 8, .npieces = 1};
	char buf[256];

	(void)state;
	p.pieces[0] = (struct fetch_piece){.kind = FETCH_REG, .regno = 5, .size = 8};
	assert_string_equal(fetch_plan_describe(&p, 0, buf, sizeof(buf)), "register rdi");
	p.pieces[0] = (struct fetch_piece){.kind = FETCH_REG, .regno = 17, .size = 8};
	assert_string_equal(fetch_plan_describe(&p, 0, buf, sizeof(buf)), "register xmm0");
	p.pieces[0] = (struct fetch_piece){.kind = FETCH_MEM, .regno = 7, .size = 8, .offset = 8};
	assert_string_equal(fetch_plan_describe(&p, 0, buf, sizeof(buf)), "stack [rsp+8]");
	p.pieces[0] = (struct fetch_piece){.kind = FETCH_MEM, .regno = 6, .size = 4, .offset = -20};
	assert_string_equal(fetch_plan_describe(&p, 0, buf, sizeof(buf)), "stack [rbp-20]");
	p.pieces[0] = (struct fetch_piece){.kind = FETCH_MEM, .regno = 5, .size = 4, .offset = 16};
	assert_string_equal(fetch_plan_describe(&p, 0, buf, sizeof(buf)), "memory [rdi+16]");
	p.pieces[0] = (struct fetch_piece){.kind = FETCH_CONST, .size = 4, .data = five};
	assert_string_equal(fetch_plan_describe(&p, 0, buf, sizeof(buf)), "constant 5");
	static const uint8_t minus_one[4] = {0xff, 0xff, 0xff, 0xff};
	p.pieces[0] = (struct fetch_piece){.kind = FETCH_CONST, .size = 4, .data = minus_one};
	assert_string_equal(fetch_plan_describe(&p, 0, buf, sizeof(buf)), "constant -1");
	p.pieces[0] = (struct fetch_piece){.kind = FETCH_ABS, .size = 4, .offset = 0x4010};
	assert_string_equal(fetch_plan_describe(&p, 0, buf, sizeof(buf)), "memory [0x4010]");
	/* A file session loads the module at a base: shown as nm's address. */
	p.pieces[0].offset = 0x14010;
	assert_string_equal(fetch_plan_describe(&p, 0x10000, buf, sizeof(buf)), "memory [0x4010]");
	p.pieces[0] = (struct fetch_piece){.kind = FETCH_EXPR, .size = 8};
	assert_string_equal(fetch_plan_describe(&p, 0, buf, sizeof(buf)), "expression");

	p.size = 16;
	p.npieces = 2;
	p.pieces[0] = (struct fetch_piece){.kind = FETCH_REG, .regno = 0, .size = 8, .dest = 0};
	p.pieces[1] = (struct fetch_piece){.kind = FETCH_OPTIMIZED_OUT, .size = 8, .dest = 8};
	assert_string_equal(fetch_plan_describe(&p, 0, buf, sizeof(buf)),
			    "bytes 0-7: register rax, bytes 8-15: optimized out");

	p.available = false;
	p.why = NULL;
	assert_string_equal(fetch_plan_describe(&p, 0, buf, sizeof(buf)), "optimized out");
	p.why = "unsupported DWARF operation";
	assert_string_equal(fetch_plan_describe(&p, 0, buf, sizeof(buf)), "unsupported DWARF operation");
	/* Cut short, still a string. */
	p.available = true;
	assert_int_equal(strlen(fetch_plan_describe(&p, 0, buf, 10)), 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_point_is_trap),
		cmocka_unit_test(test_point_mid_instruction),
		cmocka_unit_test(test_entry_makes_room),
		cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
