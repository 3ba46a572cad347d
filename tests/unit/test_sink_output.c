/* Golden output of the text and JSON sinks for issue 14's forms: a call's
 * entry and exit on one line when nothing comes between them, otherwise
 * "<unfinished ...>" and "<... f resumed>" (ltrace's and strace's
 * convention), indentation by depth, the time modes (-t, -tt, -ttt, -r),
 * --color, the ASCII arrow, and in JSON "call", "depth" and
 * --json-int-strings.  Events are written out here and fed to the sinks;
 * every expected line is written from those events and the forms dwtrace(1)
 * documents. */
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

static struct dw_type t_int = {.kind = DW_KIND_SINT, .name = "int", .size = 4};
static struct dw_type t_long = {.kind = DW_KIND_SINT, .name = "long", .size = 8};
static struct dw_type t_ulong = {.kind = DW_KIND_UINT, .name = "unsigned long", .size = 8};
static struct dw_type t_char = {.kind = DW_KIND_SINT, .name = "char", .size = 1, .is_char = true};
static struct dw_type t_charp = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_char};
static struct dw_type t_voidp = {.kind = DW_KIND_POINTER, .size = 8};
static struct dw_type t_i128 = {.kind = DW_KIND_SINT, .name = "__int128", .size = 16};

static const int32_t v1 = 1, v2 = 2, v3 = 3, v6 = 6;

#define INT(p) {.type = &t_int, .available = true, .bytes = (const uint8_t *)(p), .size = 4}

static struct layout_field n_field[] = {{.name = "n", .type = &t_int}};
/* int fact(int n), int leaf(int n), void *point f+0x4 with n */
static struct event_layout fact = {.function = "fact", .module = "m", .fields = n_field, .nfields = 1,
				   .has_ret = true, .ret = {.name = "retval", .type = &t_int}};
static struct event_layout leaf = {.function = "leaf", .module = "m", .fields = n_field, .nfields = 1,
				   .has_ret = true, .ret = {.name = "retval", .type = &t_int}};
static struct event_layout point = {.function = "fact", .module = "m", .fields = n_field, .nfields = 1,
				    .kind = LAYOUT_POINT, .offset = 4, .file = "/src/f.c", .line = 7};

/* One event for the sinks: an entry (ret unused) or an exit. */
struct ev {
	bool exit;
	const struct event_layout *l;
	struct event_header h;
	const struct value *values; /* entry: the arguments; exit: the return value, NULL for void */
	uint64_t duration_ns;
};

/* t seconds after the epoch (1 s: "00:00:01" in UTC), plus us microseconds. */
#define AT(t, us) ((uint64_t)(t) * 1000000000ull + (uint64_t)(us) * 1000ull)

static const struct value arg1[] = {INT(&v1)}, arg2[] = {INT(&v2)}, arg3[] = {INT(&v3)};
static const struct value ret1 = INT(&v1), ret2 = INT(&v2), ret6 = INT(&v6);

/* The text the sink made with opts writes for evs (flush, then destroy). */
static char *run(bool json, const struct sink_opts *opts, const struct ev *evs, size_t n, bool flush)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct sink *s = json ? sink_json_new(f, opts) : sink_text_new(f, opts);

	for (size_t i = 0; i < n; i++) {
		if (evs[i].exit)
			s->ops->exit(s, evs[i].l, &evs[i].h, evs[i].values, evs[i].duration_ns);
		else
			s->ops->entry(s, evs[i].l, &evs[i].h, evs[i].values);
	}
	if (flush && s->ops->end_line)
		s->ops->end_line(s);
	assert_int_equal(s->ops->flush(s), 0);
	s->ops->destroy(s);
	fclose(f);
	return text;
}

static void expect(const struct sink_opts *opts, const struct ev *evs, size_t n, const char *want)
{
	char *got = run(false, opts, evs, n, true);

	assert_string_equal(got, want);
	free(got);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* fact(3) calling fact(2) calling leaf(1), all in thread 101. */
static const struct ev nested[] = {
	{false, &fact, {.ts_ns = AT(1, 0), .pid = 100, .tid = 101, .call_id = 1, .depth = 0}, arg3, 0},
	{false, &fact, {.ts_ns = AT(1, 10), .pid = 100, .tid = 101, .call_id = 2, .depth = 1}, arg2, 0},
	{false, &leaf, {.ts_ns = AT(1, 20), .pid = 100, .tid = 101, .call_id = 3, .depth = 2}, arg1, 0},
	{true, &leaf, {.ts_ns = AT(1, 21), .pid = 100, .tid = 101, .call_id = 3, .depth = 2}, &ret1, 1000},
	{true, &fact, {.ts_ns = AT(1, 30), .pid = 100, .tid = 101, .call_id = 2, .depth = 1}, &ret2, 20000},
	{true, &fact, {.ts_ns = AT(1, 40), .pid = 100, .tid = 101, .call_id = 1, .depth = 0}, &ret6, 40000},
};

static void test_adjacent(void **state)
{
	expect(NULL, nested + 2, 2, "00:00:01.000020 100/101     leaf(n=1) → 1 <0.000001000>\n");
}

static void test_nested(void **state)
{
	expect(NULL, nested, N(nested),
	       "00:00:01.000000 100/101 fact(n=3) <unfinished ...>\n"
	       "00:00:01.000010 100/101   fact(n=2) <unfinished ...>\n"
	       "00:00:01.000020 100/101     leaf(n=1) → 1 <0.000001000>\n"
	       "00:00:01.000030 100/101   <... fact resumed> → 2 <0.000020000>\n"
	       "00:00:01.000040 100/101 <... fact resumed> → 6 <0.000040000>\n");
}

/* Another thread's event between an entry and its exit. */
static void test_two_threads(void **state)
{
	const struct ev evs[] = {
		{false, &leaf, {.ts_ns = AT(1, 0), .pid = 100, .tid = 101, .call_id = 1}, arg1, 0},
		{false, &leaf, {.ts_ns = AT(1, 1), .pid = 100, .tid = 102, .call_id = 2}, arg2, 0},
		{true, &leaf, {.ts_ns = AT(1, 2), .pid = 100, .tid = 102, .call_id = 2}, &ret2, 1000},
		{true, &leaf, {.ts_ns = AT(1, 3), .pid = 100, .tid = 101, .call_id = 1}, &ret1, 3000},
	};

	expect(NULL, evs, N(evs),
	       "00:00:01.000000 100/101 leaf(n=1) <unfinished ...>\n"
	       "00:00:01.000001 100/102 leaf(n=2) → 2 <0.000001000>\n"
	       "00:00:01.000003 100/101 <... leaf resumed> → 1 <0.000003000>\n");
}

/* A tail call's exit completes the line like any exit; a void function's. */
static void test_tail_call_void(void **state)
{
	struct event_layout v = {.function = "done", .module = "m"};
	const struct ev evs[] = {
		{false, &fact, {.ts_ns = AT(1, 0), .pid = 100, .tid = 101, .call_id = 1}, arg1, 0},
		{true, &fact, {.ts_ns = AT(1, 1), .pid = 100, .tid = 101, .call_id = 1, .tail_call = "leaf"}, NULL, 1000},
		{false, &v, {.ts_ns = AT(1, 2), .pid = 100, .tid = 101, .call_id = 2}, NULL, 0},
		{true, &v, {.ts_ns = AT(1, 3), .pid = 100, .tid = 101, .call_id = 2}, NULL, 1000},
	};

	expect(NULL, evs, N(evs),
	       "00:00:01.000000 100/101 fact(n=1) → tail call to leaf <0.000001000>\n"
	       "00:00:01.000002 100/101 done() → void <0.000001000>\n");
}

/* Points and entry-only events have no exit: whole lines, at their depth;
 * one inside a call leaves the call unfinished. */
static void test_point_entry_only(void **state)
{
	const struct ev evs[] = {
		{false, &fact, {.ts_ns = AT(1, 0), .pid = 100, .tid = 101, .call_id = 1}, arg2, 0},
		{false, &point, {.ts_ns = AT(1, 1), .pid = 100, .tid = 101, .call_id = 2, .depth = 1}, arg2, 0},
		{true, &fact, {.ts_ns = AT(1, 2), .pid = 100, .tid = 101, .call_id = 1}, &ret2, 2000},
		{false, &leaf, {.ts_ns = AT(1, 3), .pid = 100, .tid = 101, .call_id = 3, .entry_only = true}, arg1, 0},
		{false, &leaf, {.ts_ns = AT(1, 4), .pid = 100, .tid = 101, .call_id = 4, .entry_only = true}, arg2, 0},
	};

	expect(NULL, evs, N(evs),
	       "00:00:01.000000 100/101 fact(n=2) <unfinished ...>\n"
	       "00:00:01.000001 100/101   f.c:7 fact+0x4(n=2)\n"
	       "00:00:01.000002 100/101 <... fact resumed> → 2 <0.000002000>\n"
	       "00:00:01.000003 100/101 leaf(n=1)\n"
	       "00:00:01.000004 100/101 leaf(n=2)\n");
}

/* --stack: the frames come between the entry and its exit. */
static void test_stack(void **state)
{
	static const struct stack_frame frames[] = {{.addr = 0x1000, .function = "leaf", .module = "m"}};
	const struct stack_trace st = {.frames = frames, .n = 1};
	const struct ev evs[] = {
		{false, &leaf, {.ts_ns = AT(1, 0), .pid = 100, .tid = 101, .call_id = 1, .stack = &st}, arg1, 0},
		{true, &leaf, {.ts_ns = AT(1, 1), .pid = 100, .tid = 101, .call_id = 1}, &ret1, 1000},
	};

	expect(NULL, evs, N(evs),
	       "00:00:01.000000 100/101 leaf(n=1) <unfinished ...>\n"
	       "    #0 0x1000 leaf (m)\n"
	       "00:00:01.000001 100/101 <... leaf resumed> → 1 <0.000001000>\n");
}

/* An exit whose entry is not the line left open (call 0: before tracing
 * began), and a line still open at the end. */
static void test_pending_at_end(void **state)
{
	const struct ev evs[] = {
		{true, &leaf, {.ts_ns = AT(1, 0), .pid = 100, .tid = 101}, &ret1, 1000},
		{false, &fact, {.ts_ns = AT(1, 1), .pid = 100, .tid = 101, .call_id = 1}, arg3, 0},
	};
	char *got;

	expect(NULL, evs, N(evs),
	       "00:00:01.000000 100/101 <... leaf resumed> → 1 <0.000001000>\n"
	       "00:00:01.000001 100/101 fact(n=3) <unfinished ...>\n");
	/* destroy alone ends it too; flush alone writes what is there. */
	got = run(false, NULL, evs + 1, 1, false);
	assert_string_equal(got, "00:00:01.000001 100/101 fact(n=3) <unfinished ...>\n");
	free(got);
}

static void test_time_modes(void **state)
{
	struct sink_opts o = sink_opts_default;
	const struct ev evs[] = {
		{false, &leaf, {.ts_ns = AT(1, 0), .pid = 100, .tid = 101, .call_id = 1}, arg1, 0},
		{true, &leaf, {.ts_ns = AT(1, 5), .pid = 100, .tid = 101, .call_id = 1}, &ret1, 5000},
		{false, &leaf, {.ts_ns = AT(3, 250), .pid = 100, .tid = 101, .call_id = 2}, arg2, 0},
		{false, &leaf, {.ts_ns = AT(3, 260), .pid = 100, .tid = 102, .call_id = 3}, arg3, 0},
		/* another thread's, earlier */
		{true, &leaf, {.ts_ns = AT(3, 200), .pid = 100, .tid = 101, .call_id = 2}, &ret2, 0},
	};

	o.time = SINK_TIME_CLOCK_S;
	expect(&o, evs, N(evs),
	       "00:00:01 100/101 leaf(n=1) → 1 <0.000005000>\n"
	       "00:00:03 100/101 leaf(n=2) <unfinished ...>\n"
	       "00:00:03 100/102 leaf(n=3) <unfinished ...>\n"
	       "00:00:03 100/101 <... leaf resumed> → 2 <0.000000000>\n");
	o.time = SINK_TIME_EPOCH_US;
	expect(&o, evs, 1, "1.000000 100/101 leaf(n=1) <unfinished ...>\n");
	/* The time since the previous line's. */
	o.time = SINK_TIME_RELATIVE;
	expect(&o, evs, N(evs),
	       "+0.000000 100/101 leaf(n=1) → 1 <0.000005000>\n"
	       "+2.000250 100/101 leaf(n=2) <unfinished ...>\n"
	       "+0.000010 100/102 leaf(n=3) <unfinished ...>\n"
	       "-0.000060 100/101 <... leaf resumed> → 2 <0.000000000>\n");
	o.time = SINK_TIME_CLOCK_US;
	o.durations = false;
	expect(&o, evs, 2, "00:00:01.000000 100/101 leaf(n=1) → 1\n");
}

static void test_ascii(void **state)
{
	struct sink_opts o = sink_opts_default;

	o.ascii = true;
	expect(&o, nested + 2, 2, "00:00:01.000020 100/101     leaf(n=1) -> 1 <0.000001000>\n");
	expect(&o, nested + 3, 1, "00:00:01.000021 100/101     <... leaf resumed> -> 1 <0.000001000>\n");
}

static void test_colors(void **state)
{
	struct sink_opts o = sink_opts_default;
	static struct layout_field f[] = {{.name = "s", .type = &t_charp}, {.name = "c", .type = &t_char},
					  {.name = "p", .type = &t_voidp}, {.name = "x", .type = &t_int}};
	struct event_layout l = {.function = "g", .module = "m", .fields = f, .nfields = 4, .has_ret = true,
				 .ret = {.name = "retval", .type = &t_int}};
	const uint64_t pv = 0x10;
	const char cv = 'A';
	const struct value v[] = {
		{.type = &t_charp, .available = true, .bytes = (const uint8_t *)&pv, .size = 8, .has_string = true,
		 .str = "hi", .str_len = 2},
		{.type = &t_char, .available = true, .bytes = (const uint8_t *)&cv, .size = 1},
		{.type = &t_voidp, .available = true, .bytes = (const uint8_t *)&pv, .size = 8},
		{.type = &t_int, .available = false, .why = "optimized out", .size = 4},
	};
	const struct ev evs[] = {
		{false, &l, {.ts_ns = AT(1, 0), .pid = 100, .tid = 101, .call_id = 1}, v, 0},
		{true, &l, {.ts_ns = AT(1, 1), .pid = 100, .tid = 101, .call_id = 1}, &ret2, 1000},
	};

	o.color = true;
	expect(&o, evs, N(evs),
	       "00:00:01.000000 100/101 \033[1;34mg\033[0m(s=\033[32m\"hi\"\033[0m, c=\033[36m65\033[0m "
	       "\033[32m'A'\033[0m, p=\033[36m0x10\033[0m, x=\033[35m<optimized out>\033[0m) → "
	       "\033[36m2\033[0m <0.000001000>\n");
	/* Off: no escape at all. */
	o.color = false;
	expect(&o, evs, N(evs),
	       "00:00:01.000000 100/101 g(s=\"hi\", c=65 'A', p=0x10, x=<optimized out>) → 2 <0.000001000>\n");
}

/* JSON: "call" and "depth" in every event; null for an exit without entry. */
static void test_json_call_depth(void **state)
{
	const struct ev evs[] = {nested[1], nested[2], nested[3], nested[4],
				 {true, &leaf, {.ts_ns = AT(1, 0), .pid = 100, .tid = 101}, &ret1, 1000}};
	char *got = run(true, NULL, evs, N(evs), true);

	assert_string_equal(
		got,
		"{\"type\":\"entry\",\"ts_ns\":1000010000,\"pid\":100,\"tid\":101,\"call\":2,\"depth\":1,"
		"\"function\":\"fact\",\"module\":\"m\",\"args\":{\"n\":2}}\n"
		"{\"type\":\"entry\",\"ts_ns\":1000020000,\"pid\":100,\"tid\":101,\"call\":3,\"depth\":2,"
		"\"function\":\"leaf\",\"module\":\"m\",\"args\":{\"n\":1}}\n"
		"{\"type\":\"exit\",\"ts_ns\":1000021000,\"pid\":100,\"tid\":101,\"call\":3,\"depth\":2,"
		"\"function\":\"leaf\",\"module\":\"m\",\"retval\":1,\"duration_ns\":1000}\n"
		"{\"type\":\"exit\",\"ts_ns\":1000030000,\"pid\":100,\"tid\":101,\"call\":2,\"depth\":1,"
		"\"function\":\"fact\",\"module\":\"m\",\"retval\":2,\"duration_ns\":20000}\n"
		"{\"type\":\"exit\",\"ts_ns\":1000000000,\"pid\":100,\"tid\":101,\"call\":null,\"depth\":0,"
		"\"function\":\"leaf\",\"module\":\"m\",\"retval\":1,\"duration_ns\":1000}\n");
	free(got);
}

/* The args object of one entry of x (type t, 8 or 16 bytes) with or without
 * --json-int-strings. */
static char *json_arg(struct dw_type *t, const void *bytes, bool strings)
{
	struct layout_field f[] = {{.name = "x", .type = t}};
	struct event_layout l = {.function = "f", .module = "m", .fields = f, .nfields = 1};
	const struct value v[] = {{.type = t, .available = true, .bytes = bytes, .size = t->size}};
	struct sink_opts o = sink_opts_default;
	struct ev e = {false, &l, {.ts_ns = 1, .pid = 1, .tid = 1, .call_id = 1}, v, 0};
	char *text, *args, *end;

	o.json_int_strings = strings;
	text = run(true, &o, &e, 1, true);
	args = strstr(text, "\"args\":{\"x\":");
	assert_non_null(args);
	end = strstr(args, "}}\n");
	assert_non_null(end);
	*end = '\0';
	memmove(text, args + 12, strlen(args + 12) + 1);
	return text;
}

static void expect_arg(struct dw_type *t, const void *bytes, const char *plain, const char *strings)
{
	char *got = json_arg(t, bytes, false);

	assert_string_equal(got, plain);
	free(got);
	got = json_arg(t, bytes, true);
	assert_string_equal(got, strings);
	free(got);
}

static void test_json_int_strings(void **state)
{
	const int64_t below = (1ll << 53) - 1, at = 1ll << 53, above = (1ll << 53) + 1, min = INT64_MIN;
	const int64_t neg_at = -(1ll << 53), neg_above = -(1ll << 53) - 1;
	const uint64_t max = UINT64_MAX;
	uint8_t i128[16];

	expect_arg(&t_long, &below, "9007199254740991", "9007199254740991");
	expect_arg(&t_long, &at, "9007199254740992", "9007199254740992");
	expect_arg(&t_long, &above, "9007199254740993", "\"9007199254740993\"");
	expect_arg(&t_long, &neg_at, "-9007199254740992", "-9007199254740992");
	expect_arg(&t_long, &neg_above, "-9007199254740993", "\"-9007199254740993\"");
	expect_arg(&t_long, &min, "-9223372036854775808", "\"-9223372036854775808\"");
	expect_arg(&t_ulong, &max, "18446744073709551615", "\"18446744073709551615\"");
	/* __int128: -2^64, two's complement, little-endian */
	memset(i128, 0, sizeof(i128));
	memset(i128 + 8, 0xff, 8);
	expect_arg(&t_i128, i128, "-18446744073709551616", "\"-18446744073709551616\"");
	/* Pointers stay strings of hexadecimal digits either way. */
	expect_arg(&t_voidp, &max, "\"0xffffffffffffffff\"", "\"0xffffffffffffffff\"");
}

/* Wall-clock now, as event_header.ts_ns counts (CLOCK_REALTIME). */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* "SEC.USEC 100/101 " as -ttt writes ts. */
static char *ttt(char *buf, size_t size, uint64_t ts)
{
	snprintf(buf, size, "%llu.%06u 100/101 ", (unsigned long long)(ts / 1000000000u),
		 (unsigned)(ts % 1000000000u / 1000u));
	return buf;
}

/* A flush writes complete lines only: an entry whose exit may still join
 * it stays out of the FILE (the program may write there too, -o
 * /dev/stdout); its exit after the flush makes one whole line. */
static void test_flush_keeps_open_entry(void **state)
{
	const struct sink_opts opts = {.time = SINK_TIME_EPOCH_US, .durations = true};
	char *text = NULL, want[512], t0[64], t1[64];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct sink *s = sink_text_new(f, &opts);
	uint64_t ts = now_ns();
	struct event_header a = {.ts_ns = ts - 1000, .pid = 100, .tid = 101, .call_id = 1};
	struct event_header b = {.ts_ns = ts, .pid = 100, .tid = 101, .call_id = 2};

	/* A whole line, then an open entry: the flush writes the first alone. */
	s->ops->entry(s, &leaf, &a, arg1);
	s->ops->exit(s, &leaf, &a, &ret1, 1000);
	s->ops->entry(s, &leaf, &b, arg2);
	assert_int_equal(s->ops->flush(s), 0);
	snprintf(want, sizeof(want), "%sleaf(n=1) → 1 <0.000001000>\n", ttt(t0, sizeof(t0), a.ts_ns));
	assert_string_equal(text, want);
	s->ops->exit(s, &leaf, &b, &ret2, 2000);
	assert_int_equal(s->ops->flush(s), 0);
	snprintf(want, sizeof(want), "%sleaf(n=1) → 1 <0.000001000>\n%sleaf(n=2) → 2 <0.000002000>\n", t0,
		 ttt(t1, sizeof(t1), b.ts_ns));
	assert_string_equal(text, want);
	s->ops->destroy(s);
	fclose(f);
	free(text);
}

/* An entry open for 50 ms of wall-clock time (a call blocked in the
 * program) is written at the next flush as unfinished; its exit then has a
 * line of its own. */
static void test_flush_shows_old_entry(void **state)
{
	const struct sink_opts opts = {.time = SINK_TIME_EPOCH_US, .durations = true};
	const struct timespec wait = {.tv_nsec = 60000000};
	char *text = NULL, want[512], t0[64], t1[64], t2[64], t3[64];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct sink *s = sink_text_new(f, &opts);
	struct event_header a = {.ts_ns = now_ns() - 60000000u, .pid = 100, .tid = 101, .call_id = 1};
	struct event_header b = {.ts_ns = now_ns(), .pid = 100, .tid = 101, .call_id = 2};
	struct event_header c;

	/* Its time 60 ms ago: out at once. */
	s->ops->entry(s, &leaf, &a, arg1);
	assert_int_equal(s->ops->flush(s), 0);
	snprintf(want, sizeof(want), "%sleaf(n=1) <unfinished ...>\n", ttt(t0, sizeof(t0), a.ts_ns));
	assert_string_equal(text, want);
	s->ops->exit(s, &leaf, &a, &ret1, 60000000);
	/* Now: in memory until 50 ms have passed. */
	s->ops->entry(s, &leaf, &b, arg2);
	assert_int_equal(s->ops->flush(s), 0);
	c = b;
	c.ts_ns = b.ts_ns + 70000000u;
	snprintf(want, sizeof(want), "%sleaf(n=1) <unfinished ...>\n%s<... leaf resumed> → 1 <0.060000000>\n",
		 t0, ttt(t1, sizeof(t1), a.ts_ns));
	assert_string_equal(text, want);
	while (nanosleep(&wait, NULL) != 0)
		;
	assert_int_equal(s->ops->flush(s), 0);
	s->ops->exit(s, &leaf, &c, &ret2, 70000000);
	assert_int_equal(s->ops->flush(s), 0);
	snprintf(want, sizeof(want),
		 "%sleaf(n=1) <unfinished ...>\n%s<... leaf resumed> → 1 <0.060000000>\n"
		 "%sleaf(n=2) <unfinished ...>\n%s<... leaf resumed> → 2 <0.070000000>\n",
		 t0, t1, ttt(t2, sizeof(t2), b.ts_ns), ttt(t3, sizeof(t3), c.ts_ns));
	assert_string_equal(text, want);
	s->ops->destroy(s);
	fclose(f);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adjacent),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_two_threads),
		cmocka_unit_test(test_tail_call_void),
		cmocka_unit_test(test_point_entry_only),
		cmocka_unit_test(test_stack),
		cmocka_unit_test(test_pending_at_end),
		cmocka_unit_test(test_time_modes),
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_colors),
		cmocka_unit_test(test_json_call_depth),
		cmocka_unit_test(test_json_int_strings),
		cmocka_unit_test(test_flush_keeps_open_entry),
		cmocka_unit_test(test_flush_shows_old_entry),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
