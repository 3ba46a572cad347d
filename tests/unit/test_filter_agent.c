/* Compiling a bound --filter for the agent (probes/filter_agent.c), then
 * running the program (filter_run) over records captured at fake hits
 * (capture_prog + capture_run, as the agent does).  The oracle is C
 * itself: each filter is also written as the C expression it means over
 * the same values, so the conversions (int against unsigned long, a
 * narrow unsigned, an unsigned enum) are the compiler's, not ours.  Filters
 * the agent cannot run must say why and compile to nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture_prog.h"
#include "fake_hit.h"
#include "filter_agent.h"
#include "filter_run.h"

/* ---- the function: f(int n, unsigned long u, char *name, struct pt p,
 *      struct big s [stack], enum color c, double d, unsigned short w,
 *      int gone [no location], int &r, const pt &q) */
static struct dw_type t_int = {.kind = DW_KIND_SINT, .name = "int", .size = 4};
static struct dw_type t_long = {.kind = DW_KIND_SINT, .name = "long", .size = 8};
static struct dw_type t_ulong = {.kind = DW_KIND_UINT, .name = "unsigned long", .size = 8};
static struct dw_type t_ushort = {.kind = DW_KIND_UINT, .name = "unsigned short", .size = 2};
static struct dw_type t_double = {.kind = DW_KIND_FLOAT, .name = "double", .size = 8};
static struct dw_type t_char = {.kind = DW_KIND_SINT, .name = "char", .size = 1, .is_char = true};
static struct dw_type t_charp = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_char};
static struct dw_type t_int4 = {.kind = DW_KIND_ARRAY, .size = 16, .target = &t_int, .count = 4};
static struct dw_member pt_members[] = {{.name = "x", .type = &t_int, .offset = 0},
					{.name = "y", .type = &t_int, .offset = 4}};
static struct dw_type t_pt = {.kind = DW_KIND_STRUCT, .name = "pt", .size = 8, .members = pt_members, .nmembers = 2};
/* struct big { long a; int arr[4]; char *label; }: 32 bytes */
static struct dw_member big_members[] = {{.name = "a", .type = &t_long, .offset = 0},
					 {.name = "arr", .type = &t_int4, .offset = 8},
					 {.name = "label", .type = &t_charp, .offset = 24}};
static struct dw_type t_big = {.kind = DW_KIND_STRUCT, .name = "big", .size = 32, .members = big_members,
			       .nmembers = 3};
static struct dw_enumerator colors[] = {{"RED", 0}, {"GREEN", 1}, {"BLUE", 0xfffffff0}};
static struct dw_type t_color = {.kind = DW_KIND_ENUM, .name = "color", .size = 4, .enumerators = colors,
				 .nenumerators = 3, .enum_signed = false};
/* C++ references: int &, const pt & */
static struct dw_type t_intref = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_int, .reference = true};
static struct dw_type t_cpt = {.kind = DW_KIND_QUALIFIER, .name = "const", .target = &t_pt};
static struct dw_type t_ptref = {.kind = DW_KIND_POINTER, .size = 8, .target = &t_cpt, .reference = true};

#define SP 0x7ffe1000ull
#define R(regno) {.available = true, .size = 8, .npieces = 1, .pieces = {{FETCH_REG, regno, 8, 0, 0}}}

static struct layout_field fields[] = {
	{.name = "n", .type = &t_int, .plan = R(5)},
	{.name = "u", .type = &t_ulong, .plan = R(4)},
	{.name = "name", .type = &t_charp, .plan = R(1)},
	{.name = "p", .type = &t_pt, .plan = R(2)},
	{.name = "s", .type = &t_big,
	 .plan = {.available = true, .size = 32, .npieces = 1, .pieces = {{FETCH_MEM, DWT_DW_SP, 32, 0, 8}}}},
	{.name = "c", .type = &t_color, .plan = R(8)},
	{.name = "d", .type = &t_double, .plan = {.available = true, .size = 8, .npieces = 1,
						  .pieces = {{FETCH_REG, DWT_DW_XMM0, 8, 0, 0}}}},
	{.name = "w", .type = &t_ushort, .plan = R(9)},
	{.name = "gone", .type = &t_int, .plan = {.available = false}},
	{.name = "r", .type = &t_intref, .plan = R(10)},
	{.name = "q", .type = &t_ptref, .plan = R(11)},
};
static struct event_layout layout = {.function = "f", .fields = fields, .nfields = 11, .kind = LAYOUT_CALL};
static const struct decode_opts dopts = {.string_limit = 32, .array_limit = 64};

/* The values of one hit. */
struct hit {
	int n;
	unsigned long u;
	const char *name; /* NULL: a null pointer */
	int px, py;
	long a;
	int arr[4];
	const char *label;
	uint32_t c;
	unsigned short w;
	const int *r;     /* the referent of r (NULL: a null reference, unreadable) */
	const int *q;     /* q's x and y, or NULL */
};

static void make_hit(struct fake_hit *f, const struct hit *h)
{
	uint8_t stack[40] = {0};
	uint64_t p;

	memset(f, 0, sizeof(*f));
	f->regs.gpr[5] = (uint64_t)(int64_t)h->n;
	f->regs.gpr[4] = h->u;
	f->regs.gpr[2] = (uint64_t)(uint32_t)h->px | (uint64_t)(uint32_t)h->py << 32;
	f->regs.gpr[8] = h->c | 0xdead000000000000ull; /* upper bytes are not the enum's */
	f->regs.gpr[9] = h->w | 0xbeef0000ull;
	f->regs.gpr[DWT_DW_SP] = SP;
	if (h->name) {
		fake_map(f, 0x1000, h->name, (uint32_t)strlen(h->name) + 1);
		f->regs.gpr[1] = 0x1000;
	}
	memcpy(stack + 8, &h->a, 8);
	memcpy(stack + 16, h->arr, 16);
	p = h->label ? 0x2000 : 0;
	memcpy(stack + 32, &p, 8);
	if (h->label)
		fake_map(f, 0x2000, h->label, (uint32_t)strlen(h->label) + 1);
	fake_map(f, SP, stack, sizeof(stack));
	if (h->r) {
		fake_map(f, 0x3000, h->r, 4);
		f->regs.gpr[10] = 0x3000;
	}
	if (h->q) {
		fake_map(f, 0x4000, h->q, 8);
		f->regs.gpr[11] = 0x4000;
	}
}

/* ---- hand-built filters ---------------------------------------------------- */
static struct filter_node nodes[64];
static unsigned nnodes;
static struct filter_node *fnodes[16];
static struct filter_field ffields[16];
static unsigned nfields;

static struct filter_node *node(struct filter_node n)
{
	nodes[nnodes] = n;
	return &nodes[nnodes++];
}

static struct filter_node *op(enum filter_node_kind k, struct filter_node *l, struct filter_node *r)
{
	return node((struct filter_node){.kind = k, .l = l, .r = r});
}

static struct filter_node *cmp(enum filter_cmp c, struct filter_node *l, struct filter_node *r)
{
	return node((struct filter_node){.kind = FILTER_CMP, .cmp = c, .l = l, .r = r});
}

static struct filter_node *bit(enum filter_bit b, struct filter_node *l, struct filter_node *r)
{
	return node((struct filter_node){.kind = FILTER_BIT, .bit = b, .l = l, .r = r});
}

static struct filter_node *num(int64_t v)
{
	return node((struct filter_node){.kind = FILTER_INT, .ival = v});
}

static struct filter_node *str(const char *s)
{
	return node((struct filter_node){.kind = FILTER_STRING, .str = s, .str_len = strlen(s),
					 .str_glob = strchr(s, '*') != NULL});
}

/* A field bound as ARG index with steps (member or index numbers; an index
 * is written as 100 + i). */
static struct filter_node *field(enum filter_source src, size_t index, const struct dw_type *type, int nsteps, ...)
{
	struct filter_field *ff = &ffields[nfields];
	va_list ap;

	memset(ff, 0, sizeof(*ff));
	ff->source = src;
	ff->index = index;
	ff->type = type;
	va_start(ap, nsteps);
	for (int i = 0; i < nsteps; i++) {
		int s = va_arg(ap, int);
		ff->steps[i].is_index = s >= 100;
		ff->steps[i].index = s >= 100 ? (size_t)(s - 100) : 0;
		ff->steps[i].member = s < 100 ? (size_t)s : 0;
	}
	va_end(ap);
	ff->nsteps = (size_t)nsteps;
	struct filter_node *n = node((struct filter_node){.kind = FILTER_FIELD, .name = "f", .field = nfields});
	fnodes[nfields++] = n;
	return n;
}

static struct filter filt;
static struct filter_bound bound;

static void reset(void)
{
	nnodes = nfields = 0;
	memset(nodes, 0, sizeof(nodes));
}

static const struct filter_bound *bind_root(struct filter_node *root)
{
	filt = (struct filter){.root = root, .text = "", .nfields = nfields, .fields = fnodes};
	bound = (struct filter_bound){.filter = &filt, .layout = &layout, .fields = ffields};
	return &bound;
}

#define ARG(i, type, ...) field(FILTER_SRC_ARG, i, type, __VA_ARGS__)

/* Compiles root, then checks it on each hit against want(hit). */
static void check(struct filter_node *root, int (*want)(const struct hit *), const struct hit *hits, size_t nhits,
		  int regs_only)
{
	const struct filter_bound *b = bind_root(root);
	struct capture_prog prog;
	struct filter_agent_prog fp;
	const char *why = NULL;
	static uint8_t buf[DWT_MAX_RECORD] __attribute__((aligned(8)));
	int kept = 0, rejected = 0;

	capture_prog_compile(&prog, &layout, false, &dopts, false);
	assert_int_equal(filter_agent_compile(b, &prog, &dopts, &fp, &why), 0);
	assert_null(why);
	if (regs_only >= 0)
		assert_int_equal(fp.regs_only, regs_only);
	for (size_t i = 0; i < nhits; i++) {
		struct fake_hit f;
		struct capture_record r;
		struct dwt_rec_hdr h;

		make_hit(&f, &hits[i]);
		fake_capture(&f, &prog, buf, &r);
		memcpy(&h, buf, sizeof(h));
		struct filter_view v = {&f.regs, buf + sizeof(h), h.size - (uint32_t)sizeof(h), 1, 77};
		int got = filter_run(fp.bytes, fp.size, fp.nops, &v);
		assert_int_equal(got, want(&hits[i]));
		/* registers only: the same answer before the capture */
		if (fp.regs_only) {
			struct filter_view rv = {&f.regs, NULL, 0, 1, 77};
			assert_int_equal(filter_run(fp.bytes, fp.size, fp.nops, &rv), got);
		}
		got ? kept++ : rejected++;
		fake_unmap_all(&f);
	}
	/* Each filter both keeps and rejects some of the hits. */
	assert_true(kept > 0 && rejected > 0);
	filter_agent_prog_free(&fp);
}

static const struct hit hits[] = {
	{.n = 3, .u = 0, .name = "hello", .px = 1, .py = -2, .a = -5, .arr = {10, 20, 30, 40}, .label = "lab", .c = 1, .w = 7},
	{.n = 7, .u = 9, .name = "world", .px = 4, .py = 2, .a = 5, .arr = {1, 2, 3, 4}, .label = "xyz", .c = 0, .w = 65535},
	{.n = -1, .u = 5, .name = NULL, .px = 0, .py = -2, .a = 0, .arr = {0, 0, 30, 0}, .label = NULL, .c = 0xfffffff0, .w = 0},
	{.n = 6, .u = ~0ul, .name = "hello", .px = -9, .py = 9, .a = 1, .arr = {0, 30, 0, 31}, .label = "lab", .c = 1, .w = 1},
};
#define NHITS (sizeof(hits) / sizeof(hits[0]))

static int w_regs(const struct hit *h) { return h->n > 5 && h->u != 0; }
static int w_member(const struct hit *h) { return h->py == -2; }
static int w_blob(const struct hit *h) { return h->arr[2] == 30 || h->a < 0; }
/* C's own conversion is the oracle here: int against unsigned long. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
static int w_conv(const struct hit *h) { return h->n < h->u; }
#pragma GCC diagnostic pop
static int w_name(const struct hit *h) { return h->name && !strcmp(h->name, "hello"); }
static int w_name_ne(const struct hit *h) { return h->name && strcmp(h->name, "hello"); }
static int w_label(const struct hit *h) { return h->label && !strcmp(h->label, "lab"); }
static int w_enum(const struct hit *h) { return h->c == 1 || h->c == 0xfffffff0u; }
static int w_ushort(const struct hit *h) { return h->w > h->n; }
static int w_bits(const struct hit *h) { return ((h->px | 4) ^ 1) == 5 || (h->py >> 1) == -1 || -h->n == 1; }
static int w_not(const struct hit *h) { return !(h->n == 3) && !(h->u >= 9); }

static void test_compile_and_run(void **state)
{
	(void)state;
	reset();
	check(op(FILTER_AND, cmp(FILTER_GT, ARG(0, &t_int, 0), num(5)), cmp(FILTER_NE, ARG(1, &t_ulong, 0), num(0))),
	      w_regs, hits, NHITS, 1);
	reset();
	check(cmp(FILTER_EQ, ARG(3, &t_int, 1, 1), op(FILTER_NEG, num(2), NULL)),
	      w_member, hits, NHITS, 1);
	reset();
	check(op(FILTER_OR, cmp(FILTER_EQ, ARG(4, &t_int, 2, 1, 102), num(30)), cmp(FILTER_LT, ARG(4, &t_long, 1, 0), num(0))),
	      w_blob, hits, NHITS, 0);
	reset();
	/* int < unsigned long: C compares as unsigned (-1 is huge) */
	check(cmp(FILTER_LT, ARG(0, &t_int, 0), ARG(1, &t_ulong, 0)), w_conv, hits, NHITS, 1);
	reset();
	/* unsigned short promotes to int: a signed comparison */
	check(cmp(FILTER_GT, ARG(7, &t_ushort, 0), ARG(0, &t_int, 0)), w_ushort, hits, NHITS, 1);
	reset();
	check(cmp(FILTER_EQ, ARG(2, &t_charp, 0), str("hello")), w_name, hits, NHITS, 0);
	reset();
	check(cmp(FILTER_NE, str("hello"), ARG(2, &t_charp, 0)), w_name_ne, hits, NHITS, 0);
	reset();
	check(cmp(FILTER_EQ, ARG(4, &t_charp, 1, 2), str("lab")), w_label, hits, NHITS, 0);
	reset();
	struct filter_node *green = field(FILTER_SRC_ENUMERATOR, 0, &t_color, 0);
	struct filter_node *blue = field(FILTER_SRC_ENUMERATOR, 0, &t_color, 0);
	ffields[0].enum_value = 1;
	ffields[1].enum_value = (int64_t)0xfffffff0u;
	check(op(FILTER_OR, cmp(FILTER_EQ, ARG(5, &t_color, 0), green), cmp(FILTER_EQ, blue, ARG(5, &t_color, 0))),
	      w_enum, hits, NHITS, 1);
	reset();
	struct filter_node *neg1 = num(1);
	check(op(FILTER_OR,
		 op(FILTER_OR, cmp(FILTER_EQ, bit(FILTER_BIT_XOR, bit(FILTER_BIT_OR, ARG(3, &t_int, 1, 0), num(4)), num(1)), num(5)),
		    cmp(FILTER_EQ, bit(FILTER_BIT_SHR, ARG(3, &t_int, 1, 1), num(1)), op(FILTER_NEG, num(1), NULL))),
		 cmp(FILTER_EQ, op(FILTER_NEG, ARG(0, &t_int, 0), NULL), neg1)),
	      w_bits, hits, NHITS, 1);
	reset();
	check(op(FILTER_AND, op(FILTER_NOT, cmp(FILTER_EQ, ARG(0, &t_int, 0), num(3)), NULL),
		 op(FILTER_NOT, cmp(FILTER_GE, ARG(1, &t_ulong, 0), num(9)), NULL)),
	      w_not, hits, NHITS, 1);
}

static int w_neg_lit(const struct hit *h) { return h->n > -1 && h->u != 0; }
static int w_big_lit(const struct hit *h) { return h->u > 0xfffffffffffffff0ul || h->py < -1; }
static int w_glob(const struct hit *h) { return h->name && !strncmp(h->name, "hel", 3); }
static int w_glob_star(const struct hit *h) { return h->label && !strcmp(h->label, "l*b"); }

/* Literals as filter.c types them (negative: signed; above INT64_MAX:
 * unsigned) and globs with their escapes. */
static void test_literals_and_globs(void **state)
{
	(void)state;
	static const struct hit star_hits[] = {
		{.n = 1, .name = "x", .label = "l*b"}, {.n = 2, .name = "x", .label = "lab"},
		{.n = 3, .name = "x", .label = "l**b"},
	};
	reset();
	check(op(FILTER_AND, cmp(FILTER_GT, ARG(0, &t_int, 0), num(-1)), cmp(FILTER_NE, ARG(1, &t_ulong, 0), num(0))),
	      w_neg_lit, hits, NHITS, 1);
	reset();
	struct filter_node *big = num((int64_t)0xfffffffffffffff0ull);
	big->ival_unsigned = true;
	check(op(FILTER_OR, cmp(FILTER_GT, ARG(1, &t_ulong, 0), big), cmp(FILTER_LT, ARG(3, &t_int, 1, 1), num(-1))),
	      w_big_lit, hits, NHITS, 1);
	reset();
	struct filter_node *g = str("hel*");
	g->pattern = "hel*";
	check(cmp(FILTER_EQ, ARG(2, &t_charp, 0), g), w_glob, hits, NHITS, 0);
	reset();
	/* a quoted star in a glob's pattern (l\*b) is a star: "l*b" matches,
	 * "lab" and "l**b" do not */
	struct filter_node *lit = node((struct filter_node){.kind = FILTER_STRING, .str = "l*b", .str_len = 3,
							    .str_glob = true, .pattern = "l\\*b"});
	check(cmp(FILTER_EQ, ARG(4, &t_charp, 1, 2), lit), w_glob_star, star_hits, 3, 0);
}

static int w_tid(const struct hit *h) { return h->n == 3; }

/* tid, pid, a field the layout lacks, a parameter with no location. */
static const int r41 = 41, r7 = 7, q67[2] = {6, 7}, q_neg[2] = {-6, 9};
static const struct hit ref_hits[] = {
	{.n = 1, .r = &r41, .q = q67}, {.n = 2, .r = &r7, .q = q_neg}, {.n = 3, .r = NULL, .q = NULL},
	{.n = 4, .r = &r41, .q = q_neg},
};

static int w_ref(const struct hit *h) { return h->r && *h->r == 41; }
/* A null reference has no referent: its value is none, and != is false too. */
static int w_ref_ne(const struct hit *h) { return h->r && *h->r != 41; }
static int w_ref_member(const struct hit *h) { return h->q && h->q[1] > h->q[0] && h->q[0] > 0; }

/* C++ references: the referent is compared (filter.c reads the value's
 * one child), not the address in the register. */
static void test_references(void **state)
{
	(void)state;
	reset();
	check(cmp(FILTER_EQ, ARG(9, &t_intref, 0), num(41)), w_ref, ref_hits, 4, 0);
	reset();
	check(cmp(FILTER_NE, ARG(9, &t_intref, 0), num(41)), w_ref_ne, ref_hits, 4, 0);
	reset();
	check(op(FILTER_AND, cmp(FILTER_GT, ARG(10, &t_int, 1, 1), ARG(10, &t_int, 1, 0)),
		 cmp(FILTER_GT, ARG(10, &t_int, 1, 0), num(0))),
	      w_ref_member, ref_hits, 4, 0);
}

static void test_context_and_missing(void **state)
{
	(void)state;
	reset();
	/* tid is 1, pid 77 in check(): (tid == 1 && pid == 77 && n == 3) */
	check(op(FILTER_AND, op(FILTER_AND, cmp(FILTER_EQ, field(FILTER_SRC_TID, 0, NULL, 0), num(1)),
				cmp(FILTER_EQ, field(FILTER_SRC_PID, 0, NULL, 0), num(77))),
		 cmp(FILTER_EQ, ARG(0, &t_int, 0), num(3))),
	      w_tid, hits, NHITS, 1);
	/* missing and unavailable: comparisons false, negations true */
	struct filter_node *leaves[2];
	reset();
	leaves[0] = field(FILTER_SRC_MISSING, 0, NULL, 0);
	leaves[1] = ARG(8, &t_int, 0);
	for (int i = 0; i < 2; i++) {
		struct capture_prog prog;
		struct filter_agent_prog fp;
		const char *why;
		struct fake_hit f;
		struct filter_view v = {&f.regs, NULL, 0, 1, 77};

		make_hit(&f, &hits[0]);
		capture_prog_compile(&prog, &layout, false, &dopts, false);
		struct filter_node *c = cmp(FILTER_EQ, leaves[i], num(0));
		assert_int_equal(filter_agent_compile(bind_root(c), &prog, &dopts, &fp, &why), 0);
		assert_int_equal(filter_run(fp.bytes, fp.size, fp.nops, &v), 0);
		filter_agent_prog_free(&fp);
		assert_int_equal(filter_agent_compile(bind_root(op(FILTER_NOT, c, NULL)), &prog, &dopts, &fp, &why), 0);
		assert_int_equal(filter_run(fp.bytes, fp.size, fp.nops, &v), 1);
		filter_agent_prog_free(&fp);
		fake_unmap_all(&f);
	}
}

/* What the agent cannot evaluate: not compiled, and why is said. */
static void test_not_compilable(void **state)
{
	(void)state;
	struct capture_prog prog;
	struct filter_agent_prog fp;
	const char *why;
	struct filter_node *roots[8];
	unsigned n = 0;

	capture_prog_compile(&prog, &layout, false, &dopts, false);
	reset();
	roots[n++] = cmp(FILTER_GT, ARG(6, &t_double, 0), num(1));                                  /* a float leaf */
	roots[n++] = cmp(FILTER_GT, ARG(0, &t_int, 0), node((struct filter_node){.kind = FILTER_FLOAT, .fval = 1.5}));
	roots[n++] = cmp(FILTER_EQ, field(FILTER_SRC_DEPTH, 0, NULL, 0), num(0));
	roots[n++] = cmp(FILTER_EQ, field(FILTER_SRC_LOCAL, 0, &t_int, 0), num(0));
	roots[n++] = cmp(FILTER_LT, ARG(2, &t_charp, 0), str("a"));                                   /* orders strings */
	roots[n++] = cmp(FILTER_EQ, ARG(4, &t_int, 2, 1, 104), num(0));                               /* past the array */
	roots[n++] = cmp(FILTER_EQ, ARG(2, &t_charp, 0), num(0));                                     /* string as a number */
	for (unsigned i = 0; i < n; i++) {
		why = NULL;
		assert_int_equal(filter_agent_compile(bind_root(roots[i]), &prog, &dopts, &fp, &why), -1);
		assert_non_null(why);
		assert_null(fp.bytes);
	}
	/* decided at the exit */
	reset();
	const struct filter_bound *b = bind_root(cmp(FILTER_EQ, field(FILTER_SRC_RETVAL, 0, &t_int, 0), num(0)));
	bound.at_exit = true;
	assert_int_equal(filter_agent_compile(b, &prog, &dopts, &fp, &why), -1);
	assert_non_null(why);
	/* a probe without exits */
	reset();
	b = bind_root(cmp(FILTER_EQ, ARG(0, &t_int, 0), num(0)));
	layout.kind = LAYOUT_POINT;
	assert_int_equal(filter_agent_compile(b, &prog, &dopts, &fp, &why), -1);
	layout.kind = LAYOUT_CALL;
	/* a value the capture program left out (no op copies it) */
	struct capture_prog empty = {0};
	assert_int_equal(filter_agent_compile(bind_root(cmp(FILTER_EQ, ARG(4, &t_long, 1, 0), num(0))), &empty, &dopts,
					      &fp, &why), -1);
	assert_non_null(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile_and_run),
		cmocka_unit_test(test_context_and_missing),
		cmocka_unit_test(test_literals_and_globs),
		cmocka_unit_test(test_not_compilable),
		cmocka_unit_test(test_references),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
