/* Capture programs: compiling a layout (probes/capture_prog.c), running
 * the program at a "hit" (capture_run(), as both producers do) over a fake
 * memory, and decoding the record (probes/record.c) must give exactly
 * what decoding the fake live memory gives -- strings, std::string and
 * string_view characters, the referent of a C++ reference and the strings
 * it points to, a by-value struct on the stack with char * members, an
 * object passed by invisible reference from a stack slot -- and what does
 * not fit the bounds must decode as unreadable, never as other bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture_prog.h"
#include "capture_run.h"
#include "fake_hit.h"
#include "record.h"

/* ---- types -------------------------------------------------------------- */
static struct dw_type t_int = {.kind = DW_KIND_SINT, .name = "int", .size = 4};
static struct dw_type t_ulong = {.kind = DW_KIND_UINT, .name = "unsigned long", .size = 8};
static struct dw_type t_char = {.kind = DW_KIND_SINT, .name = "char", .size = 1, .is_char = true};
static struct dw_type t_charp = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_char};
static struct dw_type t_charp2 = {.kind = DW_KIND_ARRAY, .size = 16, .target = &t_charp, .count = 2};
/* struct item { int id; char *label; char *tags[2]; }: 32 bytes */
static struct dw_member item_members[] = {{.name = "id", .type = &t_int, .offset = 0},
					  {.name = "label", .type = &t_charp, .offset = 8},
					  {.name = "tags", .type = &t_charp2, .offset = 16}};
static struct dw_type t_item = {.kind = DW_KIND_STRUCT, .name = "item", .size = 32, .members = item_members,
				.nmembers = 3};
static struct dw_type t_item_ref = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_item, .reference = 1};
/* std::string (libstdc++): data pointer at 0, length at 8, 32 bytes */
static struct dw_member string_members[] = {{.name = "_M_p", .type = &t_charp, .offset = 0},
					    {.name = "_M_string_length", .type = &t_ulong, .offset = 8}};
static struct dw_type t_string = {.kind = DW_KIND_STRUCT, .name = "string", .size = 32, .members = string_members,
				  .nmembers = 2, .cxx_string = true, .str_data_off = 0, .str_len_off = 8,
				  .by_reference = true};
/* std::string_view: length at 0, data at 8, 16 bytes, passed in two registers */
static struct dw_member view_members[] = {{.name = "_M_len", .type = &t_ulong, .offset = 0},
					  {.name = "_M_str", .type = &t_charp, .offset = 8}};
static struct dw_type t_view = {.kind = DW_KIND_STRUCT, .name = "string_view", .size = 16, .members = view_members,
				.nmembers = 2, .cxx_string = true, .str_data_off = 8, .str_len_off = 0};

#define SP 0x7ffe1000ull

/* f(char *name, const item &ref, string_view v, char *bad, char *edge,
 *   item byval [stack, rsp+8], std::string s [invisible reference in the
 *   stack slot rsp+40]) -- places as a test of decode, not of the ABI. */
static struct layout_field fields[] = {
	{.name = "name", .type = &t_charp,
	 .plan = {.available = true, .size = 8, .npieces = 1, .pieces = {{FETCH_REG, 5, 8, 0, 0}}}},
	{.name = "ref", .type = &t_item_ref,
	 .plan = {.available = true, .size = 8, .npieces = 1, .pieces = {{FETCH_REG, 4, 8, 0, 0}}}},
	{.name = "v", .type = &t_view,
	 .plan = {.available = true, .size = 16, .npieces = 2, .pieces = {{FETCH_REG, 1, 8, 0, 0}, {FETCH_REG, 2, 8, 8, 0}}}},
	{.name = "bad", .type = &t_charp,
	 .plan = {.available = true, .size = 8, .npieces = 1, .pieces = {{FETCH_REG, 8, 8, 0, 0}}}},
	{.name = "edge", .type = &t_charp,
	 .plan = {.available = true, .size = 8, .npieces = 1, .pieces = {{FETCH_REG, 9, 8, 0, 0}}}},
	{.name = "byval", .type = &t_item,
	 .plan = {.available = true, .size = 32, .npieces = 1, .pieces = {{FETCH_MEM, DWT_DW_SP, 32, 0, 8}}}},
	{.name = "s", .type = &t_string,
	 .plan = {.available = true, .size = 32, .npieces = 1, .pieces = {{FETCH_MEM_INDIRECT, DWT_DW_SP, 32, 0, 40}}}},
};

static struct event_layout layout = {.function = "f", .fields = fields, .nfields = 7};

static void fill(struct fake_hit *f)
{
	uint8_t stack[64] = {0}, item[32] = {0}, str[32] = {0};
	uint64_t p;
	int32_t id;

	memset(f, 0, sizeof(*f));
	f->regs.gpr[5] = 0x1000;             /* name */
	f->regs.gpr[4] = 0x2000;             /* ref */
	f->regs.gpr[1] = 5;                  /* v: length */
	f->regs.gpr[2] = 0x3000;             /* v: data, "viewed" (not NUL-terminated there) */
	f->regs.gpr[8] = 0xdead0000;         /* bad */
	f->regs.gpr[9] = 0x6ffd;             /* edge: "ab\0" ends at the region's last byte */
	f->regs.gpr[DWT_DW_SP] = SP;
	fake_map(f, 0x1000, "alpha", 6);
	/* the referent: {7, "ref-label", {"t0", NULL}} */
	id = 7;
	memcpy(item, &id, 4);
	p = 0x4000;
	memcpy(item + 8, &p, 8);
	p = 0x4100;
	memcpy(item + 16, &p, 8);
	fake_map(f, 0x2000, item, 32);
	fake_map(f, 0x3000, "viewed", 6);
	{
		char txt[0x103] = "ref-label";
		strcpy(txt + 0x100, "t0");
		fake_map(f, 0x4000, txt, sizeof(txt));
	}
	fake_map(f, 0x6ff0, "0123456789abcab", 16); /* 0x6ffd: "ab\0" */
	/* by value on the stack: {9, "by-label", {"x1", "x2"}}; the string's address at rsp+40 */
	id = 9;
	memcpy(stack + 8, &id, 4);
	p = 0x5000;
	memcpy(stack + 16, &p, 8);
	p = 0x5010;
	memcpy(stack + 24, &p, 8);
	p = 0x5020;
	memcpy(stack + 32, &p, 8);
	p = 0x5800;
	memcpy(stack + 40, &p, 8);
	fake_map(f, SP, stack, sizeof(stack));
	/* the std::string object at 0x5800: data 0x5900, length 11 */
	p = 0x5900;
	memcpy(str, &p, 8);
	p = 11;
	memcpy(str + 8, &p, 8);
	fake_map(f, 0x5800, str, 32);
	{
		char lbl[0x40] = {0};
		strcpy(lbl, "by-label");
		strcpy(lbl + 0x10, "x1");
		strcpy(lbl + 0x20, "x2");
		memcpy(lbl + 0x30, "hello world!", 12);
		fake_map(f, 0x5000, lbl, 0x30);
		fake_map(f, 0x5900, lbl + 0x30, 12);
	}
}

/* Value trees equal: availability, image bytes, strings, children. */
static void assert_same(const struct value *a, const struct value *b)
{
	assert_int_equal(a->available, b->available);
	assert_int_equal(a->size, b->size);
	if (a->available && a->size)
		assert_memory_equal(a->bytes, b->bytes, a->size);
	assert_int_equal(a->has_string, b->has_string);
	if (a->has_string) {
		assert_int_equal(a->str_len, b->str_len);
		assert_memory_equal(a->str, b->str, a->str_len);
		assert_int_equal(a->str_truncated, b->str_truncated);
	}
	assert_int_equal(a->nchildren, b->nchildren);
	assert_int_equal(a->children_truncated, b->children_truncated);
	for (size_t i = 0; i < a->nchildren; i++)
		assert_same(&a->children[i], &b->children[i]);
}

static uint8_t record_buf[DWT_MAX_RECORD] __attribute__((aligned(8)));

static void test_record_equals_live(void **state)
{
	static struct fake_hit f;
	static struct capture_prog prog;
	struct capture_record r;
	struct decode_opts o = {.string_limit = 16, .array_limit = 8};
	struct arena a1 = {0}, a2 = {0};
	struct value_source live = {&f, fake_live_reg, fake_live_mem}, rec;
	struct value *vl, *vr;

	fill(&f);
	capture_prog_compile(&prog, &layout, false, &o, false);
	assert_int_equal(prog.left_out, 0);
	assert_int_equal(prog.go_stack_hi_op, -1);
	fake_capture(&f, &prog, record_buf, &r);
	rec = record_value_source(&r);
	vl = decode_entry(&layout, &live, &o, &a1);
	vr = decode_entry(&layout, &rec, &o, &a2);
	for (size_t i = 0; i < layout.nfields; i++)
		assert_same(&vl[i], &vr[i]);
	/* What the test put in, so that the comparison is not of two failures. */
	assert_string_equal(vr[0].str, "alpha");
	assert_int_equal(vr[1].nchildren, 1);
	assert_string_equal(vr[1].children[0].children[1].str, "ref-label");
	assert_string_equal(vr[1].children[0].children[2].children[0].str, "t0");
	assert_false(vr[1].children[0].children[2].children[1].has_string); /* NULL */
	assert_true(vr[2].has_string);
	assert_int_equal(vr[2].str_len, 5);
	assert_memory_equal(vr[2].str, "viewe", 5);
	assert_false(vr[3].has_string);
	assert_string_equal(vr[4].str, "ab");
	assert_string_equal(vr[5].children[1].str, "by-label");
	assert_string_equal(vr[5].children[2].children[1].str, "x2");
	assert_true(vr[6].has_string);
	assert_int_equal(vr[6].str_len, 11);
	assert_memory_equal(vr[6].str, "hello world", 11);
	/* The stack-relative pieces are flagged for the agent's direct copy. */
	for (uint32_t i = 0; i < prog.nops; i++)
		if (prog.ops[i].base == DWT_BASE_REG && prog.ops[i].regno == DWT_DW_SP)
			assert_int_equal(prog.ops[i].flags & DWT_OP_STACK, DWT_OP_STACK);
	arena_free(&a1);
	arena_free(&a2);
	fake_unmap_all(&f);
}

/* The return value through rax (a memory-class struct's address at the
 * exit), and a Go site's g.stack.hi op. */
static void test_exit_and_go(void **state)
{
	static struct fake_hit f;
	static struct capture_prog prog;
	struct capture_record r;
	struct decode_opts o = {.string_limit = 16, .array_limit = 8};
	struct arena a1 = {0}, a2 = {0};
	struct value_source live = {&f, fake_live_reg, fake_live_mem}, rec;
	struct event_layout l = {.function = "g", .has_ret = true,
				 .ret = {.name = "retval", .type = &t_item,
					 .plan = {.available = true, .size = 32, .npieces = 1,
						  .pieces = {{FETCH_MEM, 0, 32, 0, 0}}}}};
	uint64_t hi = 0xc000100000ull;
	struct value *vl, *vr;

	fill(&f);
	f.regs.gpr[0] = 0x2000;        /* rax: the returned item */
	f.regs.gpr[DWT_DW_GO_G] = 0x7000;
	fake_map(&f, 0x7008, &hi, 8);
	capture_prog_compile(&prog, &l, true, &o, true);
	assert_int_equal(prog.go_stack_hi_op, 0);
	fake_capture(&f, &prog, record_buf, &r);
	assert_int_equal(r.blobs[0].len, 8);
	assert_memory_equal(r.blobs[0].data, &hi, 8);
	rec = record_value_source(&r);
	vl = decode_return(&l, &live, &o, &a1);
	vr = decode_return(&l, &rec, &o, &a2);
	assert_same(vl, vr);
	assert_string_equal(vr->children[1].str, "ref-label");
	arena_free(&a1);
	arena_free(&a2);
	fake_unmap_all(&f);
}

/* 100 strings in a by-value array with a 4 KiB string limit cannot all fit
 * a record: those left out decode as unreadable pointers, the rest as live. */
static void test_bounds(void **state)
{
	static struct fake_hit f;
	static struct capture_prog prog;
	static uint64_t ptrs[100];
	static char strings[100][8];
	struct capture_record r;
	struct decode_opts o = {.string_limit = 4096, .array_limit = 100};
	struct arena a1 = {0}, a2 = {0};
	struct value_source live = {&f, fake_live_reg, fake_live_mem}, rec;
	struct dw_type arr = {.kind = DW_KIND_ARRAY, .size = 800, .target = &t_charp, .count = 100};
	struct dw_member m = {.name = "p", .type = &arr};
	struct dw_type st = {.kind = DW_KIND_STRUCT, .name = "many", .size = 800, .members = &m, .nmembers = 1};
	struct layout_field fld = {.name = "m", .type = &st,
				   .plan = {.available = true, .size = 800, .npieces = 1,
					    .pieces = {{FETCH_MEM, DWT_DW_SP, 800, 0, 8}}}};
	struct event_layout l = {.function = "h", .fields = &fld, .nfields = 1};
	struct value *vl, *vr;
	size_t captured = 0;

	memset(&f, 0, sizeof(f));
	f.regs.gpr[DWT_DW_SP] = SP - 8;
	for (int i = 0; i < 100; i++) {
		ptrs[i] = 0x100000 + 0x1000 * (uint64_t)i;
		snprintf(strings[i], sizeof(strings[i]), "s%d", i);
	}
	fake_map(&f, SP, ptrs, sizeof(ptrs));
	/* One region holding every string's page start would need 100 regions;
	 * the fake maps 16, so strings live in one long region instead. */
	{
		static uint8_t big[100 * 0x1000];
		for (int i = 0; i < 100; i++)
			memcpy(big + 0x1000 * i, strings[i], sizeof(strings[i]));
		fake_map(&f, 0x100000, big, sizeof(big));
	}
	capture_prog_compile(&prog, &l, false, &o, false);
	assert_true(prog.left_out > 0);
	assert_true(prog.nops <= DWT_MAX_OPS_PER_SITE);
	assert_true(prog.max_record <= DWT_MAX_RECORD);
	fake_capture(&f, &prog, record_buf, &r);
	rec = record_value_source(&r);
	vl = decode_entry(&l, &live, &o, &a1);
	vr = decode_entry(&l, &rec, &o, &a2);
	assert_int_equal(vr[0].children[0].nchildren, 100);
	for (size_t i = 0; i < 100; i++) {
		const struct value *a = &vl[0].children[0].children[i], *b = &vr[0].children[0].children[i];
		assert_true(a->has_string);
		assert_memory_equal(a->bytes, b->bytes, 8); /* the pointer itself is always there */
		if (b->has_string) {
			assert_same(a, b);
			captured++;
		}
	}
	assert_true(captured > 0 && captured < 100);
	assert_int_equal(captured + prog.left_out, 100);
	arena_free(&a1);
	arena_free(&a2);
	fake_unmap_all(&f);
}

/* Sizes that would wrap the bound: capture_run() writes nothing. */
static void test_corrupt_ops(void **state)
{
	static struct fake_hit f;
	struct capture_mem mem = {&f, fake_capture_read};
	struct dwt_cap_op ops[2] = {{.kind = DWT_CAP_MEM, .regno = DWT_DW_SP, .size = 0xfffffff9u},
				    {.kind = DWT_CAP_MEM, .regno = DWT_DW_SP, .size = 16}};
	uint8_t out[256] = {0};

	memset(&f, 0, sizeof(f));
	assert_int_equal(capture_max_bytes(ops, 2), UINT32_MAX);
	assert_int_equal(capture_run(ops, 2, &f.regs, &mem, out, sizeof(out)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_equals_live),
		cmocka_unit_test(test_exit_and_go),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_corrupt_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
