/* Golden output of the text and JSON sinks for the events of issue 13:
 * points inside a function (LAYOUT_POINT: parameters and locals, shadowed
 * locals), inlined copies (LAYOUT_INLINED), compiler clones, and values
 * that are not available with the reason decode gives (value.why).  The
 * layouts and decoded values are written out here and fed to the sinks'
 * entry and exit callbacks; the expected lines are written from those
 * values and the formats dwtrace(1) documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sink.h"

/* The sinks with their default options. */
static struct sink *text_sink_new(FILE *out)
{
	return sink_text_new(out, NULL);
}

static struct sink *json_sink_new(FILE *out)
{
	return sink_json_new(out, NULL);
}

static struct dw_type t_int = {.kind = DW_KIND_SINT, .name = "int", .size = 4};
static struct dw_type t_ulong = {.kind = DW_KIND_UINT, .name = "unsigned long", .size = 8};
static struct dw_type t_char = {.kind = DW_KIND_SINT, .name = "char", .size = 1, .is_char = true};
static struct dw_type t_charp = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_char};
static struct dw_member point_members[] = {{.name = "x", .type = &t_int, .offset = 0},
					   {.name = "y", .type = &t_int, .offset = 4}};
static struct dw_type t_point = {.kind = DW_KIND_STRUCT, .name = "point", .size = 8, .members = point_members,
				 .nmembers = 2};

static const int32_t v42 = 42, v3 = 3, v2 = 2, v5 = 5, v1 = 1, vm7 = -7;

/* An available int, or one not available for why. */
#define INT(p) {.type = &t_int, .available = true, .bytes = (const uint8_t *)(p), .size = 4}
#define GONE(t, w) {.type = (t), .available = false, .why = (w), .size = 4}

static const struct event_header hdr = {.ts_ns = 1000000000ull, .pid = 100, .tid = 101, .call_id = 1};

/* Writes the entry (or probe) event of l with values, and its exit with
 * ret when exit_too, through the sink make() builds; the text written. */
static char *emit(struct sink *(*make)(FILE *), const struct event_layout *l, const struct event_header *h,
		  const struct value *values, bool exit_too, const struct value *ret)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct sink *s = make(f);

	s->ops->entry(s, l, h, values);
	if (exit_too)
		s->ops->exit(s, l, h, ret, 10);
	assert_int_equal(s->ops->flush(s), 0);
	s->ops->destroy(s);
	fclose(f);
	return text;
}

static void expect(struct sink *(*make)(FILE *), const struct event_layout *l, const struct event_header *h,
		   const struct value *values, bool exit_too, const struct value *ret, const char *want)
{
	char *got = emit(make, l, h, values, exit_too, ret);

	assert_string_equal(got, want);
	free(got);
}

/* my_traced_function+0x7 at mylib.c:9: two parameters (arg2 optimized
 * out), four locals innermost block first: sum, i, then an outer i that
 * the inner one shadows, and p whose memory could not be read (why NULL
 * reads as "unreadable"). */
static struct layout_field point_fields[] = {{.name = "arg1", .type = &t_int}, {.name = "arg2", .type = &t_ulong}};
static struct layout_field point_locals[] = {{.name = "sum", .type = &t_int},
					     {.name = "i", .type = &t_int},
					     {.name = "i", .type = &t_int},
					     {.name = "p", .type = &t_point}};
static const struct event_layout point = {
	.id = 1, .function = "my_traced_function", .module = "libmylib.so", .fields = point_fields, .nfields = 2,
	.kind = LAYOUT_POINT, .from_locations = true, .offset = 7, .file = "/work/samples/mylib.c", .line = 9,
	.locals = point_locals, .nlocals = 4,
};
static const struct value point_values[] = {
	INT(&v42), GONE(&t_ulong, "optimized out"), INT(&v3), INT(&v2), INT(&v5), GONE(&t_point, NULL),
};

static void test_point_text(void **state)
{
	expect(text_sink_new, &point, &hdr, point_values, false, NULL,
	       "00:00:01.000000 100/101 mylib.c:9 my_traced_function+0x7(arg1=42, arg2=<optimized out>) "
	       "{sum=3, i=2, i@1=5, p=<unreadable>}\n");
}

static void test_point_json(void **state)
{
	expect(json_sink_new, &point, &hdr, point_values, false, NULL,
	       "{\"type\":\"probe\",\"ts_ns\":1000000000,\"pid\":100,\"tid\":101,\"call\":1,\"depth\":0,\"function\":\"my_traced_function\","
	       "\"module\":\"libmylib.so\",\"offset\":7,\"file\":\"/work/samples/mylib.c\",\"line\":9,"
	       "\"args\":{\"arg1\":42,\"arg2\":{\"unavailable\":\"optimized out\"}},"
	       "\"locals\":{\"sum\":3,\"i\":2,\"i@1\":5,\"p\":{\"unavailable\":\"unreadable\"}}}\n");
}

/* Three variables of one name: the outer ones are @1 and @2, counted
 * from the innermost; another name between them does not count. */
static void test_point_shadow_depth(void **state)
{
	static struct layout_field locals[] = {{.name = "n", .type = &t_int},
					       {.name = "k", .type = &t_int},
					       {.name = "n", .type = &t_int},
					       {.name = "n", .type = &t_int}};
	const struct event_layout l = {.function = "g", .module = "m", .kind = LAYOUT_POINT, .offset = 0x20,
				       .file = "g.c", .line = 3, .locals = locals, .nlocals = 4};
	const struct value v[] = {INT(&v1), INT(&v2), INT(&v3), INT(&v5)};

	assert_int_equal(layout_local_shadow(&l, 0), 0);
	assert_int_equal(layout_local_shadow(&l, 1), 0);
	assert_int_equal(layout_local_shadow(&l, 2), 1);
	assert_int_equal(layout_local_shadow(&l, 3), 2);
	assert_int_equal(layout_local_shadow(&l, 4), 0);
	expect(text_sink_new, &l, &hdr, v, false, NULL,
	       "00:00:01.000000 100/101 g.c:3 g+0x20() {n=1, k=2, n@1=3, n@2=5}\n");
	expect(json_sink_new, &l, &hdr, v, false, NULL,
	       "{\"type\":\"probe\",\"ts_ns\":1000000000,\"pid\":100,\"tid\":101,\"call\":1,\"depth\":0,\"function\":\"g\",\"module\":\"m\","
	       "\"offset\":32,\"file\":\"g.c\",\"line\":3,\"args\":{},"
	       "\"locals\":{\"n\":1,\"k\":2,\"n@1\":3,\"n@2\":5}}\n");
}

/* No line table entry and no locals: no position in text, nulls and an
 * empty "locals" in JSON (the schema's keys are always there). */
static void test_point_unknown_position(void **state)
{
	static struct layout_field fields[] = {{.name = "x", .type = &t_int}};
	const struct event_layout l = {.function = "f", .module = "m", .fields = fields, .nfields = 1,
				       .kind = LAYOUT_POINT, .offset = 0x10};
	const struct value v[] = {INT(&v1)};

	expect(text_sink_new, &l, &hdr, v, false, NULL, "00:00:01.000000 100/101 f+0x10(x=1)\n");
	expect(json_sink_new, &l, &hdr, v, false, NULL,
	       "{\"type\":\"probe\",\"ts_ns\":1000000000,\"pid\":100,\"tid\":101,\"call\":1,\"depth\":0,\"function\":\"f\",\"module\":\"m\","
	       "\"offset\":16,\"file\":null,\"line\":null,\"args\":{\"x\":1},\"locals\":{}}\n");
}

/* A point's stack (--stack) follows the locals. */
static void test_point_stack(void **state)
{
	static const struct stack_frame frames[] = {
		{.addr = 0x1007, .function = "my_traced_function", .offset = 7, .module = "libmylib.so",
		 .file = "mylib.c", .line = 9},
	};
	static const struct stack_trace st = {.frames = frames, .n = 1};
	struct event_header h = hdr;

	h.stack = &st;
	expect(json_sink_new, &point, &h, point_values, false, NULL,
	       "{\"type\":\"probe\",\"ts_ns\":1000000000,\"pid\":100,\"tid\":101,\"call\":1,\"depth\":0,\"function\":\"my_traced_function\","
	       "\"module\":\"libmylib.so\",\"offset\":7,\"file\":\"/work/samples/mylib.c\",\"line\":9,"
	       "\"args\":{\"arg1\":42,\"arg2\":{\"unavailable\":\"optimized out\"}},"
	       "\"locals\":{\"sum\":3,\"i\":2,\"i@1\":5,\"p\":{\"unavailable\":\"unreadable\"}},"
	       "\"stack\":[{\"addr\":\"0x1007\",\"function\":\"my_traced_function\",\"offset\":7,"
	       "\"module\":\"libmylib.so\",\"file\":\"mylib.c\",\"line\":9}]}\n");
	expect(text_sink_new, &point, &h, point_values, false, NULL,
	       "00:00:01.000000 100/101 mylib.c:9 my_traced_function+0x7(arg1=42, arg2=<optimized out>) "
	       "{sum=3, i=2, i@1=5, p=<unreadable>}\n"
	       "    #0 0x1007 my_traced_function+0x7 (libmylib.so) mylib.c:9\n");
}

/* weigh(w) inlined into main at app.c:12, 0x1c bytes into main. */
static struct layout_field weigh_fields[] = {{.name = "w", .type = &t_int}};
static const struct value weigh_values[] = {INT(&v3)};

static void test_inlined(void **state)
{
	struct event_layout l = {.function = "weigh", .module = "app", .fields = weigh_fields, .nfields = 1,
				 .kind = LAYOUT_INLINED, .from_locations = true, .offset = 0x1c, .file = "/src/weigh.h",
				 .line = 4, .inlined_into = "main", .call_file = "/src/app.c", .call_line = 12};

	expect(text_sink_new, &l, &hdr, weigh_values, false, NULL,
	       "00:00:01.000000 100/101 weigh [inlined into main at app.c:12](w=3)\n");
	expect(json_sink_new, &l, &hdr, weigh_values, false, NULL,
	       "{\"type\":\"entry\",\"ts_ns\":1000000000,\"pid\":100,\"tid\":101,\"call\":1,\"depth\":0,"
	       "\"function\":\"weigh\",\"module\":\"app\","
	       "\"inlined\":{\"into\":\"main\",\"offset\":28,\"file\":\"/src/app.c\",\"line\":12},"
	       "\"args\":{\"w\":3}}\n");
	/* No call site in DWARF: what is known. */
	l.call_file = NULL;
	l.call_line = 0;
	expect(text_sink_new, &l, &hdr, weigh_values, false, NULL,
	       "00:00:01.000000 100/101 weigh [inlined into main](w=3)\n");
	expect(json_sink_new, &l, &hdr, weigh_values, false, NULL,
	       "{\"type\":\"entry\",\"ts_ns\":1000000000,\"pid\":100,\"tid\":101,\"call\":1,\"depth\":0,"
	       "\"function\":\"weigh\",\"module\":\"app\","
	       "\"inlined\":{\"into\":\"main\",\"offset\":28,\"file\":null,\"line\":null},\"args\":{\"w\":3}}\n");
	l.inlined_into = NULL;
	expect(text_sink_new, &l, &hdr, weigh_values, false, NULL, "00:00:01.000000 100/101 weigh [inlined](w=3)\n");
}

/* f.isra.0 probed as f: its entry and exit carry the clone's kind. */
static void test_clone(void **state)
{
	static struct layout_field fields[] = {{.name = "x", .type = &t_int}, {.name = "s", .type = &t_charp}};
	const struct event_layout l = {.function = "f", .module = "libc1.so", .fields = fields, .nfields = 2,
				       .has_ret = true, .ret = {.name = "retval", .type = &t_int},
				       .from_locations = true, .clone_kind = "isra"};
	const struct value v[] = {INT(&v1), GONE(&t_charp, "optimized out")};
	const struct value ret = INT(&vm7);

	expect(text_sink_new, &l, &hdr, v, true, &ret,
	       "00:00:01.000000 100/101 f [clone .isra](x=1, s=<optimized out>) → -7 <0.000000010>\n");
	expect(json_sink_new, &l, &hdr, v, true, &ret,
	       "{\"type\":\"entry\",\"ts_ns\":1000000000,\"pid\":100,\"tid\":101,\"call\":1,\"depth\":0,"
	       "\"function\":\"f\",\"module\":\"libc1.so\","
	       "\"clone\":\"isra\",\"args\":{\"x\":1,\"s\":{\"unavailable\":\"optimized out\"}}}\n"
	       "{\"type\":\"exit\",\"ts_ns\":1000000000,\"pid\":100,\"tid\":101,\"call\":1,\"depth\":0,"
	       "\"function\":\"f\",\"module\":\"libc1.so\","
	       "\"clone\":\"isra\",\"retval\":-7,\"duration_ns\":10}\n");
}

/* A point in a clone: the offset is the clone's, before the mark. */
static void test_point_in_clone(void **state)
{
	static struct layout_field fields[] = {{.name = "x", .type = &t_int}};
	const struct event_layout l = {.function = "f", .module = "m", .fields = fields, .nfields = 1,
				       .kind = LAYOUT_POINT, .clone_kind = "constprop", .offset = 4, .file = "f.c",
				       .line = 2};
	const struct value v[] = {INT(&v2)};

	expect(text_sink_new, &l, &hdr, v, false, NULL,
	       "00:00:01.000000 100/101 f.c:2 f+0x4 [clone .constprop](x=2)\n");
	expect(json_sink_new, &l, &hdr, v, false, NULL,
	       "{\"type\":\"probe\",\"ts_ns\":1000000000,\"pid\":100,\"tid\":101,\"call\":1,\"depth\":0,\"function\":\"f\",\"module\":\"m\","
	       "\"clone\":\"constprop\",\"offset\":4,\"file\":\"f.c\",\"line\":2,\"args\":{\"x\":2},\"locals\":{}}\n");
}

/* A member not available inside an available structure (a piece that no
 * location describes), and a return value not available. */
static void test_unavailable_parts(void **state)
{
	static struct layout_field fields[] = {{.name = "pt", .type = &t_point}};
	static struct value members[] = {INT(&v1), GONE(&t_int, "optimized out")};
	static const uint8_t image[8];
	const struct value v[] = {{.type = &t_point, .available = true, .bytes = image, .size = 8,
				   .children = members, .nchildren = 2}};
	const struct event_layout l = {.function = "h", .module = "m", .fields = fields, .nfields = 1,
				       .has_ret = true, .ret = {.name = "retval", .type = &t_int}};
	const struct value ret = GONE(&t_int, "unreadable");

	expect(text_sink_new, &l, &hdr, v, true, &ret,
	       "00:00:01.000000 100/101 h(pt={x=1, y=<optimized out>}) → <unreadable> <0.000000010>\n");
	expect(json_sink_new, &l, &hdr, v, true, &ret,
	       "{\"type\":\"entry\",\"ts_ns\":1000000000,\"pid\":100,\"tid\":101,\"call\":1,\"depth\":0,\"function\":\"h\",\"module\":\"m\","
	       "\"args\":{\"pt\":{\"x\":1,\"y\":{\"unavailable\":\"optimized out\"}}}}\n"
	       "{\"type\":\"exit\",\"ts_ns\":1000000000,\"pid\":100,\"tid\":101,\"call\":1,\"depth\":0,\"function\":\"h\",\"module\":\"m\","
	       "\"retval\":{\"unavailable\":\"unreadable\"},\"duration_ns\":10}\n");
}

static void test_file_base(void **state)
{
	assert_string_equal(sink_file_base("/a/b/mylib.c"), "mylib.c");
	assert_string_equal(sink_file_base("mylib.c"), "mylib.c");
	assert_null(sink_file_base(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_point_text),
		cmocka_unit_test(test_point_json),
		cmocka_unit_test(test_point_shadow_depth),
		cmocka_unit_test(test_point_unknown_position),
		cmocka_unit_test(test_point_stack),
		cmocka_unit_test(test_inlined),
		cmocka_unit_test(test_clone),
		cmocka_unit_test(test_point_in_clone),
		cmocka_unit_test(test_unavailable_parts),
		cmocka_unit_test(test_file_base),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
