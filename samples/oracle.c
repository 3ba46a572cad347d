/* The oracle printer of libtypes.so (see oracle.h).  Deliberately plain:
 * stdio only, one function per JSON value kind, a small stack of "is this
 * the first member" flags for the commas.
 */
#include "oracle.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 16

static bool first[MAX_DEPTH]; /* no member written yet at this level */
static int depth = -1;        /* -1: no line open */
static bool in_entry;         /* the open line is an entry (closes with }}) */

static void push(bool is_first)
{
	if (depth + 1 >= MAX_DEPTH)
		abort();
	first[++depth] = is_first;
}

static void json_bytes(const char *s, size_t n, bool cut)
{
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':  fputs("\\\"", stdout); break;
		case '\\': fputs("\\\\", stdout); break;
		case '\n': fputs("\\n", stdout); break;
		case '\t': fputs("\\t", stdout); break;
		case '\r': fputs("\\r", stdout); break;
		case '\b': fputs("\\b", stdout); break;
		case '\f': fputs("\\f", stdout); break;
		default:
			if (c < 0x20)
				printf("\\u%04x", c);
			else
				putchar(c);
		}
	}
	if (cut)
		fputs("...", stdout);
	putchar('"');
}

/* Writes the separator and "key": (no key inside arrays). */
static void key(const char *name)
{
	if (depth < 0)
		abort(); /* a value outside oracle_entry/oracle_exit */
	if (!first[depth])
		putchar(',');
	first[depth] = false;
	if (name) {
		json_bytes(name, strlen(name), false);
		putchar(':');
	}
}

void oracle_entry(const char *function)
{
	fputs("{\"type\":\"entry\",\"function\":", stdout);
	json_bytes(function, strlen(function), false);
	fputs(",\"args\":{", stdout);
	in_entry = true;
	depth = -1;
	push(true);
}

void oracle_exit(const char *function)
{
	fputs("{\"type\":\"exit\",\"function\":", stdout);
	json_bytes(function, strlen(function), false);
	in_entry = false;
	depth = -1;
	push(false);
}

void oracle_end(void)
{
	fputs(in_entry ? "}}\n" : "}\n", stdout);
	depth = -1;
}

void oracle_int(const char *k, int64_t v)
{
	key(k);
	printf("%" PRId64, v);
}

void oracle_uint(const char *k, uint64_t v)
{
	key(k);
	printf("%" PRIu64, v);
}

void oracle_bool(const char *k, bool v)
{
	key(k);
	fputs(v ? "true" : "false", stdout);
}

void oracle_double(const char *k, double v)
{
	key(k);
	printf("%.17g", v);
}

void oracle_ldouble(const char *k, long double v)
{
	key(k);
	printf("%.21Lg", v);
}

void oracle_ptr(const char *k, uintptr_t p)
{
	key(k);
	printf("\"0x%" PRIxPTR "\"", p);
}

void oracle_str(const char *k, const char *s)
{
	size_t n;

	key(k);
	if (!s) {
		fputs("null", stdout);
		return;
	}
	n = strlen(s);
	if (n > ORACLE_STRING_LIMIT)
		json_bytes(s, ORACLE_STRING_LIMIT, true);
	else
		json_bytes(s, n, false);
}

void oracle_chars(const char *k, const char *a, size_t size)
{
	key(k);
	json_bytes(a, strnlen(a, size), false);
}

void oracle_enum(const char *k, const char *name, int64_t v)
{
	if (name) {
		key(k);
		json_bytes(name, strlen(name), false);
	} else {
		oracle_int(k, v);
	}
}

void oracle_begin_object(const char *k)
{
	key(k);
	putchar('{');
	push(true);
}

void oracle_end_object(void)
{
	putchar('}');
	depth--;
}

void oracle_begin_array(const char *k)
{
	key(k);
	putchar('[');
	push(true);
}

void oracle_end_array(void)
{
	putchar(']');
	depth--;
}
