/* C++ classes in the type model: whether the Itanium C++ ABI passes a class
 * by invisible reference, and where std::string and std::string_view keep
 * their characters.
 *
 * Itanium C++ ABI 3.1.2: a type that is "non-trivial for the purposes of
 * calls" (a non-trivial copy constructor, move constructor or destructor, or
 * all copy and move constructors deleted) is passed as the address of a
 * temporary the caller makes, in the register or stack slot the value would
 * have taken, and (3.1.3) returned through the hidden pointer in rdi.  Clang
 * writes DW_AT_calling_convention (DWARF 5 section 5.7.1) on such classes;
 * GCC 12 does not, so the rule is derived from the class's DIE as gdb does
 * (gnuv3_pass_by_reference): special members declared by the user, virtual
 * functions or bases, and recursively the bases and members. */
#include <dwarf.h>
#include <string.h>

#include "dw_internal.h"

static bool has_flag(Dwarf_Die *die, unsigned name)
{
	Dwarf_Attribute attr;
	bool flag = false;

	if (!dwarf_attr_integrate(die, name, &attr))
		return false;
	if (dwarf_formflag(&attr, &flag) != 0)
		return false;
	return flag;
}

static int64_t attr_udata_or(Dwarf_Die *die, unsigned name, int64_t dflt)
{
	Dwarf_Attribute attr;
	Dwarf_Word w;

	if (!dwarf_attr_integrate(die, name, &attr) || dwarf_formudata(&attr, &w) != 0)
		return dflt;
	return (int64_t)w;
}

/* The DIE DW_AT_type of die names, through typedefs and cv-qualifiers when
 * strip is set; false for none. */
static bool type_die(Dwarf_Die *die, Dwarf_Die *out, bool strip)
{
	Dwarf_Attribute attr;
	Dwarf_Die cur;

	if (!dwarf_attr_integrate(die, DW_AT_type, &attr) || !dwarf_formref_die(&attr, &cur))
		return false;
	for (int i = 0; strip && i < 16; i++) {
		int tag = dwarf_tag(&cur);
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type)
			break;
		if (!dwarf_attr_integrate(&cur, DW_AT_type, &attr) || !dwarf_formref_die(&attr, &cur))
			return false;
	}
	*out = cur;
	return true;
}

/* True for a constructor of the class named cname: "basic_string" for
 * "basic_string<char, ...>". */
static bool is_constructor(const char *name, const char *cname)
{
	size_t n = strcspn(cname, "<");

	return strlen(name) == n && strncmp(name, cname, n) == 0;
}

/* True when the constructor fn takes exactly one reference to the class
 * (besides this): a copy (T&) or move (T&&) constructor. */
static bool is_copy_or_move(Dwarf_Die *fn, Dwarf_Off class_off)
{
	Dwarf_Die child, ref, target;
	int nargs = 0;
	bool ok = false;

	if (dwarf_child(fn, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);

		/* A constructor template is never a copy or move constructor. */
		if (tag == DW_TAG_template_type_parameter || tag == DW_TAG_template_value_parameter ||
		    tag == DW_TAG_GNU_template_parameter_pack)
			return false;
		if (tag != DW_TAG_formal_parameter || has_flag(&child, DW_AT_artificial))
			continue;
		nargs++;
		if (!type_die(&child, &ref, false))
			continue;
		tag = dwarf_tag(&ref);
		if (tag != DW_TAG_reference_type && tag != DW_TAG_rvalue_reference_type)
			continue;
		if (type_die(&ref, &target, true) && dwarf_dieoffset(&target) == class_off)
			ok = nargs == 1;
	} while (dwarf_siblingof(&child, &child) == 0);
	return ok && nargs == 1;
}

/* A special member the user provided: not implicitly declared (artificial)
 * and not defaulted on its first declaration (DW_DEFAULTED_in_class). */
static bool user_provided(Dwarf_Die *fn)
{
	return !has_flag(fn, DW_AT_artificial) && attr_udata_or(fn, DW_AT_defaulted, 0) != DW_DEFAULTED_in_class;
}

static bool member_by_reference(const struct dw_type *mt)
{
	mt = dw_type_strip(mt);
	while (mt && mt->kind == DW_KIND_ARRAY)
		mt = dw_type_strip(mt->target);
	return dw_type_by_reference(mt);
}

bool dw_cxx_pass_by_reference(Dwarf_Die *die, const struct dw_type *t)
{
	int64_t cc = attr_udata_or(die, DW_AT_calling_convention, 0);
	const char *cname = dwarf_diename(die);
	Dwarf_Off off = dwarf_dieoffset(die);
	unsigned copies = 0, deleted = 0;
	Dwarf_Die child;

	/* What the compiler wrote wins. */
	if (cc == DW_CC_pass_by_reference)
		return true;
	if (cc == DW_CC_pass_by_value)
		return false;

	if (dwarf_child(die, &child) == 0) {
		do {
			int tag = dwarf_tag(&child);
			const char *name = dwarf_diename(&child);

			if (tag == DW_TAG_inheritance && attr_udata_or(&child, DW_AT_virtuality, 0) != 0)
				return true; /* a virtual base */
			if (tag == DW_TAG_member && name && !strncmp(name, "_vptr", 5))
				return true; /* a dynamic class: copying must set the vptr */
			if (tag != DW_TAG_subprogram || !name)
				continue;
			if (attr_udata_or(&child, DW_AT_virtuality, 0) != 0)
				return true;
			if (name[0] == '~') {
				if (user_provided(&child) || has_flag(&child, DW_AT_deleted))
					return true;
			} else if (cname && is_constructor(name, cname) && is_copy_or_move(&child, off)) {
				copies++;
				if (has_flag(&child, DW_AT_deleted))
					deleted++;
				else if (user_provided(&child))
					return true;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	if (copies && copies == deleted)
		return true;

	/* Implicit special members are trivial only if those of every base
	 * and member are. */
	for (size_t i = 0; i < t->nmembers; i++)
		if (member_by_reference(t->members[i].type))
			return true;
	return false;
}

static const struct dw_member *find_member(const struct dw_type *t, const char *name)
{
	t = dw_type_strip(t);
	if (!t || (t->kind != DW_KIND_STRUCT && t->kind != DW_KIND_UNION))
		return NULL;
	for (size_t i = 0; i < t->nmembers; i++)
		if (!t->members[i].is_base && !strcmp(t->members[i].name, name))
			return &t->members[i];
	return NULL;
}

/* A pointer to 1-byte characters. */
static bool is_char_pointer(const struct dw_type *t)
{
	t = dw_type_strip(t);
	if (!t || t->kind != DW_KIND_POINTER || t->reference || t->size != 8)
		return false;
	t = dw_type_strip(t->target);
	return t && t->is_char && t->size == 1;
}

static bool is_length(const struct dw_type *t)
{
	t = dw_type_strip(t);
	return t && t->kind == DW_KIND_UINT && t->size == 8;
}

void dw_cxx_string_layout(struct dw_type *t)
{
	const struct dw_member *data = NULL, *len = NULL;
	size_t data_off = 0;

	if (!t->name)
		return;
	if (!strncmp(t->name, "basic_string<char,", 18) || !strcmp(t->name, "basic_string<char>")) {
		/* libstdc++'s new ABI: _M_dataplus (an _Alloc_hider) holds _M_p. */
		const struct dw_member *hider = find_member(t, "_M_dataplus");
		if (hider) {
			data = find_member(hider->type, "_M_p");
			data_off = hider->offset;
		}
		len = find_member(t, "_M_string_length");
	} else if (!strncmp(t->name, "basic_string_view<char,", 23) || !strcmp(t->name, "basic_string_view<char>")) {
		data = find_member(t, "_M_str");
		len = find_member(t, "_M_len");
	}
	if (!data || !len || !is_char_pointer(data->type) || !is_length(len->type) || data->bit_size ||
	    len->bit_size)
		return;
	data_off += data->offset;
	if (data_off + 8 > t->size || len->offset + 8 > t->size)
		return;
	t->cxx_string = true;
	t->str_data_off = data_off;
	t->str_len_off = len->offset;
}
