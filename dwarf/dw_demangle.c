/* C++ names: libiberty's demangler, and gdb's way of comparing names. */
#define _GNU_SOURCE
#include "dw_demangle.h"

#include <ctype.h>
#include <fnmatch.h>
#include <libiberty/demangle.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

char *dw_demangle(const char *linkage)
{
	char *rust;

	/* Rust: v0 names ("_R...") and legacy ones, Itanium-shaped names whose
	 * last component is a hash ("_ZN8rust_app7compute17h<16 hex>E");
	 * libiberty's DMGL_RUST (rust-demangle.c) takes only those and,
	 * without DMGL_VERBOSE, leaves the hash out: "rust_app::compute", as
	 * gdb and rustfilt show them. */
	if (!strncmp(linkage, "_R", 2) || !strncmp(linkage, "_ZN", 3)) {
		rust = cplus_demangle(linkage, DMGL_RUST);
		if (rust)
			return rust;
	}
	/* Only Itanium names: libiberty would also "demangle" plain C names
	 * in the old GNU v2 scheme if asked to guess. */
	if (strncmp(linkage, "_Z", 2) != 0)
		return NULL;
	return cplus_demangle(linkage, DMGL_PARAMS | DMGL_ANSI | DMGL_RET_DROP | DMGL_GNU_V3);
}

/* Whether s (from a ')' on) is only what may follow a parameter list:
 * cv- and ref-qualifiers. */
static bool only_qualifiers(const char *s)
{
	static const char *const words[] = {"const", "volatile", "&&", "&"};

	while (*s) {
		size_t i;
		if (*s == ' ') {
			s++;
			continue;
		}
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (!strncmp(s, words[i], strlen(words[i])))
				break;
		if (i == sizeof(words) / sizeof(words[0]))
			return false;
		s += strlen(words[i]);
	}
	return true;
}

/* Where the parameter list of name starts: the parenthesised group that
 * the last ')' closes, when only qualifiers follow it and something comes
 * before it ("(anonymous namespace)::f" has none); else the length of name.
 * Scanning back with a depth skips "operator()" and "{lambda(int)#1}". */
static size_t params_start(const char *name, size_t len)
{
	const char *close = NULL;
	int depth = 0;

	for (size_t i = len; i-- > 0;)
		if (name[i] == ')') {
			close = name + i;
			break;
		}
	if (!close) {
		return len;
	} else {
		char tail[64];
		size_t n = len - (size_t)(close + 1 - name);
		if (n >= sizeof(tail))
			return len;
		memcpy(tail, close + 1, n);
		tail[n] = '\0';
		if (!only_qualifiers(tail))
			return len;
	}
	for (size_t i = (size_t)(close - name) + 1; i-- > 0;) {
		if (name[i] == ')')
			depth++;
		else if (name[i] == '(' && --depth == 0) {
			/* "operator()" is a name: its "()" no parameter list. */
			if (i >= 8 && !strncmp(name + i - 8, "operator", 8) && name[i + 1] == ')')
				return len;
			return i ? i : len;
		}
	}
	return len;
}

size_t dw_demangled_qualified_len(const char *demangled)
{
	const char *clone = strstr(demangled, " [clone ");

	return params_start(demangled, clone ? (size_t)(clone - demangled) : strlen(demangled));
}

enum { TOK_WORD, TOK_PUNCT };

struct token {
	int kind;
	char *text;
};

struct tokens {
	struct token *v;
	size_t len, cap;
};

static void push(struct tokens *t, int kind, const char *s, size_t n)
{
	xgrow(&t->v, &t->cap, t->len + 1, sizeof(*t->v));
	t->v[t->len].kind = kind;
	t->v[t->len].text = xstrndup(s, n);
	t->len++;
}

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* The length of the operator symbol at s ("<<=", "+", "->*"), the
 * longest one: "operator+<char>" is operator+ and its template arguments.
 * 0 when none starts there. */
static size_t operator_len(const char *s)
{
	static const char *const ops[] = {"<<=", ">>=", "<=>", "->*", "<<", ">>", "<=", ">=", "==", "!=",
					  "&&", "||", "++", "--", "+=", "-=", "*=", "/=", "%=", "^=",
					  "&=", "|=", "->", "+", "-", "*", "/", "%", "^", "&",
					  "|", "~", "!", "=", "<", ">", ","};

	for (size_t i = 0; i < sizeof(ops) / sizeof(*ops); i++)
		if (!strncmp(s, ops[i], strlen(ops[i])))
			return strlen(ops[i]);
	return 0;
}

/* Splits spelling into words and punctuation, "operator<=" and
 * "operator()" being one word each. */
static void tokenize(const char *p, struct tokens *t)
{
	while (*p) {
		const char *start = p;

		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (word_char(*p)) {
			while (word_char(*p))
				p++;
			if (p - start == 8 && !strncmp(start, "operator", 8)) {
				const char *q = p;
				while (*q == ' ')
					q++;
				if ((q[0] == '(' && q[1] == ')') || (q[0] == '[' && q[1] == ']'))
					q += 2;
				else
					q += operator_len(q);
				if (q > p && (q[-1] != ' ')) {
					/* "operator" then its symbol, without the space. */
					char *buf = xasprintf("operator%.*s", (int)(q - p), p);
					char *s = buf, *d = buf;
					for (; *s; s++)
						if (*s != ' ')
							*d++ = *s;
					*d = '\0';
					push(t, TOK_WORD, buf, strlen(buf));
					free(buf);
					p = q;
					continue;
				}
			}
			push(t, TOK_WORD, start, (size_t)(p - start));
			continue;
		}
		if ((p[0] == ':' && p[1] == ':') || (p[0] == '&' && p[1] == '&')) {
			push(t, TOK_PUNCT, p, 2);
			p += 2;
			continue;
		}
		push(t, TOK_PUNCT, p, 1);
		p++;
	}
}

static bool is(const struct token *tk, const char *s)
{
	return !strcmp(tk->text, s);
}

/* Whether token i lies inside template arguments or a parameter list: a
 * '<' or '(' that nothing closed before it (operators' names are words). */
static bool in_nested_list(const struct tokens *t, size_t i)
{
	int depth = 0;

	for (size_t k = 0; k < i; k++)
		if (is(&t->v[k], "<") || is(&t->v[k], "("))
			depth++;
		else if ((is(&t->v[k], ">") || is(&t->v[k], ")")) && depth > 0)
			depth--;
	return depth > 0;
}

/* The tokens of the type that starts at i (words, "::" and balanced
 * template arguments), up to a '*', '&', ',', ')' or unbalanced '>'. */
static size_t type_end(const struct tokens *t, size_t i)
{
	int depth = 0;

	for (; i < t->len; i++) {
		const struct token *tk = &t->v[i];
		if (tk->kind == TOK_WORD || is(tk, "::"))
			continue;
		if (is(tk, "<")) {
			depth++;
			continue;
		}
		if (depth > 0 && is(tk, ">")) {
			depth--;
			continue;
		}
		if (depth > 0)
			continue;
		break;
	}
	return i;
}

/* "const T" → "T const", at the start of a type. */
static void move_cv(struct tokens *t)
{
	for (size_t i = 0; i < t->len; i++) {
		struct token cv;
		size_t end;

		if (!is(&t->v[i], "const") && !is(&t->v[i], "volatile"))
			continue;
		if (i > 0 && !is(&t->v[i - 1], "(") && !is(&t->v[i - 1], ",") && !is(&t->v[i - 1], "<"))
			continue;
		end = type_end(t, i + 1);
		if (end == i + 1)
			continue;
		cv = t->v[i];
		memmove(&t->v[i], &t->v[i + 1], (end - i - 1) * sizeof(*t->v));
		t->v[end - 1] = cv;
		i = end - 1;
	}
}

static bool is_int_word(const struct token *tk)
{
	static const char *const words[] = {"signed", "unsigned", "short", "long", "int", "char"};

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (tk->kind == TOK_WORD && is(tk, words[i]))
			return true;
	return false;
}

/* The integer type that the specifiers t->v[i, end) name, spelled as the
 * demangler does (and gdb's cp-name-parser compares): "unsigned" is
 * "unsigned int", "signed int" "int", "long int" "long", "short unsigned
 * int" "unsigned short", "long long int" "long long"; "signed char" stays
 * apart from "char".  NULL when they are no such type. */
static const char *int_type_name(const struct tokens *t, size_t i, size_t end)
{
	int nsigned = 0, nunsigned = 0, nshort = 0, nlong = 0, nint = 0, nchar = 0;

	for (; i < end; i++) {
		const struct token *tk = &t->v[i];
		nsigned += is(tk, "signed");
		nunsigned += is(tk, "unsigned");
		nshort += is(tk, "short");
		nlong += is(tk, "long");
		nint += is(tk, "int");
		nchar += is(tk, "char");
	}
	if (nsigned + nunsigned > 1 || nint > 1 || nchar > 1 || (nchar && (nint || nshort || nlong)) ||
	    (nshort && nlong) || nshort > 1 || nlong > 2)
		return NULL;
	if (nchar)
		return nunsigned ? "unsigned char" : nsigned ? "signed char" : "char";
	if (nshort)
		return nunsigned ? "unsigned short" : "short";
	if (nlong == 2)
		return nunsigned ? "unsigned long long" : "long long";
	if (nlong == 1)
		return nunsigned ? "unsigned long" : "long";
	return nunsigned ? "unsigned int" : "int";
}

/* Respells each run of integer type specifiers as int_type_name does.  A
 * run that another type word follows ("long double", "unsigned __int128")
 * is left as it is. */
static void canonical_int_types(struct tokens *t)
{
	for (size_t i = 0; i < t->len; i++) {
		const char *name;
		size_t end = i, n = 0;
		struct tokens words = {0};

		while (end < t->len && is_int_word(&t->v[end]))
			end++;
		if (end == i)
			continue;
		if ((end < t->len && t->v[end].kind == TOK_WORD && !is(&t->v[end], "const") &&
		     !is(&t->v[end], "volatile")) ||
		    (i > 0 && is(&t->v[i - 1], "::")) || !(name = int_type_name(t, i, end))) {
			i = end - 1;
			continue;
		}
		tokenize(name, &words);
		for (size_t k = i; k < end; k++)
			free(t->v[k].text);
		/* Replace the run with the name's words (at most 3). */
		if (words.len > end - i)
			xgrow(&t->v, &t->cap, t->len + words.len - (end - i), sizeof(*t->v));
		memmove(&t->v[i + words.len], &t->v[end], (t->len - end) * sizeof(*t->v));
		t->len = t->len - (end - i) + words.len;
		for (; n < words.len; n++)
			t->v[i + n] = words.v[n];
		free(words.v);
		i += words.len - 1;
	}
}

/* The standard library's typedefs that the demangler never prints, with
 * what it prints instead: gdb replaces every typedef a spec names by its
 * target (cp_canonicalize_string_no_typedefs) except those the demangler
 * itself abbreviates (std::string in the old ABI, std::istream,
 * std::ostream, std::iostream: left as they are).  Ours come from no debug
 * info, so only the typedefs of libstdc++'s C++11 ABI that people write. */
static const char *const std_typedefs[][2] = {
	{"string", "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >"},
	{"wstring", "std::__cxx11::basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> >"},
	{"u8string", "std::__cxx11::basic_string<char8_t, std::char_traits<char8_t>, std::allocator<char8_t> >"},
	{"u16string", "std::__cxx11::basic_string<char16_t, std::char_traits<char16_t>, std::allocator<char16_t> >"},
	{"u32string", "std::__cxx11::basic_string<char32_t, std::char_traits<char32_t>, std::allocator<char32_t> >"},
	{"string_view", "std::basic_string_view<char, std::char_traits<char> >"},
	{"wstring_view", "std::basic_string_view<wchar_t, std::char_traits<wchar_t> >"},
	{"u8string_view", "std::basic_string_view<char8_t, std::char_traits<char8_t> >"},
	{"u16string_view", "std::basic_string_view<char16_t, std::char_traits<char16_t> >"},
	{"u32string_view", "std::basic_string_view<char32_t, std::char_traits<char32_t> >"},
};

/* Replaces each "std::NAME" of std_typedefs (not inside another scope, as
 * a type or as a scope: "std::string::size") by its target's tokens. */
static void expand_std_typedefs(struct tokens *t)
{
	for (size_t i = 0; i + 2 < t->len; i++) {
		struct tokens with = {0};
		size_t k;

		if (!is(&t->v[i], "std") || !is(&t->v[i + 1], "::") || (i > 0 && is(&t->v[i - 1], "::")) ||
		    (i + 3 < t->len && is(&t->v[i + 3], "<")))
			continue;
		for (k = 0; k < sizeof(std_typedefs) / sizeof(*std_typedefs); k++)
			if (is(&t->v[i + 2], std_typedefs[k][0]))
				break;
		if (k == sizeof(std_typedefs) / sizeof(*std_typedefs))
			continue;
		tokenize(std_typedefs[k][1], &with);
		for (size_t j = i; j < i + 3; j++)
			free(t->v[j].text);
		xgrow(&t->v, &t->cap, t->len + with.len, sizeof(*t->v));
		memmove(&t->v[i + with.len], &t->v[i + 3], (t->len - i - 3) * sizeof(*t->v));
		memcpy(&t->v[i], with.v, with.len * sizeof(*t->v));
		t->len = t->len - 3 + with.len;
		i += with.len - 1;
		free(with.v);
	}
}

/* Whether the group that opens at s (a '[') is an ABI tag or a clone
 * suffix, which are part of a name, never a glob's bracket expression. */
static bool name_bracket(const char *s)
{
	return !strncmp(s, "[abi:", 5) || !strncmp(s, "[clone ", 7);
}

char *dw_cxx_canonical(const char *spelling)
{
	struct tokens t = {0};
	size_t cap = strlen(spelling) * 2 + 16, len = 0;
	char *out;

	tokenize(spelling, &t);
	expand_std_typedefs(&t);
	move_cv(&t);
	canonical_int_types(&t);
	out = xmalloc(cap);
	for (size_t i = 0; i < t.len; i++) {
		const struct token *tk = &t.v[i], *prev = i ? &t.v[i - 1] : NULL;
		size_t n = strlen(tk->text);

		xgrow(&out, &cap, len + n + 4, 1);
		/* Spaces where the demangler prints them: between words,
		 * after commas, before a method's qualifiers, between
		 * closing '>'s. */
		if (prev && ((prev->kind == TOK_WORD && tk->kind == TOK_WORD) || is(prev, ",") ||
			     /* qualifiers of a method: "f() const", "f() &&" */
			     (is(prev, ")") && (tk->kind == TOK_WORD || is(tk, "&") || is(tk, "&&"))) ||
			     /* a function type: "std::function<int (int)>" */
			     (is(tk, "(") && (prev->kind == TOK_WORD || is(prev, ">") || is(prev, "*") || is(prev, "&")) &&
			      !is(prev, "lambda") && in_nested_list(&t, i)) ||
			     /* a clone suffix, an ABI tag's brackets */
			     (is(tk, "[") && i + 1 < t.len && is(&t.v[i + 1], "clone")) ||
			     (is(prev, "clone")) ||
			     (is(prev, ">") && (is(tk, ">") || tk->kind == TOK_WORD)) ||
			     (is(prev, "}") && tk->kind == TOK_WORD) ||
			     /* a const pointer: "char const* const&" */
			     (is(prev, "*") && (is(tk, "const") || is(tk, "volatile"))) ||
			     (is(tk, "<") && prev->text[strlen(prev->text) - 1] == '<')))
			out[len++] = ' ';
		memcpy(out + len, tk->text, n);
		len += n;
	}
	out[len] = '\0';
	for (size_t i = 0; i < t.len; i++)
		free(t.v[i].text);
	free(t.v);
	return out;
}

/* Whether the '*' at p (in pattern) is a pointer declarator inside
 * template arguments ("_M_access<Foo*>()"): it follows a type and a '>',
 * ',', ')', '&' or another '*' follows it.  "twice<*" stays a glob. */
static bool template_pointer(const char *pattern, const char *p)
{
	const char *q = p;

	while (q > pattern && q[-1] == ' ')
		q--;
	if (q == pattern || !(word_char(q[-1]) || strchr(">}])*", q[-1])))
		return false;
	while (p[1] == ' ')
		p++;
	return p[1] && strchr(">,)&*", p[1]);
}

bool dw_name_is_glob(const char *pattern)
{
	int depth = 0, angles = 0;

	/* In a parameter list '*' is a pointer and '[' an array or an ABI tag. */
	for (const char *p = pattern; *p; p++) {
		bool op = p >= pattern + 8 && !strncmp(p - 8, "operator", 8);
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (*p == '<' && !op)
			angles++;
		else if (*p == '>' && angles > 0 && !op)
			angles--;
		else if (*p == '[' && name_bracket(p) && strchr(p, ']'))
			p = strchr(p, ']');
		else if (!depth && angles && *p == '*' && template_pointer(pattern, p))
			continue;
		else if (!depth && strchr("*?[", *p) && !op)
			return true;
	}
	return false;
}

/* Whether the first len characters of name are canonical, or end with
 * "::" and canonical: "Till::add" also names "shop::Till::add", as in gdb.
 * A bare "add" does not (gdb's would): a name that could be C's keeps its
 * exact meaning. */
static bool ends_with_scope(const char *name, size_t len, const char *canonical)
{
	size_t clen = strlen(canonical);
	bool cxx = strpbrk(canonical, ":<(~") || !strncmp(canonical, "operator", 8);

	if (clen == len)
		return !strncmp(canonical, name, len);
	return cxx && clen + 2 < len && !strncmp(name + len - clen - 2, "::", 2) &&
	       !strncmp(canonical, name + len - clen, clen);
}

/* The first len characters of name without template argument lists
 * ("shop::Box<int>::get" is "shop::Box::get"), the '<' of an operator's
 * name kept.  The caller frees. */
static char *strip_template_args(const char *name, size_t len)
{
	char *out = xmalloc(len + 1), *d = out;

	for (size_t i = 0; i < len; i++) {
		if (name[i] == '<' && !(i >= 8 && !strncmp(name + i - 8, "operator", 8)) &&
		    !(i >= 9 && !strncmp(name + i - 9, "operator<", 9))) {
			int depth = 0;
			for (; i < len; i++) {
				if (name[i] == '<')
					depth++;
				else if (name[i] == '>' && --depth == 0)
					break;
			}
			/* "operator< <int>": the space before the list too. */
			if (d > out && d[-1] == ' ')
				d--;
			continue;
		}
		*d++ = name[i];
	}
	*d = '\0';
	return out;
}

/* ends_with_scope, where a canonical without template arguments also
 * names every instance of a template ("shop::twice" names
 * "shop::twice<int>"), as in gdb. */
static bool names_scope(const char *name, size_t len, size_t qlen, const char *canonical)
{
	char *stripped, *whole;
	bool ok;

	if (ends_with_scope(name, len, canonical))
		return true;
	if (strchr(canonical, '<') || !memchr(name, '<', qlen))
		return false;
	stripped = strip_template_args(name, qlen);
	whole = xasprintf("%s%.*s", stripped, (int)(len - qlen), name + qlen);
	ok = ends_with_scope(whole, strlen(whole), canonical);
	free(whole);
	free(stripped);
	return ok;
}

/* name without its ABI tags ("ns::mk[abi:cxx11](int)" is "ns::mk(int)"),
 * or without its clone suffix (" [clone .isra.0]"...) when clones is set.
 * The caller frees. */
static char *strip_tags(const char *name, bool abi, bool clones)
{
	char *out = xstrdup(name), *p;

	if (clones && (p = strstr(out, " [clone ")))
		*p = '\0';
	while (abi && (p = strstr(out, "[abi:"))) {
		char *end = strchr(p, ']');
		if (!end)
			break;
		memmove(p, end + 1, strlen(end + 1) + 1);
	}
	return out;
}

/* pattern as an fnmatch pattern: the brackets of its ABI tags and clone
 * suffixes matched literally.  The caller frees. */
static char *glob_escape_tags(const char *pattern)
{
	char *out = xmalloc(strlen(pattern) * 2 + 1), *d = out;

	for (const char *p = pattern; *p; p++) {
		if (*p == '[' && name_bracket(p) && strchr(p, ']')) {
			const char *end = strchr(p, ']');
			*d++ = '\\';
			for (; p < end; p++)
				*d++ = *p;
			*d++ = '\\';
		}
		*d++ = *p;
	}
	*d = '\0';
	return out;
}

bool dw_cxx_matches(const char *demangled, const char *pattern, const char *canonical, bool glob)
{
	/* ABI tags are optional in a pattern, as in gdb; a clone is named by
	 * its function's name (gdb puts a location in each clone), or by its
	 * own suffix, which then must be the clone's. */
	bool tags = strstr(pattern, "[abi:") != NULL, clone = strstr(pattern, "[clone ") != NULL;
	char *name = strip_tags(demangled, !tags, !clone);
	char *fpattern = glob ? glob_escape_tags(pattern) : NULL;
	size_t qlen = dw_demangled_qualified_len(name);
	bool yes;

	if (params_start(pattern, strlen(pattern)) < strlen(pattern) || clone) {
		/* A parameter list: the whole name. */
		if (glob)
			yes = fnmatch(fpattern, name, 0) == 0;
		else
			yes = names_scope(name, strlen(name), qlen, canonical);
	} else if (!glob) {
		yes = names_scope(name, qlen, qlen, canonical);
	} else {
		name[qlen] = '\0';
		yes = fnmatch(fpattern, name, 0) == 0;
	}
	free(fpattern);
	free(name);
	return yes;
}
