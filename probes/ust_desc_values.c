/* Field scalars of an event of a description blob from decoded values:
 * what dwtrace's own LTTng sink (the ptrace engine) writes, as
 * sink_lttng.c's write_event() wrote it from a layout's values. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "sink.h"
#include "ust_desc.h"

size_t ust_format_stack(const struct stack_trace *st, char *buf, size_t size)
{
	size_t len = 0;

	if (!size)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; st && i < st->n && len < size - 1; i++) {
		const struct stack_frame *f = &st->frames[i];
		int k = snprintf(buf + len, size - len, "%s%s+0x%llx (%s)", i ? "; " : "",
				 f->function ? f->function : "??", (unsigned long long)f->offset,
				 f->module ? f->module : "??");
		if (k > 0)
			len += (size_t)k;
		if (f->file && len < size - 1) {
			k = snprintf(buf + len, size - len, " %s:%d", f->file, f->line);
			if (k > 0)
				len += (size_t)k;
		}
	}
	if (len >= size)
		len = size - 1;
	buf[len] = '\0';
	return len;
}

/* The fields of ev in blob, or NULL when they run past it. */
static const struct dwt_ust_field *fields_of(const void *blob, size_t size, const struct dwt_ust_event_desc *ev)
{
	if (ev->fields > size || ev->fields % 8 || ev->nfields > (size - ev->fields) / sizeof(struct dwt_ust_field))
		return NULL;
	return (const struct dwt_ust_field *)((const char *)blob + ev->fields);
}

/* The value at path in values (n of them), or NULL when it was not decoded. */
static const struct value *value_at(const struct value *values, size_t n, const struct ust_field_path *path)
{
	const struct value *v;

	if (!values || path->depth < 1 || path->depth > UST_DESC_MAX_DEPTH || path->index[0] < 0 ||
	    (size_t)path->index[0] >= n)
		return NULL;
	v = &values[path->index[0]];
	for (uint32_t d = 1; d < path->depth && v; d++)
		v = v->available && path->index[d] >= 0 && (size_t)path->index[d] < v->nchildren
			    ? &v->children[path->index[d]]
			    : NULL;
	return v && v->available ? v : NULL;
}

/* Room for n bytes in the caller's buffer, or NULL. */
static char *take(char **buf, size_t *left, size_t n)
{
	char *p = *buf;

	if (n > *left)
		return NULL;
	*buf += n;
	*left -= n;
	return p;
}

static void from_value(const struct dwt_ust_field *f, const struct value *v, struct ust_scalar *out, char **buf,
		       size_t *left)
{
	switch (f->type) {
	case DWT_UST_INT:
	case DWT_UST_ENUM:
		out->u = f->is_signed ? (uint64_t)value_as_s64(v) : value_as_u64(v);
		out->available = 1;
		break;
	case DWT_UST_FLOAT:
		out->d = (double)value_as_float(v);
		out->available = 1;
		break;
	case DWT_UST_STRING:
		/* char *: NULL or unreadable; std::string: unreadable */
		if (!v->has_string)
			break;
		out->str = v->str;
		out->len = v->str_len > UINT32_MAX ? UINT32_MAX : (uint32_t)v->str_len;
		out->available = 1;
		break;
	case DWT_UST_CHARS:
		out->str = (const char *)v->bytes;
		out->len = v->size < f->length ? (uint32_t)v->size : f->length;
		out->available = 1;
		break;
	case DWT_UST_DEC128: {
		char *digits;

		if (v->size != 16 || !(digits = take(buf, left, 48)))
			break;
		format_int128(digits, 48, v->bytes, f->is_signed);
		out->str = digits;
		out->len = (uint32_t)strlen(digits);
		out->available = 1;
		break;
	}
	}
}

void ust_scalars_from_values(const void *blob, size_t size, const struct dwt_ust_event_desc *ev,
			     const struct ust_field_path *paths, const struct value *values,
			     const struct event_header *h, uint64_t duration_ns, struct ust_scalar *out, char *buf,
			     size_t buf_size)
{
	const struct dwt_ust_field *fields = fields_of(blob, size, ev);
	size_t left = buf_size;

	for (uint32_t i = 0; i < ev->nfields; i++) {
		const struct dwt_ust_field *f = fields ? &fields[i] : NULL;
		struct ust_scalar *o = &out[i];

		memset(o, 0, sizeof(*o));
		if (!f)
			continue;
		switch (f->from) {
		case DWT_UST_FROM_IMAGE: {
			/* exit events: values is the one return value */
			const struct value *v = paths ? value_at(values, ev->nimages, &paths[i]) : NULL;
			if (v)
				from_value(f, v, o, &buf, &left);
			break;
		}
		case DWT_UST_FROM_PID:
		case DWT_UST_FROM_TID:
			if (!h)
				break;
			o->u = (uint64_t)(int64_t)(f->from == DWT_UST_FROM_PID ? h->pid : h->tid);
			o->available = 1;
			break;
		case DWT_UST_FROM_DURATION:
			o->u = duration_ns;
			o->available = 1;
			break;
		case DWT_UST_FROM_STACK: {
			size_t n = left < 4096 ? left : 4096;

			if (!n)
				break;
			o->len = (uint32_t)ust_format_stack(h ? h->stack : NULL, buf, n);
			o->str = take(&buf, &left, o->len + 1);
			o->available = 1;
			break;
		}
		}
	}
}
