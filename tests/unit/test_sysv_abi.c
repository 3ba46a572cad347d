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
#include "sink.h"

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

/* ---- C++: classes by invisible reference, references, std::string ----- */

/* class Counted { int id; long v; Counted(const Counted &); }: 16 bytes that
 * would be INTEGER, INTEGER, but not trivially copyable. */
static struct dw_member counted_members[] = {
	{.name = "id", .type = &t_int, .offset = 0},
	{.name = "v", .type = &t_long, .offset = 8},
};
static struct dw_type t_counted = {.kind = DW_KIND_STRUCT, .name = "Counted", .size = 16,
				   .members = counted_members, .nmembers = 2, .by_reference = true};
static struct dw_type t_const_counted = {.kind = DW_KIND_QUALIFIER, .name = "const", .size = 16,
					 .target = &t_counted};
static struct dw_type t_intref = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_int, .reference = 1};
static struct dw_type t_charref = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_char, .reference = 2};

/* Passed as a pointer in the next integer register, through which the
 * object is read; the same type returned takes the hidden pointer (rdi). */
static void test_cxx_by_reference(void **state)
{
	struct call c;

	plan(&c, &t_int, 3, &t_double, &t_counted, &t_int);
	assert_int_equal(c.plans[1].npieces, 1);
	assert_piece(&c.plans[1], 0, FETCH_MEM, X86_DW_RDI, 0, 16, 0);
	assert_piece(&c.plans[2], 0, FETCH_REG, X86_DW_RSI, 0, 4, 0);

	/* Through a typedef or qualifier alike; returned in memory. */
	plan(&c, &t_counted, 2, &t_const_counted, &t_int);
	assert_piece(&c.plans[0], 0, FETCH_MEM, X86_DW_RSI, 0, 16, 0);
	assert_piece(&c.plans[1], 0, FETCH_REG, X86_DW_RDX, 0, 4, 0);
	assert_piece(&c.ret, 0, FETCH_MEM, X86_DW_RAX, 0, 16, 0);

	/* The same layout without the flag is two INTEGER eightbytes. */
	t_counted.by_reference = false;
	plan(&c, &t_counted, 1, &t_counted);
	t_counted.by_reference = true;
	assert_int_equal(c.plans[0].npieces, 2);
	assert_piece(&c.plans[0], 0, FETCH_REG, X86_DW_RDI, 0, 8, 0);
	assert_piece(&c.ret, 0, FETCH_REG, X86_DW_RAX, 0, 8, 0);
}

/* With the integer registers used up, the pointer takes one 8-byte stack
 * slot (not the object's 16 bytes): the next argument is right after it. */
static void test_cxx_by_reference_on_stack(void **state)
{
	struct call c;

	plan(&c, &t_long, 8, &t_long, &t_long, &t_long, &t_long, &t_long, &t_long, &t_counted, &t_long);
	assert_piece(&c.plans[6], 0, FETCH_MEM_INDIRECT, X86_DW_RSP, 8, 16, 0);
	assert_piece(&c.plans[7], 0, FETCH_MEM, X86_DW_RSP, 16, 8, 0);
}

/* References are pointers for the ABI: INTEGER. */
static void test_cxx_reference_class(void **state)
{
	struct call c;

	plan(&c, &t_intref, 2, &t_double, &t_intref);
	assert_piece(&c.plans[1], 0, FETCH_REG, X86_DW_RDI, 0, 8, 0);
	assert_piece(&c.ret, 0, FETCH_REG, X86_DW_RAX, 0, 8, 0);
}

/* Memory of the fake process: bytes at [base, base + len). */
struct fake_bytes {
	struct arch_regs regs;
	const uint8_t *bytes;
	uint64_t base;
	size_t len;
};

static int fake_bytes_reg(void *ctx, unsigned regno, void *buf, size_t size)
{
	struct fake_bytes *f = ctx;
	return arch_reg_read(&f->regs, regno, buf, size);
}

static ssize_t fake_bytes_mem(void *ctx, uint64_t addr, void *buf, size_t size)
{
	struct fake_bytes *f = ctx;

	if (addr < f->base || addr >= f->base + f->len)
		return -1;
	if (size > f->base + f->len - addr)
		size = (size_t)(f->base + f->len - addr);
	memcpy(buf, f->bytes + (addr - f->base), size);
	return (ssize_t)size;
}

/* A FETCH_MEM_INDIRECT piece reads the pointer in the slot, then the object. */
static void test_decode_indirect(void **state)
{
	uint8_t mem[64] = {0};
	uint64_t obj_addr = 0x2020, slot = 0x2008;
	int32_t id = 7;
	int64_t v = 1234567890123;
	struct fake_bytes fk = {.bytes = mem, .base = 0x2000, .len = sizeof(mem)};
	struct value_source src = {&fk, fake_bytes_reg, fake_bytes_mem};
	struct fetch_plan p = {.available = true, .size = 16, .npieces = 1,
			       .pieces = {{.kind = FETCH_MEM_INDIRECT, .regno = X86_DW_RSP, .offset = 8, .size = 16}}};
	uint8_t buf[16];
	int32_t got_id;
	int64_t got_v;

	memcpy(mem + (slot - 0x2000), &obj_addr, 8);
	memcpy(mem + (obj_addr - 0x2000), &id, 4);
	memcpy(mem + (obj_addr - 0x2000) + 8, &v, 8);
	fk.regs.gp.rsp = 0x2000;
	assert_int_equal(decode_fetch(&p, &src, buf), 0);
	memcpy(&got_id, buf, 4);
	memcpy(&got_v, buf + 8, 8);
	assert_int_equal(got_id, 7);
	assert_int_equal(got_v, v);

	/* A pointer to nowhere: unavailable, not garbage. */
	obj_addr = 0x9000;
	memcpy(mem + (slot - 0x2000), &obj_addr, 8);
	assert_int_equal(decode_fetch(&p, &src, buf), -1);
}

/* int &r: the address and the int there as one child; a char && is one
 * character, not a string; unreadable: the address alone. */
static void test_decode_reference(void **state)
{
	uint8_t mem[16] = {0};
	int32_t x = -5;
	struct fake_bytes fk = {.bytes = mem, .base = 0x3000, .len = sizeof(mem)};
	struct value_source src = {&fk, fake_bytes_reg, fake_bytes_mem};
	struct decode_opts opts = {.string_limit = 256, .array_limit = 16};
	struct arena arena = {0};
	struct value v;
	uint64_t p = 0x3004;

	memcpy(mem + 4, &x, 4);
	mem[8] = 'Q';
	decode_value(&t_intref, (uint8_t *)&p, &src, &opts, &arena, &v);
	assert_true(v.available);
	assert_int_equal(value_as_u64(&v), 0x3004);
	assert_int_equal(v.nchildren, 1);
	assert_int_equal(value_as_s64(&v.children[0]), -5);

	p = 0x3008;
	decode_value(&t_charref, (uint8_t *)&p, &src, &opts, &arena, &v);
	assert_false(v.has_string);
	assert_int_equal(v.nchildren, 1);
	assert_int_equal(value_as_s64(&v.children[0]), 'Q');

	p = 0x9000;
	decode_value(&t_intref, (uint8_t *)&p, &src, &opts, &arena, &v);
	assert_true(v.available);
	assert_int_equal(v.nchildren, 0);
	arena_free(&arena);
}

/* std::string's layout as the type model gives it (offsets from DWARF): the
 * characters at the data pointer, as many as the length says, cut at the
 * string limit; embedded NULs are kept. */
static void test_decode_cxx_string(void **state)
{
	static const char text[] = "hello\0world";
	struct dw_type t_size = {.kind = DW_KIND_UINT, .name = "size_t", .size = 8};
	struct dw_member str_members[] = {
		{.name = "_M_p", .type = &t_charp, .offset = 0},
		{.name = "_M_string_length", .type = &t_size, .offset = 8},
	};
	struct dw_type t_str = {.kind = DW_KIND_STRUCT, .name = "basic_string<char>", .size = 16,
			       .members = str_members, .nmembers = 2, .cxx_string = true,
			       .str_data_off = 0, .str_len_off = 8};
	struct fake_bytes fk = {.bytes = (const uint8_t *)text, .base = 0x4000, .len = sizeof(text)};
	struct value_source src = {&fk, fake_bytes_reg, fake_bytes_mem};
	struct decode_opts opts = {.string_limit = 256, .array_limit = 16};
	struct arena arena = {0};
	struct value v;
	uint64_t obj[2] = {0x4000, 11};

	decode_value(&t_str, (uint8_t *)obj, &src, &opts, &arena, &v);
	assert_true(v.has_string);
	assert_int_equal(v.str_len, 11);
	assert_memory_equal(v.str, text, 11);
	assert_false(v.str_truncated);

	opts.string_limit = 3;
	decode_value(&t_str, (uint8_t *)obj, &src, &opts, &arena, &v);
	assert_int_equal(v.str_len, 3);
	assert_true(v.str_truncated);

	/* Unreadable characters: no string; the members are still there. */
	obj[0] = 0x9000;
	decode_value(&t_str, (uint8_t *)obj, &src, &opts, &arena, &v);
	assert_false(v.has_string);
	assert_int_equal(v.nchildren, 2);
	arena_free(&arena);
}

/* ---- wide types (issue 10, item 4) ----------------------------------- */

static struct dw_type t_i128 = {.kind = DW_KIND_SINT, .name = "__int128", .size = 16};
static struct dw_type t_u128 = {.kind = DW_KIND_UINT, .name = "__int128 unsigned", .size = 16};
static struct dw_type t_f128 = {.kind = DW_KIND_FLOAT, .name = "_Float128", .size = 16,
				.float_format = DW_FLOAT_BINARY128};
static struct dw_type t_cfloat = {.kind = DW_KIND_COMPLEX, .name = "complex float", .size = 8,
				  .target = &t_float};
static struct dw_type t_cdouble = {.kind = DW_KIND_COMPLEX, .name = "complex double", .size = 16,
				   .target = &t_double};
static struct dw_type t_cldouble = {.kind = DW_KIND_COMPLEX, .name = "complex long double", .size = 32,
				    .target = &t_ldouble};
static struct dw_type t_v4sf = {.kind = DW_KIND_ARRAY, .size = 16, .count = 4, .target = &t_float,
				.is_vector = true};
static struct dw_type t_short = {.kind = DW_KIND_SINT, .name = "short", .size = 2};
static struct dw_type t_v4hi = {.kind = DW_KIND_ARRAY, .size = 8, .count = 4, .target = &t_short,
				.is_vector = true};
static struct dw_type t_v4df = {.kind = DW_KIND_ARRAY, .size = 32, .count = 4, .target = &t_double,
				.is_vector = true};
static struct dw_type t_float4 = {.kind = DW_KIND_ARRAY, .size = 16, .count = 4, .target = &t_float};
/* struct wide_rec { __int128 v; } */
static struct dw_member wide_rec_members[] = {{.name = "v", .type = &t_i128, .offset = 0}};
static struct dw_type t_wide_rec = {.kind = DW_KIND_STRUCT, .name = "wide_rec", .size = 16,
				    .members = wide_rec_members, .nmembers = 1};

/* __int128: a register pair, lower half first; returned in rax:rdx. */
static void test_int128(void **state)
{
	struct call c;

	plan(&c, &t_i128, 3, &t_int, &t_i128, &t_u128);
	assert_piece(&c.plans[1], 0, FETCH_REG, X86_DW_RSI, 0, 8, 0);
	assert_piece(&c.plans[1], 1, FETCH_REG, X86_DW_RDX, 0, 8, 8);
	assert_piece(&c.plans[2], 0, FETCH_REG, X86_DW_RCX, 0, 8, 0);
	assert_piece(&c.plans[2], 1, FETCH_REG, X86_DW_R8, 0, 8, 8);
	assert_piece(&c.ret, 0, FETCH_REG, X86_DW_RAX, 0, 8, 0);
	assert_piece(&c.ret, 1, FETCH_REG, X86_DW_RDX, 0, 8, 8);
	assert_false(c.entry_vregs);

	/* A struct of one __int128 likewise. */
	plan(&c, &t_wide_rec, 1, &t_wide_rec);
	assert_piece(&c.plans[0], 0, FETCH_REG, X86_DW_RDI, 0, 8, 0);
	assert_piece(&c.plans[0], 1, FETCH_REG, X86_DW_RSI, 0, 8, 8);
	assert_piece(&c.ret, 1, FETCH_REG, X86_DW_RDX, 0, 8, 8);
}

/* Never split between a register and the stack: with one integer register
 * left, the __int128 goes on the stack, 16-aligned, and the next int takes
 * the register. */
static void test_int128_stack(void **state)
{
	struct call c;

	plan(&c, &t_u128, 7, &t_long, &t_long, &t_long, &t_long, &t_long, &t_i128, &t_int);
	assert_piece(&c.plans[5], 0, FETCH_MEM, X86_DW_RSP, 8, 16, 0);
	assert_piece(&c.plans[6], 0, FETCH_REG, X86_DW_R9, 0, 4, 0);

	/* After one eightbyte of stack arguments, the next 16-aligned slot. */
	plan(&c, &t_int, 8, &t_long, &t_long, &t_long, &t_long, &t_long, &t_long, &t_long, &t_i128);
	assert_piece(&c.plans[6], 0, FETCH_MEM, X86_DW_RSP, 8, 8, 0);
	assert_piece(&c.plans[7], 0, FETCH_MEM, X86_DW_RSP, 24, 16, 0);
}

/* _Float128: SSE + SSEUP, one whole xmm register (not x87 like long double). */
static void test_float128(void **state)
{
	struct call c;

	plan(&c, &t_f128, 3, &t_f128, &t_double, &t_f128);
	assert_int_equal(c.plans[0].npieces, 1);
	assert_piece(&c.plans[0], 0, FETCH_REG, X86_DW_XMM0, 0, 16, 0);
	assert_piece(&c.plans[1], 0, FETCH_REG, X86_DW_XMM0 + 1, 0, 8, 0);
	assert_piece(&c.plans[2], 0, FETCH_REG, X86_DW_XMM0 + 2, 0, 16, 0);
	assert_int_equal(c.ret.npieces, 1);
	assert_piece(&c.ret, 0, FETCH_REG, X86_DW_XMM0, 0, 16, 0);
	assert_true(c.exit_vregs);
}

/* complex float: one SSE eightbyte; complex double: two, in two registers;
 * complex long double: COMPLEX_X87, in memory, returned in st0 and st1. */
static void test_complex(void **state)
{
	struct call c;

	plan(&c, &t_cdouble, 2, &t_cdouble, &t_cfloat);
	assert_piece(&c.plans[0], 0, FETCH_REG, X86_DW_XMM0, 0, 8, 0);
	assert_piece(&c.plans[0], 1, FETCH_REG, X86_DW_XMM0 + 1, 0, 8, 8);
	assert_int_equal(c.plans[1].npieces, 1);
	assert_piece(&c.plans[1], 0, FETCH_REG, X86_DW_XMM0 + 2, 0, 8, 0);
	assert_piece(&c.ret, 0, FETCH_REG, X86_DW_XMM0, 0, 8, 0);
	assert_piece(&c.ret, 1, FETCH_REG, X86_DW_XMM0 + 1, 0, 8, 8);

	plan(&c, &t_cldouble, 2, &t_cldouble, &t_int);
	assert_piece(&c.plans[0], 0, FETCH_MEM, X86_DW_RSP, 8, 32, 0);
	assert_piece(&c.plans[1], 0, FETCH_REG, X86_DW_RDI, 0, 4, 0);
	assert_int_equal(c.ret.npieces, 2);
	assert_piece(&c.ret, 0, FETCH_REG, X86_DW_ST0, 0, 10, 0);
	assert_piece(&c.ret, 1, FETCH_REG, X86_DW_ST0 + 1, 0, 10, 16);
	assert_true(c.exit_vregs);

	/* Out of xmm registers: complex double on the stack, 8-aligned. */
	plan(&c, &t_int, 10, &t_double, &t_double, &t_double, &t_double, &t_double, &t_double, &t_double,
	     &t_double, &t_int, &t_cdouble);
	assert_piece(&c.plans[9], 0, FETCH_MEM, X86_DW_RSP, 8, 16, 0);
}

/* Vectors: 16 bytes in one whole xmm register (an array of four floats is
 * two SSE eightbytes in two registers); 8 bytes one SSE eightbyte; 32 bytes
 * unavailable, and the xmm and stack arguments after it too (AVX or not
 * decides where they are), integer registers unaffected. */
static void test_vectors(void **state)
{
	struct call c;

	plan(&c, &t_v4sf, 3, &t_v4sf, &t_v4hi, &t_float4);
	assert_int_equal(c.plans[0].npieces, 1);
	assert_piece(&c.plans[0], 0, FETCH_REG, X86_DW_XMM0, 0, 16, 0);
	assert_piece(&c.plans[1], 0, FETCH_REG, X86_DW_XMM0 + 1, 0, 8, 0);
	assert_piece(&c.plans[2], 0, FETCH_REG, X86_DW_XMM0 + 2, 0, 8, 0);
	assert_piece(&c.plans[2], 1, FETCH_REG, X86_DW_XMM0 + 3, 0, 8, 8);
	assert_piece(&c.ret, 0, FETCH_REG, X86_DW_XMM0, 0, 16, 0);

	plan(&c, &t_int, 4, &t_int, &t_v4df, &t_int, &t_double);
	assert_piece(&c.plans[0], 0, FETCH_REG, X86_DW_RDI, 0, 4, 0);
	assert_false(c.plans[1].available);
	assert_piece(&c.plans[2], 0, FETCH_REG, X86_DW_RSI, 0, 4, 0);
	assert_false(c.plans[3].available);

	/* Returned: in ymm0 or through a hidden pointer in rdi: nothing is known. */
	plan(&c, &t_v4df, 1, &t_int);
	assert_false(c.ret.available);
	assert_false(c.plans[0].available);
}

/* _Complex _Float128 (32 bytes): in memory both ways, the hidden pointer in
 * rdi (as gcc 12 -O2 compiles it); a 4-byte vector is INTEGER. */
static void test_wide_memory(void **state)
{
	static struct dw_type t_cf128 = {.kind = DW_KIND_COMPLEX, .name = "complex _Float128", .size = 32,
					 .target = &t_f128, .float_format = DW_FLOAT_BINARY128};
	static struct dw_type t_v4qi = {.kind = DW_KIND_ARRAY, .size = 4, .count = 4, .target = &t_char,
					.is_vector = true};
	struct call c;

	plan(&c, &t_cf128, 2, &t_cf128, &t_int);
	assert_piece(&c.ret, 0, FETCH_MEM, X86_DW_RAX, 0, 32, 0);
	assert_piece(&c.plans[0], 0, FETCH_MEM, X86_DW_RSP, 8, 32, 0);
	assert_piece(&c.plans[1], 0, FETCH_REG, X86_DW_RSI, 0, 4, 0);

	plan(&c, &t_int, 2, &t_v4qi, &t_int);
	assert_piece(&c.plans[0], 0, FETCH_REG, X86_DW_RDI, 0, 4, 0);
	assert_piece(&c.plans[1], 0, FETCH_REG, X86_DW_RSI, 0, 4, 0);
}

/* Decoding: a whole xmm register, st0 and st1, and the decimal digits. */
static void test_decode_wide(void **state)
{
	struct call c;
	struct fake fk;
	struct value_source src = {&fk, fake_reg, fake_mem};
	struct decode_opts opts = {.string_limit = 256, .array_limit = 16};
	struct arena arena = {0};
	struct value v;
	uint8_t buf[32];
	char text[64];
	__float128 q = 0.1Q;
	long double re = 1.5L, im = -2.0L;
	unsigned __int128 min = (unsigned __int128)1 << 127;

	memset(&fk, 0, sizeof(fk));
	fk.mem_base_str = "";
	fk.regs.have_fp = true;
	fk.regs.gp.rdi = (uint64_t)min;
	fk.regs.gp.rsi = (uint64_t)(min >> 64);
	memcpy(fk.regs.fp.xmm_space, &q, 16);
	memcpy(&fk.regs.fp.st_space[0], &re, 10);
	memcpy(&fk.regs.fp.st_space[4], &im, 10);

	plan(&c, &t_cldouble, 2, &t_i128, &t_f128);
	assert_int_equal(decode_fetch(&c.plans[0], &src, buf), 0);
	decode_value(&t_i128, buf, &src, &opts, &arena, &v);
	assert_true(value_is_int128(&v));
	format_int128(text, sizeof(text), v.bytes, true);
	assert_string_equal(text, "-170141183460469231731687303715884105728");
	format_int128(text, sizeof(text), v.bytes, false);
	assert_string_equal(text, "170141183460469231731687303715884105728");

	assert_int_equal(decode_fetch(&c.plans[1], &src, buf), 0);
	decode_value(&t_f128, buf, &src, &opts, &arena, &v);
	assert_true(value_is_float128(&v));
	format_float128(text, sizeof(text), v.bytes);
	assert_string_equal(text, "0.1");

	assert_int_equal(decode_fetch(&c.ret, &src, buf), 0);
	decode_value(&t_cldouble, buf, &src, &opts, &arena, &v);
	assert_int_equal(v.nchildren, 2);
	assert_true(value_as_float(&v.children[0]) == 1.5L);
	assert_true(value_as_float(&v.children[1]) == -2.0L);

	/* Without the vector registers: unavailable, not garbage. */
	fk.regs.have_fp = false;
	assert_int_equal(decode_fetch(&c.ret, &src, buf), -1);
	assert_int_equal(decode_fetch(&c.plans[1], &src, buf), -1);
	arena_free(&arena);
}

/* A vector of chars is numbers (gdb shows {1, 2, ...}), a char array text. */
static void test_char_vector_not_string(void **state)
{
	struct dw_type v8c = {.kind = DW_KIND_ARRAY, .size = 8, .target = &t_char, .count = 8, .is_vector = true};
	struct dw_type a8c = {.kind = DW_KIND_ARRAY, .size = 8, .target = &t_char, .count = 8};

	(void)state;
	assert_false(dw_type_is_char_array(&v8c));
	assert_true(dw_type_is_char_array(&a8c));
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
		cmocka_unit_test(test_cxx_by_reference),
		cmocka_unit_test(test_cxx_by_reference_on_stack),
		cmocka_unit_test(test_cxx_reference_class),
		cmocka_unit_test(test_decode_indirect),
		cmocka_unit_test(test_decode_reference),
		cmocka_unit_test(test_decode_cxx_string),
		cmocka_unit_test(test_int128),
		cmocka_unit_test(test_int128_stack),
		cmocka_unit_test(test_float128),
		cmocka_unit_test(test_complex),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_wide_memory),
		cmocka_unit_test(test_decode_wide),
		cmocka_unit_test(test_char_vector_not_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
