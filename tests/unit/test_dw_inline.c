/* Unit tests of inlined copies (dw_module_each_inlined) and compiler clones
 * (dw_function.clone_kind...) over inline_app as compiled here: argv[1] the
 * executable, argv[2] its source (samples/inline_app.c), argv[3] O0|O2|O3.
 * The oracles are the source text (the lines of the calls) and nm's view of
 * the symbols, through dw_session_find_symbol: never dwtrace's own output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dw_loc.h"
#include "dw_session.h"

static const char *app_path, *src_path, *opt;

static bool optimized(void)
{
	return strcmp(opt, "O0") != 0;
}

static struct dw_session *open_app(void)
{
	struct dw_session *s = NULL;
	char *err = NULL;

	if (dw_session_open_file(app_path, &s, &err) != 0)
		fail_msg("open %s: %s", app_path, err);
	assert_true(dw_module_has_dwarf(dw_session_module(s, 0)));
	return s;
}

/* The line numbers of the source lines containing text, in order. */
static size_t source_lines(const char *text, int *lines, size_t max)
{
	FILE *f = fopen(src_path, "r");
	char buf[512];
	size_t n = 0;
	int line = 0;

	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f))
		if (++line && strstr(buf, text) && n < max)
			lines[n++] = line;
	fclose(f);
	return n;
}

#define MAX_COPIES 16

struct copies {
	struct dw_session *s;
	size_t n;
	const char *caller[MAX_COPIES];
	int call_line[MAX_COPIES];
	uint64_t addr[MAX_COPIES];
};

static int collect(const struct dw_inline *in, void *arg)
{
	struct copies *c = arg;
	uint64_t start, size;
	const char *name;

	assert_true(c->n < MAX_COPIES);
	c->caller[c->n] = in->caller;
	c->call_line[c->n] = in->call_line;
	c->addr[c->n] = in->addr;
	c->n++;
	/* The copy lies in the function it was inlined into. */
	assert_int_equal(dw_session_symbol_at(c->s, in->addr, &name, &start, &size), 0);
	assert_string_equal(name, in->caller);
	assert_int_equal(start, in->caller_start);
	assert_true(in->addr > start && in->addr < start + size);
	assert_non_null(in->call_file);
	assert_non_null(strstr(in->call_file, "inline_app.c"));
	return 0;
}

static bool has_copy(const struct copies *c, const char *caller, int line)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->caller[i], caller) && c->call_line[i] == line)
			return true;
	return false;
}

static int count_params(const struct dw_inline *in, void *arg)
{
	assert_int_equal(in->nparams, 2);
	assert_string_equal(in->params[0].name, "item");
	assert_string_equal(in->params[1].name, "grams");
	assert_true(in->params[0].is_param);
	assert_string_equal(in->params[0].inlined_in, "weigh");
	assert_non_null(in->ret);
	(*(int *)arg)++;
	return 0;
}

static void test_weigh_copies(void **state)
{
	struct dw_session *s = open_app();
	struct copies c = {.s = s};
	int lines[4], seen = 0;
	int n = dw_module_each_inlined(dw_session_module(s, 0), "weigh", false, collect, &c);

	(void)state;
	if (!optimized()) {
		assert_int_equal(n, 0);
		dw_session_close(s);
		return;
	}
	/* Inlined into tally and report; the call through weigh_ptr is not. */
	assert_int_equal(n, 2);
	assert_int_equal(source_lines("total += weigh(", lines, 4), 1);
	assert_true(has_copy(&c, "tally", lines[0]));
	assert_int_equal(source_lines("return weigh(k + 100", lines, 4), 1);
	assert_true(has_copy(&c, "report", lines[0]));
	assert_int_equal(dw_module_each_inlined(dw_session_module(s, 0), "weigh", false, count_params, &seen), 2);
	assert_int_equal(seen, 2);
	/* Built once: the same copies again, at the same addresses. */
	{
		struct copies again = {.s = s};
		assert_int_equal(dw_module_each_inlined(dw_session_module(s, 0), "weig?", true, collect, &again), 2);
		assert_true(again.addr[0] == c.addr[0] && again.addr[1] == c.addr[1]);
	}
	assert_int_equal(dw_module_each_inlined(dw_session_module(s, 0), "weig", false, collect, &c), 0);
	dw_session_close(s);
}

static void test_classify_copies(void **state)
{
	struct dw_session *s = open_app();
	struct copies c = {.s = s};
	int lines[4];
	int n = dw_module_each_inlined(dw_session_module(s, 0), "classify", false, collect, &c);

	(void)state;
	if (!optimized()) {
		assert_int_equal(n, 0);
		dw_session_close(s);
		return;
	}
	/* Its test is inlined at each of main's three calls (the rest is
	 * classify.part.N). */
	assert_int_equal(source_lines("acc += classify(", lines, 4), 3);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_true(has_copy(&c, "main", lines[i]));
	dw_session_close(s);
}

struct one {
	struct dw_function *f;
	int n;
};

static int take(struct dw_function *f, void *arg)
{
	struct one *o = arg;
	o->f = f;
	o->n++;
	return 0;
}

/* -e NAME finds NAME's clone, named as nm names it, with its kind. */
static void check_clone(struct dw_session *s, const char *name, const char *kind, size_t nparams)
{
	struct one o = {0};
	char sym[64];
	uint64_t addr;

	assert_int_equal(dw_module_each_function(dw_session_module(s, 0), name, false, take, &o), 1);
	assert_int_equal(o.n, 1);
	if (!optimized()) {
		assert_string_equal(o.f->name, name);
		assert_null(o.f->clone_kind);
		assert_false(o.f->params_from_locations);
		return;
	}
	snprintf(sym, sizeof(sym), "%s.%s.0", name, kind);
	assert_int_equal(dw_session_find_symbol(s, NULL, sym, &addr), 0);
	assert_string_equal(o.f->name, sym);
	assert_int_equal(o.f->addr, addr);
	assert_string_equal(o.f->clone_kind, kind);
	assert_string_equal(o.f->origin_name, name);
	assert_true(o.f->params_from_locations);
	assert_int_equal(o.f->params_pc, o.f->addr);
	/* The parameters the source declares, whatever the clone receives. */
	assert_int_equal(o.f->nparams, nparams);
	assert_true(dw_function_matches(o.f, name, false));
	assert_true(dw_function_matches(o.f, sym, false));
	assert_false(dw_function_matches(o.f, "sca", false));
	/* Its own symbol name finds the same function. */
	o = (struct one){0};
	assert_int_equal(dw_module_each_function(dw_session_module(s, 0), sym, false, take, &o), 1);
	assert_string_equal(o.f->clone_kind, kind);
}

static void test_clones(void **state)
{
	struct dw_session *s = open_app();
	struct one o = {0};

	(void)state;
	check_clone(s, "scale", "constprop", 2);
	check_clone(s, "area", "isra", 1);
	check_clone(s, "classify", "part", 1);
	/* A glob over the name before the suffix. */
	assert_int_equal(dw_module_each_function(dw_session_module(s, 0), "scal?", true, take, &o), 1);
	assert_true(o.f->clone_kind ? !strcmp(o.f->origin_name, "scale") : !strcmp(o.f->name, "scale"));
	dw_session_close(s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weigh_copies),
		cmocka_unit_test(test_classify_copies),
		cmocka_unit_test(test_clones),
	};

	if (argc != 4) {
		fprintf(stderr, "usage: %s INLINE_APP SOURCE O0|O2|O3\n", argv[0]);
		return 2;
	}
	app_path = argv[1];
	src_path = argv[2];
	opt = argv[3];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
