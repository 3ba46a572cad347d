/* The description compiler against what it replaces: for every function
 * of the samples (argv[1..]: libtypes.so, libwide_types.so,
 * libcxxtypes.so), the blob's events must be field for field, type for
 * type, the lttng-ust event descriptions lttng_event_desc.c's
 * lt_build_event() builds (linked in here; it calls nothing of
 * liblttng-ust, only its headers are needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch.h"
#include "sink_lttng_internal.h"
#include "ust_desc.h"

/* What sink_lttng.c defines for lt_build_event(): never called here. */
const char lt_signature[] = "const struct lt_payload *, payload";
int lt_provider_ref;
void lt_probe_callback(void *tp_data, const struct lt_payload *pl)
{
	(void)tp_data;
	(void)pl;
}

static char **libs;
static int nlibs;

static void free_lt_type(const struct lttng_ust_type_common *t)
{
	if (t->type == lttng_ust_type_enum) {
		const struct lttng_ust_type_enum *e = (const void *)t;
		for (unsigned i = 0; i < e->desc->nr_entries; i++)
			free((void *)e->desc->entries[i]);
		free((void *)e->desc->entries);
		free((void *)e->desc->name);
		free((void *)e->desc);
		free((void *)e->container_type);
	} else if (t->type == lttng_ust_type_array) {
		free((void *)((const struct lttng_ust_type_array *)(const void *)t)->elem_type);
	}
	free((void *)t);
}

static void free_lt_event(struct lt_event *ev)
{
	for (size_t i = 0; i < ev->nfields; i++) {
		const struct lttng_ust_event_field *f = ev->cls.fields[i];
		free_lt_type(f->type);
		if (ev->fields[i].path[0] >= 0) /* pid, tid, duration_ns, stack: literals */
			free((void *)f->name);
		free((void *)f);
	}
	free((void *)ev->cls.fields);
	free(ev->fields);
	free((void *)ev->desc.event_name);
}

static const char *bstr(const void *blob, uint32_t off)
{
	return (const char *)blob + off;
}

static void assert_int_type(const struct lttng_ust_type_common *t, const struct dwt_ust_field *f)
{
	const struct lttng_ust_type_integer *it = (const void *)t;

	assert_int_equal(t->type, lttng_ust_type_integer);
	assert_int_equal(it->size, 8u * f->size);
	assert_int_equal(it->signedness, f->is_signed);
	assert_int_equal(it->base, f->base);
}

/* Event lt (lt_build_event()) and event ev of blob are the same event. */
static void assert_same_event(struct lt_event *lt, const void *blob, const struct dwt_ust_event_desc *ev,
			      const struct ust_field_path *paths)
{
	const struct dwt_ust_field *fs = (const void *)((const char *)blob + ev->fields);

	assert_string_equal(lt->desc.event_name, bstr(blob, ev->name));
	assert_int_equal(lt->nfields, ev->nfields);
	assert_int_equal(lt->align, ev->align);
	for (uint32_t i = 0; i < ev->nfields; i++) {
		const struct lttng_ust_event_field *lf = lt->cls.fields[i];
		const struct lt_field *lw = &lt->fields[i];
		const struct dwt_ust_field *f = &fs[i];

		assert_string_equal(lf->name, bstr(blob, f->name));
		assert_int_equal(lf->nofilter, f->nofilter);
		assert_int_equal(lw->filterable, !f->nofilter);
		switch (f->type) {
		case DWT_UST_INT:
			assert_int_type(lf->type, f);
			break;
		case DWT_UST_ENUM: {
			const struct lttng_ust_type_enum *e = (const void *)lf->type;
			const struct dwt_ust_enum_entry *en = (const void *)((const char *)blob + f->entries);
			assert_int_equal(lf->type->type, lttng_ust_type_enum);
			assert_int_type(e->container_type, f);
			assert_string_equal(e->desc->name, bstr(blob, f->enum_name));
			assert_int_equal(e->desc->nr_entries, f->nentries);
			for (uint32_t k = 0; k < f->nentries; k++) {
				assert_string_equal(e->desc->entries[k]->string, bstr(blob, en[k].name));
				assert_int_equal(e->desc->entries[k]->start.value, (unsigned long long)en[k].value);
				assert_int_equal(e->desc->entries[k]->start.signedness, en[k].is_signed);
			}
			break;
		}
		case DWT_UST_FLOAT:
			assert_int_equal(lf->type->type, lttng_ust_type_float);
			assert_int_equal(((const struct lttng_ust_type_float *)(const void *)lf->type)->mant_dig,
					 f->size == 4 ? 24 : 53);
			assert_int_equal(lw->kind, LT_FLOAT);
			break;
		case DWT_UST_STRING:
			assert_int_equal(lf->type->type, lttng_ust_type_string);
			assert_int_equal(lw->kind, LT_STRING);
			break;
		case DWT_UST_DEC128:
			assert_int_equal(lf->type->type, lttng_ust_type_string);
			assert_int_equal(lw->kind, LT_DEC128);
			assert_int_equal(lw->is_signed, f->is_signed);
			break;
		case DWT_UST_CHARS:
			assert_int_equal(lf->type->type, lttng_ust_type_array);
			assert_int_equal(((const struct lttng_ust_type_array *)(const void *)lf->type)->length, f->length);
			break;
		default:
			fail_msg("field %s: type %u", lf->name, f->type);
		}
		/* where the value is in decoded values */
		if (lw->path[0] < 0) {
			assert_int_equal(paths[i].depth, 0);
			assert_int_not_equal(f->from, DWT_UST_FROM_IMAGE);
		} else {
			assert_int_equal(f->from, DWT_UST_FROM_IMAGE);
			assert_int_equal(paths[i].depth, lw->depth);
			assert_memory_equal(paths[i].index, lw->path, sizeof(int) * (size_t)lw->depth);
			assert_int_equal(f->image, lw->path[0]);
		}
	}
}

struct ctx {
	struct lttng_sink *sink;
	size_t n;
};

static int compare_function(struct dw_function *fn, void *arg)
{
	struct ctx *cx = arg;
	struct event_layout *l = event_layout_new(fn, 0);
	struct fetch_plan *plans = calloc(fn->nparams + 1, sizeof(*plans));
	struct lttng_ust_probe_desc probe = {0};
	struct lt_event entry = {0}, exit = {0};
	struct ust_desc_opts o = {.with_pid_tid = true, .with_stack = cx->sink->with_stack, .string_limit = 256};
	struct ust_desc_builder *b;
	struct ust_desc_paths *p;
	const struct dwt_ust_event_desc *evs;
	uint32_t ie, ix;
	size_t size;
	void *blob;

#ifdef LTTNG_UST_RING_BUFFER_NATURAL_ALIGN
	o.natural_align = true;
#endif
	arch_plan_call(fn, plans, &l->ret.plan, &l->entry_vregs, &l->exit_vregs);
	for (size_t i = 0; i < fn->nparams; i++)
		l->fields[i].plan = plans[i];
	free(plans);
	b = ust_desc_builder_new("dwtrace", &o);
	ust_desc_add_layout(b, l, &ie, &ix);
	blob = ust_desc_finish(b, &size, &p);
	evs = (const void *)((const char *)blob + ((const struct dwt_ust_desc *)blob)->events);
	lt_build_event(cx->sink, &entry, l, false, &probe);
	lt_build_event(cx->sink, &exit, l, true, &probe);
	assert_same_event(&entry, blob, &evs[ie], ust_desc_event_paths(p, ie));
	assert_same_event(&exit, blob, &evs[ix], ust_desc_event_paths(p, ix));
	free_lt_event(&entry);
	free_lt_event(&exit);
	free(blob);
	ust_desc_paths_free(p);
	event_layout_free(l);
	cx->n++;
	return 0;
}

static void compare_all(bool with_stack)
{
	struct lttng_sink sink = {.provider = "dwtrace", .with_stack = with_stack};

	for (int i = 0; i < nlibs; i++) {
		struct dw_session *s = NULL;
		char *err = NULL;
		struct ctx cx = {&sink, 0};

		if (dw_session_open_file(libs[i], &s, &err) != 0)
			fail_msg("open %s: %s", libs[i], err);
		assert_true(dw_module_each_function(dw_session_module(s, 0), "*", true, compare_function, &cx) > 0);
		/* every sample has a few dozen traced functions */
		assert_true(cx.n >= 10);
		dw_session_close(s);
	}
}

static void test_same_as_lt_build_event(void **state)
{
	(void)state;
	compare_all(false);
}

static void test_same_as_lt_build_event_stack(void **state)
{
	(void)state;
	compare_all(true);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_lt_build_event),
		cmocka_unit_test(test_same_as_lt_build_event_stack),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s LIBRARY...\n", argv[0]);
		return 2;
	}
	libs = argv + 1;
	nlibs = argc - 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
