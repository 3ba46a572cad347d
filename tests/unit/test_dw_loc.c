/* The DWARF expression evaluator (dwarf/dw_loc.c) over hand-built Dwarf_Op
 * arrays, fake registers and a fake memory: each class of operation of
 * DWARF 5 section 2.5 and 2.6, composite locations over registers and
 * memory, and every malformed or unavailable case, which must fail with a
 * reason and never give a value.  Expected values are worked out from the
 * standard by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <dwarf.h>

#include "dw_loc.h"

/* ---- a fake frame ----------------------------------------------------- */
struct fake {
	uint64_t regs[17];
	uint32_t have;          /* bit i: register i is captured */
	uint64_t mem_base;
	uint8_t mem[64];
	uint8_t xmm0[16];
	int entry_calls;
};

static int fake_reg(void *arg, unsigned regno, uint64_t *val)
{
	struct fake *f = arg;

	if (regno >= 17 || !(f->have & (1u << regno)))
		return -1;
	*val = f->regs[regno];
	return 0;
}

static int fake_mem(void *arg, uint64_t addr, void *buf, size_t size)
{
	struct fake *f = arg;

	if (addr < f->mem_base || addr - f->mem_base + size > sizeof(f->mem))
		return -1;
	memcpy(buf, f->mem + (addr - f->mem_base), size);
	return 0;
}

static int fake_reg_bytes(void *arg, unsigned regno, void *buf, size_t size)
{
	struct fake *f = arg;
	uint64_t v;

	if (regno == 17 && size <= 16) {
		memcpy(buf, f->xmm0, size);
		return 0;
	}
	if (size > 8 || fake_reg(arg, regno, &v) != 0)
		return -1;
	memcpy(buf, &v, size);
	return 0;
}

/* Entry values from "the caller": 0x1234 for DW_OP_reg5 (rdi), else none. */
static int fake_entry(void *arg, const struct dw_loc_expr *e, const Dwarf_Op *ops, size_t n, uint64_t *val)
{
	struct fake *f = arg;

	(void)e;
	f->entry_calls++;
	if (n == 1 && ops[0].atom == DW_OP_reg5) {
		*val = 0x1234;
		return 0;
	}
	return -1;
}

#define MEM_BASE 0x7ffc0000u

static struct fake fake_init(void)
{
	struct fake f = {0};

	for (unsigned i = 0; i < 17; i++)
		f.regs[i] = 0x1000 * (i + 1);
	f.regs[7] = MEM_BASE + 16; /* rsp */
	f.have = 0x1ffff;
	f.mem_base = MEM_BASE;
	for (unsigned i = 0; i < sizeof(f.mem); i++)
		f.mem[i] = (uint8_t)(0xa0 + i);
	for (unsigned i = 0; i < 16; i++)
		f.xmm0[i] = (uint8_t)(0x10 + i);
	return f;
}

static struct dw_loc_env env_of(struct fake *f)
{
	return (struct dw_loc_env){f, fake_reg, fake_mem, fake_entry};
}

/* Ops with offsets as if each took `width` bytes, enough for skip/bra
 * whose offsets are given explicitly. */
#define OP(a, ...) {.atom = (a), __VA_ARGS__}

static int eval_ops(Dwarf_Op *ops, size_t n, struct fake *f, struct dw_loc_result *r, const char **why)
{
	struct dw_loc_expr e = {.ops = ops, .nops = n, .pc = 0x401000, .bias = 0x10000};
	struct dw_loc_env env = env_of(f);

	return dw_loc_eval(&e, &env, r, why);
}

/* The value a DW_OP_stack_value expression computes. */
static uint64_t value_of(Dwarf_Op *ops, size_t n)
{
	struct fake f = fake_init();
	struct dw_loc_result r;
	const char *why;

	assert_int_equal(eval_ops(ops, n, &f, &r, &why), 0);
	assert_int_equal(r.npieces, 1);
	assert_int_equal(r.pieces[0].kind, DW_LOC_VALUE);
	return r.pieces[0].value;
}

static const char *failure_of(Dwarf_Op *ops, size_t n, struct fake *f)
{
	struct dw_loc_result r;
	const char *why = NULL;

	assert_int_equal(eval_ops(ops, n, f, &r, &why), -1);
	assert_non_null(why);
	return why;
}

/* ---- literals, constants, addresses ------------------------------------ */
static void test_constants(void **state)
{
	(void)state;
	/* DW_OP_const_type as libdw leaves it: the size byte, then the bytes. */
	static const uint8_t one_f64[] = {8, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f};
	static const uint8_t too_big[] = {16, 0};
	Dwarf_Op ct[] = {OP(DW_OP_const_type, .number = 0x2a, .number2 = (Dwarf_Word)(uintptr_t)one_f64),
			 OP(DW_OP_stack_value)};
	Dwarf_Op ct16[] = {OP(DW_OP_GNU_const_type, .number = 0x2a, .number2 = (Dwarf_Word)(uintptr_t)too_big),
			   OP(DW_OP_stack_value)};
	Dwarf_Op rvt[] = {OP(DW_OP_regval_type, .number = 3, .number2 = 0x35), OP(DW_OP_stack_value)};
	struct fake f = fake_init();

	assert_int_equal(value_of(ct, 2), 0x3ff0000000000000ull);
	assert_string_equal(failure_of(ct16, 2, &f), "unsupported DWARF operation");
	assert_int_equal(value_of(rvt, 2), f.regs[3]);
	Dwarf_Op lit[] = {OP(DW_OP_lit7), OP(DW_OP_stack_value)};
	Dwarf_Op c1s[] = {OP(DW_OP_const1s, .number = (Dwarf_Word)-3), OP(DW_OP_stack_value)};
	Dwarf_Op cu[] = {OP(DW_OP_constu, .number = 300), OP(DW_OP_stack_value)};
	Dwarf_Op addr[] = {OP(DW_OP_addr, .number = 0x4040), OP(DW_OP_stack_value)};

	assert_int_equal(value_of(lit, 2), 7);
	assert_int_equal(value_of(c1s, 2), (uint64_t)-3);
	assert_int_equal(value_of(cu, 2), 300);
	/* DW_OP_addr is relocated by the module's bias. */
	assert_int_equal(value_of(addr, 2), 0x4040 + 0x10000);
}

/* ---- stack operations --------------------------------------------------- */
static void test_stack_ops(void **state)
{
	(void)state;
	/* 1 2 3 rot -> 3 1 2: top 2; minus: 1 - 2 */
	Dwarf_Op rot[] = {OP(DW_OP_lit1), OP(DW_OP_lit2), OP(DW_OP_lit3), OP(DW_OP_rot), OP(DW_OP_minus),
			  OP(DW_OP_stack_value)};
	/* 5 9 swap -> 9 5; minus -> 4 */
	Dwarf_Op swap[] = {OP(DW_OP_lit5), OP(DW_OP_lit9), OP(DW_OP_swap), OP(DW_OP_minus), OP(DW_OP_stack_value)};
	/* 4 6 over -> 4 6 4; plus -> 4 10; minus -> -6 */
	Dwarf_Op over[] = {OP(DW_OP_lit4), OP(DW_OP_lit6), OP(DW_OP_over), OP(DW_OP_plus), OP(DW_OP_minus),
			   OP(DW_OP_stack_value)};
	/* 10 20 30 pick 2 -> 10 ... ; drop twice leaves 10 20: minus -> -10 */
	Dwarf_Op pick[] = {OP(DW_OP_lit10), OP(DW_OP_lit20), OP(DW_OP_lit30), OP(DW_OP_pick, .number = 2),
			   OP(DW_OP_plus), OP(DW_OP_minus), OP(DW_OP_stack_value)};
	/* 3 dup mul -> 9; drop of an extra 1 */
	Dwarf_Op dup[] = {OP(DW_OP_lit3), OP(DW_OP_dup), OP(DW_OP_mul), OP(DW_OP_lit1), OP(DW_OP_drop),
			  OP(DW_OP_nop), OP(DW_OP_stack_value)};

	assert_int_equal(value_of(rot, 6), (uint64_t)-1);
	assert_int_equal(value_of(swap, 5), 4);
	assert_int_equal(value_of(over, 6), (uint64_t)-6);
	/* 10 20 30 10 -> plus: 10 20 40 -> minus: 10 -20 */
	assert_int_equal(value_of(pick, 7), (uint64_t)-20);
	assert_int_equal(value_of(dup, 7), 9);
}

/* ---- arithmetic and logic ------------------------------------------------ */
static uint64_t binop(uint64_t a, uint64_t b, unsigned atom)
{
	Dwarf_Op ops[] = {OP(DW_OP_constu, .number = a), OP(DW_OP_constu, .number = b), OP(atom),
			  OP(DW_OP_stack_value)};
	return value_of(ops, 4);
}

static uint64_t unop(uint64_t a, unsigned atom)
{
	Dwarf_Op ops[] = {OP(DW_OP_constu, .number = a), OP(atom), OP(DW_OP_stack_value)};
	return value_of(ops, 3);
}

static void test_arithmetic(void **state)
{
	(void)state;
	assert_int_equal(binop(0xf0, 0x3c, DW_OP_and), 0x30);
	assert_int_equal(binop(0xf0, 0x0f, DW_OP_or), 0xff);
	assert_int_equal(binop(0xff, 0x0f, DW_OP_xor), 0xf0);
	assert_int_equal(binop(7, 5, DW_OP_plus), 12);
	assert_int_equal(binop(7, 5, DW_OP_mul), 35);
	/* DW_OP_div is signed (DWARF 5 section 2.5.1.4). */
	assert_int_equal(binop((uint64_t)-7, 2, DW_OP_div), (uint64_t)-3);
	assert_int_equal(binop(17, 5, DW_OP_mod), 2);
	assert_int_equal(binop(1, 4, DW_OP_shl), 16);
	assert_int_equal(binop(0x8000000000000000ull, 63, DW_OP_shr), 1);
	assert_int_equal(binop(0x8000000000000000ull, 63, DW_OP_shra), ~0ull);
	assert_int_equal(unop((uint64_t)-5, DW_OP_abs), 5);
	assert_int_equal(unop(5, DW_OP_neg), (uint64_t)-5);
	assert_int_equal(unop(0, DW_OP_not), ~0ull);
	{
		Dwarf_Op ops[] = {OP(DW_OP_lit2), OP(DW_OP_plus_uconst, .number = 40), OP(DW_OP_stack_value)};
		assert_int_equal(value_of(ops, 3), 42);
	}
}

/* ---- comparisons (signed) ------------------------------------------------ */
static void test_comparisons(void **state)
{
	(void)state;
	assert_int_equal(binop((uint64_t)-1, 1, DW_OP_lt), 1);
	assert_int_equal(binop((uint64_t)-1, 1, DW_OP_gt), 0);
	assert_int_equal(binop(3, 3, DW_OP_le), 1);
	assert_int_equal(binop(3, 3, DW_OP_ge), 1);
	assert_int_equal(binop(3, 4, DW_OP_eq), 0);
	assert_int_equal(binop(3, 4, DW_OP_ne), 1);
}

/* ---- control flow: skip and bra -------------------------------------------- */
static void test_branches(void **state)
{
	(void)state;
	/* Byte offsets: lit1 @0, bra @1 (3 bytes) -> to @4+2 = @6;
	 * lit5 @4, skip @5... Laid out:
	 *   @0 lit1  @1 bra +3 (-> @7)  @4 lit5  @5 skip? no: stack_value @5 ... */
	Dwarf_Op taken[] = {
		OP(DW_OP_lit1, .offset = 0),
		OP(DW_OP_bra, .number = 2, .offset = 1),  /* -> 1 + 3 + 2 = @6 */
		OP(DW_OP_lit5, .offset = 4),
		OP(DW_OP_stack_value, .offset = 5),
		OP(DW_OP_lit9, .offset = 6),
		OP(DW_OP_stack_value, .offset = 7),
	};
	Dwarf_Op not_taken[] = {
		OP(DW_OP_lit0, .offset = 0),
		OP(DW_OP_bra, .number = 2, .offset = 1),
		OP(DW_OP_lit5, .offset = 4),
		OP(DW_OP_skip, .number = 1, .offset = 5), /* -> 5 + 3 + 1 = @9 */
		OP(DW_OP_lit9, .offset = 8),
		OP(DW_OP_stack_value, .offset = 9),
	};
	/* A branch to the middle of an op is malformed. */
	Dwarf_Op bad[] = {
		OP(DW_OP_skip, .number = 1, .offset = 0), /* -> @4, no op there */
		OP(DW_OP_constu, .number = 1000, .offset = 3),
		OP(DW_OP_stack_value, .offset = 6),
	};
	/* An endless loop stops. */
	Dwarf_Op loop[] = {OP(DW_OP_skip, .number = (Dwarf_Word)-3, .offset = 0)};
	struct fake f = fake_init();

	assert_int_equal(value_of(taken, 6), 9);
	assert_int_equal(value_of(not_taken, 6), 5);
	assert_string_equal(failure_of(bad, 3, &f), "malformed DWARF expression");
	assert_string_equal(failure_of(loop, 1, &f), "malformed DWARF expression");
}

/* ---- registers, memory, frame base, CFA ------------------------------------- */
static void test_locations(void **state)
{
	(void)state;
	struct fake f = fake_init();
	struct dw_loc_result r;
	const char *why;
	Dwarf_Op reg[] = {OP(DW_OP_reg3)};
	Dwarf_Op regx[] = {OP(DW_OP_regx, .number = 17)};
	Dwarf_Op breg[] = {OP(DW_OP_breg7, .number = 8)};
	Dwarf_Op bregx[] = {OP(DW_OP_bregx, .number = 7, .number2 = (Dwarf_Word)-8)};
	Dwarf_Op deref[] = {OP(DW_OP_breg7, .number = 0), OP(DW_OP_deref), OP(DW_OP_stack_value)};
	Dwarf_Op deref2[] = {OP(DW_OP_breg7, .number = 0), OP(DW_OP_deref_size, .number = 2), OP(DW_OP_stack_value)};

	assert_int_equal(eval_ops(reg, 1, &f, &r, &why), 0);
	assert_int_equal(r.pieces[0].kind, DW_LOC_REG);
	assert_int_equal(r.pieces[0].regno, 3);
	assert_int_equal(eval_ops(regx, 1, &f, &r, &why), 0);
	assert_int_equal(r.pieces[0].regno, 17);
	assert_int_equal(eval_ops(breg, 1, &f, &r, &why), 0);
	assert_int_equal(r.pieces[0].kind, DW_LOC_MEM);
	assert_int_equal(r.pieces[0].addr, MEM_BASE + 24);
	assert_int_equal(eval_ops(bregx, 1, &f, &r, &why), 0);
	assert_int_equal(r.pieces[0].addr, MEM_BASE + 8);
	/* rsp points at mem[16]: bytes b0 b1 ... little endian */
	assert_int_equal(value_of(deref, 3), 0xb7b6b5b4b3b2b1b0ull);
	assert_int_equal(value_of(deref2, 3), 0xb1b0);

	/* fbreg through a frame base of DW_OP_call_frame_cfa, the CFA being
	 * rsp + 8 (as at a function's entry): rsp + 8 - 24. */
	{
		Dwarf_Op cfa_ops[] = {OP(DW_OP_bregx, .number = 7, .number2 = 8)};
		Dwarf_Op fb_ops[] = {OP(DW_OP_call_frame_cfa)};
		Dwarf_Op fbreg[] = {OP(DW_OP_fbreg, .number = (Dwarf_Word)-24)};
		Dwarf_Op cfa_value[] = {OP(DW_OP_call_frame_cfa), OP(DW_OP_stack_value)};
		struct dw_loc_expr cfa = {.ops = cfa_ops, .nops = 1};
		struct dw_loc_expr fb = {.ops = fb_ops, .nops = 1, .cfa = &cfa};
		struct dw_loc_expr e = {.ops = fbreg, .nops = 1, .frame_base = &fb, .cfa = &cfa};
		struct dw_loc_env env = env_of(&f);

		assert_int_equal(dw_loc_eval(&e, &env, &r, &why), 0);
		assert_int_equal(r.pieces[0].kind, DW_LOC_MEM);
		assert_int_equal(r.pieces[0].addr, MEM_BASE + 16 + 8 - 24);
		e.ops = cfa_value;
		e.nops = 2;
		assert_int_equal(dw_loc_eval(&e, &env, &r, &why), 0);
		assert_int_equal(r.pieces[0].value, MEM_BASE + 24);
		/* A frame base that is a register location: its contents. */
		{
			Dwarf_Op fb_reg[] = {OP(DW_OP_reg6)};
			struct dw_loc_expr fb6 = {.ops = fb_reg, .nops = 1};
			e.ops = fbreg;
			e.nops = 1;
			e.frame_base = &fb6;
			assert_int_equal(dw_loc_eval(&e, &env, &r, &why), 0);
			assert_int_equal(r.pieces[0].addr, f.regs[6] - 24);
		}
		/* No frame base, no CFA: unavailable. */
		e.frame_base = NULL;
		assert_int_equal(dw_loc_eval(&e, &env, &r, &why), -1);
		assert_string_equal(why, "optimized out");
		e.ops = cfa_value;
		e.nops = 2;
		e.cfa = NULL;
		assert_int_equal(dw_loc_eval(&e, &env, &r, &why), -1);
	}
}

/* ---- reading locations: registers, memory, pieces ---------------------------- */
static void test_read_pieces(void **state)
{
	(void)state;
	struct fake f = fake_init();
	struct dw_loc_env env = env_of(&f);
	struct dw_loc_result r;
	const char *why;
	uint8_t buf[16];
	/* A 16-byte struct: low 8 bytes in rbx, high 8 at rsp+0. */
	Dwarf_Op split[] = {OP(DW_OP_reg3), OP(DW_OP_piece, .number = 8), OP(DW_OP_breg7, .number = 0),
			    OP(DW_OP_piece, .number = 8)};
	/* 4 bytes in xmm0, 4 bytes constant 0x11223344, 8 bytes unknown. */
	Dwarf_Op mixed[] = {OP(DW_OP_regx, .number = 17), OP(DW_OP_piece, .number = 4),
			    OP(DW_OP_constu, .number = 0x11223344), OP(DW_OP_stack_value), OP(DW_OP_piece, .number = 4)};
	Dwarf_Op with_hole[] = {OP(DW_OP_reg0), OP(DW_OP_piece, .number = 4), OP(DW_OP_piece, .number = 4)};
	uint64_t rbx = f.regs[3];

	assert_int_equal(eval_ops(split, 4, &f, &r, &why), 0);
	assert_int_equal(r.npieces, 2);
	assert_int_equal(dw_loc_read(&r, 16, &env, fake_reg_bytes, buf, &why), 0);
	assert_memory_equal(buf, &rbx, 8);
	assert_memory_equal(buf + 8, f.mem + 16, 8);

	assert_int_equal(eval_ops(mixed, 5, &f, &r, &why), 0);
	assert_int_equal(dw_loc_read(&r, 8, &env, fake_reg_bytes, buf, &why), 0);
	assert_memory_equal(buf, f.xmm0, 4);
	assert_int_equal(buf[4], 0x44);
	assert_int_equal(buf[7], 0x11);
	/* The value is wider than its pieces: the rest is optimized out. */
	assert_int_equal(dw_loc_read(&r, 12, &env, fake_reg_bytes, buf, &why), -1);
	assert_string_equal(why, "optimized out");

	/* An empty piece: optimized out, never zeros. */
	assert_int_equal(eval_ops(with_hole, 3, &f, &r, &why), 0);
	assert_int_equal(r.pieces[1].kind, DW_LOC_EMPTY);
	assert_int_equal(dw_loc_read(&r, 8, &env, fake_reg_bytes, buf, &why), -1);
	assert_string_equal(why, "optimized out");

	/* A bit piece of whole bytes at a byte offset of a register. */
	{
		Dwarf_Op bits[] = {OP(DW_OP_reg3), OP(DW_OP_bit_piece, .number = 16, .number2 = 8)};
		uint16_t want = (uint16_t)(rbx >> 8);
		assert_int_equal(eval_ops(bits, 2, &f, &r, &why), 0);
		assert_int_equal(dw_loc_read(&r, 2, &env, fake_reg_bytes, buf, &why), 0);
		assert_memory_equal(buf, &want, 2);
	}
	/* Memory that cannot be read: unreadable. */
	{
		Dwarf_Op far[] = {OP(DW_OP_breg7, .number = 4096)};
		assert_int_equal(eval_ops(far, 1, &f, &r, &why), 0);
		assert_int_equal(dw_loc_read(&r, 8, &env, fake_reg_bytes, buf, &why), -1);
		assert_string_equal(why, "unreadable");
	}
	/* An empty expression: optimized out. */
	assert_int_equal(eval_ops(NULL, 0, &f, &r, &why), 0);
	assert_int_equal(r.pieces[0].kind, DW_LOC_EMPTY);
	assert_int_equal(dw_loc_read(&r, 4, &env, fake_reg_bytes, buf, &why), -1);
}

/* ---- implicit values and pointers ---------------------------------------------- */
static void test_implicit(void **state)
{
	(void)state;
	/* As libdw leaves it: the ULEB128 length, then the block: 1.0 */
	static const uint8_t block[9] = {8, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f};
	struct fake f = fake_init();
	struct dw_loc_env env = env_of(&f);
	struct dw_loc_result r;
	const char *why;
	double d;
	Dwarf_Op iv[] = {OP(DW_OP_implicit_value, .number = 8, .number2 = (Dwarf_Word)(uintptr_t)block)};
	Dwarf_Op ip[] = {OP(DW_OP_implicit_pointer, .number = 0x1234, .number2 = 4)};
	Dwarf_Op gip[] = {OP(DW_OP_GNU_implicit_pointer, .number = 0x99, .number2 = 0)};

	assert_int_equal(eval_ops(iv, 1, &f, &r, &why), 0);
	assert_int_equal(r.pieces[0].kind, DW_LOC_IMPLICIT);
	assert_int_equal(dw_loc_read(&r, 8, &env, fake_reg_bytes, (uint8_t *)&d, &why), 0);
	assert_true(d == 1.0);
	/* A block whose length does not read as libdw's number: malformed. */
	{
		Dwarf_Op bad[] = {OP(DW_OP_implicit_value, .number = 9, .number2 = (Dwarf_Word)(uintptr_t)block)};
		assert_string_equal(failure_of(bad, 1, &f), "malformed DWARF expression");
	}
	/* A value wider than the block is malformed, not padded. */
	{
		uint8_t big[16];
		assert_int_equal(dw_loc_read(&r, 16, &env, fake_reg_bytes, big, &why), -1);
	}
	assert_int_equal(eval_ops(ip, 1, &f, &r, &why), 0);
	assert_int_equal(r.pieces[0].kind, DW_LOC_IMPLICIT_PTR);
	assert_int_equal(r.pieces[0].die, 0x1234);
	assert_int_equal(r.pieces[0].ptr_offset, 4);
	assert_int_equal(dw_loc_read(&r, 8, &env, fake_reg_bytes, (uint8_t *)&d, &why), -1);
	assert_string_equal(why, "implicit pointer");
	assert_int_equal(eval_ops(gip, 1, &f, &r, &why), 0);
	assert_int_equal(r.pieces[0].kind, DW_LOC_IMPLICIT_PTR);
}

/* ---- entry values ------------------------------------------------------------------- */
static void test_entry_values(void **state)
{
	(void)state;
	/* Blocks as libdw leaves them: the ULEB128 length first. */
	static const uint8_t reg5[] = {1, DW_OP_reg5};          /* rdi */
	static const uint8_t reg4[] = {1, DW_OP_reg4};          /* rsi */
	static const uint8_t breg7_deref[] = {3, DW_OP_breg7, 8, DW_OP_deref};
	static const uint8_t regval3[] = {3, DW_OP_regval_type, 3, 0x35}; /* rbx, type DIE 0x35 */
	struct fake f = fake_init();
	struct dw_loc_env env = env_of(&f);
	struct dw_loc_result r;
	const char *why;
	Dwarf_Op ev5[] = {OP(DW_OP_entry_value, .number = 1, .number2 = (Dwarf_Word)(uintptr_t)reg5),
			  OP(DW_OP_stack_value)};
	Dwarf_Op gev4[] = {OP(DW_OP_GNU_entry_value, .number = 1, .number2 = (Dwarf_Word)(uintptr_t)reg4),
			   OP(DW_OP_lit1), OP(DW_OP_plus), OP(DW_OP_stack_value)};
	Dwarf_Op evmem[] = {OP(DW_OP_entry_value, .number = 3, .number2 = (Dwarf_Word)(uintptr_t)breg7_deref),
			    OP(DW_OP_stack_value)};
	struct dw_loc_expr e = {.ops = ev5, .nops = 2, .at_entry = true};
	uint64_t want;

	/* At the entry: the register itself, no call to the env. */
	assert_int_equal(dw_loc_eval(&e, &env, &r, &why), 0);
	assert_int_equal(r.pieces[0].value, f.regs[5]);
	e.ops = gev4;
	e.nops = 4;
	assert_int_equal(dw_loc_eval(&e, &env, &r, &why), 0);
	assert_int_equal(r.pieces[0].value, f.regs[4] + 1);
	e.ops = evmem;
	e.nops = 2;
	assert_int_equal(dw_loc_eval(&e, &env, &r, &why), 0);
	memcpy(&want, f.mem + 24, 8);
	assert_int_equal(r.pieces[0].value, want);
	{
		Dwarf_Op evt[] = {OP(DW_OP_entry_value, .number = 3, .number2 = (Dwarf_Word)(uintptr_t)regval3),
				  OP(DW_OP_stack_value)};
		e.ops = evt;
		assert_int_equal(dw_loc_eval(&e, &env, &r, &why), 0);
		assert_int_equal(r.pieces[0].value, f.regs[3]);
	}
	assert_int_equal(f.entry_calls, 0);

	/* Elsewhere: what the caller's call site says, or unavailable. */
	e.at_entry = false;
	e.ops = ev5;
	e.nops = 2;
	assert_int_equal(dw_loc_eval(&e, &env, &r, &why), 0);
	assert_int_equal(r.pieces[0].value, 0x1234);
	e.ops = gev4;
	e.nops = 4;
	assert_int_equal(dw_loc_eval(&e, &env, &r, &why), -1);
	assert_string_equal(why, "optimized out");
	env.entry_value = NULL;
	e.ops = ev5;
	e.nops = 2;
	assert_int_equal(dw_loc_eval(&e, &env, &r, &why), -1);
	assert_string_equal(why, "optimized out");

	/* DW_OP_GNU_parameter_ref: unavailable. */
	{
		Dwarf_Op pref[] = {OP(DW_OP_GNU_parameter_ref, .number = 0x40), OP(DW_OP_stack_value)};
		assert_string_equal(failure_of(pref, 2, &f), "optimized out");
	}
}

/* ---- malformed and unavailable ------------------------------------------------------ */
static void test_malformed(void **state)
{
	(void)state;
	struct fake f = fake_init();
	Dwarf_Op underflow[] = {OP(DW_OP_plus), OP(DW_OP_stack_value)};
	Dwarf_Op underflow1[] = {OP(DW_OP_lit1), OP(DW_OP_swap)};
	Dwarf_Op empty_sv[] = {OP(DW_OP_stack_value)};
	Dwarf_Op div0[] = {OP(DW_OP_lit1), OP(DW_OP_lit0), OP(DW_OP_div), OP(DW_OP_stack_value)};
	Dwarf_Op mod0[] = {OP(DW_OP_lit1), OP(DW_OP_lit0), OP(DW_OP_mod), OP(DW_OP_stack_value)};
	Dwarf_Op pick_far[] = {OP(DW_OP_lit1), OP(DW_OP_pick, .number = 1), OP(DW_OP_stack_value)};
	Dwarf_Op after_reg[] = {OP(DW_OP_reg0), OP(DW_OP_lit1)};
	Dwarf_Op bad_size[] = {OP(DW_OP_breg7, .number = 0), OP(DW_OP_deref_size, .number = 9),
			       OP(DW_OP_stack_value)};
	Dwarf_Op xderef[] = {OP(DW_OP_lit0), OP(DW_OP_lit0), OP(DW_OP_xderef)};
	Dwarf_Op unknown[] = {OP(0xe9 /* DW_OP_lo_user + 9 */)};
	Dwarf_Op tls[] = {OP(DW_OP_lit0), OP(DW_OP_form_tls_address)};
	Dwarf_Op tail[] = {OP(DW_OP_reg0), OP(DW_OP_piece, .number = 4), OP(DW_OP_lit1)};
	Dwarf_Op deref_far[] = {OP(DW_OP_breg7, .number = 4096), OP(DW_OP_deref), OP(DW_OP_stack_value)};
	Dwarf_Op lost_reg[] = {OP(DW_OP_breg3, .number = 0), OP(DW_OP_stack_value)};
	Dwarf_Op addrx[] = {OP(DW_OP_addrx, .number = 1)};

	assert_string_equal(failure_of(underflow, 2, &f), "malformed DWARF expression");
	assert_string_equal(failure_of(underflow1, 2, &f), "malformed DWARF expression");
	assert_string_equal(failure_of(empty_sv, 1, &f), "malformed DWARF expression");
	assert_string_equal(failure_of(div0, 4, &f), "malformed DWARF expression");
	assert_string_equal(failure_of(mod0, 4, &f), "malformed DWARF expression");
	assert_string_equal(failure_of(pick_far, 3, &f), "malformed DWARF expression");
	assert_string_equal(failure_of(after_reg, 2, &f), "malformed DWARF expression");
	assert_string_equal(failure_of(bad_size, 3, &f), "malformed DWARF expression");
	assert_string_equal(failure_of(tail, 3, &f), "malformed DWARF expression");
	assert_string_equal(failure_of(xderef, 3, &f), "unsupported DWARF operation");
	assert_string_equal(failure_of(unknown, 1, &f), "unsupported DWARF operation");
	assert_string_equal(failure_of(tls, 2, &f), "unsupported DWARF operation");
	/* addrx is resolved by dw_loc_plan; raw, it is not guessed. */
	assert_string_equal(failure_of(addrx, 1, &f), "unsupported DWARF operation");
	/* A deref of memory not captured: unavailable, never garbage. */
	assert_string_equal(failure_of(deref_far, 3, &f), "unreadable");
	/* A register not captured. */
	f.have &= ~(1u << 3);
	assert_string_equal(failure_of(lost_reg, 2, &f), "register not captured");
	/* Stack overflow: 65 pushes. */
	{
		Dwarf_Op many[70];
		for (unsigned i = 0; i < 70; i++)
			many[i] = (Dwarf_Op){.atom = DW_OP_lit1};
		assert_string_equal(failure_of(many, 70, &f), "malformed DWARF expression");
	}
	/* Too many pieces. */
	{
		Dwarf_Op pieces[2 * (DW_LOC_MAX_PIECES + 1)];
		for (unsigned i = 0; i < DW_LOC_MAX_PIECES + 1; i++) {
			pieces[2 * i] = (Dwarf_Op){.atom = DW_OP_reg0};
			pieces[2 * i + 1] = (Dwarf_Op){.atom = DW_OP_piece, .number = 1};
		}
		assert_non_null(failure_of(pieces, 2 * (DW_LOC_MAX_PIECES + 1), &f));
	}
	/* A NULL ops array with a count. */
	{
		struct dw_loc_expr e = {.ops = NULL, .nops = 2};
		struct dw_loc_env env = env_of(&f);
		struct dw_loc_result r;
		const char *why;
		assert_int_equal(dw_loc_eval(&e, &env, &r, &why), -1);
	}
}

/* ---- the block parser for entry values ---------------------------------------------- */
static void test_parse_block(void **state)
{
	(void)state;
	static const uint8_t b1[] = {DW_OP_breg7, 0x78 /* -8 */, DW_OP_deref_size, 4, DW_OP_regx, 0x91, 0x01};
	static const uint8_t trunc[] = {DW_OP_bregx, 0x80};
	static const uint8_t other[] = {DW_OP_xderef};
	Dwarf_Op ops[4];

	assert_int_equal(dw_loc_parse_block(b1, sizeof(b1), ops, 4), 3);
	assert_int_equal(ops[0].atom, DW_OP_breg7);
	assert_int_equal((int64_t)ops[0].number, -8);
	assert_int_equal(ops[1].number, 4);
	assert_int_equal(ops[1].offset, 2);
	assert_int_equal(ops[2].number, 145);
	assert_int_equal(dw_loc_parse_block(trunc, sizeof(trunc), ops, 4), 0);
	assert_int_equal(dw_loc_parse_block(other, sizeof(other), ops, 4), 0);
	assert_int_equal(dw_loc_parse_block(b1, sizeof(b1), ops, 2), 0);
}

/* ---- corrupt expressions ---------------------------------------------------------
 * Random ops (operands included) from every class, blocks with random
 * bytes: the evaluator must end each with a value or a reason, never read
 * outside what it is given (run under ASan/UBSan in CI). */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_random_expressions(void **state)
{
	(void)state;
	static const uint8_t atoms[] = {
		DW_OP_addr, DW_OP_deref, DW_OP_const1u, DW_OP_const1s, DW_OP_const8u, DW_OP_constu, DW_OP_consts,
		DW_OP_dup, DW_OP_drop, DW_OP_over, DW_OP_pick, DW_OP_swap, DW_OP_rot, DW_OP_xderef, DW_OP_abs,
		DW_OP_and, DW_OP_div, DW_OP_minus, DW_OP_mod, DW_OP_mul, DW_OP_neg, DW_OP_not, DW_OP_or, DW_OP_plus,
		DW_OP_plus_uconst, DW_OP_shl, DW_OP_shr, DW_OP_shra, DW_OP_xor, DW_OP_bra, DW_OP_eq, DW_OP_ge,
		DW_OP_gt, DW_OP_le, DW_OP_lt, DW_OP_ne, DW_OP_skip, DW_OP_lit0, DW_OP_lit31, DW_OP_reg0, DW_OP_reg17,
		DW_OP_breg7, DW_OP_breg31, DW_OP_regx, DW_OP_fbreg, DW_OP_bregx, DW_OP_piece, DW_OP_deref_size,
		DW_OP_nop, DW_OP_call_frame_cfa, DW_OP_bit_piece, DW_OP_implicit_value, DW_OP_stack_value,
		DW_OP_implicit_pointer, DW_OP_entry_value, DW_OP_const_type, DW_OP_regval_type,
		DW_OP_GNU_entry_value, DW_OP_GNU_parameter_ref, DW_OP_addrx, 0xff,
	};
	static uint8_t blocks[4][300];
	struct fake f = fake_init();
	struct dw_loc_env env = env_of(&f);
	Dwarf_Op cfa_ops[] = {OP(DW_OP_bregx, .number = 7, .number2 = 8)};
	Dwarf_Op fb_ops[] = {OP(DW_OP_call_frame_cfa)};
	struct dw_loc_expr cfa = {.ops = cfa_ops, .nops = 1};
	struct dw_loc_expr fb = {.ops = fb_ops, .nops = 1, .cfa = &cfa};
	uint64_t seed = 0x2545f4914f6cdd1dull;
	unsigned ok = 0, failed = 0;

	for (unsigned iter = 0; iter < 20000; iter++) {
		Dwarf_Op ops[12];
		size_t n = rnd(&seed) % 12, off = 0;
		struct dw_loc_expr e = {.ops = ops, .nops = n, .frame_base = &fb, .cfa = &cfa,
					.at_entry = rnd(&seed) & 1};
		struct dw_loc_result r;
		const char *why = NULL;
		uint8_t buf[64];

		for (unsigned b = 0; b < 4; b++) {
			for (unsigned k = 0; k < sizeof(blocks[b]); k++)
				blocks[b][k] = (uint8_t)rnd(&seed);
			blocks[b][0] &= 0x3f; /* a plausible length now and then */
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t x = rnd(&seed);
			ops[i] = (Dwarf_Op){.atom = atoms[x % sizeof(atoms)], .offset = off};
			ops[i].number = (x >> 8) % 5 == 0 ? rnd(&seed) : (x >> 16) % 24;
			if (ops[i].atom == DW_OP_implicit_value || ops[i].atom == DW_OP_entry_value ||
			    ops[i].atom == DW_OP_GNU_entry_value || ops[i].atom == DW_OP_const_type) {
				uint8_t *blk = blocks[(x >> 24) % 4];
				ops[i].number2 = (Dwarf_Word)(uintptr_t)blk;
				if ((x >> 28) & 1)
					ops[i].number = blk[0];
			} else {
				ops[i].number2 = (x >> 32) % 3 ? (x >> 40) % 64 : rnd(&seed);
			}
			off += 1 + (x >> 48) % 4;
		}
		if (dw_loc_eval(&e, &env, &r, &why) == 0) {
			assert_true(r.npieces >= 1 && r.npieces <= DW_LOC_MAX_PIECES);
			if (dw_loc_read(&r, 1 + rnd(&seed) % sizeof(buf), &env, fake_reg_bytes, buf, &why) != 0)
				assert_non_null(why);
			ok++;
		} else {
			assert_non_null(why);
			failed++;
		}
	}
	/* Both outcomes happened: the generator is not degenerate. */
	assert_true(ok > 100);
	assert_true(failed > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constants),    cmocka_unit_test(test_stack_ops),
		cmocka_unit_test(test_arithmetic),   cmocka_unit_test(test_comparisons),
		cmocka_unit_test(test_branches),     cmocka_unit_test(test_locations),
		cmocka_unit_test(test_read_pieces),  cmocka_unit_test(test_implicit),
		cmocka_unit_test(test_entry_values), cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_parse_block),  cmocka_unit_test(test_random_expressions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
