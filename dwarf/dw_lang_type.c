/* Strings of other languages, shown as their characters like C++'s
 * std::string (dw_type.cxx_string: a data pointer and a byte length in
 * the object): Go's string (cmd/link/internal/ld/dwarf.go writes it as
 * struct string {str *uint8; len int}), Rust's &str (struct &str
 * {data_ptr, length}, rustc's debuginfo for fat pointers) and String (a
 * Vec<u8>: vec.buf[.inner].ptr.pointer... and vec.len). */
#include <dwarf.h>
#include <string.h>

#include "dw_internal.h"

static const struct dw_member *member(const struct dw_type *t, const char *name)
{
	t = dw_type_strip(t);
	if (!t || t->kind != DW_KIND_STRUCT)
		return NULL;
	for (size_t i = 0; i < t->nmembers; i++)
		if (!t->members[i].is_base && !t->members[i].bit_size && !strcmp(t->members[i].name, name))
			return &t->members[i];
	return NULL;
}

/* A pointer to 1-byte elements (uint8, u8, char). */
static bool byte_pointer(const struct dw_type *t)
{
	t = dw_type_strip(t);
	if (!t || t->kind != DW_KIND_POINTER || t->size != 8)
		return false;
	t = dw_type_strip(t->target);
	return t && t->size == 1 && (t->kind == DW_KIND_UINT || t->kind == DW_KIND_SINT);
}

static bool word(const struct dw_type *t)
{
	t = dw_type_strip(t);
	return t && (t->kind == DW_KIND_UINT || t->kind == DW_KIND_SINT) && t->size == 8;
}

static void mark(struct dw_type *t, size_t data_off, const struct dw_type *data, size_t len_off,
		 const struct dw_type *len)
{
	if (!byte_pointer(data) || !word(len) || data_off + 8 > t->size || len_off + 8 > t->size)
		return;
	t->cxx_string = true;
	t->str_data_off = data_off;
	t->str_len_off = len_off;
}

/* Rust's String: vec.len, and the pointer inside vec.buf.ptr through any
 * number of single-pointer wrappers (Unique, NonNull: "pointer"). */
static void rust_string(struct dw_type *t)
{
	const struct dw_member *vec = member(t, "vec"), *buf, *len, *p;
	const struct dw_type *at;
	size_t off;

	const struct dw_member *inner = NULL;

	if (!vec || !(buf = member(vec->type, "buf")) || !(len = member(vec->type, "len")))
		return;
	/* Rust 1.63 (Debian 12): buf.ptr; later ones: buf.inner.ptr. */
	if (!(p = member(buf->type, "ptr")) && (!(inner = member(buf->type, "inner")) || !(p = member(inner->type, "ptr"))))
		return;
	off = vec->offset + buf->offset + (inner ? inner->offset : 0) + p->offset;
	at = p->type;
	for (int depth = 0; depth < 4 && dw_type_strip(at) && dw_type_strip(at)->kind == DW_KIND_STRUCT; depth++) {
		const struct dw_member *in = member(at, "pointer");
		if (!in)
			return;
		off += in->offset;
		at = in->type;
	}
	mark(t, off, at, vec->offset + len->offset, len->type);
}

void dw_lang_string_layout(struct dw_type *t, Dwarf_Die *die)
{
	Dwarf_Die cu;
	const struct dw_member *data, *len;
	int lang;

	if (!t->name || t->cxx_string || !dwarf_diecu(die, &cu, NULL, NULL))
		return;
	lang = dwarf_srclang(&cu);
	if (lang == DW_LANG_Go && !strcmp(t->name, "string")) {
		if ((data = member(t, "str")) && (len = member(t, "len")))
			mark(t, data->offset, data->type, len->offset, len->type);
	} else if (lang == DW_LANG_Rust && (!strcmp(t->name, "&str") || !strcmp(t->name, "&mut str"))) {
		if ((data = member(t, "data_ptr")) && (len = member(t, "length")))
			mark(t, data->offset, data->type, len->offset, len->type);
	} else if (lang == DW_LANG_Rust && !strcmp(t->name, "String")) {
		rust_string(t);
	}
}
