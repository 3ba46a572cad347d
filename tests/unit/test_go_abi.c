/* arch_plan_go_call: Go's register ABI (cmd/compile/abi-internal.md) over
 * hand-built types.  Expected registers written from the document's amd64
 * table: integers RAX, RBX, RCX, RDI, RSI, R8, R9, R10, R11 (DWARF 0, 3,
 * 2, 5, 4, 8, 9, 10, 11); floats X0-X14; results again from RAX / X0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch.h"

static struct dw_type t_int = {.kind = DW_KIND_SINT, .name = "int", .size = 8};
static struct dw_type t_u8 = {.kind = DW_KIND_UINT, .name = "uint8", .size = 1};
static struct dw_type t_f64 = {.kind = DW_KIND_FLOAT, .name = "float64", .size = 8};
static struct dw_type t_u8p = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_u8};
static struct dw_type t_intp = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_int};
/* string: struct {str *uint8; len int} */
static struct dw_member string_members[] = {
	{.name = "str", .type = &t_u8p, .offset = 0},
	{.name = "len", .type = &t_int, .offset = 8},
};
static struct dw_type t_string = {.kind = DW_KIND_STRUCT, .name = "string", .size = 16,
				  .members = string_members, .nmembers = 2};
/* []int: struct {array *int; len int; cap int} */
static struct dw_member slice_members[] = {
	{.name = "array", .type = &t_intp, .offset = 0},
	{.name = "len", .type = &t_int, .offset = 8},
	{.name = "cap", .type = &t_int, .offset = 16},
};
static struct dw_type t_slice = {.kind = DW_KIND_STRUCT, .name = "[]int", .size = 24,
				 .members = slice_members, .nmembers = 3};
static struct dw_type t_arr4 = {.kind = DW_KIND_ARRAY, .size = 32, .count = 4, .target = &t_int};

#define MAXP 12

struct call {
	struct dw_function f;
	struct dw_param params[MAXP];
	struct fetch_plan plans[MAXP];
	struct fetch_plan ret;
	bool ev, xv;
};

static void plan(struct call *c, const struct dw_type *ret, size_t n, const struct dw_type **types)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < n; i++)
		c->params[i].type = types[i];
	c->f.params = c->params;
	c->f.nparams = n;
	c->f.ret = ret;
	arch_plan_go_call(&c->f, c->plans, &c->ret, &c->ev, &c->xv);
}

static void piece(const struct fetch_plan *p, unsigned i, unsigned regno, uint32_t size, uint32_t dest)
{
	assert_true(p->available);
	assert_true(i < p->npieces);
	assert_int_equal(p->pieces[i].kind, FETCH_REG);
	assert_int_equal(p->pieces[i].regno, regno);
	assert_int_equal(p->pieces[i].size, size);
	assert_int_equal(p->pieces[i].dest, dest);
}

/* main.work(id int, round int) uint64 */
static void test_ints(void **state)
{
	const struct dw_type *types[] = {&t_int, &t_int};
	struct call c;

	(void)state;
	plan(&c, &t_int, 2, types);
	piece(&c.plans[0], 0, 0, 8, 0);  /* RAX */
	piece(&c.plans[1], 0, 3, 8, 0);  /* RBX */
	piece(&c.ret, 0, 0, 8, 0);       /* results start again at RAX */
	assert_false(c.ev);
}

/* main.label(name string, ids []int) (string, int), as dw_lang.c builds
 * the results: struct {~r0 string; ~r1 int}. */
static void test_string_slice(void **state)
{
	static struct dw_member res_members[] = {
		{.name = "~r0", .type = &t_string, .offset = 0},
		{.name = "~r1", .type = &t_int, .offset = 16},
	};
	static struct dw_type t_res = {.kind = DW_KIND_STRUCT, .size = 24, .members = res_members, .nmembers = 2};
	const struct dw_type *types[] = {&t_string, &t_slice};
	struct call c;

	(void)state;
	plan(&c, &t_res, 2, types);
	piece(&c.plans[0], 0, 0, 8, 0);  /* name.str: RAX */
	piece(&c.plans[0], 1, 3, 8, 8);  /* name.len: RBX */
	piece(&c.plans[1], 0, 2, 8, 0);  /* ids.array: RCX */
	piece(&c.plans[1], 1, 5, 8, 8);  /* ids.len: RDI */
	piece(&c.plans[1], 2, 4, 8, 16); /* ids.cap: RSI */
	piece(&c.ret, 0, 0, 8, 0);
	piece(&c.ret, 1, 3, 8, 8);
	piece(&c.ret, 2, 2, 8, 16);
}

/* Floats take X0.. apart from the integer sequence. */
static void test_floats(void **state)
{
	const struct dw_type *types[] = {&t_int, &t_f64, &t_int, &t_f64};
	struct call c;

	(void)state;
	plan(&c, &t_f64, 4, types);
	piece(&c.plans[0], 0, 0, 8, 0);
	piece(&c.plans[1], 0, 17, 8, 0); /* X0 */
	piece(&c.plans[2], 0, 3, 8, 0);
	piece(&c.plans[3], 0, 18, 8, 0); /* X1 */
	piece(&c.ret, 0, 17, 8, 0);
	assert_true(c.ev);
	assert_true(c.xv);
}

/* An array longer than 1 goes on the stack (unavailable, never guessed),
 * and the registers it did not take go to the next argument; a value that
 * no longer fits in the 9 integer registers goes on the stack whole. */
static void test_stack_assigned(void **state)
{
	const struct dw_type *types[] = {&t_arr4, &t_int, &t_slice, &t_slice, &t_slice, &t_int};
	struct call c;

	(void)state;
	plan(&c, NULL, 6, types);
	assert_false(c.plans[0].available);
	assert_non_null(c.plans[0].why);
	piece(&c.plans[1], 0, 0, 8, 0);  /* RAX, as if the array were not there */
	piece(&c.plans[2], 0, 3, 8, 0);  /* RBX RCX RDI */
	piece(&c.plans[3], 0, 4, 8, 0);  /* RSI R8 R9 */
	assert_false(c.plans[4].available); /* 3 more do not fit in R10, R11 */
	piece(&c.plans[5], 0, 10, 8, 0); /* R10 */
	assert_false(c.ret.available);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ints),
		cmocka_unit_test(test_string_slice),
		cmocka_unit_test(test_floats),
		cmocka_unit_test(test_stack_assigned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
