/* The LTTng events of issue 13's layouts, as the description compiler
 * (probes/ust_desc.c) names and flattens them: a point inside a function
 * (one event FN_0xOFFSET, parameters then locals), an inlined copy's entry
 * (FN_inlined_CALLER_0xOFFSET_entry), a clone's events (FN_KIND_entry,
 * FN_KIND_exit), and field names kept unique in an event.  Layouts and
 * values are written out here; the expected names follow the rules
 * ust_desc.h documents, the expected values are the ones put in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ust_desc.h"

static struct dw_type t_int = {.kind = DW_KIND_SINT, .name = "int", .size = 4};
static struct dw_member point_members[] = {{.name = "x", .type = &t_int, .offset = 0},
					   {.name = "y", .type = &t_int, .offset = 4}};
static struct dw_type t_point = {.kind = DW_KIND_STRUCT, .name = "point", .size = 8, .members = point_members,
				 .nmembers = 2};
static struct dw_member ab_members[] = {{.name = "b", .type = &t_int, .offset = 0}};
static struct dw_type t_ab = {.kind = DW_KIND_STRUCT, .name = "ab", .size = 4, .members = ab_members, .nmembers = 1};

#define REG(r, sz) {.available = true, .size = (sz), .npieces = 1, .pieces = {{FETCH_REG, (r), (sz), 0, 0}}}
#define MEM(r, off, sz) {.available = true, .size = (sz), .npieces = 1, .pieces = {{FETCH_MEM, (r), (sz), 0, (off)}}}

struct blob {
	void *data;
	size_t size;
	struct ust_desc_paths *paths;
};

static struct blob finish(struct ust_desc_builder *b)
{
	struct blob bl = {0};

	bl.data = ust_desc_finish(b, &bl.size, &bl.paths);
	assert_non_null(bl.data);
	return bl;
}

static void release(struct blob *bl)
{
	free(bl->data);
	ust_desc_paths_free(bl->paths);
}

static const struct dwt_ust_event_desc *event(const struct blob *bl, uint32_t i)
{
	const struct dwt_ust_event_desc *ev = ust_desc_event(bl->data, bl->size, i);

	assert_non_null(ev);
	return ev;
}

static void assert_event_name(const struct blob *bl, uint32_t i, const char *name)
{
	assert_string_equal(ust_desc_string(bl->data, bl->size, event(bl, i)->name), name);
}

static void assert_field_names(const struct blob *bl, uint32_t i, const char *const *want, size_t n)
{
	const struct dwt_ust_event_desc *ev = event(bl, i);
	const struct dwt_ust_field *f = ust_desc_fields(bl->data, bl->size, ev);

	assert_non_null(f);
	for (uint32_t k = 0; k < ev->nfields && k < n; k++)
		assert_string_equal(ust_desc_string(bl->data, bl->size, f[k].name), want[k]);
	assert_int_equal(ev->nfields, n);
}

static uint32_t nevents(const struct blob *bl)
{
	return ((const struct dwt_ust_desc *)bl->data)->nevents;
}

/* my_traced_function+0x7: parameters arg1 (rdi) and pt (a struct on the
 * stack); locals sum, i, an outer i shadowed by the inner one, and pid
 * (which dwtrace's own pid field takes); pid optimized out. */
static struct layout_field point_fields[] = {
	{.name = "arg1", .type = &t_int, .plan = REG(5, 4)},
	{.name = "pt", .type = &t_point, .plan = MEM(7, 8, 8)},
};
static struct layout_field point_locals[] = {
	{.name = "sum", .type = &t_int, .plan = REG(3, 4)},
	{.name = "i", .type = &t_int, .plan = REG(12, 4)},
	{.name = "i", .type = &t_int, .plan = MEM(6, -20, 4)},
	{.name = "pid", .type = &t_int, .plan = {.available = false, .size = 4}},
};
static const struct event_layout point = {
	.id = 1, .function = "my_traced_function", .module = "libmylib.so", .fields = point_fields, .nfields = 2,
	.kind = LAYOUT_POINT, .from_locations = true, .offset = 7, .file = "mylib.c", .line = 9,
	.locals = point_locals, .nlocals = 4,
};

static void test_point_event(void **state)
{
	const struct ust_desc_opts o = {.with_pid_tid = true, .with_stack = true, .string_limit = 64};
	struct ust_desc_builder *b = ust_desc_builder_new("dwtrace", &o);
	uint32_t ie = 99, ix = 99;
	static const char *const names[] = {"pid", "tid", "arg1", "pt_x", "pt_y", "sum", "i", "i_1", "_pid", "stack"};
	const struct dwt_ust_event_desc *ev;
	const struct dwt_ust_image *im;
	const struct ust_field_path *paths;
	struct blob bl;

	ust_desc_add_layout(b, &point, &ie, &ix);
	bl = finish(b);
	assert_int_equal(ie, 0);
	assert_int_equal(ix, UST_DESC_NO_EVENT);
	assert_int_equal(nevents(&bl), 1);
	assert_null(ust_desc_event(bl.data, bl.size, ix));
	assert_event_name(&bl, 0, "my_traced_function_0x7");
	ev = event(&bl, 0);
	assert_int_equal(ev->kind, 1); /* DWT_REC_ENTRY: a point's hits are entry-kind records */
	assert_field_names(&bl, 0, names, 10);
	/* One image per value, parameters then locals, as the plans say. */
	assert_int_equal(ev->nimages, 6);
	im = ust_desc_images(bl.data, bl.size, ev);
	assert_non_null(im);
	assert_true(im[0].available && im[0].pieces[0].kind == DWT_UST_PIECE_REG && im[0].pieces[0].regno == 5);
	assert_true(im[1].available && im[1].pieces[0].kind == DWT_UST_PIECE_MEM && im[1].pieces[0].offset == 8);
	assert_true(im[2].available && im[2].pieces[0].regno == 3);
	assert_true(im[3].available && im[3].pieces[0].regno == 12);
	assert_true(im[4].available && im[4].pieces[0].regno == 6 && im[4].pieces[0].offset == -20);
	assert_false(im[5].available);
	/* Each field's value path: value index, then member. */
	paths = ust_desc_event_paths(bl.paths, 0);
	assert_non_null(paths);
	assert_int_equal(paths[2].depth, 1);
	assert_int_equal(paths[2].index[0], 0);
	assert_int_equal(paths[4].depth, 2);
	assert_int_equal(paths[4].index[0], 1);
	assert_int_equal(paths[4].index[1], 1);
	assert_int_equal(paths[7].index[0], 4);
	assert_int_equal(paths[8].index[0], 5);
	release(&bl);
}

/* dwtrace's own sink writes a point's fields from decode's nfields +
 * nlocals values. */
static void test_point_scalars(void **state)
{
	const struct ust_desc_opts o = {.with_pid_tid = true, .string_limit = 64};
	struct ust_desc_builder *b = ust_desc_builder_new("dwtrace", &o);
	static const int32_t v42 = 42, v3 = 3, v2 = 2, v5 = -5, pt[2] = {1, -2};
	static struct value members[2];
	struct value values[6] = {
		{.type = &t_int, .available = true, .bytes = (const uint8_t *)&v42, .size = 4},
		{.type = &t_point, .available = true, .bytes = (const uint8_t *)pt, .size = 8, .children = members,
		 .nchildren = 2},
		{.type = &t_int, .available = true, .bytes = (const uint8_t *)&v3, .size = 4},
		{.type = &t_int, .available = true, .bytes = (const uint8_t *)&v2, .size = 4},
		{.type = &t_int, .available = true, .bytes = (const uint8_t *)&v5, .size = 4},
		{.type = &t_int, .available = false, .why = "optimized out", .size = 4},
	};
	const struct event_header h = {.ts_ns = 1, .pid = 100, .tid = 101};
	struct ust_scalar sc[9];
	char buf[256];
	uint32_t ie;
	struct blob bl;

	members[0] = (struct value){.type = &t_int, .available = true, .bytes = (const uint8_t *)&pt[0], .size = 4};
	members[1] = (struct value){.type = &t_int, .available = true, .bytes = (const uint8_t *)&pt[1], .size = 4};
	ust_desc_add_layout(b, &point, &ie, NULL);
	bl = finish(b);
	assert_int_equal(event(&bl, ie)->nfields, 9);
	ust_scalars_from_values(bl.data, bl.size, event(&bl, ie), ust_desc_event_paths(bl.paths, ie), values, &h, 0,
				sc, buf, sizeof(buf));
	/* pid, tid, arg1, pt_x, pt_y, sum, i, i_1, _pid */
	assert_true(sc[0].available && sc[0].u == 100);
	assert_true(sc[1].available && sc[1].u == 101);
	assert_true(sc[2].available && sc[2].u == 42);
	assert_true(sc[3].available && sc[3].u == 1);
	assert_true(sc[4].available && (int64_t)sc[4].u == -2);
	assert_true(sc[5].available && sc[5].u == 3);
	assert_true(sc[6].available && sc[6].u == 2);
	assert_true(sc[7].available && (int64_t)sc[7].u == -5);
	assert_false(sc[8].available);
	release(&bl);
}

/* The inlined copy of weigh in main, 0x1c bytes in: its own entry event
 * and no exit. */
static void test_inlined_event(void **state)
{
	static struct layout_field fields[] = {{.name = "w", .type = &t_int, .plan = REG(5, 4)}};
	const struct event_layout l = {.function = "weigh", .module = "app", .fields = fields, .nfields = 1,
				       .kind = LAYOUT_INLINED, .offset = 0x1c, .inlined_into = "main",
				       .call_file = "app.c", .call_line = 12};
	const struct ust_desc_opts o = {.string_limit = 64};
	struct ust_desc_builder *b = ust_desc_builder_new("dwtrace", &o);
	static const char *const names[] = {"w"};
	uint32_t ie = 99, ix = 99;
	struct blob bl;

	ust_desc_add_layout(b, &l, &ie, &ix);
	bl = finish(b);
	assert_int_equal(ie, 0);
	assert_int_equal(ix, UST_DESC_NO_EVENT);
	assert_int_equal(nevents(&bl), 1);
	assert_event_name(&bl, 0, "weigh_inlined_main_0x1c_entry");
	assert_int_equal(event(&bl, 0)->kind, 1);
	assert_field_names(&bl, 0, names, 1);
	release(&bl);
}

/* A clone's entry and exit, a point in a clone, a C++ point by linkage
 * name, all in one blob after a plain function's events. */
static void test_clone_and_mixed(void **state)
{
	static struct layout_field fields[] = {{.name = "x", .type = &t_int, .plan = REG(5, 4)}};
	static const struct dw_function cxx = {.name = "ct::f(int)", .linkage_name = "_ZN2ct1fEi"};
	const struct event_layout plain = {.function = "g", .module = "m", .fields = fields, .nfields = 1,
					   .has_ret = true,
					   .ret = {.name = "retval", .type = &t_int, .plan = REG(0, 4)}};
	const struct event_layout clone = {.function = "f", .module = "m", .fields = fields, .nfields = 1,
					   .has_ret = true,
					   .ret = {.name = "retval", .type = &t_int, .plan = REG(0, 4)},
					   .from_locations = true, .clone_kind = "isra"};
	const struct event_layout clone_point = {.function = "f", .module = "m", .fields = fields, .nfields = 1,
						 .kind = LAYOUT_POINT, .clone_kind = "constprop", .offset = 4};
	const struct event_layout cxx_point = {.function = "ct::f(int)", .module = "m", .fn = &cxx, .fields = fields,
					       .nfields = 1, .kind = LAYOUT_POINT, .offset = 0x10};
	const struct ust_desc_opts o = {.string_limit = 64};
	struct ust_desc_builder *b = ust_desc_builder_new("dwtrace", &o);
	static const char *const entry_names[] = {"x"}, *const exit_names[] = {"retval", "duration_ns"};
	uint32_t ie[4], ix[4];
	struct blob bl;

	ust_desc_add_layout(b, &plain, &ie[0], &ix[0]);
	ust_desc_add_layout(b, &clone, &ie[1], &ix[1]);
	ust_desc_add_layout(b, &clone_point, &ie[2], &ix[2]);
	ust_desc_add_layout(b, &cxx_point, &ie[3], &ix[3]);
	bl = finish(b);
	assert_int_equal(nevents(&bl), 6);
	assert_int_equal(ie[0], 0);
	assert_int_equal(ix[0], 1);
	assert_int_equal(ie[1], 2);
	assert_int_equal(ix[1], 3);
	assert_int_equal(ie[2], 4);
	assert_int_equal(ix[2], UST_DESC_NO_EVENT);
	assert_int_equal(ie[3], 5);
	assert_int_equal(ix[3], UST_DESC_NO_EVENT);
	assert_event_name(&bl, 0, "g_entry");
	assert_event_name(&bl, 1, "g_exit");
	assert_event_name(&bl, 2, "f_isra_entry");
	assert_event_name(&bl, 3, "f_isra_exit");
	assert_int_equal(event(&bl, 3)->kind, 2);
	assert_field_names(&bl, 2, entry_names, 1);
	assert_field_names(&bl, 3, exit_names, 2);
	assert_event_name(&bl, 4, "f_constprop_0x4");
	assert_event_name(&bl, 5, "_ZN2ct1fEi_0x10");
	release(&bl);
}

/* Field names stay unique: flattening "a" {b} next to a parameter "a_b",
 * a local shadowing a parameter, and a shadowed local's name taken by a
 * local of that name. */
static void test_unique_field_names(void **state)
{
	static struct layout_field fields[] = {
		{.name = "a_b", .type = &t_int, .plan = REG(5, 4)},
		{.name = "a", .type = &t_ab, .plan = REG(4, 4)},
		{.name = "x", .type = &t_int, .plan = REG(1, 4)},
	};
	static struct layout_field locals[] = {
		{.name = "x", .type = &t_int, .plan = REG(2, 4)},
		{.name = "i", .type = &t_int, .plan = REG(8, 4)},
		{.name = "i_1", .type = &t_int, .plan = REG(9, 4)},
		{.name = "i", .type = &t_int, .plan = REG(10, 4)},
	};
	const struct event_layout l = {.function = "h", .module = "m", .fields = fields, .nfields = 3,
				       .kind = LAYOUT_POINT, .offset = 0x2a, .locals = locals, .nlocals = 4};
	const struct ust_desc_opts o = {.string_limit = 64};
	struct ust_desc_builder *b = ust_desc_builder_new("dwtrace", &o);
	static const char *const names[] = {"a_b", "a_b_2", "x", "x_2", "i", "i_1", "i_1_2"};
	uint32_t ie;
	struct blob bl;

	ust_desc_add_layout(b, &l, &ie, NULL);
	bl = finish(b);
	assert_event_name(&bl, ie, "h_0x2a");
	assert_field_names(&bl, ie, names, 7);
	release(&bl);
}

/* "provider:event" stays under lttng-ust's 256 bytes: a long name keeps
 * its start and its suffix, and two names alike in their first 300 bytes
 * stay distinct (a hash of the whole name between them). */
static void test_long_names(void **state)
{
	static struct layout_field fields[] = {{.name = "x", .type = &t_int, .plan = REG(5, 4)}};
	char fn1[400], fn2[400];
	struct event_layout l1 = {.function = fn1, .module = "m", .fields = fields, .nfields = 1};
	struct event_layout l2 = {.function = fn2, .module = "m", .fields = fields, .nfields = 1,
				  .kind = LAYOUT_INLINED, .inlined_into = "main", .offset = 0x10};
	struct event_layout l3 = l2;
	const struct ust_desc_opts o = {.string_limit = 64};
	struct ust_desc_builder *b = ust_desc_builder_new("dwtrace", &o);
	const char *n[4];
	struct blob bl;

	memset(fn1, 'a', 300);
	fn1[300] = '\0';
	memcpy(fn2, fn1, 301);
	strcat(fn2, "b");
	ust_desc_add_layout(b, &l1, NULL, NULL);
	ust_desc_add_layout(b, &l2, NULL, NULL);
	l3.offset = 0x20;
	ust_desc_add_layout(b, &l3, NULL, NULL);
	bl = finish(b);
	assert_int_equal(nevents(&bl), 4);
	for (uint32_t i = 0; i < 4; i++) {
		n[i] = ust_desc_string(bl.data, bl.size, event(&bl, i)->name);
		/* "dwtrace:" + the name: 255 bytes at most */
		assert_int_equal(strlen(n[i]), 255 - 8);
		assert_int_equal(strspn(n[i], "a"), 255 - 8 - 1 - 16 - (i == 1 ? 5 : 6));
		assert_true(n[i][strspn(n[i], "a")] == '_');
	}
	assert_string_equal(n[0] + strlen(n[0]) - 6, "_entry");
	assert_string_equal(n[1] + strlen(n[1]) - 5, "_exit");
	assert_string_equal(n[2] + strlen(n[2]) - 6, "_entry");
	assert_string_not_equal(n[0], n[2]);
	assert_string_not_equal(n[2], n[3]);
	/* the same base, the same hash: entry and exit stay a pair */
	assert_memory_equal(n[0] + strlen(n[0]) - 6 - 16, n[1] + strlen(n[1]) - 5 - 16, 16);
	release(&bl);
}

/* A point with more locals than an LTTng event has room for: the
 * outermost are left out, the stack field stays last. */
static void test_many_locals(void **state)
{
	enum { N = 200 };
	static struct layout_field fields[] = {{.name = "a", .type = &t_int, .plan = REG(5, 4)},
					       {.name = "b", .type = &t_int, .plan = REG(4, 4)}};
	static struct layout_field locals[N];
	static char names[N][8];
	const struct event_layout l = {.function = "big", .module = "m", .fields = fields, .nfields = 2,
				       .kind = LAYOUT_POINT, .offset = 1, .locals = locals, .nlocals = N};
	const struct ust_desc_opts o = {.with_pid_tid = true, .with_stack = true, .string_limit = 64};
	struct ust_desc_builder *b = ust_desc_builder_new("dwtrace", &o);
	const struct dwt_ust_event_desc *ev;
	const struct dwt_ust_field *f;
	uint32_t ie;
	struct blob bl;

	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "v%d", i);
		locals[i] = (struct layout_field){.name = names[i], .type = &t_int, .plan = REG(3, 4)};
	}
	ust_desc_add_layout(b, &l, &ie, NULL);
	bl = finish(b);
	ev = event(&bl, ie);
	f = ust_desc_fields(bl.data, bl.size, ev);
	/* pid, tid, a, b, v0..v122, stack: 128 */
	assert_int_equal(ev->nfields, 128);
	assert_string_equal(ust_desc_string(bl.data, bl.size, f[4].name), "v0");
	assert_string_equal(ust_desc_string(bl.data, bl.size, f[126].name), "v122");
	assert_string_equal(ust_desc_string(bl.data, bl.size, f[127].name), "stack");
	release(&bl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_point_event),
		cmocka_unit_test(test_point_scalars),
		cmocka_unit_test(test_inlined_event),
		cmocka_unit_test(test_clone_and_mixed),
		cmocka_unit_test(test_unique_field_names),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_many_locals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
