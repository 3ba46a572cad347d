/* Text sink: one line per call, for people, in strace's and ltrace's forms.
 * An entry is written without its newline; when its own exit comes next,
 * the exit completes the line:
 *   12:00:01.123456 4242/4242 my_traced_function(arg1=42, arg2=3735928559, ...) → 43 <0.000014211>
 * when anything else comes first (a nested call, another thread, a stack
 * trace), the entry ends " <unfinished ...>" and its exit reads
 *   12:00:01.123456 4242/4242 outer(n=2) <unfinished ...>
 *   12:00:01.123460 4242/4242   inner(n=1) → 1 <0.000001010>
 *   12:00:01.123470 4242/4242 <... outer resumed> → 2 <0.000014211>
 * Nested calls are indented by two spaces per depth (event_header.depth),
 * as uftrace does.  Points and inlined copies have no exit:
 *   12:00:01.123480 4242/4242 mylib.c:9 my_traced_function+0x7(arg1=42, ...) {sum=3, i=2}
 *   12:00:01.123490 4242/4242 weigh [inlined into main at app.c:12](w=3)
 *   12:00:01.123500 4242/4242 f [clone .isra](x=1)
 * The time is -t's, -tt's (the default), -ttt's or -r's (sink_opts.time).
 * Values: sink_text_value.c.
 *
 * A line reaches the FILE whole: the program may write to the same file
 * (-o /dev/stdout, one terminal), and every flush would push a half line
 * out for its output to land in.  The open entry waits in the sink's own
 * memory (open_memstream) until the next event decides how it ends, or
 * until a flush finds it open for PENDING_SHOW_NS: a call blocked in the
 * program then shows up as "<unfinished ...>" while it blocks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sink.h"
#include "sink_summary.h"
#include "sink_text_value.h"
#include "xalloc.h"

/* How long an open entry may wait in memory for its exit when dwtrace
 * flushes (wall clock since its event_header.ts_ns): long enough that a
 * call's exit almost always joins it, short enough for a person watching
 * a blocked call. */
#define PENDING_SHOW_NS 50000000ull

struct text_sink {
	struct sink s;
	/* The FILE the user named: s.out points to mem while an entry that
	 * may be joined by its exit is written. */
	FILE *file;
	/* An entry line without its newline (pending_call: its call id,
	 * pending_ts_ns: its time) in mem_buf[0, mem_len), until the next
	 * event says how it ends.  mem is NULL when open_memstream failed:
	 * entries are then ended at once, as unfinished. */
	FILE *mem;
	char *mem_buf;
	size_t mem_len;
	bool pending;
	uint64_t pending_call;
	uint64_t pending_ts_ns;
	/* -r: the time of the previous line (any line, when have_prev). */
	bool have_prev;
	uint64_t prev_ts_ns;
};

/* Writes the open entry (without its newline) to the FILE and empties the
 * memory it waited in. */
static void put_pending(struct text_sink *t)
{
	t->pending = false;
	if (fflush(t->mem) == 0 && t->mem_len)
		fwrite(t->mem_buf, 1, t->mem_len, t->file);
	rewind(t->mem);
}

/* Ends the entry line left open, if any: its exit does not come next. */
static void end_pending(struct text_sink *t)
{
	if (!t->pending)
		return;
	put_pending(t);
	fputs(" <unfinished ...>\n", t->file);
}

/* The time as sink_opts.time says: "12:00:01.123456", "12:00:01",
 * "1764502801.123456", or "+0.000123" since the previous line (negative
 * when threads' events come out of order). */
static void put_time(struct text_sink *t, uint64_t ts_ns)
{
	FILE *out = t->s.out;
	time_t sec = (time_t)(ts_ns / 1000000000u);
	unsigned usec = (unsigned)(ts_ns % 1000000000u / 1000u);
	struct tm tm;

	switch (t->s.opts.time) {
	case SINK_TIME_RELATIVE: {
		uint64_t d = t->have_prev ? (ts_ns >= t->prev_ts_ns ? ts_ns - t->prev_ts_ns : t->prev_ts_ns - ts_ns) : 0;

		fprintf(out, "%c%" PRIu64 ".%06u", t->have_prev && ts_ns < t->prev_ts_ns ? '-' : '+',
			d / 1000000000u, (unsigned)(d % 1000000000u / 1000u));
		break;
	}
	case SINK_TIME_EPOCH_US:
		fprintf(out, "%" PRIu64 ".%06u", ts_ns / 1000000000u, usec);
		break;
	case SINK_TIME_CLOCK_S:
		localtime_r(&sec, &tm);
		fprintf(out, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
		break;
	case SINK_TIME_CLOCK_US:
	default:
		localtime_r(&sec, &tm);
		fprintf(out, "%02d:%02d:%02d.%06u", tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
		break;
	}
	t->have_prev = true;
	t->prev_ts_ns = ts_ns;
}

/* A new line: "TIME PID/TID " and two spaces per nesting level. */
static void put_header(struct text_sink *t, const struct event_header *h)
{
	end_pending(t);
	put_time(t, h->ts_ns);
	fprintf(t->s.out, " %d/%d ", (int)h->pid, (int)h->tid);
	for (uint32_t i = 0; i < h->depth; i++)
		fputs("  ", t->s.out);
}

/*     #1 0x55d0c7a0b1d9 app_level1+0x19 (stack_app) stack_app.c:21
 * a tail-call frame (gdb's TAILCALL_FRAME):
 *     #7 0x7fbfa531efd8 qsort+0x8 (tail call) (libc.so.6) ./stdlib/msort.c:307 */
static void put_stack(FILE *out, const struct stack_trace *st)
{
	size_t i;

	for (i = 0; i < st->n; i++) {
		const struct stack_frame *f = &st->frames[i];
		fprintf(out, "    #%zu 0x%" PRIx64 " %s", i, f->addr, f->function ? f->function : "??");
		if (f->function && f->offset && !f->inlined)
			fprintf(out, "+0x%" PRIx64, f->offset);
		if (f->inlined)
			fputs(" (inlined)", out);
		else if (f->tail_call)
			fputs(" (tail call)", out);
		fprintf(out, " (%s)", f->module ? f->module : "??");
		if (f->file)
			fprintf(out, " %s:%d", f->file, f->line);
		putc('\n', out);
	}
	if (st->stopped)
		fprintf(out, "    #%zu ... (unwinding stopped: %s)\n", i, st->stopped);
}

/* The function as events name it, with what sets this probe apart: the
 * offset of a point ("f+0x7"), a clone's kind as GCC and c++filt spell it
 * ("f [clone .isra]"), an inlined copy's call site
 * ("weigh [inlined into main at app.c:12]"). */
static void put_function(struct sink *s, const struct event_layout *l)
{
	FILE *out = s->out;

	text_color(s, SGR_FUNCTION);
	fputs(l->function, out);
	text_color(s, NULL);
	if (l->kind == LAYOUT_POINT)
		fprintf(out, "+0x%" PRIx64, l->offset);
	if (l->clone_kind)
		fprintf(out, " [clone .%s]", l->clone_kind);
	if (l->kind == LAYOUT_INLINED) {
		fputs(" [inlined", out);
		if (l->inlined_into)
			fprintf(out, " into %s", l->inlined_into);
		if (l->call_file) {
			fprintf(out, " at %s", sink_file_base(l->call_file));
			if (l->call_line)
				fprintf(out, ":%d", l->call_line);
		}
		putc(']', out);
	}
}

static void put_raw(struct sink *s, const struct value *v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, value_as_u64(v));
	text_color(s, SGR_NUMBER);
	fputs(buf, s->out);
	text_color(s, NULL);
}

static void put_field(struct sink *s, const struct event_layout *l, const struct layout_field *f,
		      const struct value *v)
{
	/* ltrace's strlen("hello"): a declaration names no parameter. */
	if (!f->unnamed)
		fprintf(s->out, "%s=", f->name);
	if (l->raw && v->available)
		put_raw(s, v);
	else
		text_put_value(s, v);
}

/* Entry events, and a LAYOUT_POINT's one event per hit: its source
 * position first, then the parameters, then the locals in braces
 * (innermost block first; values has l->nfields + l->nlocals).  A call's
 * entry stays without its newline, for its exit to complete. */
static void text_entry(struct sink *s, const struct event_layout *l, const struct event_header *h,
		       const struct value *args)
{
	struct text_sink *t = (struct text_sink *)s;
	/* A call's entry whose exit may complete its line waits in memory;
	 * with a stack trace, the stack comes between them. */
	bool joinable = l->kind == LAYOUT_CALL && h->call_id && !h->entry_only && !h->stack && t->mem;

	end_pending(t);
	if (joinable)
		s->out = t->mem;
	put_header(t, h);
	if (l->kind == LAYOUT_POINT && l->file) {
		fputs(sink_file_base(l->file), s->out);
		if (l->line)
			fprintf(s->out, ":%d", l->line);
		putc(' ', s->out);
	}
	put_function(s, l);
	putc('(', s->out);
	for (size_t i = 0; i < l->nfields; i++) {
		if (i)
			fputs(", ", s->out);
		put_field(s, l, &l->fields[i], &args[i]);
	}
	if (l->variadic)
		fputs(l->nfields ? ", ..." : "...", s->out);
	putc(')', s->out);
	if (l->kind == LAYOUT_POINT && l->nlocals) {
		fputs(" {", s->out);
		for (size_t i = 0; i < l->nlocals; i++) {
			unsigned shadow = layout_local_shadow(l, i);

			if (i)
				fputs(", ", s->out);
			fputs(l->locals[i].name, s->out);
			if (shadow)
				fprintf(s->out, "@%u", shadow);
			putc('=', s->out);
			text_put_value(s, &args[l->nfields + i]);
		}
		putc('}', s->out);
	}
	if (joinable) {
		s->out = t->file;
		t->pending = true;
		t->pending_call = h->call_id;
		t->pending_ts_ns = h->ts_ns;
	} else if (l->kind == LAYOUT_CALL && h->call_id && !h->entry_only) {
		/* Its exit reads "<... f resumed>". */
		fputs(" <unfinished ...>\n", s->out);
	} else {
		putc('\n', s->out);
	}
	if (h->stack)
		put_stack(s->out, h->stack);
}

/* " → 43 <0.000014211>": the end of an exit's line. */
static void put_return(struct sink *s, const struct event_layout *l, const struct event_header *h,
		       const struct value *ret, uint64_t duration_ns)
{
	fputs(s->opts.ascii ? " -> " : " → ", s->out);
	if (h->tail_call) {
		fputs("tail call to ", s->out);
		text_color(s, SGR_FUNCTION);
		fputs(h->tail_call, s->out);
		text_color(s, NULL);
	} else if (!ret)
		fputs("void", s->out);
	else if (l->raw && ret->available)
		put_raw(s, ret);
	else
		text_put_value(s, ret);
	if (s->opts.durations)
		fprintf(s->out, " <%" PRIu64 ".%09" PRIu64 ">", duration_ns / 1000000000u, duration_ns % 1000000000u);
	putc('\n', s->out);
}

/* The exit completes its entry's line when nothing came between them;
 * otherwise a line of its own, "<... f resumed> → 43 <0.000014211>", at
 * its entry's depth. */
static void text_exit(struct sink *s, const struct event_layout *l, const struct event_header *h,
		      const struct value *ret, uint64_t duration_ns)
{
	struct text_sink *t = (struct text_sink *)s;

	if (t->pending && h->call_id && t->pending_call == h->call_id) {
		put_pending(t);
	} else {
		put_header(t, h);
		fputs("<... ", s->out);
		put_function(s, l);
		fputs(" resumed>", s->out);
	}
	put_return(s, l, h, ret, duration_ns);
}

static void text_end_line(struct sink *s)
{
	end_pending((struct text_sink *)s);
}

/* Complete lines only: the open entry stays in memory unless it has
 * waited PENDING_SHOW_NS for its exit (the agent engine's reader flushes
 * while it waits, so a blocked call shows; the ptrace engine flushes before
 * it waits for the next event). */
static int text_flush(struct sink *s)
{
	struct text_sink *t = (struct text_sink *)s;
	struct timespec now;

	if (t->pending && clock_gettime(CLOCK_REALTIME, &now) == 0 &&
	    (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec >= t->pending_ts_ns + PENDING_SHOW_NS)
		end_pending(t);
	/* A write that failed earlier left only the error flag: EIO then. */
	if (fflush(s->out) != 0)
		return errno ? -errno : -EIO;
	return ferror(s->out) ? -EIO : 0;
}

static uint64_t text_held_until(struct sink *s)
{
	struct text_sink *t = (struct text_sink *)s;

	return t->pending ? t->pending_ts_ns + PENDING_SHOW_NS : 0;
}

/* Output never ends in the middle of a line. */
static void text_destroy(struct sink *s)
{
	struct text_sink *t = (struct text_sink *)s;

	end_pending(t);
	if (t->mem)
		fclose(t->mem);
	free(t->mem_buf);
	free(s);
}

static const struct sink_ops text_ops = {
	.entry = text_entry,
	.exit = text_exit,
	.flush = text_flush,
	.destroy = text_destroy,
	.summary = sink_summary_text,
	.end_line = text_end_line,
	.held_until = text_held_until,
};

const struct sink_opts sink_opts_default = {.time = SINK_TIME_CLOCK_US, .durations = true};

struct sink *sink_text_new(FILE *out, const struct sink_opts *opts)
{
	struct text_sink *t = xcalloc(1, sizeof(*t));

	t->s.ops = &text_ops;
	t->s.out = out;
	t->file = out;
	t->mem = open_memstream(&t->mem_buf, &t->mem_len);
	t->s.opts = opts ? *opts : sink_opts_default;
	return &t->s;
}
