/* Unit tests of what dwarf/ reads of Go and Rust functions, on the samples
 * as built here (argv[1] go_app -O2, argv[2] rust_app -O0, argv[3]
 * rust_app -O2, argv[4] libmylib.so -O2): Go's compile units found without
 * .debug_aranges, Go's results set apart from its parameters, Rust names
 * demangled, where parameters are read (params_from_locations, params_pc),
 * and Go/Rust strings.  Expected values come from the sources
 * (samples/go_app/main.go, samples/rust_app.rs) and DWARF 5's language codes. */
#include <dwarf.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch.h"
#include "dw_loc.h"
#include "dw_session.h"

static const char *go_path, *rust0_path, *rust2_path, *mylib_path;

static int take_first(struct dw_function *f, void *arg)
{
	*(struct dw_function **)arg = f;
	return 1;
}

static struct dw_function *lookup(struct dw_session *s, const char *name)
{
	struct dw_function *f = NULL;

	assert_int_equal(dw_module_each_function(dw_session_module(s, 0), name, false, take_first, &f), 1);
	assert_non_null(f);
	return f;
}

static struct dw_session *open_file(const char *path)
{
	struct dw_session *s = NULL;
	char *err = NULL;

	if (dw_session_open_file(path, &s, &err) != 0)
		fail_msg("open %s: %s", path, err);
	return s;
}

static const struct dw_type *strip(const struct dw_type *t)
{
	return dw_type_strip(t);
}

static void test_go(void **state)
{
	struct dw_session *s = open_file(go_path);
	struct dw_function *f = lookup(s, "main.work");
	const struct dw_type *r;

	(void)state;
	/* Go writes no .debug_aranges: without the CU index this was "no debug info". */
	assert_true(f->has_dwarf);
	assert_int_equal(f->language, DW_LANG_Go);
	assert_true(f->params_from_locations);
	assert_int_equal(f->params_pc, f->addr); /* Go's location lists cover the entry */
	assert_int_equal(f->nparams, 2);
	assert_string_equal(f->params[0].name, "id");
	assert_string_equal(f->params[1].name, "round");
	assert_int_equal(f->nresults, 1);
	assert_string_equal(f->results[0].name, "~r0");
	assert_non_null(f->ret);
	assert_int_equal(dw_type_size(f->ret), 8);
	{
		/* At the entry, Go's DWARF locations and Go's ABI (what
		 * probe_lang.c reads) agree: id in rax, round in rbx. */
		struct fetch_plan loc[2], abi[2], ret;
		bool ev, xv;

		assert_int_equal(dw_function_plan_params_at(f, f->addr, loc), 0);
		arch_plan_go_call(f, abi, &ret, &ev, &xv);
		for (int i = 0; i < 2; i++) {
			assert_true(loc[i].available && abi[i].available);
			assert_int_equal(loc[i].npieces, 1);
			assert_int_equal(abi[i].npieces, 1);
			assert_int_equal(loc[i].pieces[0].kind, FETCH_REG);
			assert_int_equal(loc[i].pieces[0].regno, abi[i].pieces[0].regno);
		}
		assert_int_equal(abi[0].pieces[0].regno, 0);
		assert_int_equal(abi[1].pieces[0].regno, 3);
	}

	/* label(name string, ids []int) (string, int) */
	f = lookup(s, "main.label");
	assert_int_equal(f->nparams, 2);
	assert_true(strip(f->params[0].type)->cxx_string);
	assert_false(strip(f->params[1].type)->cxx_string);
	assert_int_equal(f->nresults, 2);
	r = strip(f->ret);
	assert_int_equal(r->kind, DW_KIND_STRUCT);
	assert_int_equal(r->nmembers, 2);
	assert_string_equal(r->members[0].name, "~r0");
	assert_int_equal(r->members[0].offset, 0);
	assert_true(strip(r->members[0].type)->cxx_string);
	assert_string_equal(r->members[1].name, "~r1");
	assert_int_equal(r->members[1].offset, 16);
	assert_int_equal(r->size, 24);
	dw_session_close(s);
}

static void test_rust_O0(void **state)
{
	struct dw_session *s = open_file(rust0_path);
	struct dw_function *f = lookup(s, "rust_app::compute");

	(void)state;
	assert_string_equal(f->name, "rust_app::compute");
	assert_int_equal(f->language, DW_LANG_Rust);
	assert_true(f->params_from_locations);
	assert_int_equal(f->nparams, 3);
	/* -O0: the parameters are stack slots the prologue writes: read
	 * after it, where the CFA is rsp plus something. */
	assert_true(f->params_pc > f->addr);
	assert_true(f->params_pc < f->addr + f->size);
	assert_int_equal(f->params_cfa_reg, 7);
	assert_true(f->params_cfa_off >= 8);

	f = lookup(s, "rust_app::greet");
	assert_int_equal(f->nparams, 2);
	assert_true(strip(f->params[0].type)->cxx_string); /* &str */
	assert_true(strip(f->params[1].type)->cxx_string); /* String */
	dw_session_close(s);
}

static void test_rust_O2(void **state)
{
	struct dw_session *s = open_file(rust2_path);
	struct dw_function *f = lookup(s, "rust_app::compute");

	(void)state;
	assert_true(f->params_from_locations);
	/* Location lists covering the entry: read there. */
	assert_int_equal(f->params_pc, f->addr);
	dw_session_close(s);
}

static void test_c(void **state)
{
	struct dw_session *s = open_file(mylib_path);
	struct dw_function *f = lookup(s, "my_traced_function");

	(void)state;
	assert_int_equal(f->nresults, 0);
	assert_false(f->params_from_locations);
	assert_int_equal(f->params_pc, f->addr);
	dw_session_close(s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go),
		cmocka_unit_test(test_rust_O0),
		cmocka_unit_test(test_rust_O2),
		cmocka_unit_test(test_c),
	};

	if (argc != 5) {
		fprintf(stderr, "usage: %s GO_APP RUST_APP_O0 RUST_APP_O2 LIBMYLIB\n", argv[0]);
		return 2;
	}
	go_path = argv[1];
	rust0_path = argv[2];
	rust2_path = argv[3];
	mylib_path = argv[4];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
