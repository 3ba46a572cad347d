/* Text sink: one line per event, for people.
 *   12:00:01.123456 4242/4242 my_traced_function(arg1=42, arg2=3735928559, ...)
 *   12:00:01.123470 4242/4242 my_traced_function → 43 <0.000014211>
 *   12:00:01.123480 4242/4242 mylib.c:9 my_traced_function+0x7(arg1=42, ...) {sum=3, i=2}
 *   12:00:01.123490 4242/4242 weigh [inlined into main at app.c:12](w=3)
 *   12:00:01.123500 4242/4242 f [clone .isra](x=1)
 * A value that is not available shows why in angle brackets, as gdb does:
 * <optimized out>, <unreadable>.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sink.h"
#include "sink_summary.h"
#include "xalloc.h"

static void put_escaped(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		default:
			if (c < 0x20 || c >= 0x7f)
				fprintf(out, "\\x%02x", c);
			else
				putc(c, out);
		}
	}
}

static void put_string(FILE *out, const struct value *v)
{
	putc('"', out);
	put_escaped(out, v->str, v->str_len);
	putc('"', out);
	if (v->str_truncated)
		fputs("...", out);
}

static void put_char(FILE *out, int64_t c)
{
	fprintf(out, "%" PRId64, c);
	if (c >= 0 && c < 256) {
		char ch = (char)c;
		fputs(" '", out);
		if (ch == '\'')
			fputs("\\'", out);
		else if (ch == '"')
			putc('"', out);
		else
			put_escaped(out, &ch, 1);
		putc('\'', out);
	}
}

static void put_value(struct sink *s, const struct value *v)
{
	FILE *out = s->out;
	const struct dw_type *t = dw_type_strip(v->type);
	char buf[64];

	if (!v->available) {
		fprintf(out, "<%s>", v->why ? v->why : "unreadable");
		return;
	}
	switch (t->kind) {
	case DW_KIND_SINT:
		if (value_is_int128(v)) {
			format_int128(buf, sizeof(buf), v->bytes, true);
			fputs(buf, out);
		} else if (t->is_char)
			put_char(out, value_as_s64(v));
		else
			fprintf(out, "%" PRId64, value_as_s64(v));
		break;
	case DW_KIND_UINT:
		if (value_is_int128(v)) {
			format_int128(buf, sizeof(buf), v->bytes, false);
			fputs(buf, out);
		} else if (t->is_char)
			put_char(out, (int64_t)value_as_u64(v));
		else
			fprintf(out, "%" PRIu64, value_as_u64(v));
		break;
	case DW_KIND_BOOL:
		fputs(value_as_u64(v) ? "true" : "false", out);
		break;
	case DW_KIND_FLOAT:
		if (value_is_float128(v))
			format_float128(buf, sizeof(buf), v->bytes);
		else
			format_float_shortest(buf, sizeof(buf), value_as_float(v), v->size);
		fputs(buf, out);
		break;
	case DW_KIND_COMPLEX: /* 1.5+-2i: real, '+', imaginary, 'i', whatever the signs */
		if (v->nchildren != 2) {
			fputs("?", out);
			break;
		}
		put_value(s, &v->children[0]);
		putc('+', out);
		put_value(s, &v->children[1]);
		putc('i', out);
		break;
	case DW_KIND_ENUM: {
		const char *name = value_enumerator(v);
		if (name)
			fputs(name, out);
		else if (t->enum_signed)
			fprintf(out, "%" PRId64, value_as_s64(v));
		else
			fprintf(out, "%" PRIu64, value_as_u64(v));
		break;
	}
	case DW_KIND_POINTER: {
		uint64_t p = value_as_u64(v);
		if (!p) {
			fputs("NULL", out);
		} else if (t->reference) {
			/* &0x7ffc…={x=1, y=2}, or the address alone when unreadable */
			fprintf(out, "&0x%" PRIx64, p);
			if (v->nchildren) {
				putc('=', out);
				put_value(s, &v->children[0]);
			}
		} else if (v->has_string) {
			put_string(out, v);
		} else {
			fprintf(out, "0x%" PRIx64, p);
		}
		break;
	}
	case DW_KIND_ARRAY:
		if (v->has_string) {
			put_string(out, v);
			break;
		}
		putc('[', out);
		for (size_t i = 0; i < v->nchildren; i++) {
			if (i)
				fputs(", ", out);
			put_value(s, &v->children[i]);
		}
		if (v->children_truncated)
			fputs(", ...", out);
		putc(']', out);
		break;
	case DW_KIND_STRUCT:
	case DW_KIND_UNION:
		if (v->has_string) { /* std::string, std::string_view */
			put_string(out, v);
			break;
		}
		putc('{', out);
		for (size_t i = 0; i < v->nchildren; i++) {
			const char *name = t->members[i].name;
			if (i)
				fputs(", ", out);
			if (*name)
				fprintf(out, "%s=", name);
			put_value(s, &v->children[i]);
		}
		putc('}', out);
		break;
	default:
		fputs("?", out);
		break;
	}
}

static void put_header(FILE *out, const struct event_header *h)
{
	time_t sec = (time_t)(h->ts_ns / 1000000000u);
	struct tm tm;

	localtime_r(&sec, &tm);
	fprintf(out, "%02d:%02d:%02d.%06u %d/%d ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		(unsigned)(h->ts_ns % 1000000000u / 1000u), (int)h->pid, (int)h->tid);
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
static void put_function(FILE *out, const struct event_layout *l)
{
	fputs(l->function, out);
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

static void put_field(struct sink *s, const struct event_layout *l, const struct layout_field *f,
		      const struct value *v)
{
	/* ltrace's strlen("hello"): a declaration names no parameter. */
	if (!f->unnamed)
		fprintf(s->out, "%s=", f->name);
	if (l->raw && v->available)
		fprintf(s->out, "0x%" PRIx64, value_as_u64(v));
	else
		put_value(s, v);
}

/* Entry events, and a LAYOUT_POINT's one event per hit: its source
 * position first, then the parameters, then the locals in braces
 * (innermost block first; values has l->nfields + l->nlocals). */
static void text_entry(struct sink *s, const struct event_layout *l, const struct event_header *h,
		       const struct value *args)
{
	put_header(s->out, h);
	if (l->kind == LAYOUT_POINT && l->file) {
		fputs(sink_file_base(l->file), s->out);
		if (l->line)
			fprintf(s->out, ":%d", l->line);
		putc(' ', s->out);
	}
	put_function(s->out, l);
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
			put_value(s, &args[l->nfields + i]);
		}
		putc('}', s->out);
	}
	putc('\n', s->out);
	if (h->stack)
		put_stack(s->out, h->stack);
}

static void text_exit(struct sink *s, const struct event_layout *l, const struct event_header *h,
		      const struct value *ret, uint64_t duration_ns)
{
	put_header(s->out, h);
	put_function(s->out, l);
	fputs(" → ", s->out);
	if (h->tail_call)
		fprintf(s->out, "tail call to %s", h->tail_call);
	else if (!ret)
		fputs("void", s->out);
	else if (l->raw && ret->available)
		fprintf(s->out, "0x%" PRIx64, value_as_u64(ret));
	else
		put_value(s, ret);
	fprintf(s->out, " <%" PRIu64 ".%09" PRIu64 ">\n", duration_ns / 1000000000u, duration_ns % 1000000000u);
}

static int text_flush(struct sink *s)
{
	/* A write that failed earlier left only the error flag: EIO then. */
	if (fflush(s->out) != 0)
		return errno ? -errno : -EIO;
	return ferror(s->out) ? -EIO : 0;
}

static void text_destroy(struct sink *s)
{
	free(s);
}

static const struct sink_ops text_ops = {
	.entry = text_entry,
	.exit = text_exit,
	.flush = text_flush,
	.destroy = text_destroy,
	.summary = sink_summary_text,
};

const struct sink_opts sink_opts_default = {.time = SINK_TIME_CLOCK_US, .durations = true};

struct sink *sink_text_new(FILE *out, const struct sink_opts *opts)
{
	struct sink *s = xcalloc(1, sizeof(*s));
	s->ops = &text_ops;
	s->out = out;
	s->opts = opts ? *opts : sink_opts_default;
	return s;
}
