/* The summary's statistics (probes/stats.h) and writers (sink_summary.h):
 * percentiles against sorted arrays (nearest rank) within the stated
 * bound of 1/128, log2 bucket edges counted by hand, zero and huge
 * durations, rows grouped by function and module, and record_events.c's
 * nested hits, unfinished calls and -c (no events) from hand-built
 * records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe_site.h"
#include "record.h"
#include "record_events.h"
#include "sink.h"
#include "sink_summary.h"
#include "stats.h"

static struct event_layout fa = {.id = 1, .function = "fa", .module = "liba.so"};
static struct event_layout fa_clone = {.id = 2, .function = "fa", .module = "liba.so"};
static struct event_layout fa_other = {.id = 3, .function = "fa", .module = "libb.so"};
static struct event_layout fb = {.id = 4, .function = "fb", .module = "liba.so"};

static const struct stats_row *only_row(const struct stats *st, const char *function, const char *module)
{
	size_t n;
	const struct stats_row **rows = stats_sorted(st, &n), *found = NULL;

	for (size_t i = 0; i < n; i++)
		if (rows[i]->kind == LAYOUT_CALL && !strcmp(rows[i]->function, function) &&
		    !strcmp(rows[i]->module, module)) {
			assert_null(found);
			found = rows[i];
		}
	free(rows);
	assert_non_null(found);
	return found;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of sorted v[0..n). */
static uint64_t nearest_rank(const uint64_t *v, size_t n, double q)
{
	size_t rank = (size_t)(q * (double)n);

	if ((double)rank < q * (double)n)
		rank++;
	return v[rank ? rank - 1 : 0];
}

static void check_within(uint64_t got, uint64_t want)
{
	uint64_t diff = got > want ? got - want : want - got;

	if (diff > want / 128) {
		fail_msg("percentile %llu, true value %llu: off by more than 1/128", (unsigned long long)got,
			 (unsigned long long)want);
	}
}

/* xorshift64*: a fixed sequence, so a failure reproduces. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void check_percentiles_of(uint64_t *v, size_t n)
{
	struct stats *st = stats_new(false);
	const struct stats_row *r;
	static const double qs[] = {0.01, 0.1, 0.5, 0.9, 0.99, 0.999};

	for (size_t i = 0; i < n; i++)
		stats_call(st, &fa, v[i], 0);
	qsort(v, n, sizeof(*v), cmp_u64);
	r = only_row(st, "fa", "liba.so");
	assert_int_equal(r->calls, n);
	assert_int_equal(r->min_ns, v[0]);
	assert_int_equal(r->max_ns, v[n - 1]);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		check_within(stats_percentile(r, qs[i]), nearest_rank(v, n, qs[i]));
	assert_int_equal(stats_percentile(r, 1.0), v[n - 1]);
	stats_free(st);
}

static void test_percentiles(void **state)
{
	enum { N = 20000 };
	uint64_t *v = malloc(N * sizeof(*v)), seed = 0x9e3779b97f4a7c15ull;

	/* Spread over every power of two. */
	for (size_t i = 0; i < N; i++)
		v[i] = next_random(&seed) >> (next_random(&seed) % 64);
	check_percentiles_of(v, N);
	/* Narrow: around a microsecond, as a real function's calls are. */
	for (size_t i = 0; i < N; i++)
		v[i] = 1000 + next_random(&seed) % 300;
	check_percentiles_of(v, N);
	/* Small: exact below 64. */
	for (size_t i = 0; i < N; i++)
		v[i] = next_random(&seed) % 70;
	check_percentiles_of(v, N);
	/* One call. */
	v[0] = 12345;
	check_percentiles_of(v, 1);
	free(v);
}

/* Every value at a power of two's edge lands in the log2 bucket that the
 * definition gives: [0], [1], [2, 4), ..., [2^63, 2^64). */
static void test_log2_edges(void **state)
{
	struct stats *st = stats_new(true);
	uint64_t want[STATS_LOG2] = {0}, got[STATS_LOG2];

	stats_call(st, &fa, 0, 0);
	want[0]++;
	for (unsigned k = 0; k < 64; k++) {
		uint64_t p = 1ull << k;

		stats_call(st, &fa, p, 0);
		want[k + 1]++;
		stats_call(st, &fa, p - 1 + p, 0); /* 2^(k+1) - 1: the bucket's last value */
		want[k + 1]++;
	}
	stats_call(st, &fa, UINT64_MAX, 0);
	want[64]++;
	stats_log2(only_row(st, "fa", "liba.so"), got);
	assert_memory_equal(got, want, sizeof(want));
	assert_true(stats_histogram(st));
	stats_free(st);
}

static void test_zero_and_huge(void **state)
{
	struct stats *st = stats_new(false);
	const struct stats_row *r;

	stats_call(st, &fa, 0, 0);
	stats_call(st, &fa, UINT64_MAX, 0);
	stats_call(st, &fa, UINT64_MAX, 0);
	r = only_row(st, "fa", "liba.so");
	assert_int_equal(r->calls, 3);
	assert_int_equal(r->min_ns, 0);
	assert_int_equal(r->max_ns, UINT64_MAX);
	assert_int_equal(r->total_ns, UINT64_MAX); /* saturated */
	assert_int_equal(stats_percentile(r, 0.01), 0);
	check_within(stats_percentile(r, 0.5), UINT64_MAX);
	check_within(stats_percentile(r, 0.99), UINT64_MAX);
	stats_free(st);
}

/* Layouts of one function and module share a row; another module or
 * function has its own.  Entry-only hits and unfinished calls are apart. */
static void test_rows(void **state)
{
	struct stats *st = stats_new(false);
	const struct stats_row **rows;
	uint64_t calls, hits, unfinished, nested, per_call, per_hit;
	size_t n;

	stats_overhead(st, &per_call, &per_hit);
	assert_int_equal(per_call, UINT64_MAX);
	assert_int_equal(per_hit, UINT64_MAX);
	stats_call(st, &fa, 100, 0);
	stats_bare_call(st, 100);
	stats_call(st, &fa_clone, 300, 2);
	stats_call(st, &fa_other, 50, 1);
	stats_hit(st, &fb);
	stats_hit(st, &fb);
	stats_unfinished(st, &fa_clone);
	stats_gap(st, 70);
	stats_gap(st, 90);
	rows = stats_sorted(st, &n);
	assert_int_equal(n, 3);
	/* Longest total first. */
	assert_ptr_equal(rows[0], only_row(st, "fa", "liba.so"));
	assert_int_equal(rows[0]->calls, 2);
	assert_int_equal(rows[0]->total_ns, 400);
	assert_int_equal(rows[0]->nested_hits, 2);
	assert_int_equal(rows[0]->unfinished, 1);
	assert_string_equal(rows[1]->module, "libb.so");
	assert_string_equal(rows[2]->function, "fb");
	assert_int_equal(rows[2]->hits, 2);
	assert_int_equal(rows[2]->calls, 0);
	free(rows);
	stats_totals(st, &calls, &hits, &unfinished, &nested);
	assert_int_equal(calls, 3);
	assert_int_equal(hits, 2);
	assert_int_equal(unfinished, 1);
	assert_int_equal(nested, 3);
	/* The median of fa's calls without nested hits (one: 100). */
	stats_overhead(st, &per_call, &per_hit);
	assert_int_equal(per_call, 100);
	assert_int_equal(per_hit, 70);
	stats_free(st);
}

static char *summary_of(const struct stats *st, bool json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct sink *s = json ? sink_json_new(f, NULL) : sink_text_new(f, NULL);

	assert_non_null(s->ops->summary);
	s->ops->summary(s, st);
	s->ops->flush(s);
	s->ops->destroy(s);
	fclose(f);
	return text;
}

static void test_writers(void **state)
{
	struct stats *st = stats_new(true);
	char *text;

	stats_call(st, &fa, 150, 0);
	stats_call(st, &fa, 200, 0);
	stats_call(st, &fa, 1500000, 1);
	stats_bare_call(st, 200);
	stats_bare_call(st, 150);
	stats_hit(st, &fb);
	text = summary_of(st, false);
	assert_non_null(strstr(text, "     calls unfinished      total        avg        min        p50        p99        max  "
				     "function\n"));
	assert_non_null(strstr(text, "         3          0    1.50 ms     500 us     150 ns     201 ns    1.50 ms    1.50 ms"
				     "  fa [liba.so]\n"));
	assert_non_null(strstr(text, "         1          0          -          -          -          -          -          -"
				     "  fb (entry only) [liba.so]\n"));
	/* The median of the two calls with no hit inside (150 and 200: the
	 * nearest rank is 150, within its 2 ns bucket), not the shortest;
	 * no nested part, as no gap between hits was measured. */
	assert_non_null(strstr(text, "\ntracing overhead inside these durations, measured from this run: at most 151 ns "
				     "per call (the median of fa's calls with no traced call inside, which includes "
				     "fa's own time)\n"));
	assert_null(strstr(text, "nested traced hit"));
	assert_null(strstr(text, "incomplete"));
	assert_non_null(strstr(text, "\n@fa (ns):\n[128, 256)             2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
				     "[256, 512)             0 |"));
	assert_non_null(strstr(text, "[1M, 2M)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n"));
	free(text);
	text = summary_of(st, true);
	assert_string_equal(text,
			    "{\"type\":\"summary\",\"function\":\"fa\",\"module\":\"liba.so\",\"kind\":\"call\",\"calls\":3,"
			    "\"hits\":0,\"total_ns\":1500350,\"avg_ns\":500116,\"min_ns\":150,\"max_ns\":1500000,"
			    "\"p50_ns\":201,\"p99_ns\":1499136,\"unfinished\":0,\"nested_hits\":1,\"histogram\":["
			    "{\"lo\":128,\"hi\":256,\"count\":2},{\"lo\":1048576,\"hi\":2097152,\"count\":1}]}\n"
			    "{\"type\":\"summary\",\"function\":\"fb\",\"module\":\"liba.so\",\"kind\":\"call\",\"calls\":0,"
			    "\"hits\":1,\"total_ns\":null,\"avg_ns\":null,\"min_ns\":null,\"max_ns\":null,\"p50_ns\":null,"
			    "\"p99_ns\":null,\"unfinished\":0,\"nested_hits\":0,\"histogram\":[]}\n"
			    "{\"type\":\"summary_end\",\"functions\":2,\"calls\":3,\"hits\":1,\"unfinished\":0,"
			    "\"nested_hits\":1,\"overhead_per_call_ns\":151,\"overhead_per_nested_hit_ns\":null,"
			    "\"overhead_per_call_function\":\"fa\",\"engine\":null,\"dropped\":0}\n");
	free(text);
	stats_free(st);
}

/* The overhead line: the per-call part is the median of the bare calls of
 * the function where it is smallest (a 2 ns function's few fast calls do
 * not make it 9 ns), the nested part only with nested hits, the engine
 * named; dropped events mark the table incomplete. */
static void test_overhead_and_drops(void **state)
{
	struct stats *st = stats_new(false);
	uint64_t per_call, per_hit;
	const struct stats_row *r;
	char *text;

	/* leaf: one 9 ns call, then typical ones at 161 ns */
	stats_call(st, &fa, 9, 0);
	for (int i = 0; i < 10; i++)
		stats_call(st, &fa, 161, 0);
	/* slow: 100 ms calls, none with a hit inside */
	for (int i = 0; i < 3; i++)
		stats_call(st, &fb, 100000000, 0);
	stats_gap(st, 40);
	per_call = stats_overhead_call(st, &r);
	assert_int_equal(per_call, 161);
	assert_ptr_equal(r, only_row(st, "fa", "liba.so"));
	stats_overhead(st, &per_call, &per_hit);
	assert_int_equal(per_call, 161);
	assert_int_equal(per_hit, UINT64_MAX); /* no call had a hit inside */
	stats_set_run(st, "agent", 5);
	text = summary_of(st, false);
	assert_non_null(strstr(text, "incomplete: 5 events were dropped by the engine; counts are lower than the "
				     "program's\n     calls unfinished"));
	assert_true(text == strstr(text, "incomplete: ")); /* above the table */
	assert_non_null(strstr(text, "\ntracing overhead inside these durations, measured from this run (agent engine: "
				     "the program records each hit itself): at most 161 ns per call (the median of fa's "
				     "calls with no traced call inside, which includes fa's own time)\n"));
	assert_null(strstr(text, "nested"));
	free(text);
	text = summary_of(st, true);
	assert_non_null(strstr(text, "\"overhead_per_call_ns\":161,\"overhead_per_nested_hit_ns\":null,"
				     "\"overhead_per_call_function\":\"fa\",\"engine\":\"agent\",\"dropped\":5}\n"));
	free(text);
	/* A nested hit: the shortest gap is the nested part. */
	stats_call(st, &fa_other, 5000, 2);
	stats_set_run(st, "ptrace", 1);
	text = summary_of(st, false);
	assert_non_null(strstr(text, "incomplete: 1 event was dropped"));
	assert_non_null(strstr(text, "(ptrace engine: each hit stops the thread until dwtrace has read it): at most "
				     "161 ns per call (the median of fa's calls with no traced call inside, which "
				     "includes fa's own time); at most 40 ns per nested traced hit (the shortest time "
				     "between two hits of one thread)\n"));
	free(text);
	stats_free(st);
}

/* A record of kind at ts with the stack pointer at sp, in thread 101. */
static void record_at(struct capture_record *r, uint8_t *buf, uint16_t kind, uint64_t ts, uint64_t sp)
{
	struct dwt_rec_hdr h = {.kind = kind, .tid = 101, .ts = ts, .size = sizeof(h)};

	h.regs.gpr[DWT_DW_SP] = sp;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(record_parse(buf, sizeof(h), 0, r), 0);
	r->pid = 100;
}

/* fa calls fb, which returns; fa returns; fa is entered again and never
 * returns; a point hit in between.  With -c, no event reaches the sink. */
static void test_event_stream(void **state)
{
	static uint8_t buf[8][sizeof(struct dwt_rec_hdr)] __attribute__((aligned(8)));
	struct event_layout point = {.id = 5, .function = "fa", .module = "liba.so", .kind = LAYOUT_POINT, .offset = 4};
	struct probe_site sa = {.layout = &fa}, sb = {.layout = &fb}, sp = {.layout = &point, .entry_only = true};
	struct decode_opts o = {.string_limit = 32, .array_limit = 8};
	struct capture_record r[8];
	struct stats *st = stats_new(false);
	struct event_stream es;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct sink *s = sink_json_new(f, NULL);
	const struct stats_row *ra, *rb, *rp;
	uint64_t per_call, per_hit;
	size_t n;
	const struct stats_row **rows;

	event_stream_init(&es, s, &o);
	es.stats = st;
	es.no_events = true;
	record_at(&r[0], buf[0], DWT_REC_ENTRY, 1000, 0x8000);
	record_at(&r[1], buf[1], DWT_REC_ENTRY, 1200, 0x7f00);
	record_at(&r[2], buf[2], DWT_REC_ENTRY, 1250, 0x7e00); /* the point, inside fb */
	record_at(&r[3], buf[3], DWT_REC_EXIT, 1400, 0x7f00);
	record_at(&r[4], buf[4], DWT_REC_EXIT, 2000, 0x8000);
	record_at(&r[5], buf[5], DWT_REC_ENTRY, 3000, 0x8000);
	assert_true(event_stream_record(&es, &sa, &r[0], NULL, NULL));
	assert_true(event_stream_record(&es, &sb, &r[1], NULL, NULL));
	assert_true(event_stream_record(&es, &sp, &r[2], NULL, NULL));
	assert_true(event_stream_record(&es, &sb, &r[3], NULL, NULL));
	assert_true(event_stream_record(&es, &sa, &r[4], NULL, NULL));
	assert_true(event_stream_record(&es, &sa, &r[5], NULL, NULL));
	event_stream_finish(&es);
	ra = only_row(st, "fa", "liba.so");
	rows = stats_sorted(st, &n);
	assert_int_equal(n, 3);
	rp = rows[2];
	rb = rows[1];
	free(rows);
	assert_int_equal(ra->calls, 1);
	assert_int_equal(ra->total_ns, 1000);
	assert_int_equal(ra->nested_hits, 3); /* fb's entry and exit, the point */
	assert_int_equal(ra->unfinished, 1);
	assert_string_equal(rb->function, "fb");
	assert_int_equal(rb->total_ns, 200);
	assert_int_equal(rb->nested_hits, 1);
	assert_int_equal(rp->kind, LAYOUT_POINT);
	assert_int_equal(rp->hits, 1);
	stats_overhead(st, &per_call, &per_hit);
	assert_int_equal(per_call, UINT64_MAX); /* every call had a hit inside */
	assert_int_equal(per_hit, 50);
	event_stream_free(&es);
	s->ops->flush(s);
	s->ops->destroy(s);
	fclose(f);
	assert_int_equal(len, 0);
	free(text);
	stats_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentiles), cmocka_unit_test(test_log2_edges),
		cmocka_unit_test(test_zero_and_huge), cmocka_unit_test(test_rows),
		cmocka_unit_test(test_writers), cmocka_unit_test(test_event_stream),
		cmocka_unit_test(test_overhead_and_drops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
