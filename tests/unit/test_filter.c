/* --filter (probes/filter.h): the parser (precedence, every operator,
 * literals, globs and escapes, errors with their columns), binding to
 * hand-built layouts (and its errors), and evaluation over hand-built
 * values.  Expected results are C's (the comparison written out in C over
 * the same numbers) or LTTng's documented rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "filter.h"

/* The tree as a fully parenthesized string, to check precedence. */
static void show(const struct filter_node *n, char *buf, size_t size)
{
	static const char *cmps[] = {"==", "!=", "<", "<=", ">", ">="};
	static const char *bits[] = {"&", "|", "^", "<<", ">>", "~"};
	char l[256] = "", r[256] = "";

	if (n->l)
		show(n->l, l, sizeof(l));
	if (n->r)
		show(n->r, r, sizeof(r));
	switch (n->kind) {
	case FILTER_OR: snprintf(buf, size, "(%s || %s)", l, r); break;
	case FILTER_AND: snprintf(buf, size, "(%s && %s)", l, r); break;
	case FILTER_NOT: snprintf(buf, size, "!%s", l); break;
	case FILTER_CMP: snprintf(buf, size, "(%s %s %s)", l, cmps[n->cmp], r); break;
	case FILTER_BIT:
		if (n->bit == FILTER_BIT_NOT)
			snprintf(buf, size, "~%s", l);
		else
			snprintf(buf, size, "(%s %s %s)", l, bits[n->bit], r);
		break;
	case FILTER_NEG: snprintf(buf, size, "-%s", l); break;
	case FILTER_INT:
		if (n->ival_unsigned)
			snprintf(buf, size, "%lluu", (unsigned long long)n->ival);
		else
			snprintf(buf, size, "%lld", (long long)n->ival);
		break;
	case FILTER_FLOAT: snprintf(buf, size, "%g", n->fval); break;
	case FILTER_STRING: snprintf(buf, size, "\"%s\"%s", n->str, n->str_glob ? "g" : ""); break;
	case FILTER_FIELD: snprintf(buf, size, "%s", n->name); break;
	}
}

static void parses_as(const char *expr, const char *want)
{
	char *err = NULL, got[512];
	struct filter *f = filter_parse(expr, &err);

	if (!f)
		fail_msg("%s: %s", expr, err);
	show(f->root, got, sizeof(got));
	assert_string_equal(got, want);
	filter_free(f);
}

static void fails_with(const char *expr, const char *want)
{
	char *err = NULL;
	struct filter *f = filter_parse(expr, &err);

	assert_null(f);
	assert_non_null(err);
	assert_string_equal(err, want);
	free(err);
}

static void fails_with(const char *expr, const char *want);

static void test_precedence(void **state)
{
	parses_as("a || b && c", "(a || (b && c))");
	parses_as("a && b || c", "((a && b) || c)");
	parses_as("a == 1 && b != 2", "((a == 1) && (b != 2))");
	parses_as("a < 1 == b > 2", "((a < 1) == (b > 2))");
	parses_as("a | b ^ c & d", "(a | (b ^ (c & d)))");
	parses_as("a & 3 == 3", "(a & (3 == 3))"); /* C's precedence, as LTTng */
	parses_as("a << 2 < b >> 1", "((a << 2) < (b >> 1))");
	parses_as("!a == 1", "(!a == 1)");
	parses_as("!(a == 1)", "!(a == 1)");
	parses_as("~a & -b", "(~a & -b)");
	fails_with("a - 1", "--filter: arithmetic ('-') is not supported (LTTng's filters have none) at column 3");
}

static void test_operators(void **state)
{
	parses_as("a<=1||a>=2||a<3||a>4", "((((a <= 1) || (a >= 2)) || (a < 3)) || (a > 4))");
	parses_as("a|b", "(a | b)");
	parses_as("a^b", "(a ^ b)");
	parses_as("a&b", "(a & b)");
	parses_as("a<<b", "(a << b)");
	parses_as("a>>b", "(a >> b)");
	parses_as("+a", "a");
	parses_as("((a))", "a");
	parses_as("a || b || c", "((a || b) || c)");
}

static void test_literals(void **state)
{
	parses_as("a == 10", "(a == 10)");
	parses_as("a == 0x1F", "(a == 31)");
	parses_as("a == 017", "(a == 15)");
	parses_as("a == -5", "(a == -5)");
	parses_as("a == - -5", "(a == 5)");
	parses_as("a == 18446744073709551615", "(a == 18446744073709551615u)");
	parses_as("a == 9223372036854775807", "(a == 9223372036854775807)");
	parses_as("a == -9223372036854775808", "(a == -9223372036854775808)");
	parses_as("a == 1.5", "(a == 1.5)");
	parses_as("a == -2.5e3", "(a == -2500)");
	parses_as("a == .5", "(a == 0.5)");
	parses_as("p.x == 1", "(p.x == 1)");
	parses_as("p . x [ 2 ] . y == 1", "(p.x[2].y == 1)");
	parses_as("$ctx.vtid == 7", "($ctx.vtid == 7)");
	fails_with("a == 18446744073709551616", "--filter: integer '18446744073709551616' does not fit in 64 bits at column 6");
	fails_with("a == 12abc", "--filter: bad number '12abc' at column 6");
	/* LTTng's lexer: C's integer and float suffixes, character literals, comments. */
	parses_as("a == 10u", "(a == 10)");
	parses_as("a == 10UL && b == 7ll && c == 0x1Fllu && d == 3lu", "((((a == 10) && (b == 7)) && (c == 31)) && (d == 3))");
	parses_as("a == 1.5f", "(a == 1.5)");
	parses_as("a == 2.0F", "(a == 2)");
	parses_as("a == 'A'", "(a == 65)");
	parses_as("a == '\\n' || a == '\\''", "((a == 10) || (a == 39))");
	parses_as("a /* the first */ == /**/ 1", "(a == 1)");
	fails_with("a == 10lll", "--filter: bad number '10lll' at column 6");
	fails_with("a == 10uu", "--filter: bad number '10uu' at column 6");
	fails_with("a == 1 /* open", "--filter: comment not closed at column 8");
	fails_with("a == 'ab'", "--filter: a character literal holds one character (strings are written in double quotes) at column 6");
	/* Arithmetic: parsed by LTTng, absent from its bytecode. */
	fails_with("a + 1 == 2", "--filter: arithmetic ('+') is not supported (LTTng's filters have none) at column 3");
	fails_with("a == b - 1", "--filter: arithmetic ('-') is not supported (LTTng's filters have none) at column 8");
	fails_with("(a * 2) == 2", "--filter: arithmetic ('*') is not supported (LTTng's filters have none) at column 4");
	fails_with("a / 2 == 1", "--filter: arithmetic ('/') is not supported (LTTng's filters have none) at column 3");
	fails_with("a % 2 == 1", "--filter: arithmetic ('%') is not supported (LTTng's filters have none) at column 3");
}

static void test_strings(void **state)
{
	char *err;
	struct filter *f = filter_parse("s == \"a\\*b*c\\\\d\\n\\\"\"", &err);

	assert_non_null(f);
	assert_int_equal(f->root->r->kind, FILTER_STRING);
	assert_string_equal(f->root->r->str, "a*b*c\\d\n\"");
	assert_int_equal(f->root->r->str_len, 9);
	assert_true(f->root->r->str_glob);
	assert_string_equal(f->root->r->pattern, "a\\*b*c\\\\d\n\"");
	filter_free(f);
	f = filter_parse("s == \"a\\*\"", &err);
	assert_false(f->root->r->str_glob);
	filter_free(f);
	fails_with("s == \"abc", "--filter: string not closed at column 6");
	fails_with("s == \"a\\qb\"", "--filter: unknown escape '\\q' in a string at column 8");
	fails_with("s == 'xy'", "--filter: a character literal holds one character (strings are written in double quotes) at column 6");
}

static void test_errors(void **state)
{
	fails_with("", "--filter: the expression is empty");
	fails_with("   ", "--filter: the expression is empty");
	fails_with("a == 1 &&", "--filter: expected an operand after '&&' (column 8), found the end at column 10");
	fails_with("a == ", "--filter: expected an operand after '==' (column 3), found the end at column 6");
	fails_with("(a == 1", "--filter: expected ')' to close '(' of column 1, found the end at column 8");
	fails_with("a == 1)", "--filter: unexpected ')' (an operator such as && or == was expected) at column 7");
	fails_with("a b", "--filter: unexpected 'b' (an operator such as && or == was expected) at column 3");
	fails_with("a = 1", "--filter: unexpected '=' (an operator such as && or == was expected) at column 3");
	fails_with("== 1", "--filter: expected a field, a number or a \"string\", found '==' at column 1");
	fails_with("a[x] == 1", "--filter: expected an index after '[' at column 3");
	fails_with("a[1 == 1", "--filter: expected ']' at column 5");
	fails_with("p. == 1", "--filter: expected a member name after '.' at column 4");
	fails_with("$app.x == 1", "--filter: only $ctx.NAME context fields are known (as $ctx.vtid) at column 1");
}

/* A layout f(int i, unsigned long u, char *name, enum color c, struct
 * point p, int a[3], double d, _Bool b, int &r, long long s, unsigned
 * char uc) returning int, with named values for each. */
static struct dw_type t_int = {.kind = DW_KIND_SINT, .name = "int", .size = 4};
static struct dw_type t_ll = {.kind = DW_KIND_SINT, .name = "long long", .size = 8};
static struct dw_type t_ulong = {.kind = DW_KIND_UINT, .name = "unsigned long", .size = 8};
static struct dw_type t_uchar = {.kind = DW_KIND_UINT, .name = "unsigned char", .size = 1};
static struct dw_type t_char = {.kind = DW_KIND_SINT, .name = "char", .size = 1, .is_char = true};
static struct dw_type t_charp = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_char};
static struct dw_type t_double = {.kind = DW_KIND_FLOAT, .name = "double", .size = 8};
static struct dw_type t_bool = {.kind = DW_KIND_BOOL, .name = "_Bool", .size = 1};
static struct dw_enumerator colors[] = {{"RED", 0}, {"GREEN", 1}, {"BLUE", 2}};
static struct dw_type t_color = {.kind = DW_KIND_ENUM, .name = "color", .size = 4, .enumerators = colors,
				 .nenumerators = 3, .enum_signed = false};
static struct dw_type t_color_td = {.kind = DW_KIND_TYPEDEF, .name = "color_t", .size = 4, .target = &t_color};
static struct dw_member point_members[] = {{.name = "x", .type = &t_int, .offset = 0},
					   {.name = "y", .type = &t_int, .offset = 4}};
static struct dw_type t_point = {.kind = DW_KIND_STRUCT, .name = "point", .size = 8, .members = point_members,
				 .nmembers = 2};
static struct dw_type t_arr = {.kind = DW_KIND_ARRAY, .size = 12, .target = &t_int, .count = 3};
static struct dw_type t_intref = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_int, .reference = 1};

enum { I, U, NAME, C, P, A, D, B, R, S, UC, NF };

static struct layout_field fields[NF] = {
	[I] = {.name = "i", .type = &t_int},         [U] = {.name = "u", .type = &t_ulong},
	[NAME] = {.name = "name", .type = &t_charp}, [C] = {.name = "c", .type = &t_color_td},
	[P] = {.name = "p", .type = &t_point},       [A] = {.name = "a", .type = &t_arr},
	[D] = {.name = "d", .type = &t_double},      [B] = {.name = "b", .type = &t_bool},
	[R] = {.name = "r", .type = &t_intref},      [S] = {.name = "tid", .type = &t_ll},
	[UC] = {.name = "uc", .type = &t_uchar},
};

static struct event_layout layout = {
	.function = "f", .fields = fields, .nfields = NF, .has_ret = true,
	.ret = {.name = "retval", .type = &t_int}, .kind = LAYOUT_CALL,
};

/* The values of one call. */
struct call {
	int32_t i;
	uint64_t u;
	const char *name;     /* NULL: a NULL pointer */
	uint32_t c;
	int32_t p[2];
	int32_t a[3];
	double d;
	uint8_t b;
	int32_t r;
	int64_t s;
	uint8_t uc;
	int32_t ret;
	bool i_unavailable;
};

/* run(): name's string was cut at -s. */
static bool cut;
/* run(): also filter_eval_entry's verdict on the same values, here. */
static enum filter_verdict verdict;

#define SCALAR(t, field) {.type = (t), .available = true, .bytes = (const uint8_t *)&(field), .size = sizeof(field)}

static bool run(const char *expr, const struct call *k, uint64_t duration)
{
	char *err = NULL;
	struct filter *f = filter_parse(expr, &err);
	struct filter_bound *b;
	struct value pkids[2], akids[3], rkid, v[NF], ret;
	struct event_header h = {.tid = 77, .pid = 70, .depth = 2};
	bool kept;

	if (!f)
		fail_msg("%s: %s", expr, err);
	b = filter_bind(f, &layout, &err);
	if (!b)
		fail_msg("%s: %s", expr, err);
	memset(v, 0, sizeof(v));
	v[I] = (struct value)SCALAR(&t_int, k->i);
	v[I].available = !k->i_unavailable;
	v[U] = (struct value)SCALAR(&t_ulong, k->u);
	v[NAME] = (struct value){.type = &t_charp, .available = true, .size = 8, .has_string = k->name != NULL,
				 .str = k->name, .str_len = k->name ? strlen(k->name) : 0, .str_truncated = cut};
	v[C] = (struct value)SCALAR(&t_color_td, k->c);
	for (int j = 0; j < 2; j++)
		pkids[j] = (struct value)SCALAR(&t_int, k->p[j]);
	v[P] = (struct value){.type = &t_point, .available = true, .children = pkids, .nchildren = 2};
	for (int j = 0; j < 3; j++)
		akids[j] = (struct value)SCALAR(&t_int, k->a[j]);
	v[A] = (struct value){.type = &t_arr, .available = true, .children = akids, .nchildren = 3};
	v[D] = (struct value)SCALAR(&t_double, k->d);
	v[B] = (struct value)SCALAR(&t_bool, k->b);
	rkid = (struct value)SCALAR(&t_int, k->r);
	v[R] = (struct value){.type = &t_intref, .available = true, .children = &rkid, .nchildren = 1};
	v[S] = (struct value)SCALAR(&t_ll, k->s);
	v[UC] = (struct value)SCALAR(&t_uchar, k->uc);
	ret = (struct value)SCALAR(&t_int, k->ret);
	kept = filter_eval(b, &h, v, b->at_exit ? &ret : NULL, duration);
	verdict = filter_eval_entry(b, &h, v);
	filter_bound_free(b);
	filter_free(f);
	return kept;
}

static const struct call base = {.i = 5, .u = 10, .name = "open_file.c", .c = 1, .p = {3, -4}, .a = {7, 8, 9},
				 .d = 2.5, .b = 1, .r = 33, .s = -1, .uc = 200, .ret = -2};

static void test_eval_integers(void **state)
{
	struct call k = base;

	assert_true(run("i == 5", &k, 0));
	assert_false(run("i != 5", &k, 0));
	assert_true(run("i > 4 && i < 6 && i >= 5 && i <= 5", &k, 0));
	assert_true(run("i == 4 || i == 5", &k, 0));
	assert_true(run("!(i == 4)", &k, 0));
	assert_true(run("(i & 4) == 4 && (i | 2) == 7 && (i ^ 1) == 4 && (i << 2) == 20 && (i >> 1) == 2", &k, 0));
	assert_true(run("~i == -6 && -i == -5", &k, 0));
	assert_true(run("i", &k, 0)); /* a number alone: true when not 0 */
	/* Negative numbers, and the parameter 'tid' shadowing the built-in. */
	k.i = -3;
	assert_true(run("i < 0 && i == -3 && i > -4", &k, 0));
	assert_true(run("tid == -1", &k, 0));
	assert_true(run("$ctx.vtid == 77 && $ctx.tid == 77 && $ctx.vpid == 70 && pid == 70 && depth == 2", &k, 0));
	/* unsigned char promotes to int: 200 > -1 as in C. */
	assert_true(run("uc > -1 && uc == 200", &k, 0));
	/* bool */
	assert_true(run("b == 1 && b", &k, 0));
	k.b = 0;
	assert_true(run("!b", &k, 0));
}

static void test_eval_unsigned64(void **state)
{
	struct call k = base;

	k.u = UINT64_MAX;
	assert_true(run("u == 18446744073709551615", &k, 0));
	assert_true(run("u == 0xffffffffffffffff", &k, 0));
	assert_true(run("u > 9223372036854775807", &k, 0));
	/* C: -1 converts to unsigned long, so u == -1 and u > -1 is false. */
	assert_true(run("u == -1", &k, 0) == (k.u == (unsigned long)-1));
	assert_false(run("u > 0x7fffffffffffffff == 0", &k, 0));
	k.u = (1ull << 63) + 1;
	assert_true(run("u > 9223372036854775807 && u < 18446744073709551615", &k, 0));
	assert_true(run("u == 9223372036854775809", &k, 0));
	assert_false(run("u < 9223372036854775807", &k, 0));
	k.u = 3;
	assert_true(run("u < 9223372036854775808", &k, 0));
}

static void test_eval_floats(void **state)
{
	struct call k = base;

	assert_true(run("d == 2.5 && d > 2 && d < 3", &k, 0));
	assert_false(run("d == 2", &k, 0));
	k.d = -0.125;
	assert_true(run("d < 0 && d == -0.125 && -d == 0.125", &k, 0));
}

static void test_eval_strings(void **state)
{
	struct call k = base;

	assert_true(run("name == \"open_file.c\"", &k, 0));
	assert_false(run("name == \"open_file\"", &k, 0));
	assert_true(run("name != \"open_file\"", &k, 0));
	assert_true(run("name == \"open*\"", &k, 0));
	assert_true(run("name == \"*.c\"", &k, 0));
	assert_true(run("name == \"*file*\"", &k, 0));
	assert_true(run("name == \"o*_*.*\"", &k, 0));
	assert_false(run("name == \"*.h\"", &k, 0));
	assert_true(run("name != \"*.h\"", &k, 0));
	assert_false(run("name == \"open\\*\"", &k, 0)); /* a literal star */
	k.name = "a*b";
	assert_true(run("name == \"a\\*b\"", &k, 0));
	assert_true(run("name == \"a\\**\"", &k, 0));
	assert_false(run("name == \"ab\"", &k, 0));
	/* Cut at -s ("open_f" of "open_file.c"): decided only when the rest
	 * cannot matter. */
	k.name = "open_f";
	{
		bool saved = cut;

		cut = true;
		assert_true(run("name == \"open*\"", &k, 0));
		assert_false(run("name == \"*.c\"", &k, 0));
		assert_false(run("name != \"*.c\"", &k, 0));
		assert_false(run("name == \"open_f\"", &k, 0));
		assert_true(run("name != \"open_f\"", &k, 0));
		assert_true(run("name != \"main.c\"", &k, 0));
		assert_false(run("name == \"open_file.c\"", &k, 0));
		assert_false(run("name != \"open_file.c\"", &k, 0));
		cut = saved;
	}
	/* NULL: its comparison is false, either way. */
	k.name = NULL;
	assert_false(run("name == \"*\"", &k, 0));
	assert_false(run("name != \"x\"", &k, 0));
	assert_true(run("!(name == \"*\")", &k, 0));
}

static void test_eval_enums_members(void **state)
{
	struct call k = base;

	assert_true(run("c == GREEN", &k, 0));
	assert_true(run("GREEN == c", &k, 0));
	assert_true(run("c != RED && c < BLUE && c == 1", &k, 0));
	k.c = 2;
	assert_false(run("c == GREEN", &k, 0));
	assert_true(run("p.x == 3 && p.y == -4 && p.y < 0", &k, 0));
	assert_true(run("a[0] == 7 && a[2] == 9 && a[1] != 7", &k, 0));
	assert_true(run("r == 33", &k, 0)); /* through a C++ reference */
}

static void test_eval_missing_unavailable(void **state)
{
	struct call k = base;
	char *err = NULL;
	struct filter *f = filter_parse("zz == 1 || i == 5", &err);
	struct filter_bound *b = filter_bind(f, &layout, &err);

	/* A missing field: bound as missing, counted, its comparison false. */
	assert_non_null(b);
	assert_int_equal(b->nmissing, 1);
	assert_int_equal(b->fields[0].source, FILTER_SRC_MISSING);
	assert_int_equal(b->fields[1].source, FILTER_SRC_ARG);
	assert_false(b->at_exit);
	filter_bound_free(b);
	filter_free(f);
	assert_true(run("zz == 1 || i == 5", &k, 0));
	assert_false(run("zz == 1", &k, 0));
	assert_false(run("zz != 1", &k, 0));
	assert_false(run("zz == \"x\" || zz < 3 || zz.y[1] == 2", &k, 0)); /* binds: a missing name fits anywhere */
	assert_true(run("!(zz == 1)", &k, 0));
	k.i_unavailable = true;
	assert_false(run("i == 5", &k, 0));
	assert_false(run("i != 5", &k, 0));
	assert_true(run("!(i == 5)", &k, 0));
}

static void test_eval_exit(void **state)
{
	struct call k = base;

	assert_true(run("retval == -2", &k, 0));
	assert_true(run("retval < 0 && duration_ns > 1000", &k, 5000));
	assert_false(run("duration_ns > 1000", &k, 999));
}

static void binds_with(const char *expr, const struct event_layout *l, const char *want)
{
	char *err = NULL;
	struct filter *f = filter_parse(expr, &err);
	struct filter_bound *b;

	assert_non_null(f);
	b = filter_bind(f, l, &err);
	if (b)
		fail_msg("%s bound", expr);
	assert_non_null(err);
	assert_string_equal(err, want);
	free(err);
	filter_free(f);
}

static void test_bind_errors(void **state)
{
	struct event_layout point = layout, voidf = layout;

	point.kind = LAYOUT_POINT;
	voidf.has_ret = false;
	voidf.ret.type = NULL;
	binds_with("name == 3", &layout, "--filter: 'name' of probe 'f' is a string: compare it with a \"string\"");
	binds_with("3 == name", &layout, "--filter: 'name' of probe 'f' is a string: compare it with a \"string\"");
	binds_with("i == \"x\"", &layout, "--filter: 'i' of probe 'f' is not a string: compare it with a number");
	binds_with("name < \"x\"", &layout, "--filter: strings compare with == and != only (column 6)");
	binds_with("p == 1", &layout,
		   "--filter: 'p' of probe 'f' is not a number or a string: compare its members or elements");
	binds_with("p.z == 1", &layout, "--filter: 'p.z' of probe 'f': struct point has no member 'z'");
	binds_with("i.x == 1", &layout, "--filter: 'i.x' of probe 'f': 'i' is not a struct or union");
	binds_with("a[3] == 1", &layout, "--filter: 'a[3]' of probe 'f': the array has 3 elements");
	binds_with("p[0] == 1", &layout, "--filter: 'p[0]' of probe 'f': 'p' is not an array");
	binds_with("c == PURPLE", &layout, "--filter: 'c' of probe 'f' is an enum color: 'PURPLE' is not one of its enumerators");
	/* A probe with no exit lacks retval and duration_ns, as a void
	 * function lacks retval: bound as missing, not an error. */
	for (int inl = 0; inl < 2; inl++) {
		char *err = NULL;
		struct filter *f = filter_parse("retval == 1 || duration_ns > 2 || i == 2", &err);
		struct filter_bound *b;

		point.kind = inl ? LAYOUT_INLINED : LAYOUT_POINT;
		b = filter_bind(f, &point, &err);
		assert_non_null(b);
		assert_int_equal(b->fields[0].source, FILTER_SRC_MISSING);
		assert_int_equal(b->fields[1].source, FILTER_SRC_MISSING);
		assert_int_equal(b->nmissing, 2);
		assert_false(b->at_exit);
		filter_bound_free(b);
		filter_free(f);
	}
	/* A void function lacks retval, as a probe may lack a parameter. */
	{
		char *err = NULL;
		struct filter *f = filter_parse("retval == 1 || i == 2", &err);
		struct filter_bound *b = filter_bind(f, &voidf, &err);

		assert_non_null(b);
		assert_int_equal(b->fields[0].source, FILTER_SRC_MISSING);
		assert_int_equal(b->nmissing, 1);
		filter_bound_free(b);
		filter_free(f);
	}
}

/* Kleene's logic at the entry: retval and duration_ns unknown. */
static void test_eval_entry(void **state)
{
	struct call k = base; /* i = 5, ret = -2 */
	static const struct {
		const char *expr;
		enum filter_verdict want;
	} cases[] = {
		{"i == 5 || retval == 99", FILTER_TRUE},
		{"retval == 99 || i == 5", FILTER_TRUE},
		{"i == 0 && retval == 99", FILTER_FALSE},
		{"retval == 99 && i == 0", FILTER_FALSE},
		{"i == 5 && retval == 99", FILTER_UNKNOWN},
		{"i == 0 || retval == 99", FILTER_UNKNOWN},
		{"!(retval == 1)", FILTER_UNKNOWN},
		{"!(i == 5 || retval == 1)", FILTER_FALSE},
		{"!(i == 0 && duration_ns > 1)", FILTER_TRUE},
		{"(retval & 1) == 0 || i == 5", FILTER_TRUE},
		{"-retval < 3 && i != 5", FILTER_FALSE},
		{"duration_ns > 5 || !(i == 5)", FILTER_UNKNOWN},
		/* A missing name is known: its comparison false, even with retval. */
		{"zz == 1 && retval == -2", FILTER_FALSE},
		{"zz == retval", FILTER_FALSE},
		{"zz == retval || retval == -2", FILTER_UNKNOWN},
		{"i == 5", FILTER_TRUE},
		{"i == 4", FILTER_FALSE},
	};

	for (size_t j = 0; j < sizeof(cases) / sizeof(cases[0]); j++) {
		for (int32_t ret = -3; ret <= 99; ret += 51) {
			bool kept;

			k.ret = ret;
			kept = run(cases[j].expr, &k, 7);
			if (verdict != cases[j].want)
				fail_msg("%s: verdict %d, not %d", cases[j].expr, verdict, cases[j].want);
			/* A decided entry agrees with the exit's answer, whatever retval is. */
			if (verdict != FILTER_UNKNOWN && kept != (verdict == FILTER_TRUE))
				fail_msg("%s with retval %d: entry %d, exit %d", cases[j].expr, ret, verdict, kept);
		}
	}
	/* An unavailable value is known too: false where compared. */
	k.i_unavailable = true;
	run("i == 5 && retval == 1", &k, 0);
	assert_int_equal(verdict, FILTER_FALSE);
	run("i == 5 || retval == 1", &k, 0);
	assert_int_equal(verdict, FILTER_UNKNOWN);
	assert_int_equal(filter_eval_entry(NULL, NULL, NULL), FILTER_TRUE);
}

/* Nesting deeper than FILTER_MAX_DEPTH is refused before anything recurses on it. */
static void test_nesting(void **state)
{
	size_t n = 120000;
	char *e = malloc(2 * n + 16), *err = NULL;
	struct filter *f;
	struct call k = base;
	const char *prefix = "--filter: nested deeper than 256 levels at column ";

	/* 256 levels of parentheses parse and keep the call. */
	memset(e, '(', 256);
	strcpy(e + 256, "i == 5");
	memset(e + 262, ')', 256);
	e[518] = 0;
	assert_true(run(e, &k, 0));
	/* 257, 10000 parentheses; 120000 '!', '-', '~' in a row. */
	for (int kind = 0; kind < 5; kind++) {
		size_t m = kind == 0 ? 257 : kind == 1 ? 10000 : n;
		char c = kind < 2 ? '(' : "!-~"[kind - 2];

		memset(e, c, m);
		strcpy(e + m, "i");
		if (kind < 2) {
			strcat(e, " == 5");
			memset(e + strlen(e), ')', m);
			e[m + 6 + m] = 0;
		}
		f = filter_parse(e, &err);
		assert_null(f);
		assert_string_equal(err, "--filter: nested deeper than 256 levels at column 257");
		free(err);
	}
	/* A chain of 300 ||: its tree is 300 deep. */
	e[0] = 0;
	for (int j = 0; j < 300; j++)
		strcat(e, j ? " || i == 1" : "i == 1");
	f = filter_parse(e, &err);
	assert_null(f);
	assert_memory_equal(err, prefix, strlen(prefix));
	free(err);
	/* 200 of them are fine. */
	e[0] = 0;
	for (int j = 0; j < 200; j++)
		strcat(e, j ? " || i == 1" : "i == 5");
	assert_true(run(e, &k, 0));
	free(e);
}

/* Globs: iterative matching, many stars cost no stack and no exponential time. */
static void test_glob_stars(void **state)
{
	struct call k = base; /* name "open_file.c" */
	size_t n = 60000;
	char *e = malloc(3 * n + 32);
	size_t at = (size_t)sprintf(e, "name == \"");

	assert_true(run("name == \"*_*.c\"", &k, 0));
	assert_true(run("name == \"open*\"", &k, 0));
	assert_true(run("name == \"*file*\"", &k, 0));
	assert_false(run("name == \"*.h\"", &k, 0));
	assert_false(run("name == \"open\\*\"", &k, 0));
	k.name = "a*b";
	assert_true(run("name == \"a\\*b\"", &k, 0));
	assert_false(run("name == \"a\\*\"", &k, 0));
	k.name = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab";
	for (size_t j = 0; j < n; j++) {
		e[at++] = '*';
		e[at++] = 'a';
	}
	strcpy(e + at, "*c\"");
	assert_false(run(e, &k, 0));
	strcpy(e + at, "*b\"");
	assert_false(run(e, &k, 0)); /* 60000 a's wanted, 70 there */
	at = (size_t)sprintf(e, "name == \"");
	for (size_t j = 0; j < 30; j++) {
		e[at++] = '*';
		e[at++] = 'a';
	}
	strcpy(e + at, "*b\"");
	assert_true(run(e, &k, 0));
	free(e);
}

/* A std::string passed by reference: its referent is the value's child 0. */
static struct dw_type t_cxxstr = {.kind = DW_KIND_STRUCT, .name = "basic_string", .size = 32, .cxx_string = true};
static struct dw_type t_cxxstr_c = {.kind = DW_KIND_QUALIFIER, .name = "const", .size = 32, .target = &t_cxxstr};
static struct dw_type t_strref = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_cxxstr_c, .reference = 1};
static struct layout_field sref_fields[] = {{.name = "s", .type = &t_strref}};
static struct event_layout sref = {.function = "ct_str_cref", .fields = sref_fields, .nfields = 1,
				   .kind = LAYOUT_CALL};

static bool run_sref(const char *expr, const char *str)
{
	char *err = NULL;
	struct filter *f = filter_parse(expr, &err);
	struct filter_bound *b = filter_bind(f, &sref, &err);
	struct value kid = {.type = &t_cxxstr_c, .available = true, .has_string = true, .str = str,
			    .str_len = strlen(str)};
	struct value v = {.type = &t_strref, .available = true, .size = 8, .children = &kid, .nchildren = 1};
	struct event_header h = {0};
	bool kept;

	if (!b)
		fail_msg("%s: %s", expr, err);
	kept = filter_eval(b, &h, &v, NULL, 0);
	filter_bound_free(b);
	filter_free(f);
	return kept;
}

static void test_string_reference(void **state)
{
	assert_true(run_sref("s == \"heap*\"", "heap string, long enough"));
	assert_false(run_sref("s == \"heap*\"", "short"));
	assert_true(run_sref("s != \"short\"", "heap"));
	assert_true(run_sref("s == \"short\"", "short"));
	binds_with("s != 0", &sref, "--filter: 's' of probe 'ct_str_cref' is a string: compare it with a \"string\"");
	binds_with("s < \"x\"", &sref, "--filter: strings compare with == and != only (column 3)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precedence),     cmocka_unit_test(test_operators),
		cmocka_unit_test(test_literals),       cmocka_unit_test(test_strings),
		cmocka_unit_test(test_errors),         cmocka_unit_test(test_eval_integers),
		cmocka_unit_test(test_eval_unsigned64), cmocka_unit_test(test_eval_floats),
		cmocka_unit_test(test_eval_strings),   cmocka_unit_test(test_eval_enums_members),
		cmocka_unit_test(test_eval_missing_unavailable), cmocka_unit_test(test_eval_exit),
		cmocka_unit_test(test_bind_errors),
		cmocka_unit_test(test_eval_entry),     cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_string_reference), cmocka_unit_test(test_glob_stars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
