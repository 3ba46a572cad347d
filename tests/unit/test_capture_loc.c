/* Capture programs for plans made from DWARF locations (issue 13): a
 * LAYOUT_POINT whose fields and locals are FETCH_ABS, FETCH_CONST,
 * FETCH_OPTIMIZED_OUT and FETCH_EXPR pieces.  Compiling the layout,
 * running the program at a fake hit (capture_run, as both producers do)
 * and decoding the record must give what decoding the fake live memory
 * gives, strings behind the pointers included; what the capture cannot
 * know before the hit (an address from two registers) must decode as
 * unreadable, never as other bytes.  Expected values are the ones the
 * test puts in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dwarf.h>

#include "capture_prog.h"
#include "capture_run.h"
#include "dw_loc.h"
#include "fake_hit.h"
#include "record.h"

static struct dw_type t_int = {.kind = DW_KIND_SINT, .name = "int", .size = 4};
static struct dw_type t_long = {.kind = DW_KIND_SINT, .name = "long", .size = 8};
static struct dw_type t_char = {.kind = DW_KIND_SINT, .name = "char", .size = 1, .is_char = true};
static struct dw_type t_charp = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_char};

#define SP 0x7ffe1000ull
#define GLOBAL 0x8000ull

/* The expressions, as GCC writes them. */
static Dwarf_Op cfa_ops[] = {{.atom = DW_OP_bregx, .number = DWT_DW_SP, .number2 = 24}};
static struct dw_loc_expr cfa = {.ops = cfa_ops, .nops = 1};
static Dwarf_Op fb_ops[] = {{.atom = DW_OP_call_frame_cfa}};
static struct dw_loc_expr fb = {.ops = fb_ops, .nops = 1, .cfa = &cfa};
/* A char * stored where the pointer at rsp+8 points. */
static Dwarf_Op deref_ops[] = {{.atom = DW_OP_breg7, .number = 8}, {.atom = DW_OP_deref}};
static struct dw_loc_expr deref_expr = {.ops = deref_ops, .nops = 2};
/* rbx + 5, a computed value. */
static Dwarf_Op sv_ops[] = {{.atom = DW_OP_breg3, .number = 0}, {.atom = DW_OP_lit5}, {.atom = DW_OP_plus},
			    {.atom = DW_OP_stack_value}};
static struct dw_loc_expr sv_expr = {.ops = sv_ops, .nops = 4};
/* An int at frame base - 4 (CFA = rsp + 24: rsp + 20). */
static Dwarf_Op fbreg_ops[] = {{.atom = DW_OP_fbreg, .number = (Dwarf_Word)-4}};
static struct dw_loc_expr fbreg_expr = {.ops = fbreg_ops, .nops = 1, .frame_base = &fb, .cfa = &cfa};
/* An int at rax + rcx: known at the hit only. */
static Dwarf_Op two_ops[] = {{.atom = DW_OP_breg0, .number = 0}, {.atom = DW_OP_breg2, .number = 0},
			     {.atom = DW_OP_plus}};
static struct dw_loc_expr two_expr = {.ops = two_ops, .nops = 3};
/* Pieces: low 4 bytes in memory at rsp+24, high 4 bytes in rsi. */
static Dwarf_Op pieces_ops[] = {{.atom = DW_OP_breg7, .number = 24}, {.atom = DW_OP_piece, .number = 4},
				{.atom = DW_OP_reg4}, {.atom = DW_OP_piece, .number = 4}};
static struct dw_loc_expr pieces_expr = {.ops = pieces_ops, .nops = 4};

static const uint8_t k42[4] = {42, 0, 0, 0};

static struct layout_field fields[] = {
	{.name = "g", .type = &t_charp,
	 .plan = {.available = true, .size = 8, .npieces = 1, .pieces = {{.kind = FETCH_ABS, .size = 8, .offset = GLOBAL}}}},
	{.name = "k", .type = &t_int,
	 .plan = {.available = true, .size = 4, .npieces = 1, .pieces = {{.kind = FETCH_CONST, .size = 4, .data = k42}}}},
	{.name = "o", .type = &t_int,
	 .plan = {.available = true, .size = 4, .npieces = 1, .pieces = {{.kind = FETCH_OPTIMIZED_OUT, .size = 4}}}},
	{.name = "gone", .type = &t_int, .plan = {.available = false, .size = 4}},
};

static struct layout_field locals[] = {
	{.name = "e", .type = &t_charp,
	 .plan = {.available = true, .size = 8, .npieces = 1, .pieces = {{.kind = FETCH_EXPR, .size = 8, .data = &deref_expr}}}},
	{.name = "sv", .type = &t_long,
	 .plan = {.available = true, .size = 8, .npieces = 1, .pieces = {{.kind = FETCH_EXPR, .size = 8, .data = &sv_expr}}}},
	{.name = "fb", .type = &t_int,
	 .plan = {.available = true, .size = 4, .npieces = 1, .pieces = {{.kind = FETCH_EXPR, .size = 4, .data = &fbreg_expr}}}},
	{.name = "two", .type = &t_int,
	 .plan = {.available = true, .size = 4, .npieces = 1, .pieces = {{.kind = FETCH_EXPR, .size = 4, .data = &two_expr}}}},
	{.name = "pc", .type = &t_long,
	 .plan = {.available = true, .size = 8, .npieces = 1, .pieces = {{.kind = FETCH_EXPR, .size = 8, .data = &pieces_expr}}}},
};

static struct event_layout layout = {.function = "f", .fields = fields, .nfields = 4, .kind = LAYOUT_POINT,
				     .locals = locals, .nlocals = 5, .from_locations = true};

static void fill(struct fake_hit *f)
{
	uint8_t stack[32] = {0};
	uint64_t p;
	int32_t v;

	fake_unmap_all(f);
	memset(f, 0, sizeof(*f));
	f->regs.gpr[DWT_DW_SP] = SP;
	f->regs.gpr[3] = 1000;          /* rbx */
	f->regs.gpr[0] = 0xa000;        /* rax */
	f->regs.gpr[2] = 0x10;          /* rcx (DWARF 2) */
	f->regs.gpr[4] = 0x55667788;    /* rsi */
	fake_map(f, 0x1000, "alpha", 6);
	fake_map(f, 0x1100, "beta", 5);
	p = 0x1000;
	fake_map(f, GLOBAL, &p, 8);          /* g = "alpha" */
	p = 0x9000;
	memcpy(stack + 8, &p, 8);       /* *(rsp+8) = 0x9000 */
	v = -77;
	memcpy(stack + 20, &v, 4);      /* fb */
	fake_map(f, SP, stack, sizeof(stack)); /* rsp + 24: zeros */
	p = 0x1100;
	fake_map(f, 0x9000, &p, 8);          /* e = "beta" */
	v = 123;
	fake_map(f, 0xa010, &v, 4);          /* two = *(rax + rcx) */
}

static void test_point_record_equals_live(void **state)
{
	(void)state;
	static struct fake_hit f;
	static struct capture_prog prog;
	static uint8_t buf[DWT_MAX_RECORD] __attribute__((aligned(8)));
	struct capture_record r;
	struct decode_opts o = {.string_limit = 16, .array_limit = 8};
	struct arena a1 = {0}, a2 = {0};
	struct value_source live = {&f, fake_live_reg, fake_live_mem}, rec;
	struct value *vl, *vr;
	int64_t pcv;

	fill(&f);
	capture_prog_compile(&prog, &layout, false, &o, false);
	assert_int_equal(prog.left_out, 0);
	fake_capture(&f, &prog, buf, &r);
	rec = record_value_source(&r);
	vl = decode_entry(&layout, &live, &o, &a1);
	vr = decode_entry(&layout, &rec, &o, &a2);

	/* g: a global's pointer, and the string it points to. */
	assert_true(vr[0].available);
	assert_true(vr[0].has_string);
	assert_string_equal(vr[0].str, "alpha");
	assert_string_equal(vl[0].str, "alpha");
	/* k: a constant. */
	assert_true(vr[1].available);
	assert_int_equal(value_as_s64(&vr[1]), 42);
	/* o, gone: optimized out, said so. */
	assert_false(vr[2].available);
	assert_string_equal(vr[2].why, "optimized out");
	assert_false(vr[3].available);
	assert_string_equal(vr[3].why, "optimized out");
	assert_false(vl[2].available);
	/* e: the char * stored at *(rsp+8), and its characters. */
	assert_true(vr[4].available);
	assert_int_equal(value_as_u64(&vr[4]), 0x1100);
	assert_string_equal(vr[4].str, "beta");
	assert_string_equal(vl[4].str, "beta");
	/* sv: rbx + 5. */
	assert_true(vr[5].available);
	assert_int_equal(value_as_s64(&vr[5]), 1005);
	/* fb: the int at CFA - 4 = rsp + 20. */
	assert_true(vr[6].available);
	assert_int_equal(value_as_s64(&vr[6]), -77);
	assert_int_equal(value_as_s64(&vl[6]), -77);
	/* two: live reads it; the record cannot hold it: unreadable. */
	assert_true(vl[7].available);
	assert_int_equal(value_as_s64(&vl[7]), 123);
	assert_false(vr[7].available);
	assert_string_equal(vr[7].why, "unreadable");
	/* pc: low half from rsp + 24 (zeros), high half from rsi. */
	assert_true(vr[8].available);
	pcv = value_as_s64(&vr[8]);
	assert_int_equal((uint64_t)pcv, 0x5566778800000000ull);
	assert_int_equal(value_as_s64(&vl[8]), pcv);
	arena_free(&a1);
	arena_free(&a2);
	fake_unmap_all(&f);
}

/* The pointer chain through a deref: *(rsp+8) is a pointer to a char *;
 * once the stack slot holds an unmapped address, unreadable. */
static void test_deref_chain(void **state)
{
	(void)state;
	static struct fake_hit f;
	static struct capture_prog prog;
	static uint8_t buf[DWT_MAX_RECORD] __attribute__((aligned(8)));
	struct capture_record r;
	struct decode_opts o = {.string_limit = 16, .array_limit = 8};
	struct arena a = {0};
	struct value_source rec;
	struct value *v;
	struct event_layout l = {.function = "f", .kind = LAYOUT_POINT, .locals = locals, .nlocals = 1};

	fill(&f); /* *(rsp+8) = 0x9000, *0x9000 = 0x1100 = "beta" */
	capture_prog_compile(&prog, &l, false, &o, false);
	fake_capture(&f, &prog, buf, &r);
	/* The stack read is flagged for the agent's direct copy; the others are not. */
	assert_int_equal(prog.ops[0].base, DWT_BASE_REG);
	assert_int_equal(prog.ops[0].flags & DWT_OP_STACK, DWT_OP_STACK);
	assert_int_equal(prog.ops[1].base, DWT_BASE_PTR);
	assert_int_equal(prog.ops[1].flags & DWT_OP_STACK, 0);
	rec = record_value_source(&r);
	v = decode_entry(&l, &rec, &o, &a);
	assert_true(v[0].available);
	assert_int_equal(value_as_u64(&v[0]), 0x1100);
	assert_string_equal(v[0].str, "beta");
	arena_free(&a);

	/* The slot now points nowhere: unreadable, never other bytes. */
	memset(f.regions[3].bytes + 8, 0x77, 8);
	fake_capture(&f, &prog, buf, &r);
	rec = record_value_source(&r);
	v = decode_entry(&l, &rec, &o, &a);
	assert_false(v[0].available);
	assert_string_equal(v[0].why, "unreadable");
	arena_free(&a);
	fake_unmap_all(&f);
}

/* DWT_BASE_ABS at the hit: the address is the offset; unmapped is unreadable. */
static void test_abs_op(void **state)
{
	(void)state;
	static struct fake_hit f;
	struct capture_mem mem = {&f, fake_capture_read};
	struct dwt_cap_op ops[2] = {{.kind = DWT_CAP_MEM, .base = DWT_BASE_ABS, .size = 8, .offset = GLOBAL},
				    {.kind = DWT_CAP_MEM, .base = DWT_BASE_ABS, .size = 8, .offset = 0x123456}};
	uint8_t out[128] __attribute__((aligned(8)));
	struct dwt_blob b;
	uint64_t p;

	fill(&f);
	assert_int_equal(capture_run(ops, 2, &f.regs, &mem, out, sizeof(out)), 2 * (sizeof(b) + 8) - 8);
	memcpy(&b, out, sizeof(b));
	assert_int_equal(b.addr, GLOBAL);
	assert_int_equal(b.len, 8);
	memcpy(&p, out + sizeof(b), 8);
	assert_int_equal(p, 0x1000);
	memcpy(&b, out + sizeof(b) + 8, sizeof(b));
	assert_int_equal(b.flags, DWT_BLOB_UNREADABLE);
	assert_int_equal(b.len, 0);
	fake_unmap_all(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_point_record_equals_live),
		cmocka_unit_test(test_deref_chain),
		cmocka_unit_test(test_abs_op),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
