#include "decode.h"

#include <string.h>

#include "dw_loc.h"

/* The evaluator's view of a value_source (dw_loc.h). */
static int env_reg(void *arg, unsigned regno, uint64_t *val)
{
	const struct value_source *src = arg;

	*val = 0;
	return src->read_reg(src->ctx, regno, val, sizeof(*val));
}

static int env_mem(void *arg, uint64_t addr, void *buf, size_t size)
{
	const struct value_source *src = arg;

	return src->read_mem(src->ctx, addr, buf, size) == (ssize_t)size ? 0 : -1;
}

static int env_reg_bytes(void *arg, unsigned regno, void *buf, size_t size)
{
	const struct value_source *src = arg;

	return src->read_reg(src->ctx, regno, buf, size);
}

/* DW_OP_entry_value away from the entry: through the caller's call site,
 * with the return address and the caller's saved registers from the
 * record (capture_expr.c captured them). */
static int decode_entry_value(void *arg, const struct dw_loc_expr *e, const Dwarf_Op *ops, size_t n, uint64_t *val)
{
	struct dw_loc_env env = {arg, env_reg, env_mem, NULL};

	return dw_loc_entry_value(e, &env, ops, n, val);
}

/* A FETCH_EXPR piece: the expression evaluated over what the hit captured. */
static int fetch_expr(const struct fetch_piece *p, const struct value_source *src, uint8_t *dst, const char **why)
{
	const struct dw_loc_expr *e = p->data;
	struct dw_loc_env env = {(void *)src, env_reg, env_mem, decode_entry_value};
	struct dw_loc_result r;

	if (!e) {
		*why = "optimized out";
		return -1;
	}
	if (dw_loc_eval(e, &env, &r, why) != 0)
		return -1;
	return dw_loc_read(&r, p->size, &env, env_reg_bytes, dst, why);
}

int decode_fetch_why(const struct fetch_plan *plan, const struct value_source *src, uint8_t *buf, const char **why)
{
	*why = NULL;
	if (!plan->available) {
		*why = plan->why ? plan->why : "optimized out";
		return -1;
	}
	memset(buf, 0, plan->size);
	for (unsigned i = 0; i < plan->npieces; i++) {
		const struct fetch_piece *p = &plan->pieces[i];

		*why = "unreadable";
		if (p->dest + p->size > plan->size)
			return -1;
		switch (p->kind) {
		case FETCH_REG:
			if (src->read_reg(src->ctx, p->regno, buf + p->dest, p->size) != 0) {
				*why = "not captured";
				return -1;
			}
			break;
		case FETCH_CONST:
			if (!p->data)
				return -1;
			memcpy(buf + p->dest, p->data, p->size);
			break;
		case FETCH_ABS:
			if (src->read_mem(src->ctx, (uint64_t)p->offset, buf + p->dest, p->size) != (ssize_t)p->size)
				return -1;
			break;
		case FETCH_OPTIMIZED_OUT:
			*why = "optimized out";
			return -1;
		case FETCH_EXPR:
			if (fetch_expr(p, src, buf + p->dest, why) != 0) {
				if (!*why)
					*why = "unreadable";
				return -1;
			}
			break;
		case FETCH_MEM:
		case FETCH_MEM_INDIRECT: {
			uint64_t base, addr;
			if (src->read_reg(src->ctx, p->regno, &base, sizeof(base)) != 0)
				return -1;
			addr = base + (uint64_t)p->offset;
			if (p->kind == FETCH_MEM_INDIRECT &&
			    src->read_mem(src->ctx, base + (uint64_t)p->offset, &addr, sizeof(addr)) != (ssize_t)sizeof(addr))
				return -1;
			if (src->read_mem(src->ctx, addr, buf + p->dest, p->size) != (ssize_t)p->size)
				return -1;
			break;
		}
		default:
			return -1;
		}
	}
	*why = NULL;
	return 0;
}

int decode_fetch(const struct fetch_plan *plan, const struct value_source *src, uint8_t *buf)
{
	const char *why;

	return decode_fetch_why(plan, src, buf, &why);
}

static uint64_t load_uint(const uint8_t *bytes, size_t size)
{
	uint64_t v = 0;
	memcpy(&v, bytes, size > 8 ? 8 : size);
	return v;
}

uint64_t value_as_u64(const struct value *v)
{
	return load_uint(v->bytes, v->size);
}

int64_t value_as_s64(const struct value *v)
{
	uint64_t u = load_uint(v->bytes, v->size);
	if (v->size && v->size < 8) {
		unsigned shift = (unsigned)(64 - 8 * v->size);
		return (int64_t)(u << shift) >> shift;
	}
	return (int64_t)u;
}

long double value_as_float(const struct value *v)
{
	if (v->size == 4) {
		float f;
		memcpy(&f, v->bytes, 4);
		return f;
	}
	if (v->size == 8) {
		double d;
		memcpy(&d, v->bytes, 8);
		return d;
	}
	const struct dw_type *t = dw_type_strip(v->type);
	if (t && t->float_format == DW_FLOAT_BINARY128 && v->size == 16) {
		/* Rounded to the x87 format (64-bit mantissa, same exponent range):
		 * exact digits come from format_float128(). */
		__float128 q;
		memcpy(&q, v->bytes, 16);
		return (long double)q;
	}
	/* The target's long double is dwtrace's own (same architecture):
	 * x87 extended precision in 16 bytes on x86-64 (the last 6 are
	 * padding, ignored), binary128 on aarch64. */
	long double ld = 0;
	memcpy(&ld, v->bytes, v->size < sizeof(ld) ? v->size : sizeof(ld));
	return ld;
}

const char *value_enumerator(const struct value *v)
{
	const struct dw_type *t = dw_type_strip(v->type);
	int64_t x = t->enum_signed ? value_as_s64(v) : (int64_t)value_as_u64(v);

	for (size_t i = 0; i < t->nenumerators; i++)
		if (t->enumerators[i].value == x)
			return t->enumerators[i].name;
	return NULL;
}

/* Reads a NUL-terminated string of at most limit bytes, one page at a time so
 * that a string ending just before an unmapped page is still read. */
static void read_string(uint64_t addr, const struct value_source *src, const struct decode_opts *opts,
			struct arena *arena, struct value *out)
{
	size_t limit = opts->string_limit;
	char *buf = arena_alloc(arena, limit + 2);
	size_t len = 0;

	while (len <= limit) {
		uint64_t a = addr + len;
		size_t chunk = 4096 - (size_t)(a & 4095);
		ssize_t n;
		char *nul;

		if (chunk > limit + 1 - len)
			chunk = limit + 1 - len;
		n = src->read_mem(src->ctx, a, buf + len, chunk);
		if (n <= 0) {
			if (len == 0)
				return; /* unreadable: has_string stays false */
			break;
		}
		nul = memchr(buf + len, '\0', (size_t)n);
		if (nul) {
			len = (size_t)(nul - buf);
			out->has_string = true;
			out->str = buf;
			out->str_len = len;
			return;
		}
		len += (size_t)n;
		if ((size_t)n < chunk)
			break;
	}
	out->has_string = true;
	out->str = buf;
	out->str_len = len > limit ? limit : len;
	out->str_truncated = true;
	buf[out->str_len] = '\0';
}

static void extract_bits(const uint8_t *bytes, size_t agg_size, const struct dw_member *mb, uint8_t *dst)
{
	uint64_t v = 0;
	size_t byte = mb->bit_offset / 8;
	unsigned shift = mb->bit_offset % 8;
	unsigned __int128 window = 0;
	size_t n = agg_size - byte < 16 ? agg_size - byte : 16;
	const struct dw_type *t = dw_type_strip(mb->type);

	memcpy(&window, bytes + byte, n);
	v = (uint64_t)(window >> shift);
	if (mb->bit_size < 64)
		v &= (UINT64_C(1) << mb->bit_size) - 1;
	if (t && (t->kind == DW_KIND_SINT || (t->kind == DW_KIND_ENUM && t->enum_signed)) && mb->bit_size < 64 &&
	    (v >> (mb->bit_size - 1)) & 1)
		v |= ~UINT64_C(0) << mb->bit_size;
	memcpy(dst, &v, 8);
}

/* Largest object read through a C++ reference. */
#define REFERENT_MAX 65536

/* A T& or T&&: the address, and the object there as the one child. */
static void decode_reference(const struct dw_type *s, const struct value_source *src,
			     const struct decode_opts *opts, struct arena *arena, struct value *out)
{
	uint64_t addr = value_as_u64(out);
	size_t size = dw_type_size(s->target);
	struct decode_opts inner = *opts;
	uint8_t *buf;

	if (!addr || !size || size > REFERENT_MAX || opts->no_deref)
		return;
	buf = arena_alloc(arena, size);
	if (src->read_mem(src->ctx, addr, buf, size) != (ssize_t)size)
		return;
	/* One level: a reference inside the referent shows its address. */
	inner.no_deref = true;
	out->children = arena_alloc(arena, sizeof(*out->children));
	out->nchildren = 1;
	decode_value(s->target, buf, src, &inner, arena, out->children);
}

/* std::string, std::string_view: the characters at the data pointer, as
 * many as the length member says, up to the string limit. */
static void decode_cxx_string(const struct dw_type *s, const struct value_source *src,
			      const struct decode_opts *opts, struct arena *arena, struct value *out)
{
	uint64_t data, len;
	size_t n;
	char *buf;
	ssize_t got;

	memcpy(&data, out->bytes + s->str_data_off, sizeof(data));
	memcpy(&len, out->bytes + s->str_len_off, sizeof(len));
	n = len > opts->string_limit ? opts->string_limit : (size_t)len;
	if (!data && len)
		return;
	buf = arena_alloc(arena, n + 1);
	got = n ? src->read_mem(src->ctx, data, buf, n) : 0;
	if (got != (ssize_t)n)
		return; /* unreadable: shown as the object's members */
	buf[n] = '\0';
	out->has_string = true;
	out->str = buf;
	out->str_len = n;
	out->str_truncated = len > n;
}

/* A complex value has two children, its real and imaginary parts. */
static void decode_complex(const struct dw_type *s, const uint8_t *bytes, const struct value_source *src,
			   const struct decode_opts *opts, struct arena *arena, struct value *out)
{
	size_t part = dw_type_size(s->target);

	if (!part || 2 * part > out->size) {
		out->available = false;
		return;
	}
	out->children = arena_alloc(arena, 2 * sizeof(*out->children));
	out->nchildren = 2;
	decode_value(s->target, bytes, src, opts, arena, &out->children[0]);
	decode_value(s->target, bytes + part, src, opts, arena, &out->children[1]);
}

void decode_value(const struct dw_type *t, const uint8_t *bytes, const struct value_source *src,
		  const struct decode_opts *opts, struct arena *arena, struct value *out)
{
	const struct dw_type *s = dw_type_strip(t);

	memset(out, 0, sizeof(*out));
	out->type = t;
	out->size = dw_type_size(t);
	out->bytes = bytes;
	out->available = bytes != NULL && s != NULL && s->kind != DW_KIND_UNKNOWN && !s->undecoded;
	if (!out->available) {
		if (bytes && s && s->undecoded)
			out->why = s->undecoded;
		return;
	}

	switch (s->kind) {
	case DW_KIND_POINTER:
		if (s->reference) {
			decode_reference(s, src, opts, arena, out);
		} else if (dw_type_is_string(t)) {
			uint64_t p = value_as_u64(out);
			if (p)
				read_string(p, src, opts, arena, out);
		}
		break;
	case DW_KIND_ARRAY:
		if (dw_type_is_char_array(t)) {
			const char *c = (const char *)bytes;
			size_t n = strnlen(c, out->size);
			out->has_string = true;
			out->str_len = n > opts->string_limit ? opts->string_limit : n;
			out->str_truncated = n > opts->string_limit;
			out->str = c;
		} else {
			size_t esize = dw_type_size(s->target);
			size_t n = esize ? s->count : 0;
			if (n > opts->array_limit) {
				n = opts->array_limit;
				out->children_truncated = true;
			}
			out->children = arena_alloc(arena, n * sizeof(*out->children));
			out->nchildren = n;
			for (size_t i = 0; i < n; i++)
				decode_value(s->target, bytes + i * esize, src, opts, arena, &out->children[i]);
		}
		break;
	case DW_KIND_STRUCT:
	case DW_KIND_UNION:
		out->children = arena_alloc(arena, s->nmembers * sizeof(*out->children));
		out->nchildren = s->nmembers;
		for (size_t i = 0; i < s->nmembers; i++) {
			const struct dw_member *mb = &s->members[i];
			const uint8_t *mbytes = NULL;
			if (mb->bit_size) {
				uint8_t *bits = arena_alloc(arena, 8);
				extract_bits(bytes, out->size, mb, bits);
				mbytes = bits;
			} else if (mb->offset + dw_type_size(mb->type) <= out->size) {
				mbytes = bytes + mb->offset;
			}
			decode_value(mb->type, mbytes, src, opts, arena, &out->children[i]);
			if (mb->bit_size && out->children[i].size > 8)
				out->children[i].size = 8;
		}
		if (s->cxx_string && out->size >= s->str_data_off + 8 && out->size >= s->str_len_off + 8)
			decode_cxx_string(s, src, opts, arena, out);
		break;
	case DW_KIND_COMPLEX:
		decode_complex(s, bytes, src, opts, arena, out);
		break;
	default:
		break;
	}
}

static struct value *decode_field(const struct layout_field *f, const struct value_source *src,
				  const struct decode_opts *opts, struct arena *arena, struct value *out)
{
	uint8_t *buf = arena_alloc(arena, f->plan.size ? f->plan.size : 1);
	const char *why = NULL;

	if (decode_fetch_why(&f->plan, src, buf, &why) != 0)
		buf = NULL;
	decode_value(f->type, buf, src, opts, arena, out);
	if (!out->available && !out->why)
		out->why = buf ? "unreadable" : (why ? why : "unreadable");
	return out;
}

struct value *decode_entry(const struct event_layout *l, const struct value_source *src,
			   const struct decode_opts *opts, struct arena *arena)
{
	size_t nlocals = l->kind == LAYOUT_POINT ? l->nlocals : 0;
	struct value *vals = arena_alloc(arena, (l->nfields + nlocals) * sizeof(*vals));

	for (size_t i = 0; i < l->nfields; i++)
		decode_field(&l->fields[i], src, opts, arena, &vals[i]);
	for (size_t i = 0; i < nlocals; i++)
		decode_field(&l->locals[i], src, opts, arena, &vals[l->nfields + i]);
	return vals;
}

struct value *decode_return(const struct event_layout *l, const struct value_source *src,
			    const struct decode_opts *opts, struct arena *arena)
{
	if (!l->has_ret)
		return NULL;
	return decode_field(&l->ret, src, opts, arena, arena_alloc(arena, sizeof(struct value)));
}
