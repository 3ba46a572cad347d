/* The summary writers (sink_summary.h). */
#include "sink_summary.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define JSON_SAFE_INT (1ull << 53)

/* A duration people read at a glance: three significant digits in the
 * largest unit that keeps it at least 1 ("812 ns", "12.3 us", "1.23 s"). */
static const char *format_duration(char *buf, size_t size, uint64_t ns)
{
	static const struct {
		const char *unit;
		long double scale;
	} units[] = {{"s", 1e9L}, {"ms", 1e6L}, {"us", 1e3L}};

	if (ns < 1000) {
		snprintf(buf, size, "%" PRIu64 " ns", ns);
		return buf;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		long double v = (long double)ns / units[i].scale;
		if (v < 1)
			continue;
		snprintf(buf, size, "%.*Lf %s", v < 10 ? 2 : v < 100 ? 1 : 0, v, units[i].unit);
		break;
	}
	return buf;
}

/* The row's function as the table shows it. */
static const char *row_name(char *buf, size_t size, const struct stats_row *r)
{
	const char *f = r->function ? r->function : "?";

	if (r->kind == LAYOUT_POINT)
		snprintf(buf, size, "%s+0x%" PRIx64, f, r->offset);
	else if (r->kind == LAYOUT_INLINED)
		snprintf(buf, size, "%s (inlined)", f);
	else if (!r->calls && r->hits)
		snprintf(buf, size, "%s (entry only)", f);
	else
		snprintf(buf, size, "%s", f);
	return buf;
}

/* 2^k as bpftrace writes a histogram's edges: "512", "1K", "16M". */
static const char *pow2_name(char *buf, size_t size, unsigned k)
{
	static const char suffix[] = " KMGTPE";

	snprintf(buf, size, "%llu%.*s", 1ull << (k % 10), k >= 10, &suffix[k / 10]);
	return buf;
}

static void text_histogram(FILE *out, const struct stats_row *r, const char *name)
{
	uint64_t counts[STATS_LOG2], max = 0;
	size_t first = STATS_LOG2, last = 0;

	stats_log2(r, counts);
	for (size_t k = 0; k < STATS_LOG2; k++) {
		if (!counts[k])
			continue;
		first = first < k ? first : k;
		last = k;
		max = counts[k] > max ? counts[k] : max;
	}
	if (!max)
		return;
	fprintf(out, "\n@%s (ns):\n", name);
	for (size_t k = first; k <= last; k++) {
		char range[48], lo[16], hi[16];
		int bar = (int)((long double)counts[k] * 52 / (long double)max);

		if (k <= 1)
			snprintf(range, sizeof(range), "[%zu]", k);
		else
			snprintf(range, sizeof(range), "[%s, %s)", pow2_name(lo, sizeof(lo), (unsigned)k - 1),
				 pow2_name(hi, sizeof(hi), (unsigned)k));
		fprintf(out, "%-16s%8" PRIu64 " |", range, counts[k]);
		for (int i = 0; i < 52; i++)
			putc(i < bar ? '@' : ' ', out);
		fputs("|\n", out);
	}
}

/* What a hit costs with the engine that recorded them, as the reader
 * needs it to weigh the durations; NULL when unknown. */
static const char *engine_cost(const char *engine)
{
	if (!engine)
		return NULL;
	if (!strcmp(engine, "agent"))
		return "agent engine: the program records each hit itself";
	if (!strcmp(engine, "ptrace"))
		return "ptrace engine: each hit stops the thread until dwtrace has read it";
	return NULL;
}

/* "tracing overhead inside these durations, measured from this run
 * (ENGINE): at most 161 ns per call (the median of leaf's calls with no
 * traced call inside, which includes leaf's own time); at most 40 ns per
 * nested traced hit (...)": bounds from above, each part only when the run
 * measured it (the nested part only when some call had nested hits). */
static void text_overhead(FILE *out, const struct stats *st)
{
	uint64_t per_call, per_hit;
	const struct stats_row *r;
	const char *cost = engine_cost(stats_engine(st));
	char a[32], b[32];

	stats_overhead(st, &per_call, &per_hit);
	per_call = stats_overhead_call(st, &r);
	if (per_call == UINT64_MAX && per_hit == UINT64_MAX)
		return;
	fputs("tracing overhead inside these durations, measured from this run", out);
	if (cost)
		fprintf(out, " (%s)", cost);
	fputs(": ", out);
	if (per_call != UINT64_MAX) {
		const char *f = r && r->function ? r->function : NULL;
		fprintf(out, "at most %s per call (", format_duration(a, sizeof(a), per_call));
		if (f)
			fprintf(out, "the median of %s's calls with no traced call inside, which includes %s's own time)",
				f, f);
		else
			fputs("the shortest call with no traced call inside, which includes its function's own time)",
			      out);
	}
	if (per_call != UINT64_MAX && per_hit != UINT64_MAX)
		fputs("; ", out);
	if (per_hit != UINT64_MAX)
		fprintf(out, "at most %s per nested traced hit (the shortest time between two hits of one thread)",
			format_duration(b, sizeof(b), per_hit));
	putc('\n', out);
}

void sink_summary_text(struct sink *s, const struct stats *st)
{
	size_t n;
	const struct stats_row **rows = stats_sorted(st, &n);
	uint64_t calls, hits, unfinished, nested;
	FILE *out = s->out;

	/* Never on the line of an entry still waiting for its exit. */
	if (s->ops->end_line)
		s->ops->end_line(s);
	/* Before the table, so that nobody takes its counts for the program's. */
	if (stats_dropped(st))
		fprintf(out, "incomplete: %" PRIu64 " event%s dropped by the engine; counts are lower than the "
			"program's\n", stats_dropped(st), stats_dropped(st) == 1 ? " was" : "s were");
	fprintf(out, "%10s %10s %10s %10s %10s %10s %10s %10s  %s\n", "calls", "unfinished", "total", "avg", "min",
		"p50", "p99", "max", "function");
	for (size_t i = 0; i < n; i++) {
		const struct stats_row *r = rows[i];
		char d[6][32], name[512];

		fprintf(out, "%10" PRIu64 " %10" PRIu64, r->calls ? r->calls : r->hits, r->unfinished);
		if (r->calls) {
			fprintf(out, " %10s %10s %10s %10s %10s %10s", format_duration(d[0], sizeof(d[0]), r->total_ns),
				format_duration(d[1], sizeof(d[1]), r->total_ns / r->calls),
				format_duration(d[2], sizeof(d[2]), r->min_ns),
				format_duration(d[3], sizeof(d[3]), stats_percentile(r, 0.5)),
				format_duration(d[4], sizeof(d[4]), stats_percentile(r, 0.99)),
				format_duration(d[5], sizeof(d[5]), r->max_ns));
		} else {
			fprintf(out, " %10s %10s %10s %10s %10s %10s", "-", "-", "-", "-", "-", "-");
		}
		fprintf(out, "  %s", row_name(name, sizeof(name), r));
		if (r->module)
			fprintf(out, " [%s]", r->module);
		putc('\n', out);
	}
	stats_totals(st, &calls, &hits, &unfinished, &nested);
	fprintf(out, "%10" PRIu64 " %10" PRIu64 "  total (%zu function%s", calls + hits, unfinished, n,
		n == 1 ? "" : "s");
	if (hits)
		fprintf(out, "; %" PRIu64 " of them hits without durations", hits);
	fputs(")\n", out);
	text_overhead(out, st);
	if (stats_histogram(st))
		for (size_t i = 0; i < n; i++) {
			char name[512];
			text_histogram(out, rows[i], row_name(name, sizeof(name), rows[i]));
		}
	free(rows);
}

static void json_string(FILE *out, const char *s)
{
	putc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			putc(c, out);
	}
	putc('"', out);
}

/* An integer as JSON: a number, or with --json-int-strings a string when
 * beyond 2^53 (where doubles lose digits). */
static void json_u64(const struct sink *s, uint64_t v)
{
	if (s->opts.json_int_strings && v > JSON_SAFE_INT)
		fprintf(s->out, "\"%" PRIu64 "\"", v);
	else
		fprintf(s->out, "%" PRIu64, v);
}

static void json_field(const struct sink *s, const char *name, uint64_t v, bool present)
{
	fprintf(s->out, ",\"%s\":", name);
	if (present)
		json_u64(s, v);
	else
		fputs("null", s->out);
}

static void json_histogram(const struct sink *s, const struct stats_row *r)
{
	uint64_t counts[STATS_LOG2];
	bool first = true;

	stats_log2(r, counts);
	fputs(",\"histogram\":[", s->out);
	for (size_t k = 0; k < STATS_LOG2; k++) {
		if (!counts[k])
			continue;
		fprintf(s->out, "%s{\"lo\":", first ? "" : ",");
		json_u64(s, k ? 1ull << (k - 1) : 0);
		fputs(",\"hi\":", s->out);
		if (k < 64)
			json_u64(s, 1ull << k);
		else
			fputs(s->opts.json_int_strings ? "\"18446744073709551616\"" : "18446744073709551616", s->out);
		fputs(",\"count\":", s->out);
		json_u64(s, counts[k]);
		putc('}', s->out);
		first = false;
	}
	putc(']', s->out);
}

static const char *kind_name(enum layout_kind k)
{
	return k == LAYOUT_POINT ? "point" : k == LAYOUT_INLINED ? "inlined" : "call";
}

void sink_summary_json(struct sink *s, const struct stats *st)
{
	size_t n;
	const struct stats_row **rows = stats_sorted(st, &n);
	uint64_t calls, hits, unfinished, nested, per_call, per_hit;
	const struct stats_row *call_row;
	FILE *out = s->out;

	for (size_t i = 0; i < n; i++) {
		const struct stats_row *r = rows[i];
		bool d = r->calls > 0;

		fputs("{\"type\":\"summary\",\"function\":", out);
		json_string(out, r->function ? r->function : "?");
		fputs(",\"module\":", out);
		if (r->module)
			json_string(out, r->module);
		else
			fputs("null", out);
		fprintf(out, ",\"kind\":\"%s\"", kind_name(r->kind));
		if (r->kind == LAYOUT_POINT)
			json_field(s, "offset", r->offset, true);
		json_field(s, "calls", r->calls, true);
		json_field(s, "hits", r->hits, true);
		json_field(s, "total_ns", r->total_ns, d);
		json_field(s, "avg_ns", d ? r->total_ns / r->calls : 0, d);
		json_field(s, "min_ns", r->min_ns, d);
		json_field(s, "max_ns", r->max_ns, d);
		json_field(s, "p50_ns", stats_percentile(r, 0.5), d);
		json_field(s, "p99_ns", stats_percentile(r, 0.99), d);
		json_field(s, "unfinished", r->unfinished, true);
		json_field(s, "nested_hits", r->nested_hits, true);
		if (stats_histogram(st))
			json_histogram(s, r);
		fputs("}\n", out);
	}
	stats_totals(st, &calls, &hits, &unfinished, &nested);
	stats_overhead(st, &per_call, &per_hit);
	per_call = stats_overhead_call(st, &call_row);
	fputs("{\"type\":\"summary_end\"", out);
	json_field(s, "functions", n, true);
	json_field(s, "calls", calls, true);
	json_field(s, "hits", hits, true);
	json_field(s, "unfinished", unfinished, true);
	json_field(s, "nested_hits", nested, true);
	json_field(s, "overhead_per_call_ns", per_call, per_call != UINT64_MAX);
	json_field(s, "overhead_per_nested_hit_ns", per_hit, per_hit != UINT64_MAX);
	/* Added with the engine and drops: the function whose calls gave
	 * overhead_per_call_ns (their median), the engine, lost events. */
	fputs(",\"overhead_per_call_function\":", out);
	if (call_row && call_row->function)
		json_string(out, call_row->function);
	else
		fputs("null", out);
	fputs(",\"engine\":", out);
	if (stats_engine(st))
		json_string(out, stats_engine(st));
	else
		fputs("null", out);
	json_field(s, "dropped", stats_dropped(st), true);
	fputs("}\n", out);
	free(rows);
}
