/* Unit tests of the DWARF signature reader, on the sample libraries as
 * compiled here (argv[1] = libmylib.so, argv[2] = libtypes.so): names, types,
 * sizes and layouts must be what the C sources declare. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dw_session.h"

static const char *mylib_path, *types_path;

struct found {
	struct dw_function *f;
};

static int take_first(struct dw_function *f, void *arg)
{
	((struct found *)arg)->f = f;
	return 1;
}

static struct dw_function *lookup(struct dw_session *s, const char *name)
{
	struct found fd = {0};
	assert_int_equal(dw_module_each_function(dw_session_module(s, 0), name, false, take_first, &fd), 1);
	assert_non_null(fd.f);
	return fd.f;
}

static struct dw_session *open_file(const char *path)
{
	struct dw_session *s = NULL;
	char *err = NULL;
	int rc = dw_session_open_file(path, &s, &err);
	if (rc != 0)
		fail_msg("open %s: %s", path, err);
	assert_int_equal(dw_session_nmodules(s), 1);
	assert_true(dw_module_has_dwarf(dw_session_module(s, 0)));
	return s;
}

static void assert_prototype(const struct dw_function *f, const char *want)
{
	char buf[512];
	dw_function_prototype(f, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_classic(void **state)
{
	struct dw_session *s = open_file(mylib_path);
	struct dw_function *f = lookup(s, "my_traced_function"), *g = NULL;
	const struct dw_type *t;

	assert_true(f->has_dwarf);
	assert_int_equal(f->nparams, 4);
	assert_string_equal(f->params[0].name, "arg1");
	assert_string_equal(f->params[3].name, "arg4");
	t = dw_type_strip(f->params[0].type);
	assert_int_equal(t->kind, DW_KIND_SINT);
	assert_int_equal(t->size, 4);
	t = dw_type_strip(f->params[1].type);
	assert_int_equal(t->kind, DW_KIND_UINT);
	assert_int_equal(t->size, 8);
	assert_int_equal(dw_type_strip(f->params[2].type)->kind, DW_KIND_FLOAT);
	assert_int_equal(dw_type_strip(f->params[3].type)->kind, DW_KIND_POINTER);
	assert_prototype(f, "int my_traced_function(int arg1, uint64_t arg2, double arg3, void *arg4)");
	/* A file offset inside the function finds the function. */
	assert_int_equal(dw_module_function_at_offset(dw_session_module(s, 0), f->file_offset + 4, &g), 0);
	assert_ptr_equal(g, f);
	assert_int_equal(dw_module_function_at_offset(dw_session_module(s, 0), 0, &g), -ENOENT);
	dw_session_close(s);
}

static const struct dw_member *member(const struct dw_type *t, const char *name)
{
	t = dw_type_strip(t);
	for (size_t i = 0; i < t->nmembers; i++)
		if (!strcmp(t->members[i].name, name))
			return &t->members[i];
	fail_msg("no member %s", name);
	return NULL;
}

static void test_structs(void **state)
{
	struct dw_session *s = open_file(types_path);
	struct dw_function *f = lookup(s, "t_small");
	const struct dw_type *t = dw_type_strip(f->params[0].type);
	const struct dw_member *m;

	assert_int_equal(t->kind, DW_KIND_STRUCT);
	assert_int_equal(t->size, 16);
	assert_int_equal(t->nmembers, 3);
	assert_int_equal(member(t, "ratio")->offset, 4);
	assert_int_equal(member(t, "value")->offset, 8);
	assert_int_equal(dw_type_strip(f->ret)->kind, DW_KIND_STRUCT);
	assert_prototype(f, "struct small t_small(struct small s, double scale)");

	f = lookup(s, "t_rich");
	t = dw_type_strip(f->params[0].type);
	assert_int_equal(t->size, 40);
	m = member(t, "v");
	assert_int_equal(dw_type_strip(m->type)->kind, DW_KIND_ARRAY);
	assert_int_equal(dw_type_strip(m->type)->count, 3);
	assert_true(dw_type_is_string(member(t, "label")->type));
	m = member(t, "flags");
	assert_int_equal(m->bit_size, 3);
	assert_int_equal(m->bit_offset, 32 * 8);
	m = member(t, "mode");
	assert_int_equal(m->bit_size, 5);
	assert_int_equal(m->bit_offset, 32 * 8 + 3);
	assert_int_equal(member(t, "delta")->bit_size, 4);

	f = lookup(s, "t_union");
	assert_int_equal(dw_type_strip(f->params[0].type)->kind, DW_KIND_UNION);
	dw_session_close(s);
}

static void test_enums_typedefs_variadic(void **state)
{
	struct dw_session *s = open_file(types_path);
	struct dw_function *f = lookup(s, "t_enums");
	const struct dw_type *t = dw_type_strip(f->params[0].type);

	assert_int_equal(t->kind, DW_KIND_ENUM);
	assert_int_equal(t->nenumerators, 3);
	assert_string_equal(t->enumerators[1].name, "GREEN");
	assert_int_equal(t->enumerators[1].value, 5);
	t = dw_type_strip(f->params[1].type);
	assert_true(t->enum_signed);
	assert_string_equal(t->enumerators[0].name, "LEVEL_LOW");
	assert_int_equal(t->enumerators[0].value, -1);

	f = lookup(s, "t_typedefs");
	assert_int_equal(f->params[0].type->kind, DW_KIND_TYPEDEF);
	assert_string_equal(f->params[0].type->name, "handle_t");
	t = dw_type_strip(f->params[1].type);
	assert_int_equal(t->kind, DW_KIND_UINT);
	assert_int_equal(t->size, 4);

	f = lookup(s, "t_variadic");
	assert_true(f->variadic);
	assert_int_equal(f->nparams, 2);
	assert_prototype(f, "int t_variadic(const char *fmt, int count, ...)");

	f = lookup(s, "t_pointers");
	assert_true(dw_type_is_function_pointer(f->params[2].type));
	assert_prototype(f, "int t_pointers(void *vp, int *ip, int (*cb)(int), const void *np)");

	f = lookup(s, "t_void_fn");
	assert_null(f->ret);
	dw_session_close(s);
}

static int count(struct dw_function *f, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void test_globs(void **state)
{
	struct dw_session *s = open_file(types_path);
	int n = 0;

	assert_true(dw_module_each_function(dw_session_module(s, 0), "t_ret_*", true, count, &n) >= 7);
	assert_int_equal(dw_module_each_function(dw_session_module(s, 0), "zzz*", true, count, &n), 0);
	assert_int_equal(dw_module_each_function(dw_session_module(s, 0), "t_ret", false, count, &n), 0);
	dw_session_close(s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classic),
		cmocka_unit_test(test_structs),
		cmocka_unit_test(test_enums_typedefs_variadic),
		cmocka_unit_test(test_globs),
	};
	if (argc != 3) {
		fprintf(stderr, "usage: %s libmylib.so libtypes.so\n", argv[0]);
		return 2;
	}
	mylib_path = argv[1];
	types_path = argv[2];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
