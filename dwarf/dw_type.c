/* Queries on the type model and its C spelling. */
#include "dw_type.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

const struct dw_type *dw_type_strip(const struct dw_type *t)
{
	while (t && (t->kind == DW_KIND_TYPEDEF || t->kind == DW_KIND_QUALIFIER))
		t = t->target;
	return t;
}

static bool is_char_type(const struct dw_type *t)
{
	t = dw_type_strip(t);
	return t && t->is_char && t->size == 1;
}

bool dw_type_is_string(const struct dw_type *t)
{
	t = dw_type_strip(t);
	/* A char & is one character, not a string. */
	return t && t->kind == DW_KIND_POINTER && !t->reference && is_char_type(t->target);
}

bool dw_kind_is_integer(enum dw_kind kind)
{
	switch (kind) {
	case DW_KIND_SINT:
	case DW_KIND_UINT:
	case DW_KIND_BOOL:
	case DW_KIND_POINTER:
	case DW_KIND_ENUM:
		return true;
	default:
		return false;
	}
}

bool dw_type_by_reference(const struct dw_type *t)
{
	t = dw_type_strip(t);
	return t && (t->kind == DW_KIND_STRUCT || t->kind == DW_KIND_UNION) && t->by_reference;
}

bool dw_type_is_char_array(const struct dw_type *t)
{
	t = dw_type_strip(t);
	/* A vector of chars (vector_size, __m128i as char) is numbers, as gdb shows it. */
	return t && t->kind == DW_KIND_ARRAY && !t->is_vector && is_char_type(t->target);
}

bool dw_type_is_function_pointer(const struct dw_type *t)
{
	t = dw_type_strip(t);
	if (!t || t->kind != DW_KIND_POINTER)
		return false;
	t = dw_type_strip(t->target);
	return t && t->kind == DW_KIND_FUNCTION;
}

size_t dw_type_size(const struct dw_type *t)
{
	if (!t)
		return 0;
	/* Typedefs and qualifiers carry the size of what they name. */
	if (t->size)
		return t->size;
	t = dw_type_strip(t);
	return t ? t->size : 0;
}

static const char *tag_word(enum dw_kind kind)
{
	switch (kind) {
	case DW_KIND_STRUCT:
		return "struct ";
	case DW_KIND_UNION:
		return "union ";
	case DW_KIND_ENUM:
		return "enum ";
	default:
		return "";
	}
}

/* Builds the declaration of t around the declarator inner (owned, freed here). */
static char *declare(const struct dw_type *t, char *inner)
{
	char *s;

	if (!t) {
		s = xasprintf("void%s%s", *inner ? " " : "", inner);
		free(inner);
		return s;
	}
	switch (t->kind) {
	case DW_KIND_POINTER: {
		const struct dw_type *target = dw_type_strip(t->target);
		bool wrap = target && (target->kind == DW_KIND_ARRAY || target->kind == DW_KIND_FUNCTION);
		const char *sigil = t->reference == 1 ? "&" : t->reference == 2 ? "&&" : "*";
		s = xasprintf(wrap ? "(%s%s)" : "%s%s", sigil, inner);
		free(inner);
		return declare(t->target, s);
	}
	case DW_KIND_QUALIFIER: {
		const struct dw_type *target = t->target;
		if (target && target->kind == DW_KIND_POINTER) {
			s = xasprintf("%s%s%s", t->name, *inner ? " " : "", inner);
			free(inner);
			return declare(target, s);
		}
		s = declare(target, inner);
		char *q = xasprintf("%s %s", t->name, s);
		free(s);
		return q;
	}
	case DW_KIND_ARRAY:
		if (t->count)
			s = xasprintf("%s[%zu]", inner, t->count);
		else
			s = xasprintf("%s[]", inner);
		free(inner);
		return declare(t->target, s);
	case DW_KIND_FUNCTION: {
		size_t cap = 64, len = 0;
		char *params = xmalloc(cap);
		params[0] = '\0';
		for (size_t i = 0; i < t->nparams + (t->variadic ? 1 : 0); i++) {
			char *p = i < t->nparams ? declare(t->params[i], xstrdup("")) : xstrdup("...");
			size_t plen = strlen(p);
			xgrow(&params, &cap, len + plen + 3, 1);
			len += (size_t)sprintf(params + len, "%s%s", i ? ", " : "", p);
			free(p);
		}
		if (!t->nparams && !t->variadic) {
			free(params);
			params = xstrdup("void");
		}
		s = xasprintf("%s(%s)", inner, params);
		free(params);
		free(inner);
		return declare(t->target, s);
	}
	default:
		s = xasprintf("%s%s%s%s", tag_word(t->kind), t->name ? t->name : "<anonymous>",
			      *inner ? " " : "", inner);
		free(inner);
		return s;
	}
}

size_t dw_type_declare(const struct dw_type *t, const char *name, char *buf, size_t size)
{
	char *s = declare(t, xstrdup(name ? name : ""));
	size_t len = strlen(s);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(buf, s, n);
		buf[n] = '\0';
	}
	free(s);
	return len;
}
