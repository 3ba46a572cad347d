/* The type model: what dwtrace knows of a C type, built once from DWARF.
 *
 * A dw_type mirrors a DWARF type DIE.  Typedefs and qualifiers are nodes of
 * their own so that names print as the source wrote them ("const handle_t");
 * dw_type_strip() walks through them to the type that decides layout and
 * formatting.  Types are owned by the dw_session that built them.
 */
#ifndef DWTRACE_DW_TYPE_H
#define DWTRACE_DW_TYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dw_kind {
	DW_KIND_VOID,
	DW_KIND_SINT,     /* signed integer, including signed char types */
	DW_KIND_UINT,     /* unsigned integer, including unsigned char types */
	DW_KIND_BOOL,
	DW_KIND_FLOAT,    /* float, double, long double (by size) */
	DW_KIND_POINTER,
	DW_KIND_ENUM,
	DW_KIND_STRUCT,
	DW_KIND_UNION,
	DW_KIND_ARRAY,
	DW_KIND_FUNCTION, /* a subroutine type: only ever the target of a pointer */
	DW_KIND_TYPEDEF,
	DW_KIND_QUALIFIER, /* const, volatile, restrict, _Atomic: name is the keyword */
	DW_KIND_UNKNOWN,  /* what the model lacks: shown as unavailable */
	DW_KIND_COMPLEX,  /* _Complex: target is the type of each part (real, then imaginary) */
};

/* How the bytes of a DW_KIND_FLOAT (or of each part of a DW_KIND_COMPLEX) are
 * encoded.  Zero is the C types by size, so that a type built without this
 * field means what it always meant. */
enum dw_float_format {
	DW_FLOAT_NATIVE = 0, /* 4: float, 8: double, 16: x87 long double (80 bits + padding) */
	DW_FLOAT_BINARY128,  /* _Float128 / __float128: IEEE 754 binary128 */
};

struct dw_type;

struct dw_member {
	const char *name;          /* "" for anonymous members */
	const struct dw_type *type;
	size_t offset;             /* byte offset in the aggregate */
	unsigned bit_offset;       /* bitfields: offset from the start of the aggregate, in bits */
	unsigned bit_size;         /* 0 when not a bitfield */
	/* A C++ base class (DW_TAG_inheritance), shown as a member named
	 * "<Base>" as gdb does; its name is then owned by the type. */
	bool is_base;
};

struct dw_enumerator {
	const char *name;
	int64_t value;             /* unsigned enums keep their bit pattern */
};

struct dw_type {
	enum dw_kind kind;
	const char *name;          /* base, typedef, tag name; NULL when anonymous */
	size_t size;               /* bytes; 0 when unknown (void, function) */
	bool is_char;              /* a character type (char, signed/unsigned char) */
	const struct dw_type *target; /* pointee, element, typedef'd or qualified type; NULL = void */
	size_t count;              /* array: element count, 0 when unknown */
	struct dw_member *members; /* struct, union */
	size_t nmembers;
	struct dw_enumerator *enumerators;
	size_t nenumerators;
	bool enum_signed;
	/* Function types: parameter types and return type, for printing. */
	const struct dw_type **params;
	size_t nparams;
	bool variadic;
	/* C++ (dw_cxx.c). */
	bool by_reference;         /* struct: passed and returned by invisible reference (Itanium ABI) */
	unsigned char reference;   /* pointer: 1 a T&, 2 a T&&, shown with the value referred to */
	/* struct: std::string or std::string_view (also Go's string, Rust's
	 * &str and String: dw_lang_type.c), shown as its characters */
	bool cxx_string;
	size_t str_data_off;       /* cxx_string: byte offsets of the data pointer */
	size_t str_len_off;        /* and of the length (size_t) in the object */
	/* Floats and complex parts: the encoding (long double and _Float128 are both 16 bytes). */
	enum dw_float_format float_format;
	/* Arrays: a vector type (DW_AT_GNU_vector: __m128, vector_size), passed in vector registers. */
	bool is_vector;
	/* A struct with a DW_TAG_variant_part (DWARF 5 section 5.7.10: a Rust
	 * enum such as Option<u32>): which variant is active needs its
	 * discriminant, which this model does not decode.  Values of such a
	 * type are shown unavailable with this why (static text), never as
	 * the empty struct their members alone would make; NULL otherwise. */
	const char *undecoded;
};

/* The type itself without typedefs and qualifiers.  NULL stays NULL (void). */
const struct dw_type *dw_type_strip(const struct dw_type *t);

/* True for the kinds whose value is one integer (signed, unsigned, boolean,
 * pointer, enumeration): what the x86-64 ABIs hold in a general-purpose
 * register (SysV's INTEGER class, Go's integer registers). */
bool dw_kind_is_integer(enum dw_kind kind);

/* True for pointers to character types: shown as strings. */
bool dw_type_is_string(const struct dw_type *t);

/* True for arrays of character types: shown as strings. */
bool dw_type_is_char_array(const struct dw_type *t);

/* True for a class the Itanium C++ ABI passes by invisible reference (a
 * pointer to a temporary) and returns through the hidden pointer. */
bool dw_type_by_reference(const struct dw_type *t);

/* True for pointers to functions. */
bool dw_type_is_function_pointer(const struct dw_type *t);

/* Size in bytes, through typedefs and qualifiers; 0 for void and unknown. */
size_t dw_type_size(const struct dw_type *t);

/* Writes the C spelling of type t declaring NAME (NULL or "" for an abstract
 * declarator) into buf, e.g. "const char *s", "int (*cb)(int)", "int v[3]".
 * Always NUL-terminates; returns the length that was needed (like snprintf). */
size_t dw_type_declare(const struct dw_type *t, const char *name, char *buf, size_t size);

#endif
