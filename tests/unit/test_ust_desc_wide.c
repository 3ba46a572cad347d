/* The description compiler on wide types (libwide_types.so), C++ classes
 * and strings (libcxxtypes.so), oversized values and blobs of several
 * layouts. */
#include "test_ust_desc.h"

#include "../../samples/wide_types_lib.h"

/* __int128 as decimal digits; complex parts; vector elements; binary128. */
void test_wide(void **state)
{
	static const char *const vec[] = {"a_0", "a_1", "a_2", "a_3", "b_0", "b_1", "b_2", "b_3",
					  "c_0", "c_1", "c_2", "c_3", "h_0", "h_1", "h_2", "h_3"};
	struct loaded l1 = load(wide_path, "w_i128"), l2 = load(wide_path, "w_cdouble"), l3 = load(wide_path, "w_vec"),
		      l4 = load(wide_path, "w_f128"), l5 = load(wide_path, "w_cldouble"),
		      l6 = load(wide_path, "w_struct");
	struct compiled c1 = compile(l1.l, &plain), c2 = compile(l2.l, &plain), c3 = compile(l3.l, &plain),
			c4 = compile(l4.l, &plain), c5 = compile(l5.l, &plain), c6 = compile(l6.l, &plain);
	const struct dwt_ust_field *f;
	struct ust_scalar out[20];
	char buf[128];
	struct fake *fk = fake_new();
	__int128 a = -(((__int128)1234567890123456789LL) * 1000000007LL);
	v4sf av = {1.0f, 2.0f, 3.0f, 4.0f};
	v4hi hv = {-1, 2, -3, 4};
	_Float128 q = 2.5;

	(void)state;
	/* __int128: a string of digits, not visible to filters, two registers */
	f = field(&c1, c1.entry, "a", NULL);
	assert_int_equal(f->type, DWT_UST_DEC128);
	assert_int_equal(f->nofilter, 1);
	assert_true(f->is_signed);
	assert_int_equal(f->src_size, 16);
	assert_false(field(&c1, c1.entry, "b", NULL)->is_signed);
	assert_int_equal(field(&c1, c1.exit, "retval", NULL)->type, DWT_UST_DEC128);
	assert_image_is_plan(&images(&c1, c1.entry)[0], &l1.l->fields[0].plan);
	assert_int_equal(images(&c1, c1.entry)[0].npieces, 2);
	set_reg(fk, 5, &a, 8);
	set_reg(fk, 4, (const char *)&a + 8, 8);
	entry_scalars(&c1, l1.l, fk, NULL, out, buf, sizeof(buf));
	assert_true(out[0].available);
	assert_int_equal(out[0].len, strlen("-1234567898765432019864197523"));
	assert_memory_equal(out[0].str, "-1234567898765432019864197523", out[0].len);

	/* complex: NAME_real, NAME_imag at the parts' offsets */
	f = field(&c2, c2.entry, "z_imag", NULL);
	assert_int_equal(f->float_src, DWT_UST_F64);
	assert_int_equal(f->offset, sizeof(double));
	f = field(&c2, c2.entry, "f_imag", NULL);
	assert_int_equal(f->float_src, DWT_UST_F32);
	assert_int_equal(f->size, 4);
	assert_int_equal(f->offset, sizeof(float));
	assert_int_equal(field(&c2, c2.entry, "f_real", NULL)->image, 1);
	f = field(&c5, c5.entry, "z_imag", NULL);
	assert_int_equal(f->float_src, DWT_UST_F80);
	assert_int_equal(f->offset, sizeof(long double));

	/* vectors: NAME_i at i * the element's size */
	assert_names(&c3, c3.entry, vec, 16);
	assert_int_equal(field(&c3, c3.entry, "a_3", NULL)->offset, 12);
	assert_int_field(field(&c3, c3.entry, "b_1", NULL), 4, true, 10);
	assert_int_field(field(&c3, c3.entry, "h_2", NULL), 2, true, 10);
	assert_int_equal(field(&c3, c3.entry, "h_2", NULL)->offset, 4);
	assert_int_equal(field(&c3, c3.entry, "h_2", NULL)->image, 3);
	set_reg(fk, 17, &av, 16);
	set_reg(fk, 20, &hv, 8);
	entry_scalars(&c3, l3.l, fk, NULL, out, buf, sizeof(buf));
	assert_true(out[2].d == 3.0);
	assert_int_equal(out[14].u, (uint64_t)-3);

	/* _Float128 */
	f = field(&c4, c4.entry, "x", NULL);
	assert_int_equal(f->float_src, DWT_UST_F128);
	assert_int_equal(f->src_size, 16);
	assert_int_equal(f->size, 8);
	set_reg(fk, 17, &q, 16);
	entry_scalars(&c4, l4.l, fk, NULL, out, buf, sizeof(buf));
	assert_true(out[0].d == 2.5);

	/* struct wide_pair: tag, v (digits); arr (not chars) left out */
	assert_int_equal(field(&c6, c6.entry, "p_v", NULL)->offset, offsetof(struct wide_pair, v));
	assert_int_equal(field(&c6, c6.entry, "p_v", NULL)->type, DWT_UST_DEC128);
	assert_int_equal(field(&c6, c6.entry, "r_v", NULL)->offset, 0);
	for (uint32_t i = 0; i < c6.entry->nfields; i++)
		assert_null(strstr(str(&c6, fields(&c6, c6.entry)[i].name), "arr"));
	assert_int_equal(c6.entry->nfields, 3);

	free(fk);
	release(&c1), release(&c2), release(&c3), release(&c4), release(&c5), release(&c6);
	unload(&l1), unload(&l2), unload(&l3), unload(&l4), unload(&l5), unload(&l6);
}

/* std::string by value (invisible reference in rdi), string_view (two
 * registers), an enum class, a base class; events named by linkage name
 * (nm libcxxtypes.so). */
void test_cxx(void **state)
{
	struct loaded l1 = load(cxx_path, "ct::ct_str_val"), l2 = load(cxx_path, "ct::ct_sv"),
		      l3 = load(cxx_path, "ct::ct_color"), l4 = load(cxx_path, "ct::ct_circle");
	struct compiled c1 = compile(l1.l, &plain), c2 = compile(l2.l, &plain), c3 = compile(l3.l, &plain),
			c4 = compile(l4.l, &plain);
	const struct dwt_ust_field *f;
	struct ust_scalar out[4];
	char buf[64];
	struct fake *fk = fake_new();
	uint64_t obj[4] = {FAKE_BASE + 64, 8, 0, 0};

	(void)state;
	assert_string_equal(str(&c1, c1.entry->name),
			    "_ZN2ct10ct_str_valENSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE_entry");
	assert_string_equal(str(&c3, c3.exit->name), "_ZN2ct8ct_colorENS_5ColorE_exit");
	/* libstdc++: _M_dataplus._M_p at 0, _M_string_length at 8, 32 bytes */
	f = field(&c1, c1.entry, "s", NULL);
	assert_int_equal(f->type, DWT_UST_STRING);
	assert_int_equal(f->deref, DWT_UST_CXXSTRING);
	assert_int_equal(f->cxx_ptr, 0);
	assert_int_equal(f->cxx_len, 8);
	assert_int_equal(f->src_size, 32);
	assert_image_is_plan(&images(&c1, c1.entry)[0], &l1.l->fields[0].plan);
	assert_int_equal(images(&c1, c1.entry)[0].pieces[0].kind, DWT_UST_PIECE_MEM);
	assert_int_equal(images(&c1, c1.entry)[0].pieces[0].regno, 5);
	memcpy(fk->mem, obj, sizeof(obj));
	memcpy(fk->mem + 64, "hi there", 8);
	set_reg64(fk, 5, FAKE_BASE);
	entry_scalars(&c1, l1.l, fk, NULL, out, buf, sizeof(buf));
	assert_true(out[0].available);
	assert_int_equal(out[0].len, 8);
	assert_memory_equal(out[0].str, "hi there", 8);
	free_strs(out, 1, buf, sizeof(buf));

	/* string_view: _M_len at 0, _M_str at 8 */
	f = field(&c2, c2.entry, "sv", NULL);
	assert_int_equal(f->deref, DWT_UST_CXXSTRING);
	assert_int_equal(f->cxx_ptr, 8);
	assert_int_equal(f->cxx_len, 0);
	assert_int_equal(f->src_size, 16);

	/* enum class Color : uint8_t */
	f = field(&c3, c3.entry, "c", NULL);
	assert_int_equal(f->type, DWT_UST_ENUM);
	assert_int_equal(f->size, 1);
	assert_int_equal(f->nentries, 3);
	assert_int_equal(((const struct dwt_ust_enum_entry *)((const char *)c3.blob + f->entries))[2].value, 9);
	assert_string_equal(str(&c3, f->enum_name), "_ZN2ct8ct_colorENS_5ColorE_entry_enum0");

	/* struct Circle : Shape { double r; }: the base as a member "<Shape>" */
	assert_int_equal(c4.entry->nfields, 2);
	assert_string_equal(str(&c4, fields(&c4, c4.entry)[0].name), "c__Shape__id");
	assert_int_equal(fields(&c4, c4.entry)[0].offset, 0);
	assert_string_equal(str(&c4, fields(&c4, c4.entry)[1].name), "c_r");
	assert_int_equal(fields(&c4, c4.entry)[1].offset, 8);

	free(fk);
	release(&c1), release(&c2), release(&c3), release(&c4);
	unload(&l1), unload(&l2), unload(&l3), unload(&l4);
}

/* A value bigger than DWT_UST_MAX_IMAGE: its fields are described, its
 * image is unavailable (the emitter writes them unavailable). */
void test_oversize_image(void **state)
{
	struct dw_type t_char = {.kind = DW_KIND_SINT, .name = "char", .size = 1, .is_char = true};
	struct dw_type t_int = {.kind = DW_KIND_SINT, .name = "int", .size = 4};
	struct dw_type t_chars = {.kind = DW_KIND_ARRAY, .size = 5000, .target = &t_char, .count = 5000};
	struct dw_member mbs[] = {{.name = "n", .type = &t_int, .offset = 0},
				  {.name = "text", .type = &t_chars, .offset = 4}};
	struct dw_type t_huge = {.kind = DW_KIND_STRUCT, .name = "huge", .size = 5004, .members = mbs, .nmembers = 2};
	struct layout_field fs[] = {
		{.name = "h", .type = &t_huge, .plan = {true, 5004, 1, {{FETCH_MEM, 7, 5004, 0, 8}}}},
		{.name = "k", .type = &t_int, .plan = {true, 4, 1, {{FETCH_REG, 5, 4, 0, 0}}}},
		{.name = "gone", .type = &t_int, .plan = {false}},
	};
	struct event_layout l = {.function = "g", .fields = fs, .nfields = 3};
	struct compiled c = compile(&l, &plain);
	const struct dwt_ust_image *im = images(&c, c.entry);

	(void)state;
	assert_int_equal(c.entry->nfields, 4);
	assert_int_equal(c.entry->nimages, 3);
	assert_int_equal(im[0].available, 0);
	assert_int_equal(im[1].available, 1);
	assert_int_equal(im[2].available, 0);
	assert_int_equal(field(&c, c.entry, "h_text", NULL)->type, DWT_UST_CHARS);
	assert_int_equal(field(&c, c.entry, "h_text", NULL)->length, 5000);
	assert_int_equal(field(&c, c.entry, "h_text", NULL)->offset, 4);
	assert_int_equal(field(&c, c.entry, "gone", NULL)->image, 2);
	/* void: the exit has the duration only, and no image */
	assert_int_equal(c.exit->nfields, 1);
	assert_int_equal(c.exit->nimages, 0);
	release(&c);
}

/* Several layouts in one blob: indices in order, enum names per event,
 * the paths of each event. */
void test_many_layouts(void **state)
{
	struct loaded l1 = load(types_path, "t_enums"), l2 = load(types_path, "t_rich");
	struct ust_desc_builder *b = ust_desc_builder_new("my-app.v2", &plain);
	uint32_t e1, x1, e2, x2;
	struct compiled c = {0};
	const struct ust_field_path *p;

	(void)state;
	ust_desc_add_layout(b, l1.l, &e1, &x1);
	ust_desc_add_layout(b, l2.l, &e2, &x2);
	assert_int_equal(e1, 0);
	assert_int_equal(x1, 1);
	assert_int_equal(e2, 2);
	assert_int_equal(x2, 3);
	c.blob = ust_desc_finish(b, &c.size, &c.paths);
	check_blob(c.blob, c.size);
	c.entry = (const struct dwt_ust_event_desc *)((const char *)c.blob +
						      ((const struct dwt_ust_desc *)c.blob)->events);
	assert_string_equal(str(&c, ((const struct dwt_ust_desc *)c.blob)->provider), "my_app_v2");
	assert_int_equal(((const struct dwt_ust_desc *)c.blob)->nevents, 4);
	assert_string_equal(str(&c, c.entry[2].name), "t_rich_entry");
	assert_string_equal(str(&c, field(&c, &c.entry[2], "r_color", NULL)->enum_name), "t_rich_entry_enum0");
	/* r_pos_y: parameter 0, member pos (0), member y (1) */
	p = &ust_desc_event_paths(c.paths, 2)[1];
	assert_int_equal(p->depth, 3);
	assert_int_equal(p->index[0], 0);
	assert_int_equal(p->index[1], 0);
	assert_int_equal(p->index[2], 1);
	assert_null(ust_desc_event_paths(c.paths, 4));
	release(&c);
	unload(&l1), unload(&l2);

	/* finish without paths */
	b = ust_desc_builder_new("p", &plain);
	c.blob = ust_desc_finish(b, &c.size, NULL);
	check_blob(c.blob, c.size);
	assert_int_equal(((const struct dwt_ust_desc *)c.blob)->nevents, 0);
	free(c.blob);
}
