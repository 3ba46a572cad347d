/* Golden output of the text and JSON sinks, fed by hand-built records:
 * a layout written out here (types, fetch plans as the SysV ABI places
 * the parameters), records whose registers and blobs hold the values the
 * test chose, through record_parse(), the record's value_source, decode
 * and event_stream_record() into a memory stream.  The expected lines are
 * written from those values and the sinks' documented formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "probe_site.h"
#include "record.h"
#include "record_events.h"
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
static struct dw_type t_long = {.kind = DW_KIND_SINT, .name = "long", .size = 8};
static struct dw_type t_double = {.kind = DW_KIND_FLOAT, .name = "double", .size = 8};
static struct dw_type t_char = {.kind = DW_KIND_SINT, .name = "char", .size = 1, .is_char = true};
static struct dw_type t_charp = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_char};
static struct dw_type t_bool = {.kind = DW_KIND_BOOL, .name = "_Bool", .size = 1};
static struct dw_type t_int128 = {.kind = DW_KIND_SINT, .name = "__int128", .size = 16};
static struct dw_member point_members[] = {{.name = "x", .type = &t_int, .offset = 0},
					   {.name = "y", .type = &t_int, .offset = 4}};
static struct dw_type t_point = {.kind = DW_KIND_STRUCT, .name = "point", .size = 8, .members = point_members,
				 .nmembers = 2};
static struct dw_enumerator color_values[] = {{"RED", 0}, {"GREEN", 1}};
static struct dw_type t_color = {.kind = DW_KIND_ENUM, .name = "color", .size = 4, .enumerators = color_values,
				 .nenumerators = 2};

#define REG(r, sz) {.available = true, .size = (sz), .npieces = 1, .pieces = {{FETCH_REG, (r), (sz), 0, 0}}}
#define MEM(r, off, sz) {.available = true, .size = (sz), .npieces = 1, .pieces = {{FETCH_MEM, (r), (sz), 0, (off)}}}

/* demo(int a, unsigned long b, double d, char *s, char *bad, struct point pt,
 * enum color color, _Bool flag, __int128 big, int lost): pt and big on the
 * stack (as arguments past the sixth integer register are), lost with no
 * location (shown unavailable: "optimized out", the plan's why when it
 * gives none, fetch_plan.h). */
static struct layout_field demo_fields[] = {
	{.name = "a", .type = &t_int, .plan = REG(5, 4)},
	{.name = "b", .type = &t_ulong, .plan = REG(4, 8)},
	{.name = "d", .type = &t_double, .plan = REG(DWT_DW_XMM0, 8)},
	{.name = "s", .type = &t_charp, .plan = REG(1, 8)},
	{.name = "bad", .type = &t_charp, .plan = REG(2, 8)},
	{.name = "pt", .type = &t_point, .plan = MEM(DWT_DW_SP, 8, 8)},
	{.name = "color", .type = &t_color, .plan = REG(8, 4)},
	{.name = "flag", .type = &t_bool, .plan = REG(9, 1)},
	{.name = "big", .type = &t_int128, .plan = MEM(DWT_DW_SP, 16, 16)},
	{.name = "lost", .type = &t_int, .plan = {.available = false, .size = 4}},
};

static struct event_layout demo = {
	.id = 1, .function = "demo", .module = "libdemo.so", .fields = demo_fields, .nfields = 10,
	.has_ret = true, .ret = {.name = "retval", .type = &t_long, .plan = REG(0, 8)}, .entry_vregs = true,
};

#define SP 0x7ffe0000ull
#define STR 0x5000ull
#define BAD 0xdead0000ull

/* A record under construction: header, vregs, blobs appended in op order. */
struct rec {
	uint8_t buf[4096] __attribute__((aligned(8)));
	uint32_t len;
};

static void rec_start(struct rec *r, uint16_t kind, uint64_t ts, const struct dwt_regs *regs, bool vregs)
{
	struct dwt_rec_hdr h = {.kind = kind, .tid = 101, .ts = ts, .regs = *regs};

	memset(r, 0, sizeof(*r));
	if (vregs)
		h.flags = DWT_REC_VREGS;
	memcpy(r->buf, &h, sizeof(h));
	r->len = sizeof(h) + (vregs ? sizeof(struct dwt_vregs) : 0);
}

static void rec_blob(struct rec *r, uint64_t addr, const void *data, uint32_t len, uint32_t flags)
{
	struct dwt_blob b = {addr, len, flags};

	memcpy(r->buf + r->len, &b, sizeof(b));
	r->len += sizeof(b);
	if (len)
		memcpy(r->buf + r->len, data, len);
	r->len += (len + 7) & ~7u;
}

static void rec_end(struct rec *r, struct capture_record *out, int nops)
{
	struct dwt_rec_hdr *h = (struct dwt_rec_hdr *)r->buf;

	h->size = r->len;
	assert_int_equal(record_parse(r->buf, r->len, nops, out), 0);
	out->pid = 100;
}

/* The entry and exit records of one call of demo, 14211 ns apart. */
static void demo_records(struct rec *in, struct capture_record *entry, struct rec *out, struct capture_record *exit)
{
	struct dwt_regs regs = {0};
	struct dwt_vregs *v;
	double d = 2.5;
	struct {
		int32_t x, y;
	} pt = {1, -2};
	__int128 big = -((__int128)1 << 64);

	regs.gpr[5] = 0xfffffffb;             /* a = -5 in edi, junk above */
	regs.gpr[4] = 42;
	regs.gpr[1] = STR;
	regs.gpr[2] = BAD;
	regs.gpr[8] = 1;
	regs.gpr[9] = 0x101;                  /* flag: only the low byte counts */
	regs.gpr[DWT_DW_SP] = SP;
	rec_start(in, DWT_REC_ENTRY, 1000000000ull, &regs, true);
	v = (struct dwt_vregs *)(in->buf + sizeof(struct dwt_rec_hdr));
	memcpy(v->xmm[0], &d, 8);
	/* Ops as the capture program orders them: memory pieces, then strings. */
	rec_blob(in, SP + 8, &pt, 8, 0);
	rec_blob(in, SP + 16, &big, 16, 0);
	rec_blob(in, STR, "hello", 6, 0);
	rec_blob(in, BAD, NULL, 0, DWT_BLOB_UNREADABLE);
	rec_end(in, entry, 4);

	memset(&regs, 0, sizeof(regs));
	regs.gpr[0] = (uint64_t)-7;
	regs.gpr[DWT_DW_SP] = SP;
	rec_start(out, DWT_REC_EXIT, 1000014211ull, &regs, false);
	rec_end(out, exit, 0);
}

static char *run(struct sink *(*make)(FILE *))
{
	static struct rec in, out;
	struct capture_record entry, exit;
	struct probe_site site = {.layout = &demo};
	struct decode_opts o = {.string_limit = 32, .array_limit = 8};
	struct event_stream es;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct sink *s = make(f);

	event_stream_init(&es, s, &o);
	es.real_minus_mono = 0;
	demo_records(&in, &entry, &out, &exit);
	assert_true(event_stream_record(&es, &site, &entry, NULL, NULL));
	assert_true(event_stream_record(&es, &site, &exit, NULL, NULL));
	/* No call in flight any more: a second exit matches none. */
	assert_false(event_stream_record(&es, &site, &exit, NULL, NULL));
	assert_int_equal(es.events, 2);
	assert_int_equal(es.lost_returns, 0);
	event_stream_free(&es);
	s->ops->flush(s);
	s->ops->destroy(s);
	fclose(f);
	return text;
}

static void test_text(void **state)
{
	char *text = run(text_sink_new);

	assert_string_equal(text, "00:00:01.000000 100/101 demo(a=-5, b=42, d=2.5, s=\"hello\", bad=0xdead0000, "
				  "pt={x=1, y=-2}, color=GREEN, flag=true, big=-18446744073709551616, lost=<optimized out>) → -7 <0.000014211>\n");
	free(text);
}

static void test_json(void **state)
{
	char *text = run(json_sink_new);

	assert_string_equal(text,
			    "{\"type\":\"entry\",\"ts_ns\":1000000000,\"pid\":100,\"tid\":101,\"call\":1,\"depth\":0,\"function\":\"demo\","
			    "\"module\":\"libdemo.so\",\"args\":{\"a\":-5,\"b\":42,\"d\":2.5,\"s\":\"hello\",\"bad\":null,"
			    "\"pt\":{\"x\":1,\"y\":-2},\"color\":\"GREEN\",\"flag\":true,\"big\":-18446744073709551616,"
			    "\"lost\":{\"unavailable\":\"optimized out\"}}}\n"
			    "{\"type\":\"exit\",\"ts_ns\":1000014211,\"pid\":100,\"tid\":101,\"call\":1,\"depth\":0,\"function\":\"demo\","
			    "\"module\":\"libdemo.so\",\"retval\":-7,\"duration_ns\":14211}\n");
	free(text);
}

/* A string cut by the limit, and a string blob cut short by a fault. */
static void test_truncated_strings(void **state)
{
	static struct rec in;
	struct capture_record r;
	struct dwt_regs regs = {0};
	struct decode_opts o = {.string_limit = 4, .array_limit = 8};
	struct arena arena = {0};
	struct value_source src;
	struct value *v;
	struct layout_field f[] = {{.name = "s", .type = &t_charp, .plan = REG(5, 8)},
				   {.name = "t", .type = &t_charp, .plan = REG(4, 8)}};
	struct event_layout l = {.function = "f", .fields = f, .nfields = 2};

	regs.gpr[5] = STR;
	regs.gpr[4] = STR + 0x100;
	rec_start(&in, DWT_REC_ENTRY, 1, &regs, false);
	rec_blob(&in, STR, "abcde", 5, DWT_BLOB_SHORT);      /* limit + 1 bytes, no NUL */
	rec_blob(&in, STR + 0x100, "xy", 2, DWT_BLOB_SHORT); /* unmapped after "xy" */
	rec_end(&in, &r, 2);
	src = record_value_source(&r);
	v = decode_entry(&l, &src, &o, &arena);
	assert_true(v[0].has_string);
	assert_int_equal(v[0].str_len, 4);
	assert_true(v[0].str_truncated);
	assert_memory_equal(v[0].str, "abcd", 4);
	assert_true(v[1].has_string);
	assert_int_equal(v[1].str_len, 2);
	assert_true(v[1].str_truncated);
	arena_free(&arena);
}

/* Corrupt records are refused, never read past their end. */
static void test_corrupt(void **state)
{
	static struct rec in;
	struct capture_record r;
	struct dwt_regs regs = {0};
	struct dwt_rec_hdr *h = (struct dwt_rec_hdr *)in.buf;
	struct dwt_blob *b;

	rec_start(&in, DWT_REC_ENTRY, 1, &regs, false);
	rec_blob(&in, STR, "hello", 6, 0);
	h->size = in.len;
	assert_int_equal(record_parse(in.buf, in.len, 1, &r), 0);
	assert_int_not_equal(record_parse(in.buf, in.len, 2, &r), 0);   /* blobs not as the program makes */
	assert_int_not_equal(record_parse(in.buf, in.len - 8, 1, &r), 0); /* size not the header's */
	b = (struct dwt_blob *)(in.buf + sizeof(*h));
	b->len = 4096;                                                 /* a blob running past the end */
	assert_int_not_equal(record_parse(in.buf, in.len, -1, &r), 0);
	b->len = 6;
	h->kind = DWT_REC_PAD;
	assert_int_not_equal(record_parse(in.buf, in.len, -1, &r), 0);
	h->kind = DWT_REC_ENTRY;
	h->flags = DWT_REC_VREGS;                                      /* vregs claimed, blob bytes taken for them */
	assert_int_not_equal(record_parse(in.buf, in.len, 1, &r), 0);
	assert_int_not_equal(record_parse(in.buf, 12, -1, &r), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_truncated_strings),
		cmocka_unit_test(test_corrupt),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
