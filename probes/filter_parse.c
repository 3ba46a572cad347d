/* --filter's parser (probes/filter.h): a hand-written recursive descent
 * over LTTng's filter grammar with C's precedence, from lowest:
 * || && | ^ & (== !=) (< <= > >=) (<< >>) unary(! ~ - +). */
#include "filter.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* What filter_free releases: every node and string, in one list. */
struct filter_alloc {
	void **ptrs;
	size_t n, cap;
	struct filter_node **fields;
	size_t nfields, fields_cap;
};

struct parser {
	const char *s;          /* the whole expression */
	size_t pos;             /* next character */
	struct filter_alloc *a;
	char *err;              /* the first error, malloc'd */
	/* The operator an operand is being parsed for (messages), or NULL. */
	const char *after;
	size_t after_at;
	/* Parentheses and unary operators open now: each recurses. */
	unsigned depth;
};

static void *keep(struct parser *p, void *ptr)
{
	xgrow(&p->a->ptrs, &p->a->cap, p->a->n + 1, sizeof(*p->a->ptrs));
	p->a->ptrs[p->a->n++] = ptr;
	return ptr;
}

static struct filter_node *node(struct parser *p, enum filter_node_kind kind, size_t at)
{
	struct filter_node *n = keep(p, xcalloc(1, sizeof(*n)));

	n->kind = kind;
	n->column = at + 1;
	n->height = 1;
	return n;
}

__attribute__((format(printf, 3, 4))) static struct filter_node *fail(struct parser *p, size_t at, const char *fmt,
								      ...)
{
	va_list ap;
	char what[400];

	if (p->err)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	p->err = xasprintf("--filter: %s at column %zu", what, at + 1);
	return NULL;
}

/* Blanks and C comments, as LTTng's lexer skips them. */
static void skip_space(struct parser *p)
{
	for (;;) {
		while (isspace((unsigned char)p->s[p->pos]))
			p->pos++;
		if (p->s[p->pos] != '/' || p->s[p->pos + 1] != '*')
			return;
		const char *end = strstr(p->s + p->pos + 2, "*/");

		if (!end) {
			fail(p, p->pos, "comment not closed");
			p->pos += strlen(p->s + p->pos);
			return;
		}
		p->pos = (size_t)(end + 2 - p->s);
	}
}

/* Whether the next token is op (and not the start of a longer one). */
static bool peek_op(struct parser *p, const char *op)
{
	size_t n = strlen(op);

	skip_space(p);
	if (strncmp(p->s + p->pos, op, n))
		return false;
	/* '&' is not '&&', '<' is not '<=' or '<<', '!' is not '!=' ... */
	if (n == 1 && strchr("&|<>=!", op[0]) && p->s[p->pos + 1] == op[0] && op[0] != '!')
		return false;
	if (n == 1 && strchr("<>!=", op[0]) && p->s[p->pos + 1] == '=')
		return false;
	return true;
}

static bool take_op(struct parser *p, const char *op)
{
	if (!peek_op(p, op))
		return false;
	p->pos += strlen(op);
	return true;
}

static struct filter_node *parse_or(struct parser *p);

static struct filter_node *too_deep(struct parser *p, size_t at)
{
	return fail(p, at, "nested deeper than %d levels", FILTER_MAX_DEPTH);
}

/* n's height from its operands; NULL (an error) when above the limit. */
static struct filter_node *grown(struct parser *p, struct filter_node *n)
{
	unsigned h = n->l->height;

	if (n->r && n->r->height > h)
		h = n->r->height;
	n->height = h + 1;
	if (n->height > FILTER_MAX_DEPTH)
		return too_deep(p, n->column - 1);
	return n;
}
static struct filter_node *parse_level(struct parser *p, size_t level);

/* What the token at the current position is, for messages. */
static const char *token_desc(struct parser *p, char *buf, size_t size)
{
	skip_space(p);
	if (!p->s[p->pos])
		return "the end";
	snprintf(buf, size, "'%.*s'", (int)strcspn(p->s + p->pos, " \t\n()"), p->s + p->pos);
	if (!strcspn(p->s + p->pos, " \t\n()"))
		snprintf(buf, size, "'%c'", p->s[p->pos]);
	return buf;
}

static struct filter_node *parse_number(struct parser *p)
{
	const char *start = p->s + p->pos;
	size_t at = p->pos;
	char *end;
	struct filter_node *n;
	size_t len = strspn(start, "0123456789abcdefABCDEFxX.+-pP");
	bool is_float = false;

	/* A float has a '.' or an exponent (not inside a hex number). */
	for (size_t i = 0; i < len; i++) {
		if (start[i] == '.' || ((start[i] == 'e' || start[i] == 'E') && !(start[1] == 'x' || start[1] == 'X')))
			is_float = true;
	}
	errno = 0;
	if (is_float) {
		n = node(p, FILTER_FLOAT, at);
		n->fval = strtod(start, &end);
	} else {
		unsigned long long v;

		n = node(p, FILTER_INT, at);
		v = strtoull(start, &end, 0);
		if (errno == ERANGE)
			return fail(p, at, "integer '%.*s' does not fit in 64 bits", (int)len, start);
		n->ival = (int64_t)v;
		n->ival_unsigned = v > INT64_MAX;
		/* C's suffixes, which LTTng's lexer takes: u, l, ll, ul, llu... */
		if (end != start) {
			size_t u = *end == 'u' || *end == 'U';
			size_t l = strspn(end + u, "lL") > 2 ? 2 : strspn(end + u, "lL");

			if (!u && l)
				u = end[l] == 'u' || end[l] == 'U';
			end += u + l;
		}
	}
	if (is_float && end != start && (*end == 'f' || *end == 'F'))
		end++;
	if (end == start || isalnum((unsigned char)*end) || *end == '_' || *end == '.')
		return fail(p, at, "bad number '%.*s'", (int)(strcspn(start, " \t\n()&|=!<>")), start);
	p->pos += (size_t)(end - start);
	return n;
}

/* "...": C's escapes; '\*' stays a literal star, an unescaped '*' a glob. */
static struct filter_node *parse_string(struct parser *p)
{
	size_t at = p->pos, i = p->pos + 1;
	size_t cap = strlen(p->s) + 1, n = 0, np = 0;
	char *str = keep(p, xmalloc(cap)), *pat = keep(p, xmalloc(2 * cap));
	struct filter_node *nd = node(p, FILTER_STRING, at);

	for (;; i++) {
		char c = p->s[i];

		if (!c)
			return fail(p, at, "string not closed");
		if (c == '"')
			break;
		if (c == '*') {
			nd->str_glob = true;
			str[n++] = c;
			pat[np++] = c;
			continue;
		}
		if (c != '\\') {
			str[n++] = c;
			pat[np++] = c;
			continue;
		}
		c = p->s[++i];
		switch (c) {
		case '*':
		case '\\':
			pat[np++] = '\\';
			break;
		case 'n': c = '\n'; break;
		case 't': c = '\t'; break;
		case 'r': c = '\r'; break;
		case '"':
		case '\'':
		case '?':
			break;
		default:
			return fail(p, i - 1, "unknown escape '\\%c' in a string", c ? c : ' ');
		}
		str[n++] = c;
		pat[np++] = c;
	}
	str[n] = 0;
	pat[np] = 0;
	nd->str = str;
	nd->str_len = n;
	nd->pattern = pat;
	p->pos = i + 1;
	return nd;
}

/* 'A' or '\n': a character literal is its code, an integer (LTTng's lexer). */
static struct filter_node *parse_char(struct parser *p)
{
	size_t at = p->pos, i = p->pos + 1;
	unsigned char c = (unsigned char)p->s[i];
	struct filter_node *n;

	if (c == '\\') {
		static const char from[] = "ntr0\\'\"?ab", to[] = "\n\t\r\0\\'\"?\a\b";
		const char *k = p->s[i + 1] ? strchr(from, p->s[i + 1]) : NULL;

		if (!k)
			return fail(p, i, "unknown escape '\\%c' in a character", p->s[i + 1] ? p->s[i + 1] : ' ');
		c = (unsigned char)to[k - from];
		i++;
	} else if (!c || c == '\'') {
		return fail(p, at, "empty character literal (strings are written in double quotes)");
	}
	if (p->s[i + 1] != '\'')
		return fail(p, at, "a character literal holds one character (strings are written in double quotes)");
	n = node(p, FILTER_INT, at);
	n->ival = (signed char)c; /* char is signed on x86-64, as in C */
	p->pos = i + 2;
	return n;
}

static bool name_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* NAME { . NAME | [ INTEGER ] } or $ctx.NAME, written back without spaces. */
static struct filter_node *parse_field(struct parser *p)
{
	size_t at = p->pos, cap = strlen(p->s) + 1, n = 0;
	char *name = keep(p, xmalloc(cap));
	struct filter_node *nd;
	const char *s = p->s;

	if (s[p->pos] == '$') {
		if (strncmp(s + p->pos, "$ctx.", 5) || !name_start(s[p->pos + 5]))
			return fail(p, at, "only $ctx.NAME context fields are known (as $ctx.vtid)");
		memcpy(name, "$ctx.", 5);
		n = 5;
		p->pos += 5;
	}
	while (name_char(s[p->pos]))
		name[n++] = s[p->pos++];
	for (;;) {
		skip_space(p);
		if (s[p->pos] == '.' && name[0] != '$') {
			p->pos++;
			skip_space(p);
			if (!name_start(s[p->pos]))
				return fail(p, p->pos, "expected a member name after '.'");
			name[n++] = '.';
			while (name_char(s[p->pos]))
				name[n++] = s[p->pos++];
		} else if (s[p->pos] == '[' && name[0] != '$') {
			char *end;
			unsigned long long v;

			p->pos++;
			skip_space(p);
			errno = 0;
			v = strtoull(s + p->pos, &end, 0);
			if (end == s + p->pos || !isdigit((unsigned char)s[p->pos]) || errno)
				return fail(p, p->pos, "expected an index after '['");
			p->pos += (size_t)(end - (s + p->pos));
			skip_space(p);
			if (s[p->pos] != ']')
				return fail(p, p->pos, "expected ']'");
			p->pos++;
			n += (size_t)sprintf(name + n, "[%llu]", v);
		} else {
			break;
		}
	}
	name[n] = 0;
	nd = node(p, FILTER_FIELD, at);
	nd->name = name;
	xgrow(&p->a->fields, &p->a->fields_cap, p->a->nfields + 1, sizeof(*p->a->fields));
	nd->field = (unsigned)p->a->nfields;
	p->a->fields[p->a->nfields++] = nd;
	return nd;
}

static struct filter_node *parse_unary(struct parser *p)
{
	size_t at;
	char c, buf[48];
	struct filter_node *n, *l;

	skip_space(p);
	at = p->pos;
	c = p->s[p->pos];
	if (c == '!' || c == '~' || c == '-' || c == '+') {
		static const char *const unary_ops[] = {"!", "~", "-", "+"};

		p->after = unary_ops[strchr("!~-+", c) - "!~-+"];
		p->after_at = at;
		p->pos++;
		if (++p->depth > FILTER_MAX_DEPTH)
			return too_deep(p, at);
		l = parse_unary(p);
		p->depth--;
		if (!l)
			return NULL;
		if (c == '+')
			return l;
		if (c == '-' && l->kind == FILTER_INT && l->ival_unsigned && (uint64_t)l->ival == 1ull << 63)
			l->ival_unsigned = false; /* -9223372036854775808: INT64_MIN */
		if (c == '-' && l->kind == FILTER_INT && !l->ival_unsigned) {
			/* Fold: -5 is a literal, as LTTng does. */
			l->ival = (int64_t)(0 - (uint64_t)l->ival);
			l->column = at + 1;
			return l;
		}
		if (c == '-' && l->kind == FILTER_FLOAT) {
			l->fval = -l->fval;
			l->column = at + 1;
			return l;
		}
		n = node(p, c == '!' ? FILTER_NOT : c == '~' ? FILTER_BIT : FILTER_NEG, at);
		n->bit = FILTER_BIT_NOT;
		n->l = l;
		return grown(p, n);
	}
	if (c == '(') {
		p->after = "(";
		p->after_at = at;
		p->pos++;
		if (++p->depth > FILTER_MAX_DEPTH)
			return too_deep(p, at);
		n = parse_or(p);
		p->depth--;
		if (!n)
			return NULL;
		if (!take_op(p, ")"))
			return fail(p, p->pos, "expected ')' to close '(' of column %zu, found %s", at + 1,
				    token_desc(p, buf, sizeof(buf)));
		return n;
	}
	if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)p->s[p->pos + 1])))
		return parse_number(p);
	if (c == '"')
		return parse_string(p);
	if (c == '\'')
		return parse_char(p);
	if (name_start(c) || c == '$')
		return parse_field(p);
	return NULL; /* the caller says what it expected */
}

/* One binary level: its operators (longest first) and the next level. */
struct level {
	const char *ops[4];
	enum filter_node_kind kind;
	int codes[4];                   /* enum filter_cmp / filter_bit per op */
};

static const struct level levels[] = {
	{{"||"}, FILTER_OR, {0}},
	{{"&&"}, FILTER_AND, {0}},
	{{"|"}, FILTER_BIT, {FILTER_BIT_OR}},
	{{"^"}, FILTER_BIT, {FILTER_BIT_XOR}},
	{{"&"}, FILTER_BIT, {FILTER_BIT_AND}},
	{{"==", "!="}, FILTER_CMP, {FILTER_EQ, FILTER_NE}},
	{{"<=", ">=", "<", ">"}, FILTER_CMP, {FILTER_LE, FILTER_GE, FILTER_LT, FILTER_GT}},
	{{"<<", ">>"}, FILTER_BIT, {FILTER_BIT_SHL, FILTER_BIT_SHR}},
};

#define NLEVELS (sizeof(levels) / sizeof(levels[0]))

static struct filter_node *operand(struct parser *p, size_t level, const char *after, size_t after_at)
{
	struct filter_node *n;
	char buf[48];

	if (after) {
		p->after = after;
		p->after_at = after_at;
	}
	if (level < NLEVELS) {
		n = parse_level(p, level);
	} else {
		n = parse_unary(p);
		skip_space(p);
		if (n && strchr("+-*/%", p->s[p->pos]) && p->s[p->pos])
			/* LTTng parses them but its bytecode has none. */
			return fail(p, p->pos, "arithmetic ('%c') is not supported (LTTng's filters have none)",
				    p->s[p->pos]);
	}
	if (n)
		p->after = NULL;
	if (!n && !p->err) {
		skip_space(p);
		if (p->after)
			return fail(p, p->pos, "expected an operand after '%s' (column %zu), found %s", p->after,
				    p->after_at + 1, token_desc(p, buf, sizeof(buf)));
		return fail(p, p->pos, "expected a field, a number or a \"string\", found %s",
			    token_desc(p, buf, sizeof(buf)));
	}
	return n;
}

static struct filter_node *parse_level(struct parser *p, size_t level)
{
	const struct level *lv = &levels[level];
	struct filter_node *l = operand(p, level + 1, NULL, 0);

	while (l) {
		size_t k, at;
		struct filter_node *n;

		for (k = 0; k < 4 && lv->ops[k]; k++) {
			if (peek_op(p, lv->ops[k]))
				break;
		}
		if (k == 4 || !lv->ops[k])
			return l;
		at = p->pos;
		p->pos += strlen(lv->ops[k]);
		n = node(p, lv->kind, at);
		n->cmp = (enum filter_cmp)lv->codes[k];
		n->bit = (enum filter_bit)lv->codes[k];
		n->l = l;
		n->r = operand(p, level + 1, lv->ops[k], at);
		if (!n->r || !grown(p, n))
			return NULL;
		l = n;
	}
	return NULL;
}

static struct filter_node *parse_or(struct parser *p)
{
	return parse_level(p, 0);
}

struct filter *filter_parse(const char *expr, char **err)
{
	struct filter_alloc *a = xcalloc(1, sizeof(*a));
	struct parser p = {.s = expr, .a = a};
	struct filter *f = xcalloc(1, sizeof(*f));
	struct filter_node *root;
	char buf[48];

	f->priv = a;
	f->text = xstrdup(expr);
	*err = NULL;
	skip_space(&p);
	if (!expr[p.pos]) {
		*err = xstrdup("--filter: the expression is empty");
		filter_free(f);
		return NULL;
	}
	root = operand(&p, 0, NULL, 0);
	skip_space(&p);
	if (root && expr[p.pos])
		root = fail(&p, p.pos, "unexpected %s (an operator such as && or == was expected)",
			    token_desc(&p, buf, sizeof(buf)));
	if (!root || p.err) {
		if (!p.err)
			p.err = xstrdup("--filter: cannot parse the expression");
		*err = p.err;
		filter_free(f);
		return NULL;
	}
	f->root = root;
	f->nfields = a->nfields;
	f->fields = a->fields;
	return f;
}

void filter_free(struct filter *f)
{
	struct filter_alloc *a;

	if (!f)
		return;
	a = f->priv;
	for (size_t i = 0; i < a->n; i++)
		free(a->ptrs[i]);
	free(a->ptrs);
	free(a->fields);
	free(a);
	free(f->text);
	free(f);
}
