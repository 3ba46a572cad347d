/* The text sink's values (sink_text_value.h): gdb's notation, with a value
 * that is not available shown as why in angle brackets (<optimized out>,
 * <unreadable>), and --color's SGR codes around each scalar. */
#include <inttypes.h>

#include "sink_text_value.h"

void text_color(struct sink *s, const char *sgr)
{
	if (s->opts.color)
		fputs(sgr ? sgr : SGR_RESET, s->out);
}

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

static void put_string(struct sink *s, const struct value *v)
{
	text_color(s, SGR_STRING);
	putc('"', s->out);
	put_escaped(s->out, v->str, v->str_len);
	putc('"', s->out);
	if (v->str_truncated)
		fputs("...", s->out);
	text_color(s, NULL);
}

/* 65 'A': the number, then the character it is. */
static void put_char(struct sink *s, int64_t c)
{
	FILE *out = s->out;

	text_color(s, SGR_NUMBER);
	fprintf(out, "%" PRId64, c);
	text_color(s, NULL);
	if (c >= 0 && c < 256) {
		char ch = (char)c;
		putc(' ', out);
		text_color(s, SGR_STRING);
		putc('\'', out);
		if (ch == '\'')
			fputs("\\'", out);
		else if (ch == '"')
			putc('"', out);
		else
			put_escaped(out, &ch, 1);
		putc('\'', out);
		text_color(s, NULL);
	}
}

/* A scalar's text in the number color. */
static void put_number(struct sink *s, const char *text)
{
	text_color(s, SGR_NUMBER);
	fputs(text, s->out);
	text_color(s, NULL);
}

void text_put_value(struct sink *s, const struct value *v)
{
	FILE *out = s->out;
	const struct dw_type *t = dw_type_strip(v->type);
	char buf[64];

	if (!v->available) {
		text_color(s, SGR_UNAVAILABLE);
		fprintf(out, "<%s>", v->why ? v->why : "unreadable");
		text_color(s, NULL);
		return;
	}
	switch (t->kind) {
	case DW_KIND_SINT:
		if (value_is_int128(v))
			format_int128(buf, sizeof(buf), v->bytes, true);
		else if (t->is_char) {
			put_char(s, value_as_s64(v));
			break;
		} else
			snprintf(buf, sizeof(buf), "%" PRId64, value_as_s64(v));
		put_number(s, buf);
		break;
	case DW_KIND_UINT:
		if (value_is_int128(v))
			format_int128(buf, sizeof(buf), v->bytes, false);
		else if (t->is_char) {
			put_char(s, (int64_t)value_as_u64(v));
			break;
		} else
			snprintf(buf, sizeof(buf), "%" PRIu64, value_as_u64(v));
		put_number(s, buf);
		break;
	case DW_KIND_BOOL:
		put_number(s, value_as_u64(v) ? "true" : "false");
		break;
	case DW_KIND_FLOAT:
		if (value_is_float128(v))
			format_float128(buf, sizeof(buf), v->bytes);
		else
			format_float_shortest(buf, sizeof(buf), value_as_float(v), v->size);
		put_number(s, buf);
		break;
	case DW_KIND_COMPLEX: /* 1.5+-2i: real, '+', imaginary, 'i', whatever the signs */
		if (v->nchildren != 2) {
			fputs("?", out);
			break;
		}
		text_put_value(s, &v->children[0]);
		putc('+', out);
		text_put_value(s, &v->children[1]);
		putc('i', out);
		break;
	case DW_KIND_ENUM: {
		const char *name = value_enumerator(v);
		if (name)
			put_number(s, name);
		else if (t->enum_signed)
			snprintf(buf, sizeof(buf), "%" PRId64, value_as_s64(v));
		else
			snprintf(buf, sizeof(buf), "%" PRIu64, value_as_u64(v));
		if (!name)
			put_number(s, buf);
		break;
	}
	case DW_KIND_POINTER: {
		uint64_t p = value_as_u64(v);
		if (!p) {
			put_number(s, "NULL");
		} else if (t->reference) {
			/* &0x7ffc…={x=1, y=2}, or the address alone when unreadable */
			snprintf(buf, sizeof(buf), "&0x%" PRIx64, p);
			put_number(s, buf);
			if (v->nchildren) {
				putc('=', out);
				text_put_value(s, &v->children[0]);
			}
		} else if (v->has_string) {
			put_string(s, v);
		} else {
			snprintf(buf, sizeof(buf), "0x%" PRIx64, p);
			put_number(s, buf);
		}
		break;
	}
	case DW_KIND_ARRAY:
		if (v->has_string) {
			put_string(s, v);
			break;
		}
		putc('[', out);
		for (size_t i = 0; i < v->nchildren; i++) {
			if (i)
				fputs(", ", out);
			text_put_value(s, &v->children[i]);
		}
		if (v->children_truncated)
			fputs(", ...", out);
		putc(']', out);
		break;
	case DW_KIND_STRUCT:
	case DW_KIND_UNION:
		if (v->has_string) { /* std::string, std::string_view */
			put_string(s, v);
			break;
		}
		putc('{', out);
		for (size_t i = 0; i < v->nchildren; i++) {
			const char *name = t->members[i].name;
			if (i)
				fputs(", ", out);
			if (*name)
				fprintf(out, "%s=", name);
			text_put_value(s, &v->children[i]);
		}
		putc('}', out);
		break;
	default:
		fputs("?", out);
		break;
	}
}
