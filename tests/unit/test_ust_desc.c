/* The description compiler (probes/ust_desc.c) on layouts built from the
 * samples' DWARF as dwtrace builds them (event_layout_new() +
 * arch_plan_call()): argv[1] libtypes.so, argv[2] libwide_types.so,
 * argv[3] libcxxtypes.so.  Oracles are the samples' own declarations:
 * field names from the C sources, offsets from offsetof(), bit fields
 * found by setting them in a compiler-built struct, values the compiler
 * put in bytes given to decode; never dwtrace's output. */
#include "test_ust_desc.h"

#include "../../samples/types_lib.h"

const char *types_path, *wide_path, *cxx_path;

/* ---- layouts from DWARF ------------------------------------------------ */

static int take_first(struct dw_function *f, void *arg)
{
	*(struct dw_function **)arg = f;
	return 1;
}

struct loaded load(const char *path, const char *fn)
{
	struct loaded ld = {0};
	struct dw_function *f = NULL;
	struct fetch_plan *plans;
	char *err = NULL;

	if (dw_session_open_file(path, &ld.s, &err) != 0)
		fail_msg("open %s: %s", path, err);
	assert_int_equal(dw_module_each_function(dw_session_module(ld.s, 0), fn, false, take_first, &f), 1);
	ld.l = event_layout_new(f, 0);
	plans = calloc(f->nparams + 1, sizeof(*plans));
	arch_plan_call(f, plans, &ld.l->ret.plan, &ld.l->entry_vregs, &ld.l->exit_vregs);
	for (size_t i = 0; i < f->nparams; i++)
		ld.l->fields[i].plan = plans[i];
	free(plans);
	return ld;
}

void unload(struct loaded *ld)
{
	event_layout_free(ld->l);
	dw_session_close(ld->s);
}

const struct ust_desc_opts plain = {.string_limit = 256};

struct compiled compile(const struct event_layout *l, const struct ust_desc_opts *o)
{
	struct ust_desc_builder *b = ust_desc_builder_new("dwtrace", o);
	struct compiled c = {0};
	uint32_t ie = 99, ix = 99;
	const struct dwt_ust_desc *d;

	ust_desc_add_layout(b, l, &ie, &ix);
	assert_int_equal(ie, 0);
	assert_int_equal(ix, 1);
	c.blob = ust_desc_finish(b, &c.size, &c.paths);
	assert_non_null(c.blob);
	check_blob(c.blob, c.size);
	d = c.blob;
	c.entry = (const struct dwt_ust_event_desc *)((const char *)c.blob + d->events);
	c.exit = c.entry + 1;
	return c;
}

void release(struct compiled *c)
{
	free(c->blob);
	ust_desc_paths_free(c->paths);
}

/* ---- reading the blob as its ABI says (ust_abi.h) ----------------------- */

const char *str(const struct compiled *c, uint32_t off)
{
	assert_true(off < c->size);
	return (const char *)c->blob + off;
}

static void check_string(const void *blob, size_t size, uint32_t off)
{
	assert_true(off < size);
	assert_non_null(memchr((const char *)blob + off, '\0', size - off));
}

static void check_array(size_t size, uint32_t off, size_t n, size_t elem)
{
	assert_int_equal(off % 8, 0);
	assert_true(off <= size && n * elem <= size - off);
}

/* Every offset in the blob within it, 8-aligned, every string terminated. */
void check_blob(const void *blob, size_t size)
{
	const struct dwt_ust_desc *d = blob;

	assert_true(size >= sizeof(*d));
	assert_int_equal(d->magic, DWT_UST_DESC_MAGIC);
	assert_int_equal(d->size, size);
	assert_int_equal(size % 8, 0);
	check_string(blob, size, d->provider);
	check_array(size, d->events, d->nevents, sizeof(struct dwt_ust_event_desc));
	for (uint32_t i = 0; i < d->nevents; i++) {
		const struct dwt_ust_event_desc *ev =
			(const struct dwt_ust_event_desc *)((const char *)blob + d->events) + i;
		const struct dwt_ust_field *f = (const struct dwt_ust_field *)((const char *)blob + ev->fields);

		check_string(blob, size, ev->name);
		check_array(size, ev->images, ev->nimages, sizeof(struct dwt_ust_image));
		check_array(size, ev->fields, ev->nfields, sizeof(struct dwt_ust_field));
		assert_int_equal(ev->slot, 0);
		for (uint32_t k = 0; k < ev->nfields; k++) {
			check_string(blob, size, f[k].name);
			if (f[k].from == DWT_UST_FROM_IMAGE)
				assert_true(f[k].image < ev->nimages);
			if (f[k].type != DWT_UST_ENUM)
				continue;
			check_string(blob, size, f[k].enum_name);
			check_array(size, f[k].entries, f[k].nentries, sizeof(struct dwt_ust_enum_entry));
			for (uint32_t j = 0; j < f[k].nentries; j++)
				check_string(blob, size,
					     ((const struct dwt_ust_enum_entry *)((const char *)blob + f[k].entries))[j].name);
		}
	}
}

const struct dwt_ust_field *fields(const struct compiled *c, const struct dwt_ust_event_desc *ev)
{
	return (const struct dwt_ust_field *)((const char *)c->blob + ev->fields);
}

const struct dwt_ust_image *images(const struct compiled *c, const struct dwt_ust_event_desc *ev)
{
	return (const struct dwt_ust_image *)((const char *)c->blob + ev->images);
}

/* The field named name of ev, its index in *index. */
const struct dwt_ust_field *field(const struct compiled *c, const struct dwt_ust_event_desc *ev,
					 const char *name, uint32_t *index)
{
	for (uint32_t i = 0; i < ev->nfields; i++)
		if (!strcmp(str(c, fields(c, ev)[i].name), name)) {
			if (index)
				*index = i;
			return &fields(c, ev)[i];
		}
	fail_msg("no field %s in %s", name, str(c, ev->name));
	return NULL;
}

void assert_names(const struct compiled *c, const struct dwt_ust_event_desc *ev, const char *const *want,
			 size_t n)
{
	for (uint32_t i = 0; i < ev->nfields && i < n; i++)
		assert_string_equal(str(c, fields(c, ev)[i].name), want[i]);
	assert_int_equal(ev->nfields, n);
}

void assert_int_field(const struct dwt_ust_field *f, unsigned size, bool is_signed, unsigned base)
{
	assert_int_equal(f->type, DWT_UST_INT);
	assert_int_equal(f->size, size);
	assert_int_equal(f->is_signed, is_signed);
	assert_int_equal(f->base, base);
	assert_int_equal(f->nofilter, 0);
}

/* An integer field's value read from an image as ust_abi.h defines it
 * (what the in-process emitter does), to check places against the
 * compiler's layout. */
uint64_t image_int(const struct dwt_ust_field *f, const uint8_t *image)
{
	uint64_t v = 0;

	if (f->bit_size) {
		unsigned __int128 w = 0;
		memcpy(&w, image + f->offset, (f->bit_offset + f->bit_size + 7) / 8);
		v = (uint64_t)(w >> f->bit_offset) & ((UINT64_C(1) << f->bit_size) - 1);
		if (f->is_signed && (v >> (f->bit_size - 1)) & 1)
			v |= ~UINT64_C(0) << f->bit_size;
		return v;
	}
	memcpy(&v, image + f->offset, f->src_size);
	if (f->is_signed && f->src_size < 8 && (v >> (8 * f->src_size - 1)) & 1)
		v |= ~UINT64_C(0) << (8 * f->src_size);
	return v;
}

void assert_image_is_plan(const struct dwt_ust_image *im, const struct fetch_plan *p)
{
	assert_int_equal(im->available, p->available);
	assert_int_equal(im->size, p->size);
	assert_int_equal(im->npieces, p->npieces);
	for (unsigned i = 0; i < p->npieces; i++) {
		assert_int_equal(im->pieces[i].kind, p->pieces[i].kind);
		assert_int_equal(im->pieces[i].regno, p->pieces[i].regno);
		assert_int_equal(im->pieces[i].size, p->pieces[i].size);
		assert_int_equal(im->pieces[i].dest, p->pieces[i].dest);
		assert_int_equal(im->pieces[i].offset, p->pieces[i].offset);
	}
}

/* ---- a fake thread at the entry: registers and memory ------------------- */

int fake_reg(void *ctx, unsigned regno, void *buf, size_t size)
{
	struct fake *f = ctx;

	if (regno > 40 || size > (regno < 17 ? 8u : 16u))
		return -1;
	memcpy(buf, f->reg[regno], size);
	return 0;
}

ssize_t fake_mem(void *ctx, uint64_t addr, void *buf, size_t size)
{
	struct fake *f = ctx;
	size_t n;

	if (addr < f->base || addr >= f->base + sizeof(f->mem))
		return -1;
	n = f->base + sizeof(f->mem) - addr < size ? (size_t)(f->base + sizeof(f->mem) - addr) : size;
	memcpy(buf, f->mem + (addr - f->base), n);
	return (ssize_t)n;
}

void set_reg(struct fake *f, unsigned regno, const void *v, size_t size)
{
	memcpy(f->reg[regno], v, size);
}

void set_reg64(struct fake *f, unsigned regno, uint64_t v)
{
	memcpy(f->reg[regno], &v, 8);
}

struct fake *fake_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	f->base = FAKE_BASE;
	set_reg64(f, 7, FAKE_SP);
	return f;
}

/* Entry scalars of c over decode's values of the fake thread. */
void entry_scalars(const struct compiled *c, const struct event_layout *l, struct fake *f,
			  const struct event_header *h, struct ust_scalar *out, char *buf, size_t bufsize)
{
	struct value_source src = {f, fake_reg, fake_mem};
	struct decode_opts opts = {.string_limit = 256, .array_limit = 64};
	struct arena arena = {0};
	struct value *v = decode_entry(l, &src, &opts, &arena);

	ust_scalars_from_values(c->blob, c->size, c->entry, ust_desc_event_paths(c->paths, 0), v, h, 0, out, buf,
				bufsize);
	/* Strings point into the values: copy what the tests compare. */
	for (uint32_t i = 0; i < c->entry->nfields; i++)
		if (out[i].available && out[i].str && (out[i].str < buf || out[i].str >= buf + bufsize)) {
			char *s = malloc(out[i].len + 1);
			memcpy(s, out[i].str, out[i].len);
			s[out[i].len] = '\0';
			out[i].str = s; /* leaked into the test's lifetime: freed by free_strs */
		}
	arena_free(&arena);
}

void free_strs(const struct ust_scalar *out, size_t n, const char *buf, size_t bufsize)
{
	for (size_t i = 0; i < n; i++)
		if (out[i].available && out[i].str && (out[i].str < buf || out[i].str >= buf + bufsize))
			free((void *)out[i].str);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rich),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_small_and_floats),
		cmocka_unit_test(test_strings_and_pointers),
		cmocka_unit_test(test_big_chars),
		cmocka_unit_test(test_pid_tid_stack),
		cmocka_unit_test(test_int_widths),
		cmocka_unit_test(test_wide),
		cmocka_unit_test(test_cxx),
		cmocka_unit_test(test_oversize_image),
		cmocka_unit_test(test_many_layouts),
		cmocka_unit_test(test_record_equals_values),
		cmocka_unit_test(test_record_equals_values_locations),
	};

	if (argc != 4) {
		fprintf(stderr, "usage: %s LIBTYPES LIBWIDE_TYPES LIBCXXTYPES\n", argv[0]);
		return 2;
	}
	types_path = argv[1];
	wide_path = argv[2];
	cxx_path = argv[3];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
