/* JSON Lines sink: one object per event, schema in dwtrace(1).
 *   {"type":"entry","ts_ns":…,"pid":…,"tid":…,"call":7,"depth":0,"function":"f","module":"m","args":{…}}
 *   {"type":"exit","ts_ns":…,"pid":…,"tid":…,"call":7,"depth":0,"function":"f","module":"m","retval":…,
 *    "duration_ns":…}
 *   {"type":"exit",…,"function":"f","module":"m","tail_call":"g","duration_ns":…}
 * An IFUNC's events add "impl":"__strlen_avx2" after "module", a compiler
 * clone's "clone":"isra".  A point inside a function (LAYOUT_POINT):
 *   {"type":"probe",…,"module":"m","offset":7,"file":"/src/mylib.c","line":9,
 *    "args":{…},"locals":{"sum":3,"i":2,"i@1":5}}
 * An inlined copy's entry (LAYOUT_INLINED) adds, before "args",
 *   "inlined":{"into":"main","offset":28,"file":"/src/app.c","line":12}
 * A value that is not available is {"unavailable":"optimized out"} (or
 * "unreadable"...), never null: null stays a char * that is NULL or whose
 * text cannot be read, and a reference's unreadable value.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"
#include "sink_summary.h"
#include "xalloc.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Bytes that are not valid UTF-8 come out as \u00XX (their Latin-1 reading). */
static void put_json_chars(FILE *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t n;

		if (c == '"' || c == '\\') {
			putc('\\', out);
			putc(c, out);
			i++;
		} else if (c == '\n') {
			fputs("\\n", out);
			i++;
		} else if (c == '\t') {
			fputs("\\t", out);
			i++;
		} else if (c == '\r') {
			fputs("\\r", out);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
			i++;
		} else if ((n = utf8_len(s + i, len - i)) != 0) {
			fwrite(s + i, 1, n, out);
			i += n;
		} else {
			fprintf(out, "\\u%04x", c);
			i++;
		}
	}
}

static void put_json_string(FILE *out, const char *s)
{
	putc('"', out);
	put_json_chars(out, s, strlen(s));
	putc('"', out);
}

static void put_float(FILE *out, long double v, size_t size)
{
	if (isnan(v)) {
		fputs("\"nan\"", out);
	} else if (isinf(v)) {
		fputs(v < 0 ? "\"-inf\"" : "\"inf\"", out);
	} else if (size > 8) {
		fprintf(out, "%.21Lg", v);
	} else {
		fprintf(out, "%.17g", (double)v);
	}
}

/* _Float128: every digit it needs (JSON numbers have no precision limit);
 * nan and the infinities as strings, like the other floats. */
static void put_float128(FILE *out, const uint8_t *bytes)
{
	char buf[64];

	format_float128(buf, sizeof(buf), bytes);
	if (strstr(buf, "nan"))
		fputs("\"nan\"", out);
	else if (strstr(buf, "inf"))
		fprintf(out, "\"%s\"", buf);
	else
		fputs(buf, out);
}

/* An integer's decimal digits: as a JSON number, or with --json-int-strings
 * as a string when its magnitude is beyond 2^53 (where an IEEE double, jq
 * 1.6's and JavaScript's numbers, no longer holds every integer). */
static void put_integer(FILE *out, const char *digits, bool int_strings)
{
	const char *mag = digits[0] == '-' ? digits + 1 : digits;
	size_t n = strlen(mag);

	if (int_strings && (n > 16 || (n == 16 && strcmp(mag, "9007199254740992") > 0)))
		fprintf(out, "\"%s\"", digits);
	else
		fputs(digits, out);
}

static void put_value(FILE *out, const struct value *v, bool int_strings)
{
	char buf[48];
	const struct dw_type *t = dw_type_strip(v->type);

	if (!v->available) {
		fputs("{\"unavailable\":", out);
		put_json_string(out, v->why ? v->why : "unreadable");
		putc('}', out);
		return;
	}
	switch (t->kind) {
	case DW_KIND_SINT:
	case DW_KIND_UINT:
		/* Exact digits: JSON numbers have no size limit. */
		if (value_is_int128(v))
			format_int128(buf, sizeof(buf), v->bytes, t->kind == DW_KIND_SINT);
		else if (t->kind == DW_KIND_SINT)
			snprintf(buf, sizeof(buf), "%" PRId64, value_as_s64(v));
		else
			snprintf(buf, sizeof(buf), "%" PRIu64, value_as_u64(v));
		put_integer(out, buf, int_strings);
		break;
	case DW_KIND_BOOL:
		fputs(value_as_u64(v) ? "true" : "false", out);
		break;
	case DW_KIND_FLOAT:
		if (value_is_float128(v))
			put_float128(out, v->bytes);
		else
			put_float(out, value_as_float(v), v->size);
		break;
	case DW_KIND_COMPLEX:
		if (v->nchildren != 2) {
			fputs("null", out);
			break;
		}
		fputs("{\"real\":", out);
		put_value(out, &v->children[0], int_strings);
		fputs(",\"imag\":", out);
		put_value(out, &v->children[1], int_strings);
		putc('}', out);
		break;
	case DW_KIND_ENUM: {
		const char *name = value_enumerator(v);
		if (name) {
			put_json_string(out, name);
			break;
		}
		if (t->enum_signed)
			snprintf(buf, sizeof(buf), "%" PRId64, value_as_s64(v));
		else
			snprintf(buf, sizeof(buf), "%" PRIu64, value_as_u64(v));
		put_integer(out, buf, int_strings);
		break;
	}
	case DW_KIND_POINTER:
		if (t->reference) {
			/* {"ref":"0x…","value":…}; value null when unreadable */
			fprintf(out, "{\"ref\":\"0x%" PRIx64 "\",\"value\":", value_as_u64(v));
			if (v->nchildren)
				put_value(out, &v->children[0], int_strings);
			else
				fputs("null", out);
			putc('}', out);
			break;
		}
		if (dw_type_is_string(v->type)) {
			if (!v->has_string) {
				fputs("null", out);
				break;
			}
		} else {
			fprintf(out, "\"0x%" PRIx64 "\"", value_as_u64(v));
			break;
		}
		/* a string */
		__attribute__((fallthrough));
	case DW_KIND_ARRAY:
		if (v->has_string) {
			putc('"', out);
			put_json_chars(out, v->str, v->str_len);
			fputs(v->str_truncated ? "...\"" : "\"", out);
			break;
		}
		putc('[', out);
		for (size_t i = 0; i < v->nchildren; i++) {
			if (i)
				putc(',', out);
			put_value(out, &v->children[i], int_strings);
		}
		putc(']', out);
		break;
	case DW_KIND_STRUCT:
	case DW_KIND_UNION:
		if (v->has_string) { /* std::string, std::string_view */
			putc('"', out);
			put_json_chars(out, v->str, v->str_len);
			fputs(v->str_truncated ? "...\"" : "\"", out);
			break;
		}
		putc('{', out);
		for (size_t i = 0; i < v->nchildren; i++) {
			const char *name = t->members[i].name;
			if (i)
				putc(',', out);
			if (*name)
				put_json_string(out, name);
			else
				fprintf(out, "\"_anon%zu\"", i);
			putc(':', out);
			put_value(out, &v->children[i], int_strings);
		}
		putc('}', out);
		break;
	default:
		fputs("null", out);
		break;
	}
}

static void put_opt_string(FILE *out, const char *s)
{
	if (s)
		put_json_string(out, s);
	else
		fputs("null", out);
}

/* The line (null when unknown) after a file: "file":"…","line":N */
static void put_position(FILE *out, const char *file, int line)
{
	fputs(",\"file\":", out);
	put_opt_string(out, file);
	if (line)
		fprintf(out, ",\"line\":%d", line);
	else
		fputs(",\"line\":null", out);
}

static void put_header(FILE *out, const char *type, const struct event_layout *l, const struct event_header *h)
{
	fprintf(out, "{\"type\":\"%s\",\"ts_ns\":%" PRIu64 ",\"pid\":%d,\"tid\":%d,", type, h->ts_ns, (int)h->pid,
		(int)h->tid);
	/* The call (null: an exit whose entry came before tracing began) and
	 * its nesting: what links an exit to its entry. */
	if (h->call_id)
		fprintf(out, "\"call\":%" PRIu64, h->call_id);
	else
		fputs("\"call\":null", out);
	fprintf(out, ",\"depth\":%" PRIu32 ",\"function\":", h->depth);
	put_json_string(out, l->function);
	if (l->fn && l->fn->linkage_name) {
		fputs(",\"linkage_name\":", out);
		put_json_string(out, l->fn->linkage_name);
	}
	fputs(",\"module\":", out);
	put_json_string(out, l->module);
	if (l->fn && l->fn->impl) {
		fputs(",\"impl\":", out);
		put_json_string(out, l->fn->impl);
	}
	if (l->clone_kind) {
		fputs(",\"clone\":", out);
		put_json_string(out, l->clone_kind);
	}
	if (l->kind == LAYOUT_POINT) {
		fprintf(out, ",\"offset\":%" PRIu64, l->offset);
		put_position(out, l->file, l->line);
	} else if (l->kind == LAYOUT_INLINED) {
		/* The call site: where the copy was inlined, its offset in
		 * that function. */
		fputs(",\"inlined\":{\"into\":", out);
		put_opt_string(out, l->inlined_into);
		fprintf(out, ",\"offset\":%" PRIu64, l->offset);
		put_position(out, l->call_file, l->call_line);
		putc('}', out);
	}
}

/* ,"stack":[{"addr":"0x…","function":"…","offset":N,"module":"…","file":"…","line":N},…]
 * with "inlined":true or "tail_call":true in frames that are so */
static void put_stack(FILE *out, const struct stack_trace *st)
{
	fputs(",\"stack\":[", out);
	for (size_t i = 0; i < st->n; i++) {
		const struct stack_frame *f = &st->frames[i];
		fprintf(out, "%s{\"addr\":\"0x%" PRIx64 "\",\"function\":", i ? "," : "", f->addr);
		put_opt_string(out, f->function);
		fprintf(out, ",\"offset\":%" PRIu64 ",\"module\":", f->offset);
		put_opt_string(out, f->module);
		put_position(out, f->file, f->line);
		if (f->inlined)
			fputs(",\"inlined\":true", out);
		if (f->tail_call)
			fputs(",\"tail_call\":true", out);
		putc('}', out);
	}
	if (st->stopped) {
		fputs(st->n ? ",{\"truncated\":" : "{\"truncated\":", out);
		put_json_string(out, st->stopped);
		putc('}', out);
	}
	putc(']', out);
}

/* Entry events, and a LAYOUT_POINT's one event per hit ("probe": values
 * has l->nfields + l->nlocals, the locals innermost block first). */
static void json_entry(struct sink *s, const struct event_layout *l, const struct event_header *h,
		       const struct value *args)
{
	put_header(s->out, l->kind == LAYOUT_POINT ? "probe" : "entry", l, h);
	fputs(",\"args\":{", s->out);
	for (size_t i = 0; i < l->nfields; i++) {
		if (i)
			putc(',', s->out);
		put_json_string(s->out, l->fields[i].name);
		putc(':', s->out);
		put_value(s->out, &args[i], s->opts.json_int_strings);
	}
	putc('}', s->out);
	if (l->kind == LAYOUT_POINT) {
		fputs(",\"locals\":{", s->out);
		for (size_t i = 0; i < l->nlocals; i++) {
			unsigned shadow = layout_local_shadow(l, i);

			if (i)
				putc(',', s->out);
			putc('"', s->out);
			put_json_chars(s->out, l->locals[i].name, strlen(l->locals[i].name));
			if (shadow)
				fprintf(s->out, "@%u", shadow);
			fputs("\":", s->out);
			put_value(s->out, &args[l->nfields + i], s->opts.json_int_strings);
		}
		putc('}', s->out);
	}
	if (h->stack)
		put_stack(s->out, h->stack);
	fputs("}\n", s->out);
}

static void json_exit(struct sink *s, const struct event_layout *l, const struct event_header *h,
		      const struct value *ret, uint64_t duration_ns)
{
	put_header(s->out, "exit", l, h);
	if (h->tail_call) {
		fputs(",\"tail_call\":", s->out);
		put_json_string(s->out, h->tail_call);
	} else if (ret) {
		fputs(",\"retval\":", s->out);
		put_value(s->out, ret, s->opts.json_int_strings);
	}
	fprintf(s->out, ",\"duration_ns\":%" PRIu64 "}\n", duration_ns);
}

static int json_flush(struct sink *s)
{
	/* A write that failed earlier left only the error flag: EIO then. */
	if (fflush(s->out) != 0)
		return errno ? -errno : -EIO;
	return ferror(s->out) ? -EIO : 0;
}

static void json_destroy(struct sink *s)
{
	free(s);
}

static const struct sink_ops json_ops = {
	.entry = json_entry,
	.exit = json_exit,
	.flush = json_flush,
	.destroy = json_destroy,
	.summary = sink_summary_json,
};

struct sink *sink_json_new(FILE *out, const struct sink_opts *opts)
{
	struct sink *s = xcalloc(1, sizeof(*s));
	s->ops = &json_ops;
	s->out = out;
	s->opts = opts ? *opts : sink_opts_default;
	return s;
}
