/* The two ways to a field's value must agree: for every function of the
 * samples, entry and exit, a record captured at a fake hit (capture_prog +
 * capture_run, as both producers capture) gives through
 * ust_scalars_from_record() (the in-process emitter: blob places over the
 * record) the scalars ust_scalars_from_values() gives over decode's values
 * of the same record (dwtrace's own sink). */
#include "test_ust_desc.h"

#include "capture_prog.h"
#include "capture_run.h"
#include "dw_loc.h"
#include "record.h"

/* Memory: [0, 2 KiB) 8-byte words, most pointers into the text, some
 * small numbers, some NULL; the stack pointer in the middle of it.
 * [2 KiB, 4 KiB) text: letters with a NUL every few bytes. */
#define TEXT_AT 2048u

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void fill(struct fake *f, uint64_t seed)
{
	uint64_t s = seed;

	for (unsigned i = 0; i < TEXT_AT; i += 8) {
		uint64_t r = next(&s), w;
		switch (r % 4) {
		case 0:
		case 1:
			w = FAKE_BASE + TEXT_AT + (r >> 8) % (sizeof(f->mem) - TEXT_AT);
			break;
		case 2:
			w = (r >> 8) % 1000;
			break;
		default:
			w = (r >> 8) % 7 ? r : 0;
			break;
		}
		memcpy(f->mem + i, &w, 8);
	}
	for (unsigned i = TEXT_AT; i < sizeof(f->mem); i++) {
		uint64_t r = next(&s);
		f->mem[i] = r % 11 ? (uint8_t)('a' + r % 26) : 0;
	}
	for (unsigned i = 0; i < 41; i++)
		for (unsigned k = 0; k < 16; k += 8) {
			uint64_t r = next(&s);
			uint64_t w = r % 3 ? FAKE_BASE + TEXT_AT + r % (sizeof(f->mem) - TEXT_AT) : r;
			memcpy(&f->reg[i][k], &w, 8);
		}
	set_reg64(f, 7, FAKE_BASE + 1024);
}

static long fake_capture_read(void *ctx, uint64_t addr, void *buf, uint32_t len, int stack)
{
	(void)stack;
	return (long)fake_mem(ctx, addr, buf, len);
}

static uint8_t record_buf[DWT_MAX_RECORD] __attribute__((aligned(8)));

/* Captures l's entry (exit false) or exit at the fake hit into r. */
static void capture(struct fake *f, const struct event_layout *l, bool exit, const struct decode_opts *o,
		    struct capture_record *r)
{
	static struct capture_prog prog;
	struct capture_mem mem = {f, fake_capture_read};
	struct dwt_rec_hdr h = {.kind = exit ? DWT_REC_EXIT : DWT_REC_ENTRY, .tid = 1, .flags = DWT_REC_VREGS};
	struct dwt_vregs vr;
	uint32_t n, at = sizeof(h) + sizeof(vr);

	capture_prog_compile(&prog, l, exit, o, false);
	for (unsigned i = 0; i < DWT_NGPR; i++)
		memcpy(&h.regs.gpr[i], f->reg[i], 8);
	memcpy(vr.xmm, f->reg[17], sizeof(vr.xmm));
	memcpy(vr.st0, f->reg[33], 16);
	memcpy(vr.st1, f->reg[34], 16);
	n = capture_run(prog.ops, prog.nops, &h.regs, &mem, record_buf + at, DWT_MAX_RECORD - at);
	assert_true(n > 0 || prog.nops == 0);
	h.size = at + n;
	memcpy(record_buf, &h, sizeof(h));
	memcpy(record_buf + sizeof(h), &vr, sizeof(vr));
	assert_int_equal(record_parse(record_buf, h.size, (int)prog.nops, r), 0);
}

static void assert_same_scalars(const struct compiled *c, const struct dwt_ust_event_desc *ev,
				const struct ust_scalar *a, const struct ust_scalar *b, const char *fn)
{
	const struct dwt_ust_field *fs = fields(c, ev);

	for (uint32_t i = 0; i < ev->nfields; i++) {
		const char *name = str(c, fs[i].name);
		if (a[i].available != b[i].available)
			fail_msg("%s %s: available %d (record) != %d (values)", fn, name, a[i].available,
				 b[i].available);
		if (!a[i].available)
			continue;
		switch (fs[i].type) {
		case DWT_UST_INT:
		case DWT_UST_ENUM:
			if (a[i].u != b[i].u)
				fail_msg("%s %s: %#llx (record) != %#llx (values)", fn, name,
					 (unsigned long long)a[i].u, (unsigned long long)b[i].u);
			break;
		case DWT_UST_FLOAT:
			if (memcmp(&a[i].d, &b[i].d, sizeof(double)))
				fail_msg("%s %s: %a (record) != %a (values)", fn, name, a[i].d, b[i].d);
			break;
		default:
			if (a[i].len != b[i].len || memcmp(a[i].str, b[i].str, a[i].len))
				fail_msg("%s %s: \"%.*s\" (record) != \"%.*s\" (values)", fn, name, (int)a[i].len,
					 a[i].str, (int)b[i].len, b[i].str);
		}
	}
}

struct walk {
	struct fake *f;
	size_t functions, fields, available;
	/* 0: plans by the calling convention at the entry; k > 0: from DWARF
	 * locations at k quarters into the function (issue 13). */
	int quarter;
	size_t kinds[FETCH_OPTIMIZED_OUT + 1];
};

static int same_function(struct dw_function *fn, void *arg)
{
	struct walk *w = arg;
	struct event_layout *l = event_layout_new(fn, 0);
	struct fetch_plan *plans = calloc(fn->nparams + 1, sizeof(*plans));
	struct decode_opts o = {.string_limit = 64, .array_limit = 64};
	struct ust_desc_opts uo = {.string_limit = 64};
	struct ust_scalar rec[256], val[256];
	static uint8_t rbuf[16384];
	static char vbuf[16384];
	struct compiled c;

	arch_plan_call(fn, plans, &l->ret.plan, &l->entry_vregs, &l->exit_vregs);
	if (w->quarter) {
		if (!fn->has_dwarf || !fn->size ||
		    dw_function_plan_params_at(fn, fn->addr + fn->size * (uint64_t)w->quarter / 4, plans) != 0) {
			free(plans);
			event_layout_free(l);
			return 0;
		}
		l->entry_vregs = false;
		for (size_t i = 0; i < fn->nparams; i++) {
			l->entry_vregs |= arch_plan_reads_vregs(&plans[i]);
			for (unsigned k = 0; plans[i].available && k < plans[i].npieces; k++)
				w->kinds[plans[i].pieces[k].kind]++;
		}
	}
	for (size_t i = 0; i < fn->nparams; i++)
		l->fields[i].plan = plans[i];
	free(plans);
	c = compile(l, &uo);
	for (int exit = 0; exit < 2; exit++) {
		const struct dwt_ust_event_desc *ev = exit ? c.exit : c.entry;
		struct capture_record r;
		struct value_source src;
		struct arena arena = {0};
		const struct value *v;

		assert_true(ev->nfields <= 256);
		capture(w->f, l, exit, &o, &r);
		src = record_value_source(&r);
		v = exit ? decode_return(l, &src, &o, &arena) : decode_entry(l, &src, &o, &arena);
		ust_scalars_from_record(c.blob, c.size, ev, &r, 123, rec, rbuf, sizeof(rbuf));
		ust_scalars_from_values(c.blob, c.size, ev, ust_desc_event_paths(c.paths, exit), v, NULL, 123, val,
					vbuf, sizeof(vbuf));
		assert_same_scalars(&c, ev, rec, val, fn->name);
		w->fields += ev->nfields;
		for (uint32_t i = 0; i < ev->nfields; i++)
			w->available += rec[i].available;
		arena_free(&arena);
	}
	release(&c);
	event_layout_free(l);
	w->functions++;
	return 0;
}

/* same_function over every function of the three sample libraries. */
static void walk_samples(struct walk *w)
{
	const char *libs[] = {types_path, wide_path, cxx_path};

	for (int i = 0; i < 3; i++) {
		struct dw_session *s = NULL;
		char *err = NULL;

		if (dw_session_open_file(libs[i], &s, &err) != 0)
			fail_msg("open %s: %s", libs[i], err);
		assert_true(dw_module_each_function(dw_session_module(s, 0), "*", true, same_function, w) > 0);
		dw_session_close(s);
	}
}

void test_record_equals_values(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 8; seed++) {
		struct walk w = {fake_new(), 0, 0, 0, 0, {0}};

		fill(w.f, seed * 0x9e3779b97f4a7c15ull);
		walk_samples(&w);
		/* the samples' functions, most of their fields readable */
		assert_true(w.functions >= 60);
		assert_true(w.available * 10 >= w.fields * 7);
		free(w.f);
	}
}

/* The same over plans from DWARF locations inside each function: constants,
 * fixed addresses, DWARF expressions (which both writers show as
 * unavailable) and registers or memory. */
void test_record_equals_values_locations(void **state)
{
	size_t kinds[FETCH_OPTIMIZED_OUT + 1] = {0};

	(void)state;
	for (int quarter = 1; quarter <= 3; quarter++) {
		struct walk w = {fake_new(), 0, 0, 0, quarter, {0}};

		fill(w.f, (uint64_t)quarter * 0x9e3779b97f4a7c15ull);
		walk_samples(&w);
		assert_true(w.functions >= 40);
		for (int k = 0; k <= FETCH_OPTIMIZED_OUT; k++)
			kinds[k] += w.kinds[k];
		free(w.f);
	}
	/* The kinds were there to compare: at -O0 stack slots (DW_OP_fbreg
	 * through the CFA); at -O2 registers and expressions. */
	assert_true(kinds[FETCH_MEM] > 0);
	if (strstr(types_path, "/O2/")) {
		assert_true(kinds[FETCH_REG] > 0);
		assert_true(kinds[FETCH_EXPR] > 0);
	}
}
