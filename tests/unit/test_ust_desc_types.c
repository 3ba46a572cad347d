/* The description compiler on libtypes.so: every C kind of parameter. */
#include "test_ust_desc.h"

#include "../../samples/types_lib.h"

/* ---- the cases ------------------------------------------------------- */

/* struct rich: nested members, an enum member, an int array (left out: not
 * a char array), a char *, bit fields. */
void test_rich(void **state)
{
	static const char *const entry[] = {"r_pos_x", "r_pos_y", "r_color", "r_label",
					    "r_flags", "r_mode",  "r_delta"};
	static const char *const exit[] = {"retval", "duration_ns"};
	struct loaded ld = load(types_path, "t_rich");
	struct compiled c = compile(ld.l, &plain);
	const struct dwt_ust_field *f;
	const struct dwt_ust_enum_entry *en;
	struct rich r = {0}, one = {0};
	struct ust_scalar out[16];
	char buf[256];
	struct fake *fk = fake_new();
	uint64_t label_at = FAKE_BASE + 0x100;
	uint32_t i;

	(void)state;
	assert_string_equal(str(&c, ((const struct dwt_ust_desc *)c.blob)->provider), "dwtrace");
	assert_string_equal(str(&c, c.entry->name), "t_rich_entry");
	assert_string_equal(str(&c, c.exit->name), "t_rich_exit");
	assert_int_equal(c.entry->kind, 1);
	assert_int_equal(c.exit->kind, 2);
	assert_int_equal(c.entry->align, 1);
	assert_names(&c, c.entry, entry, 7);
	assert_names(&c, c.exit, exit, 2);

	/* one image, the parameter: MEMORY class, on the stack at rsp+8 */
	assert_int_equal(c.entry->nimages, 1);
	assert_image_is_plan(&images(&c, c.entry)[0], &ld.l->fields[0].plan);
	assert_int_equal(images(&c, c.entry)[0].size, sizeof(struct rich));
	assert_int_equal(images(&c, c.entry)[0].npieces, 1);
	assert_int_equal(images(&c, c.entry)[0].pieces[0].kind, DWT_UST_PIECE_MEM);
	assert_int_equal(images(&c, c.entry)[0].pieces[0].regno, 7);
	assert_int_equal(images(&c, c.entry)[0].pieces[0].offset, 8);

	f = field(&c, c.entry, "r_pos_y", NULL);
	assert_int_field(f, 2, true, 10);
	assert_int_equal(f->offset, offsetof(struct rich, pos) + offsetof(struct inner, y));
	assert_int_equal(f->src_size, 2);
	assert_int_equal(f->from, DWT_UST_FROM_IMAGE);
	f = field(&c, c.entry, "r_color", NULL);
	assert_int_equal(f->type, DWT_UST_ENUM);
	assert_int_equal(f->size, sizeof(enum color));
	assert_int_equal(f->offset, offsetof(struct rich, color));
	assert_string_equal(str(&c, f->enum_name), "t_rich_entry_enum0");
	assert_int_equal(f->nentries, 3);
	en = (const struct dwt_ust_enum_entry *)((const char *)c.blob + f->entries);
	assert_string_equal(str(&c, en[1].name), "GREEN");
	assert_int_equal(en[1].value, GREEN);
	assert_string_equal(str(&c, en[2].name), "BLUE");
	assert_int_equal(en[2].value, BLUE);
	f = field(&c, c.entry, "r_label", NULL);
	assert_int_equal(f->type, DWT_UST_STRING);
	assert_int_equal(f->deref, DWT_UST_CSTRING);
	assert_int_equal(f->offset, offsetof(struct rich, label));
	assert_int_equal(f->src_size, 8);
	assert_int_equal(f->length, 256);

	/* Bit fields: the places read back what the compiler stored. */
	r.flags = 5;
	r.mode = 17;
	r.delta = -3;
	assert_int_field(field(&c, c.entry, "r_delta", NULL), 4, true, 10);
	assert_int_equal(field(&c, c.entry, "r_flags", NULL)->bit_size, 3);
	assert_true(field(&c, c.entry, "r_flags", NULL)->bit_offset < 8);
	assert_int_equal(image_int(field(&c, c.entry, "r_flags", NULL), (uint8_t *)&r), 5);
	assert_int_equal(image_int(field(&c, c.entry, "r_mode", NULL), (uint8_t *)&r), 17);
	assert_int_equal(image_int(field(&c, c.entry, "r_delta", NULL), (uint8_t *)&r), (uint64_t)-3);
	one.mode = 31;
	assert_int_equal(image_int(field(&c, c.entry, "r_flags", NULL), (uint8_t *)&one), 0);
	assert_int_equal(image_int(field(&c, c.entry, "r_mode", NULL), (uint8_t *)&one), 31);
	assert_int_equal(image_int(field(&c, c.entry, "r_delta", NULL), (uint8_t *)&one), 0);

	/* Scalars from decode's values of the compiler's bytes. */
	r.pos.x = 3;
	r.pos.y = -4;
	r.color = GREEN;
	r.label = (const char *)(uintptr_t)label_at;
	memcpy(fk->mem + (FAKE_SP + 8 - FAKE_BASE), &r, sizeof(r));
	memcpy(fk->mem + (label_at - FAKE_BASE), "hello", 6);
	entry_scalars(&c, ld.l, fk, NULL, out, buf, sizeof(buf));
	field(&c, c.entry, "r_pos_x", &i);
	assert_true(out[i].available);
	assert_int_equal(out[i].u, 3);
	field(&c, c.entry, "r_pos_y", &i);
	assert_int_equal(out[i].u, (uint64_t)-4);
	field(&c, c.entry, "r_color", &i);
	assert_int_equal(out[i].u, GREEN);
	field(&c, c.entry, "r_label", &i);
	assert_true(out[i].available);
	assert_int_equal(out[i].len, 5);
	assert_memory_equal(out[i].str, "hello", 5);
	field(&c, c.entry, "r_flags", &i);
	assert_int_equal(out[i].u, 5);
	field(&c, c.entry, "r_mode", &i);
	assert_int_equal(out[i].u, 17);
	field(&c, c.entry, "r_delta", &i);
	assert_int_equal(out[i].u, (uint64_t)-3);
	free_strs(out, c.entry->nfields, buf, sizeof(buf));

	/* The exit of a tail call: no return value known, the duration is. */
	ust_scalars_from_values(c.blob, c.size, c.exit, ust_desc_event_paths(c.paths, 1), NULL, NULL, 77, out,
				buf, sizeof(buf));
	assert_false(out[0].available);
	assert_true(out[1].available);
	assert_int_equal(out[1].u, 77);
	assert_int_field(field(&c, c.exit, "duration_ns", NULL), 8, false, 10);
	assert_int_equal(field(&c, c.exit, "duration_ns", NULL)->from, DWT_UST_FROM_DURATION);
	free(fk);
	release(&c);
	unload(&ld);
}

void test_enums(void **state)
{
	struct loaded ld = load(types_path, "t_enums");
	struct compiled c = compile(ld.l, &plain);
	const struct dwt_ust_field *f;
	const struct dwt_ust_enum_entry *en;
	struct ust_scalar out[4];
	char buf[64];
	struct fake *fk = fake_new();

	(void)state;
	f = field(&c, c.entry, "c", NULL);
	assert_int_equal(f->type, DWT_UST_ENUM);
	assert_false(f->is_signed);
	assert_string_equal(str(&c, f->enum_name), "t_enums_entry_enum0");
	f = field(&c, c.entry, "l", NULL);
	assert_int_equal(f->type, DWT_UST_ENUM);
	assert_true(f->is_signed);
	assert_int_equal(f->size, sizeof(enum level));
	assert_string_equal(str(&c, f->enum_name), "t_enums_entry_enum1");
	assert_int_equal(f->nentries, 3);
	en = (const struct dwt_ust_enum_entry *)((const char *)c.blob + f->entries);
	assert_string_equal(str(&c, en[0].name), "LEVEL_LOW");
	assert_int_equal(en[0].value, LEVEL_LOW);
	assert_int_equal(en[0].is_signed, 1);
	assert_int_equal(en[1].is_signed, 0);
	f = field(&c, c.exit, "retval", NULL);
	assert_int_equal(f->type, DWT_UST_ENUM);
	assert_string_equal(str(&c, f->enum_name), "t_enums_exit_enum0");

	set_reg64(fk, 5, BLUE);
	set_reg64(fk, 4, (uint32_t)LEVEL_LOW);
	entry_scalars(&c, ld.l, fk, NULL, out, buf, sizeof(buf));
	assert_int_equal(out[0].u, BLUE);
	assert_int_equal(out[1].u, (uint64_t)(int64_t)LEVEL_LOW);
	free(fk);
	release(&c);
	unload(&ld);
}

void test_small_and_floats(void **state)
{
	static const char *const entry[] = {"s_id", "s_ratio", "s_value", "scale"};
	struct loaded ld = load(types_path, "t_small"), ldf;
	struct compiled c = compile(ld.l, &plain), cf;
	const struct dwt_ust_image *im;
	const struct dwt_ust_field *f;
	struct small s = {7, 0.5f, 2.25};
	double scale = -1.5;
	long double ldv = 1.25L;
	struct ust_scalar out[8];
	char buf[64];
	struct fake *fk = fake_new();

	(void)state;
	assert_names(&c, c.entry, entry, 4);
	f = field(&c, c.entry, "s_ratio", NULL);
	assert_int_equal(f->type, DWT_UST_FLOAT);
	assert_int_equal(f->size, 4);
	assert_int_equal(f->float_src, DWT_UST_F32);
	assert_int_equal(f->offset, offsetof(struct small, ratio));
	f = field(&c, c.entry, "s_value", NULL);
	assert_int_equal(f->size, 8);
	assert_int_equal(f->float_src, DWT_UST_F64);
	assert_int_equal(f->offset, offsetof(struct small, value));
	/* INTEGER eightbyte in rdi, SSE eightbyte in xmm0; scale in xmm1 */
	im = images(&c, c.entry);
	assert_image_is_plan(&im[0], &ld.l->fields[0].plan);
	assert_image_is_plan(&im[1], &ld.l->fields[1].plan);
	assert_int_equal(im[0].npieces, 2);
	assert_int_equal(im[0].pieces[0].regno, 5);
	assert_int_equal(im[0].pieces[1].regno, 17);
	assert_int_equal(im[0].pieces[1].dest, 8);
	assert_int_equal(im[1].pieces[0].regno, 18);
	assert_int_equal(field(&c, c.entry, "scale", NULL)->image, 1);

	set_reg(fk, 5, &s, 8);
	set_reg(fk, 17, &s.value, 8);
	set_reg(fk, 18, &scale, 8);
	entry_scalars(&c, ld.l, fk, NULL, out, buf, sizeof(buf));
	assert_int_equal(out[0].u, 7);
	assert_true(out[1].d == 0.5);
	assert_true(out[2].d == 2.25);
	assert_true(out[3].d == -1.5);
	release(&c);
	unload(&ld);

	/* long double: written as a double, read as x87 extended, in memory */
	ldf = load(types_path, "t_floats");
	cf = compile(ldf.l, &plain);
	f = field(&cf, cf.entry, "ld", NULL);
	assert_int_equal(f->type, DWT_UST_FLOAT);
	assert_int_equal(f->size, 8);
	assert_int_equal(f->float_src, DWT_UST_F80);
	assert_int_equal(f->src_size, 10);
	assert_int_equal(images(&cf, cf.entry)[2].pieces[0].kind, DWT_UST_PIECE_MEM);
	memcpy(fk->mem + (FAKE_SP + 8 - FAKE_BASE), &ldv, sizeof(ldv));
	entry_scalars(&cf, ldf.l, fk, NULL, out, buf, sizeof(buf));
	assert_true(out[2].available);
	assert_true(out[2].d == 1.25);
	free(fk);
	release(&cf);
	unload(&ldf);
}

void test_strings_and_pointers(void **state)
{
	struct loaded ld = load(types_path, "t_strings"), lp;
	struct ust_desc_opts o = {.string_limit = 40};
	struct compiled c = compile(ld.l, &o), cp;
	struct ust_scalar out[8];
	char buf[64];
	struct fake *fk = fake_new();
	const char *names[] = {"text", "bytes", "schars"};

	(void)state;
	for (int k = 0; k < 3; k++) {
		const struct dwt_ust_field *f = field(&c, c.entry, names[k], NULL);
		assert_int_equal(f->type, DWT_UST_STRING);
		assert_int_equal(f->deref, DWT_UST_CSTRING);
		assert_int_equal(f->length, 40);
		assert_int_equal(f->nofilter, 0);
	}
	set_reg64(fk, 5, FAKE_BASE + 16);
	memcpy(fk->mem + 16, "abc", 4);
	set_reg64(fk, 4, 0);           /* NULL */
	set_reg64(fk, 1, 0x1000);      /* not mapped */
	entry_scalars(&c, ld.l, fk, NULL, out, buf, sizeof(buf));
	assert_true(out[0].available);
	assert_int_equal(out[0].len, 3);
	assert_memory_equal(out[0].str, "abc", 3);
	assert_false(out[1].available);
	assert_false(out[2].available);
	free_strs(out, 3, buf, sizeof(buf));
	release(&c);
	unload(&ld);

	lp = load(types_path, "t_pointers");
	cp = compile(lp.l, &plain);
	assert_int_equal(cp.entry->nfields, 4);
	for (uint32_t k = 0; k < 4; k++)
		assert_int_field(&fields(&cp, cp.entry)[k], 8, false, 16);
	set_reg64(fk, 1, 0xdeadbeef000); /* cb: the third INTEGER, rdx */
	entry_scalars(&cp, lp.l, fk, NULL, out, buf, sizeof(buf));
	assert_int_equal(out[field(&cp, cp.entry, "cb", NULL) - fields(&cp, cp.entry)].u, 0xdeadbeef000);
	free(fk);
	release(&cp);
	unload(&lp);
}

void test_big_chars(void **state)
{
	static const char *const entry[] = {"b_a", "b_b", "b_c", "b_d", "b_name", "k"};
	struct loaded ld = load(types_path, "t_big");
	struct compiled c = compile(ld.l, &plain);
	const struct dwt_ust_field *f;
	struct big b = {1, -2, 3, 4.5, "abcdefg"};
	struct ust_scalar out[8];
	char buf[64];
	struct fake *fk = fake_new();

	(void)state;
	assert_names(&c, c.entry, entry, 6);
	f = field(&c, c.entry, "b_name", NULL);
	assert_int_equal(f->type, DWT_UST_CHARS);
	assert_int_equal(f->length, sizeof(b.name));
	assert_int_equal(f->offset, offsetof(struct big, name));
	assert_int_equal(field(&c, c.entry, "b_d", NULL)->offset, offsetof(struct big, d));
	memcpy(fk->mem + (FAKE_SP + 8 - FAKE_BASE), &b, sizeof(b));
	set_reg64(fk, 4, 9); /* k: rsi, after the hidden return pointer */
	entry_scalars(&c, ld.l, fk, NULL, out, buf, sizeof(buf));
	assert_int_equal(out[1].u, (uint64_t)-2);
	assert_true(out[3].d == 4.5);
	assert_int_equal(out[4].len, 8);
	assert_memory_equal(out[4].str, "abcdefg", 8);
	assert_int_equal(out[5].u, 9);
	free_strs(out, 6, buf, sizeof(buf));
	free(fk);
	release(&c);
	unload(&ld);
}

/* dwtrace-side emission: pid and tid first, our names win, the stack last. */
void test_pid_tid_stack(void **state)
{
	static const char *const entry[] = {"pid", "tid", "_pid", "x", "stack"};
	static const char *const exit[] = {"pid", "tid", "retval", "duration_ns"};
	struct dw_type t_int = {.kind = DW_KIND_SINT, .name = "int", .size = 4};
	struct dw_type t_long = {.kind = DW_KIND_SINT, .name = "long", .size = 8};
	struct layout_field fs[] = {
		{.name = "pid", .type = &t_int, .plan = {true, 4, 1, {{FETCH_REG, 5, 4, 0, 0}}}},
		{.name = "x", .type = &t_long, .plan = {true, 8, 1, {{FETCH_REG, 4, 8, 0, 0}}}},
	};
	struct event_layout l = {.function = "f", .fields = fs, .nfields = 2, .has_ret = true,
				 .ret = {.name = "retval", .type = &t_int,
					 .plan = {true, 4, 1, {{FETCH_REG, 0, 4, 0, 0}}}}};
	struct ust_desc_opts o = {.with_pid_tid = true, .with_stack = true, .natural_align = true,
				  .string_limit = 256};
	struct compiled c = compile(&l, &o), p = compile(&l, &plain);
	struct stack_frame frames[] = {{.addr = 1, .function = "f", .offset = 0x1a, .module = "libx.so",
					.file = "x.c", .line = 12},
				       {.addr = 2, .offset = 0x7}};
	struct stack_trace st = {frames, 2, NULL};
	struct event_header h = {.pid = 1234, .tid = -5, .stack = &st};
	struct ust_scalar out[8];
	char buf[4200];
	struct fake *fk = fake_new();
	struct value_source src = {fk, fake_reg, fake_mem};
	struct decode_opts dopts = {.string_limit = 256, .array_limit = 64};
	struct arena arena = {0};
	const char *want = "f+0x1a (libx.so) x.c:12; ?" "?+0x7 (?" "?)";

	(void)state;
	assert_names(&c, c.entry, entry, 5);
	assert_names(&c, c.exit, exit, 4);
	assert_int_field(field(&c, c.entry, "pid", NULL), 4, true, 10);
	assert_int_equal(field(&c, c.entry, "pid", NULL)->from, DWT_UST_FROM_PID);
	assert_int_equal(field(&c, c.entry, "tid", NULL)->from, DWT_UST_FROM_TID);
	assert_int_equal(field(&c, c.entry, "stack", NULL)->type, DWT_UST_STRING);
	assert_int_equal(field(&c, c.entry, "stack", NULL)->nofilter, 1);
	assert_int_equal(field(&c, c.entry, "stack", NULL)->from, DWT_UST_FROM_STACK);
	/* natural alignment: the largest integer */
	assert_int_equal(c.entry->align, 8);
	assert_int_equal(c.exit->align, 8);
	/* without dwtrace-side fields the parameter keeps its name */
	assert_string_equal(str(&p, fields(&p, p.entry)[0].name), "pid");
	assert_int_equal(p.entry->nfields, 2);

	set_reg64(fk, 5, (uint32_t)-7);
	set_reg64(fk, 4, 99);
	entry_scalars(&c, &l, fk, &h, out, buf, sizeof(buf));
	assert_int_equal(out[0].u, 1234);
	assert_int_equal(out[1].u, (uint64_t)-5);
	assert_int_equal(out[2].u, (uint64_t)-7);
	assert_int_equal(out[3].u, 99);
	assert_true(out[4].available);
	assert_int_equal(out[4].len, strlen(want));
	assert_memory_equal(out[4].str, want, strlen(want));
	assert_int_equal(out[4].str[out[4].len], '\0');
	/* a buffer too small for the stack: cut, never overrun */
	entry_scalars(&c, &l, fk, &h, out, buf, 10);
	assert_int_equal(out[4].len, 9);
	assert_memory_equal(out[4].str, want, 9);

	set_reg64(fk, 0, 42);
	ust_scalars_from_values(c.blob, c.size, c.exit, ust_desc_event_paths(c.paths, 1),
				decode_return(&l, &src, &dopts, &arena), &h, 5000, out, buf, sizeof(buf));
	assert_int_equal(out[2].u, 42);
	assert_int_equal(out[3].u, 5000);
	arena_free(&arena);
	free(fk);
	release(&c);
	release(&p);
}

void test_int_widths(void **state)
{
	static const char *const names[] = {"i8", "u8", "i16", "u16", "i32", "u32"};
	struct loaded ld = load(types_path, "t_int_widths"), lc;
	struct compiled c = compile(ld.l, &plain), cc;
	struct ust_scalar out[8];
	char buf[64];
	struct fake *fk = fake_new();
	const unsigned regs[] = {5, 4, 1, 2, 8, 9};

	(void)state;
	assert_names(&c, c.entry, names, 6);
	for (int k = 0; k < 6; k++) {
		assert_int_field(&fields(&c, c.entry)[k], 1u << (k / 2), k % 2 == 0, 10);
		set_reg64(fk, regs[k], UINT64_MAX); /* every width's -1 / max */
	}
	entry_scalars(&c, ld.l, fk, NULL, out, buf, sizeof(buf));
	assert_int_equal(out[0].u, UINT64_MAX);
	assert_int_equal(out[1].u, 0xff);
	assert_int_equal(out[2].u, UINT64_MAX);
	assert_int_equal(out[3].u, 0xffff);
	assert_int_equal(out[4].u, UINT64_MAX);
	assert_int_equal(out[5].u, 0xffffffff);
	free(fk);
	release(&c);
	unload(&ld);

	lc = load(types_path, "t_c_types");
	cc = compile(lc.l, &plain);
	assert_int_field(field(&cc, cc.entry, "flag", NULL), 1, false, 10);
	assert_int_field(field(&cc, cc.entry, "c", NULL), 1, true, 10);
	assert_int_field(field(&cc, cc.entry, "uc", NULL), 1, false, 10);
	assert_int_field(field(&cc, cc.entry, "ll", NULL), 8, true, 10);
	release(&cc);
	unload(&lc);
}
