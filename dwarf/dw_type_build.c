/* Building the type model from DWARF type DIEs. */
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "dw_internal.h"
#include "xalloc.h"

struct dw_type *dw_type_new(struct dw_type_pool *pool, enum dw_kind kind)
{
	struct dw_type *t = xcalloc(1, sizeof(*t));

	t->kind = kind;
	xgrow(&pool->types, &pool->cap, pool->len + 1, sizeof(*pool->types));
	pool->types[pool->len++] = t;
	return t;
}

void dw_type_pool_free(struct dw_type_pool *pool)
{
	for (size_t i = 0; i < pool->len; i++) {
		for (size_t k = 0; k < pool->types[i]->nmembers; k++)
			if (pool->types[i]->members[k].is_base)
				free((char *)pool->types[i]->members[k].name);
		free(pool->types[i]->members);
		free(pool->types[i]->enumerators);
		free(pool->types[i]->params);
		free(pool->types[i]);
	}
	free(pool->types);
	memset(pool, 0, sizeof(*pool));
}

const struct dw_type *dw_type_of_attr(struct dw_module *m, Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Die type_die;

	if (!dwarf_attr_integrate(die, DW_AT_type, &attr) || !dwarf_formref_die(&attr, &type_die))
		return NULL;
	return dw_type_from_die(m, &type_die);
}

static uint64_t attr_udata(Dwarf_Die *die, unsigned name, uint64_t dflt)
{
	Dwarf_Attribute attr;
	Dwarf_Word w;

	if (!dwarf_attr_integrate(die, name, &attr) || dwarf_formudata(&attr, &w) != 0)
		return dflt;
	return w;
}

static void read_base(struct dw_type *t, Dwarf_Die *die)
{
	uint64_t enc = attr_udata(die, DW_AT_encoding, 0);

	switch (enc) {
	case DW_ATE_signed:
		t->kind = DW_KIND_SINT;
		break;
	case DW_ATE_signed_char:
		t->kind = DW_KIND_SINT;
		t->is_char = true;
		break;
	case DW_ATE_unsigned:
	case DW_ATE_UTF:
		t->kind = DW_KIND_UINT;
		break;
	case DW_ATE_unsigned_char:
		t->kind = DW_KIND_UINT;
		t->is_char = true;
		break;
	case DW_ATE_boolean:
		t->kind = DW_KIND_BOOL;
		break;
	case DW_ATE_float:
		t->kind = (t->size == 4 || t->size == 8 || t->size == 16) ? DW_KIND_FLOAT : DW_KIND_UNKNOWN;
		break;
	case DW_ATE_complex_float:
		/* Parts of 4, 8 or 16 bytes: read_complex() makes the part type. */
		t->kind = (t->size == 8 || t->size == 16 || t->size == 32) ? DW_KIND_COMPLEX : DW_KIND_UNKNOWN;
		break;
	default:
		t->kind = DW_KIND_UNKNOWN;
		break;
	}
}

/* _Float128 and long double are both 16 bytes of DW_ATE_float (and their
 * complex types both 32): only the name tells them apart.  GCC spells them
 * "_Float128", "__float128", "complex _Float128"; long double is "long double"
 * or "_Float64x". */
static enum dw_float_format float_format_of(const struct dw_type *t, size_t part_size)
{
	if (part_size == 16 && t->name && (strstr(t->name, "Float128") || strstr(t->name, "float128")))
		return DW_FLOAT_BINARY128;
	return DW_FLOAT_NATIVE;
}

/* Floats get their encoding; a complex type gets a float type for its parts
 * (real then imaginary, each half of its size), owned by the pool. */
static void read_float_format(struct dw_module *m, struct dw_type *t)
{
	if (t->kind == DW_KIND_FLOAT) {
		t->float_format = float_format_of(t, t->size);
	} else if (t->kind == DW_KIND_COMPLEX) {
		struct dw_type *part = dw_type_new(&m->session->pool, DW_KIND_FLOAT);
		part->size = t->size / 2;
		part->float_format = float_format_of(t, part->size);
		part->name = part->float_format == DW_FLOAT_BINARY128 ? "_Float128"
			     : part->size == 4				 ? "float"
			     : part->size == 8				 ? "double"
									 : "long double";
		t->float_format = part->float_format;
		t->target = part;
	}
}

static void read_members(struct dw_module *m, struct dw_type *t, Dwarf_Die *die)
{
	Dwarf_Die child;
	size_t cap = 0;

	if (dwarf_child(die, &child) != 0)
		return;
	do {
		struct dw_member *mb;
		Dwarf_Attribute attr;
		int tag = dwarf_tag(&child);

		/* C++: static data members are declarations (DWARF 4) and no
		 * part of the object; base classes are, as leading members. */
		if (tag == DW_TAG_member && dwarf_hasattr(&child, DW_AT_declaration))
			continue;
		if (tag != DW_TAG_member && tag != DW_TAG_inheritance)
			continue;
		xgrow(&t->members, &cap, t->nmembers + 1, sizeof(*t->members));
		mb = &t->members[t->nmembers++];
		memset(mb, 0, sizeof(*mb));
		mb->name = dwarf_diename(&child) ? dwarf_diename(&child) : "";
		mb->type = dw_type_of_attr(m, &child);
		if (tag == DW_TAG_inheritance) {
			const struct dw_type *bt = dw_type_strip(mb->type);
			mb->is_base = true;
			mb->name = xasprintf("<%s>", bt && bt->name ? bt->name : "base");
		}
		mb->offset = attr_udata(&child, DW_AT_data_member_location, 0);
		mb->bit_size = (unsigned)attr_udata(&child, DW_AT_bit_size, 0);
		if (mb->bit_size) {
			if (dwarf_attr(&child, DW_AT_data_bit_offset, &attr)) {
				mb->bit_offset = (unsigned)attr_udata(&child, DW_AT_data_bit_offset, 0);
			} else {
				/* DWARF 2/3: bit offset from the most significant bit
				 * of a storage unit of DW_AT_byte_size bytes. */
				uint64_t unit = attr_udata(&child, DW_AT_byte_size, dw_type_size(mb->type));
				uint64_t old = attr_udata(&child, DW_AT_bit_offset, 0);
				mb->bit_offset = (unsigned)(mb->offset * 8 + unit * 8 - old - mb->bit_size);
			}
			mb->offset = mb->bit_offset / 8;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
}

static void read_enumerators(struct dw_module *m, struct dw_type *t, Dwarf_Die *die)
{
	Dwarf_Die child;
	size_t cap = 0;
	const struct dw_type *under = dw_type_strip(t->target);

	t->enum_signed = under ? under->kind == DW_KIND_SINT : false;
	if (dwarf_child(die, &child) != 0)
		return;
	do {
		Dwarf_Attribute attr;
		struct dw_enumerator *e;
		Dwarf_Word u = 0;
		Dwarf_Sword sv = 0;

		if (dwarf_tag(&child) != DW_TAG_enumerator || !dwarf_attr(&child, DW_AT_const_value, &attr))
			continue;
		xgrow(&t->enumerators, &cap, t->nenumerators + 1, sizeof(*t->enumerators));
		e = &t->enumerators[t->nenumerators++];
		e->name = dwarf_diename(&child) ? dwarf_diename(&child) : "";
		if (dwarf_whatform(&attr) == DW_FORM_sdata) {
			dwarf_formsdata(&attr, &sv);
			e->value = sv;
			if (sv < 0 && !under)
				t->enum_signed = true;
		} else {
			dwarf_formudata(&attr, &u);
			e->value = (int64_t)u;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	/* Fixed-size forms hold the bit pattern: sign-extend signed enums. */
	if (t->enum_signed && t->size && t->size < 8) {
		unsigned shift = (unsigned)(64 - 8 * t->size);
		for (size_t i = 0; i < t->nenumerators; i++)
			t->enumerators[i].value = (int64_t)((uint64_t)t->enumerators[i].value << shift) >> shift;
	}
}

static void read_function_type(struct dw_module *m, struct dw_type *t, Dwarf_Die *die)
{
	Dwarf_Die child;
	size_t cap = 0;

	t->target = dw_type_of_attr(m, die);
	if (dwarf_child(die, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);
		if (tag == DW_TAG_unspecified_parameters) {
			t->variadic = true;
		} else if (tag == DW_TAG_formal_parameter) {
			xgrow(&t->params, &cap, t->nparams + 1, sizeof(*t->params));
			t->params[t->nparams++] = dw_type_of_attr(m, &child);
		}
	} while (dwarf_siblingof(&child, &child) == 0);
}

/* Arrays: one node per dimension, outermost first. */
static void read_array(struct dw_module *m, struct dw_type *t, Dwarf_Die *die)
{
	Dwarf_Die child;
	struct dw_type *dims[8];
	size_t ndims = 0;
	const struct dw_type *elem = dw_type_of_attr(m, die);

	dims[ndims++] = t;
	if (dwarf_child(die, &child) == 0) {
		bool first = true;
		do {
			struct dw_type *d;
			Dwarf_Attribute attr;

			if (dwarf_tag(&child) != DW_TAG_subrange_type)
				continue;
			if (first) {
				d = t;
				first = false;
			} else if (ndims < 8) {
				d = dw_type_new(&m->session->pool, DW_KIND_ARRAY);
				dims[ndims++] = d;
			} else {
				break;
			}
			if (dwarf_attr(&child, DW_AT_count, &attr))
				d->count = attr_udata(&child, DW_AT_count, 0);
			else if (dwarf_attr(&child, DW_AT_upper_bound, &attr))
				d->count = attr_udata(&child, DW_AT_upper_bound, 0) + 1;
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	for (size_t i = ndims; i-- > 0;) {
		dims[i]->target = elem;
		dims[i]->size = dims[i]->count * dw_type_size(elem);
		elem = dims[i];
	}
}
/* Why values of struct die are not shown: it has a DW_TAG_variant_part
 * (DWARF 5 section 5.7.10), whose active variant depends on a
 * discriminant this model does not decode (Rust's enums: rustc writes
 * Option<T>, Result<T, E> and every other enum so).  NULL without one. */
static const char *variant_part_why(Dwarf_Die *die)
{
	Dwarf_Die child, cu;

	if (dwarf_child(die, &child) != 0)
		return NULL;
	do {
		if (dwarf_tag(&child) == DW_TAG_variant_part)
			return dwarf_diecu(die, &cu, NULL, NULL) && dwarf_srclang(&cu) == DW_LANG_Rust
				       ? "Rust enum not decoded"
				       : "variant record not decoded";
	} while (dwarf_siblingof(&child, &child) == 0);
	return NULL;
}


const struct dw_type *dw_type_from_die(struct dw_module *m, Dwarf_Die *die)
{
	Dwarf_Off off = dwarf_dieoffset(die);
	struct dw_type *t = u64_map_get(&m->types, off);
	Dwarf_Word size;

	if (t)
		return t;
	t = dw_type_new(&m->session->pool, DW_KIND_UNKNOWN);
	/* Cached before recursing: a struct may point to itself. */
	u64_map_put(&m->types, off, t);
	t->name = dwarf_diename(die);
	if (dwarf_aggregate_size(die, &size) == 0)
		t->size = size;

	switch (dwarf_tag(die)) {
	case DW_TAG_base_type:
		read_base(t, die);
		read_float_format(m, t);
		break;
	case DW_TAG_unspecified_type: /* C++ decltype(nullptr) */
		t->kind = DW_KIND_POINTER;
		t->size = 8;
		break;
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		t->kind = DW_KIND_POINTER;
		if (dwarf_tag(die) != DW_TAG_pointer_type)
			t->reference = dwarf_tag(die) == DW_TAG_reference_type ? 1 : 2;
		t->target = dw_type_of_attr(m, die);
		if (!t->size)
			t->size = attr_udata(die, DW_AT_byte_size, 8);
		break;
	case DW_TAG_typedef:
		t->kind = DW_KIND_TYPEDEF;
		t->target = dw_type_of_attr(m, die);
		t->size = dw_type_size(t->target);
		break;
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_restrict_type:
	case DW_TAG_atomic_type: {
		static const char *const words[] = {"const", "volatile", "restrict", "_Atomic"};
		int tag = dwarf_tag(die);
		t->kind = DW_KIND_QUALIFIER;
		t->name = words[tag == DW_TAG_const_type ? 0 : tag == DW_TAG_volatile_type ? 1
					: tag == DW_TAG_restrict_type ? 2 : 3];
		t->target = dw_type_of_attr(m, die);
		t->size = dw_type_size(t->target);
		break;
	}
	case DW_TAG_structure_type:
	case DW_TAG_class_type:
		t->kind = DW_KIND_STRUCT;
		read_members(m, t, die);
		t->by_reference = dw_cxx_pass_by_reference(die, t);
		dw_cxx_string_layout(t);
		dw_lang_string_layout(t, die);
		t->undecoded = variant_part_why(die);
		break;
	case DW_TAG_union_type:
		t->kind = DW_KIND_UNION;
		read_members(m, t, die);
		t->by_reference = dw_cxx_pass_by_reference(die, t);
		break;
	case DW_TAG_enumeration_type:
		t->kind = DW_KIND_ENUM;
		t->target = dw_type_of_attr(m, die);
		if (!t->size)
			t->size = dw_type_size(t->target);
		read_enumerators(m, t, die);
		break;
	case DW_TAG_array_type:
		t->kind = DW_KIND_ARRAY;
		read_array(m, t, die);
		t->is_vector = dwarf_hasattr(die, DW_AT_GNU_vector);
		break;
	case DW_TAG_subroutine_type:
		t->kind = DW_KIND_FUNCTION;
		t->size = 0;
		read_function_type(m, t, die);
		break;
	default:
		t->kind = DW_KIND_UNKNOWN;
		break;
	}
	return t;
}
