/* Unit tests of the System V x86-64 argument classification and of decoding
 * with fake registers: no process, no ptrace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch.h"
#include "decode.h"

static struct dw_type t_int = {.kind = DW_KIND_SINT, .name = "int", .size = 4};
static struct dw_type t_u64 = {.kind = DW_KIND_UINT, .name = "uint64_t", .size = 8};
static struct dw_type t_long = {.kind = DW_KIND_SINT, .name = "long", .size = 8};
static struct dw_type t_float = {.kind = DW_KIND_FLOAT, .name = "float", .size = 4};
static struct dw_type t_double = {.kind = DW_KIND_FLOAT, .name = "double", .size = 8};
static struct dw_type t_ldouble = {.kind = DW_KIND_FLOAT, .name = "long double", .size = 16};
static struct dw_type t_voidp = {.kind = DW_KIND_POINTER, .size = 8};
static struct dw_type t_char = {.kind = DW_KIND_SINT, .name = "char", .size = 1, .is_char = true};
static struct dw_type t_charp = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_char};

/* struct small { int32_t id; float ratio; double value; } */
static struct dw_member small_members[] = {
	{.name = "id", .type = &t_int, .offset = 0},
	{.name = "ratio", .type = &t_float, .offset = 4},
	{.name = "value", .type = &t_double, .offset = 8},
};
static struct dw_type t_small = {.kind = DW_KIND_STRUCT, .name = "small", .size = 16, .members = small_members,
				 .nmembers = 3};
/* struct vec3 { float a, b, c; } */
static struct dw_member vec3_members[] = {
	{.name = "a", .type = &t_float, .offset = 0},
	{.name = "b", .type = &t_float, .offset = 4},
	{.name = "c", .type = &t_float, .offset = 8},
};
static struct dw_type t_vec3 = {.kind = DW_KIND_STRUCT, .name = "vec3", .size = 12, .members = vec3_members,
				.nmembers = 3};
/* struct big { int64_t a, b, c; double d; } */
static struct dw_member big_members[] = {
	{.name = "a", .type = &t_long, .offset = 0},
	{.name = "b", .type = &t_long, .offset = 8},
	{.name = "c", .type = &t_long, .offset = 16},
	{.name = "d", .type = &t_double, .offset = 24},
};
static struct dw_type t_big = {.kind = DW_KIND_STRUCT, .name = "big", .size = 32, .members = big_members,
			       .nmembers = 4};
/* union num { int64_t i; double d; } */
static struct dw_member num_members[] = {
	{.name = "i", .type = &t_long, .offset = 0},
	{.name = "d", .type = &t_double, .offset = 0},
};
static struct dw_type t_num = {.kind = DW_KIND_UNION, .name = "num", .size = 8, .members = num_members,
			       .nmembers = 2};

#define MAX_PARAMS 16

struct call {
	struct dw_function f;
	struct dw_param params[MAX_PARAMS];
	struct fetch_plan plans[MAX_PARAMS];
	struct fetch_plan ret;
	bool entry_vregs, exit_vregs;
};

static void plan(struct call *c, const struct dw_type *ret, size_t n, ...)
{
	va_list ap;

	memset(c, 0, sizeof(*c));
	c->f.name = "f";
	c->f.has_dwarf = true;
	c->f.ret = ret;
	c->f.params = c->params;
	c->f.nparams = n;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		c->params[i].name = "p";
		c->params[i].type = va_arg(ap, const struct dw_type *);
	}
	va_end(ap);
	arch_plan_call(&c->f, c->plans, &c->ret, &c->entry_vregs, &c->exit_vregs);
}

static void assert_piece(const struct fetch_plan *p, unsigned i, enum fetch_piece_kind kind, unsigned regno,
			 int64_t offset, uint32_t size, uint32_t dest)
{
	assert_true(p->available);
	assert_true(i < p->npieces);
	assert_int_equal(p->pieces[i].kind, kind);
	assert_int_equal(p->pieces[i].regno, regno);
	assert_int_equal(p->pieces[i].offset, offset);
	assert_int_equal(p->pieces[i].size, size);
	assert_int_equal(p->pieces[i].dest, dest);
}

/* The classic: f(int, uint64_t, double, void *): the pointer is in rdx,
 * not rcx, because the double goes to xmm0. */
static void test_classic(void **state)
{
	struct call c;

	plan(&c, &t_int, 4, &t_int, &t_u64, &t_double, &t_voidp);
	assert_piece(&c.plans[0], 0, FETCH_REG, X86_DW_RDI, 0, 4, 0);
	assert_piece(&c.plans[1], 0, FETCH_REG, X86_DW_RSI, 0, 8, 0);
	assert_piece(&c.plans[2], 0, FETCH_REG, X86_DW_XMM0, 0, 8, 0);
	assert_piece(&c.plans[3], 0, FETCH_REG, X86_DW_RDX, 0, 8, 0);
	assert_piece(&c.ret, 0, FETCH_REG, X86_DW_RAX, 0, 4, 0);
	assert_true(c.entry_vregs);
	assert_false(c.exit_vregs);
}

/* struct small (16 bytes): eightbyte 0 INTEGER (int + float), 1 SSE. */
static void test_small_struct(void **state)
{
	struct call c;

	plan(&c, &t_small, 2, &t_small, &t_double);
	assert_int_equal(c.plans[0].npieces, 2);
	assert_piece(&c.plans[0], 0, FETCH_REG, X86_DW_RDI, 0, 8, 0);
	assert_piece(&c.plans[0], 1, FETCH_REG, X86_DW_XMM0, 0, 8, 8);
	assert_piece(&c.plans[1], 0, FETCH_REG, X86_DW_XMM0 + 1, 0, 8, 0);
	/* Returned in rax + xmm0. */
	assert_piece(&c.ret, 0, FETCH_REG, X86_DW_RAX, 0, 8, 0);
	assert_piece(&c.ret, 1, FETCH_REG, X86_DW_XMM0, 0, 8, 8);
	assert_true(c.exit_vregs);
}

/* struct vec3 (12 bytes): two SSE eightbytes, the second of 4 bytes. */
static void test_float_struct(void **state)
{
	struct call c;

	plan(&c, &t_vec3, 1, &t_vec3);
	assert_piece(&c.plans[0], 0, FETCH_REG, X86_DW_XMM0, 0, 8, 0);
	assert_piece(&c.plans[0], 1, FETCH_REG, X86_DW_XMM0 + 1, 0, 4, 8);
	assert_piece(&c.ret, 0, FETCH_REG, X86_DW_XMM0, 0, 8, 0);
	assert_piece(&c.ret, 1, FETCH_REG, X86_DW_XMM0 + 1, 0, 4, 8);
}

/* A struct over 16 bytes goes on the stack; returned through a hidden
 * pointer that takes rdi, so the next integer is in rsi. */
static void test_memory_struct(void **state)
{
	struct call c;

	plan(&c, &t_big, 2, &t_big, &t_int);
	assert_piece(&c.plans[0], 0, FETCH_MEM, X86_DW_RSP, 8, 32, 0);
	assert_piece(&c.plans[1], 0, FETCH_REG, X86_DW_RSI, 0, 4, 0);
	assert_piece(&c.ret, 0, FETCH_MEM, X86_DW_RAX, 0, 32, 0);
}

/* long double: in memory as an argument, in st0 as a return value. */
static void test_long_double(void **state)
{
	struct call c;

	plan(&c, &t_ldouble, 2, &t_int, &t_ldouble);
	assert_piece(&c.plans[0], 0, FETCH_REG, X86_DW_RDI, 0, 4, 0);
	assert_piece(&c.plans[1], 0, FETCH_MEM, X86_DW_RSP, 8, 16, 0);
	assert_piece(&c.ret, 0, FETCH_REG, X86_DW_ST0, 0, 10, 0);
	assert_true(c.exit_vregs);
}

/* Eight integers: the 7th and 8th on the stack; ten doubles: 9th and 10th. */
static void test_overflow(void **state)
{
	struct call c;

	plan(&c, &t_long, 8, &t_long, &t_long, &t_long, &t_long, &t_long, &t_long, &t_long, &t_long);
	assert_piece(&c.plans[5], 0, FETCH_REG, X86_DW_R9, 0, 8, 0);
	assert_piece(&c.plans[6], 0, FETCH_MEM, X86_DW_RSP, 8, 8, 0);
	assert_piece(&c.plans[7], 0, FETCH_MEM, X86_DW_RSP, 16, 8, 0);

	plan(&c, &t_double, 10, &t_double, &t_double, &t_double, &t_double, &t_double, &t_double, &t_double,
	     &t_double, &t_double, &t_double);
	assert_piece(&c.plans[7], 0, FETCH_REG, X86_DW_XMM0 + 7, 0, 8, 0);
	assert_piece(&c.plans[8], 0, FETCH_MEM, X86_DW_RSP, 8, 8, 0);
	assert_piece(&c.plans[9], 0, FETCH_MEM, X86_DW_RSP, 16, 8, 0);
}

/* A struct needing one more integer register than is left goes whole to
 * the stack, and the registers stay free for later arguments. */
static void test_struct_when_registers_run_out(void **state)
{
	struct call c;

	plan(&c, &t_int, 8, &t_int, &t_int, &t_int, &t_int, &t_int, &t_int, &t_small, &t_double);
	assert_piece(&c.plans[6], 0, FETCH_MEM, X86_DW_RSP, 8, 16, 0);
	assert_piece(&c.plans[7], 0, FETCH_REG, X86_DW_XMM0, 0, 8, 0);
}

/* A union of an integer and a double is INTEGER. */
static void test_union(void **state)
{
	struct call c;

	plan(&c, &t_num, 1, &t_num);
	assert_piece(&c.plans[0], 0, FETCH_REG, X86_DW_RDI, 0, 8, 0);
	assert_piece(&c.ret, 0, FETCH_REG, X86_DW_RAX, 0, 8, 0);
}

/* ---- decoding with fake registers ------------------------------------ */

struct fake {
	struct arch_regs regs;
	const char *mem_base_str;
	uint64_t mem_addr;
};

static int fake_reg(void *ctx, unsigned regno, void *buf, size_t size)
{
	struct fake *f = ctx;
	return arch_reg_read(&f->regs, regno, buf, size);
}

static ssize_t fake_mem(void *ctx, uint64_t addr, void *buf, size_t size)
{
	struct fake *f = ctx;
	size_t len = strlen(f->mem_base_str) + 1;

	if (addr < f->mem_addr || addr >= f->mem_addr + len)
		return -1;
	if (size > f->mem_addr + len - addr)
		size = (size_t)(f->mem_addr + len - addr);
	memcpy(buf, f->mem_base_str + (addr - f->mem_addr), size);
	return (ssize_t)size;
}

static void test_decode_classic(void **state)
{
	struct call c;
	struct fake fk;
	struct value_source src = {&fk, fake_reg, fake_mem};
	struct decode_opts opts = {.string_limit = 256, .array_limit = 16};
	struct arena arena = {0};
	struct value v;
	uint8_t buf[16];
	double d = 3.14159;

	memset(&fk, 0, sizeof(fk));
	fk.regs.have_fp = true;
	fk.regs.gp.rdi = 42;
	fk.regs.gp.rsi = 0xdeadbeef;
	fk.regs.gp.rdx = 0x12345678;
	fk.regs.gp.rcx = 0x666; /* the wrong register, if anyone reads it */
	memcpy(fk.regs.fp.xmm_space, &d, sizeof(d));

	plan(&c, &t_int, 4, &t_int, &t_u64, &t_double, &t_voidp);
	assert_int_equal(decode_fetch(&c.plans[0], &src, buf), 0);
	decode_value(&t_int, buf, &src, &opts, &arena, &v);
	assert_int_equal(value_as_s64(&v), 42);
	assert_int_equal(decode_fetch(&c.plans[1], &src, buf), 0);
	decode_value(&t_u64, buf, &src, &opts, &arena, &v);
	assert_int_equal(value_as_u64(&v), 3735928559u);
	assert_int_equal(decode_fetch(&c.plans[2], &src, buf), 0);
	decode_value(&t_double, buf, &src, &opts, &arena, &v);
	assert_true(value_as_float(&v) == 3.14159);
	assert_int_equal(decode_fetch(&c.plans[3], &src, buf), 0);
	decode_value(&t_voidp, buf, &src, &opts, &arena, &v);
	assert_int_equal(value_as_u64(&v), 0x12345678);
	arena_free(&arena);
}

static void test_decode_string_and_limits(void **state)
{
	struct fake fk;
	struct value_source src = {&fk, fake_reg, fake_mem};
	struct decode_opts opts = {.string_limit = 5, .array_limit = 16};
	struct arena arena = {0};
	struct value v;
	uint64_t p = 0x1000;

	memset(&fk, 0, sizeof(fk));
	fk.mem_base_str = "hello, world";
	fk.mem_addr = 0x1000;
	decode_value(&t_charp, (uint8_t *)&p, &src, &opts, &arena, &v);
	assert_true(v.has_string);
	assert_int_equal(v.str_len, 5);
	assert_true(v.str_truncated);
	assert_memory_equal(v.str, "hello", 5);

	opts.string_limit = 64;
	decode_value(&t_charp, (uint8_t *)&p, &src, &opts, &arena, &v);
	assert_false(v.str_truncated);
	assert_string_equal(v.str, "hello, world");

	/* Unreadable memory: no string, but the pointer stays available. */
	p = 0x9000;
	decode_value(&t_charp, (uint8_t *)&p, &src, &opts, &arena, &v);
	assert_true(v.available);
	assert_false(v.has_string);
	arena_free(&arena);
}

static void test_decode_unavailable(void **state)
{
	struct fake fk;
	struct value_source src = {&fk, fake_reg, fake_mem};
	struct fetch_plan p = {.available = true, .size = 8, .npieces = 1,
			       .pieces = {{.kind = FETCH_REG, .regno = X86_DW_XMM0, .size = 8}}};
	uint8_t buf[8];

	memset(&fk, 0, sizeof(fk));
	/* Vector registers not captured: the value is unavailable, not garbage. */
	assert_int_equal(decode_fetch(&p, &src, buf), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classic),
		cmocka_unit_test(test_small_struct),
		cmocka_unit_test(test_float_struct),
		cmocka_unit_test(test_memory_struct),
		cmocka_unit_test(test_long_double),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_struct_when_registers_run_out),
		cmocka_unit_test(test_union),
		cmocka_unit_test(test_decode_classic),
		cmocka_unit_test(test_decode_string_and_limits),
		cmocka_unit_test(test_decode_unavailable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
