/* System V x86-64 calling convention: where arguments are at a function's
 * first instruction and where its return value is when it returns
 * (psABI 1.0, section 3.2.3).  Pure: no ptrace, testable on types alone. */
#include <string.h>

#include "arch.h"

/* CLS_SSEUP: the upper half of the vector register the eightbyte before it
 * starts; CLS_COMPLEX_X87: a complex long double (memory as an argument,
 * st0 and st1 as a return value). */
enum arg_class { CLS_NONE, CLS_INTEGER, CLS_SSE, CLS_X87, CLS_MEMORY, CLS_SSEUP, CLS_COMPLEX_X87 };

static enum arg_class merge(enum arg_class a, enum arg_class b)
{
	if (a == b || b == CLS_NONE)
		return a;
	if (a == CLS_NONE)
		return b;
	if (a == CLS_MEMORY || b == CLS_MEMORY)
		return CLS_MEMORY;
	if (a == CLS_INTEGER || b == CLS_INTEGER)
		return CLS_INTEGER;
	if (a == CLS_X87 || b == CLS_X87)
		return CLS_MEMORY;
	return CLS_SSE;
}

static size_t type_align(const struct dw_type *t)
{
	size_t a = 1;

	t = dw_type_strip(t);
	if (!t)
		return 1;
	switch (t->kind) {
	case DW_KIND_STRUCT:
	case DW_KIND_UNION:
		for (size_t i = 0; i < t->nmembers; i++) {
			size_t m = type_align(t->members[i].type);
			if (m > a)
				a = m;
		}
		return a;
	case DW_KIND_ARRAY:
		if (t->is_vector) /* aligned to their size, at most 16 without AVX */
			return t->size >= 16 ? 16 : t->size ? t->size : 1;
		return type_align(t->target);
	case DW_KIND_COMPLEX: /* as a struct of two parts */
		return type_align(t->target);
	default:
		return t->size >= 16 ? 16 : t->size ? t->size : 1;
	}
}

static void classify(const struct dw_type *t, size_t off, enum arg_class cls[2]);

/* _Complex T is classified as struct { T real, imag; } (psABI 3.2.3), except
 * complex long double, COMPLEX_X87: in memory inside an aggregate as alone
 * as an argument (classify_value() tells the return value apart). */
static void classify_complex(const struct dw_type *t, size_t off, enum arg_class cls[2])
{
	size_t part = t->size / 2;

	if (!t->target || part > 8) {
		cls[0] = CLS_MEMORY;
		return;
	}
	classify(t->target, off, cls);
	classify(t->target, off + part, cls);
}

/* Vectors (__m64, __m128, vector_size(8|16)): one SSE eightbyte, or SSE +
 * SSEUP, a whole xmm register.  Wider ones (__m256, __m512) travel in ymm/zmm
 * registers only when the function is compiled for AVX and in memory
 * otherwise; DWARF does not say which, so they are classified MEMORY here and
 * arch_plan_call() marks what depends on the choice unavailable.  Vectors of
 * less than 8 bytes have an integer mode in GCC: INTEGER. */
static void classify_vector(const struct dw_type *t, size_t off, enum arg_class cls[2])
{
	if (off % (t->size ? t->size : 1) != 0 || off + t->size > 16) {
		cls[0] = CLS_MEMORY;
		return;
	}
	if (t->size == 16) {
		cls[0] = merge(cls[0], CLS_SSE);
		cls[1] = merge(cls[1], CLS_SSEUP);
	} else if (t->size == 8) {
		cls[off / 8] = merge(cls[off / 8], CLS_SSE);
	} else {
		cls[off / 8] = merge(cls[off / 8], CLS_INTEGER);
	}
}

/* True for a vector wider than 16 bytes, alone or typedef'd. */
static bool is_wide_vector(const struct dw_type *t)
{
	t = dw_type_strip(t);
	return t && t->kind == DW_KIND_ARRAY && t->is_vector && t->size > 16;
}

/* Classifies the bytes of t at offset off into eightbyte classes. */
static void classify(const struct dw_type *t, size_t off, enum arg_class cls[2])
{
	size_t size;

	t = dw_type_strip(t);
	if (!t) {
		cls[0] = CLS_MEMORY;
		return;
	}
	size = t->size;
	switch (t->kind) {
	case DW_KIND_SINT:
	case DW_KIND_UINT:
	case DW_KIND_BOOL:
	case DW_KIND_ENUM:
	case DW_KIND_POINTER:
		if (off % (size ? size : 1) != 0 || off + size > 16) {
			cls[0] = CLS_MEMORY;
			return;
		}
		for (size_t b = off / 8; b <= (off + size - 1) / 8; b++)
			cls[b] = merge(cls[b], CLS_INTEGER);
		return;
	case DW_KIND_FLOAT:
		if (size == 16 && t->float_format == DW_FLOAT_BINARY128) {
			/* _Float128: SSE + SSEUP, one whole xmm register */
			if (off != 0) {
				cls[0] = CLS_MEMORY;
				return;
			}
			cls[0] = merge(cls[0], CLS_SSE);
			cls[1] = merge(cls[1], CLS_SSEUP);
			return;
		}
		if (size == 16) {
			/* long double: X87 + X87UP, passed in memory */
			cls[0] = merge(cls[0], CLS_X87);
			return;
		}
		if (off % size != 0 || off + size > 16) {
			cls[0] = CLS_MEMORY;
			return;
		}
		cls[off / 8] = merge(cls[off / 8], CLS_SSE);
		return;
	case DW_KIND_STRUCT:
	case DW_KIND_UNION:
		for (size_t i = 0; i < t->nmembers; i++) {
			const struct dw_member *mb = &t->members[i];
			if (mb->bit_size) {
				size_t b = (off * 8 + mb->bit_offset) / 64;
				if (b > 1) {
					cls[0] = CLS_MEMORY;
					return;
				}
				cls[b] = merge(cls[b], CLS_INTEGER);
			} else {
				classify(mb->type, off + mb->offset, cls);
			}
		}
		return;
	case DW_KIND_COMPLEX:
		classify_complex(t, off, cls);
		return;
	case DW_KIND_ARRAY: {
		size_t esize = dw_type_size(t->target);
		if (t->is_vector) {
			classify_vector(t, off, cls);
			return;
		}
		for (size_t i = 0; esize && i < t->count; i++)
			classify(t->target, off + i * esize, cls);
		return;
	}
	default:
		cls[0] = CLS_MEMORY;
		return;
	}
}

/* Classifies a whole argument or return value: CLS_MEMORY, CLS_X87 (a long
 * double), CLS_COMPLEX_X87 (a complex long double), or CLS_NONE with
 * eightbyte classes in cls. */
static enum arg_class classify_value(const struct dw_type *t, enum arg_class cls[2])
{
	size_t size = dw_type_size(t);
	const struct dw_type *s = dw_type_strip(t);

	cls[0] = cls[1] = CLS_NONE;
	if (s && s->kind == DW_KIND_COMPLEX && size == 32 && s->float_format == DW_FLOAT_NATIVE)
		return CLS_COMPLEX_X87;
	if (!size || size > 16 || dw_type_by_reference(t))
		return CLS_MEMORY;
	if (s && s->kind == DW_KIND_FLOAT && size == 16 && s->float_format == DW_FLOAT_NATIVE)
		return CLS_X87;
	classify(t, 0, cls);
	for (int i = 0; i < 2; i++)
		if (cls[i] == CLS_MEMORY || cls[i] == CLS_X87)
			return CLS_MEMORY;
	return CLS_NONE;
}

static void add_piece(struct fetch_plan *p, enum fetch_piece_kind kind, unsigned regno, int64_t offset,
		      uint32_t size, uint32_t dest)
{
	struct fetch_piece *pc = &p->pieces[p->npieces++];

	pc->kind = (uint8_t)kind;
	pc->regno = (uint16_t)regno;
	pc->offset = offset;
	pc->size = size;
	pc->dest = dest;
}

static bool uses_vregs(const struct fetch_plan *p)
{
	for (unsigned i = 0; i < p->npieces; i++)
		if (p->pieces[i].kind == FETCH_REG && p->pieces[i].regno >= X86_DW_XMM0)
			return true;
	return false;
}

/* Pieces for a value classified into eightbytes cls: INTEGER from gprs[*gi],
 * SSE from xmm *si; an SSEUP eightbyte widens the piece of the SSE eightbyte
 * before it to the whole 16-byte register. */
static void add_eightbytes(struct fetch_plan *p, const enum arg_class cls[2], size_t size, const unsigned *gprs,
			   unsigned *gi, unsigned *si)
{
	for (unsigned b = 0; b * 8 < size; b++) {
		uint32_t n = (uint32_t)(size - b * 8 < 8 ? size - b * 8 : 8);
		if (cls[b] == CLS_INTEGER) {
			add_piece(p, FETCH_REG, gprs[(*gi)++], 0, n, b * 8);
		} else if (cls[b] == CLS_SSE) {
			if (b + 1 < 2 && cls[b + 1] == CLS_SSEUP && size > 8) {
				add_piece(p, FETCH_REG, X86_DW_XMM0 + (*si)++, 0, (uint32_t)(size - b * 8), b * 8);
				b++;
			} else {
				add_piece(p, FETCH_REG, X86_DW_XMM0 + (*si)++, 0, n, b * 8);
			}
		}
	}
}

static const unsigned arg_gprs[6] = {X86_DW_RDI, X86_DW_RSI, X86_DW_RDX, X86_DW_RCX, X86_DW_R8, X86_DW_R9};

/* Itanium C++ ABI 3.1.2: a class that is not trivially copyable travels as
 * the address of a temporary, in the integer register or the stack slot an
 * INTEGER eightbyte would take; the object is read through it. */
static void plan_by_reference(struct fetch_plan *p, unsigned *next_gpr, size_t *stack, size_t size)
{
	if (*next_gpr < 6) {
		add_piece(p, FETCH_MEM, arg_gprs[(*next_gpr)++], 0, (uint32_t)size, 0);
	} else {
		add_piece(p, FETCH_MEM_INDIRECT, X86_DW_RSP, (int64_t)(8 + *stack), (uint32_t)size, 0);
		*stack += 8;
	}
}

void arch_plan_call(const struct dw_function *f, struct fetch_plan *params, struct fetch_plan *ret,
		    bool *entry_vregs, bool *exit_vregs)
{
	unsigned next_gpr = 0, next_sse = 0;
	size_t stack = 0; /* bytes of the argument area above the return address */
	enum arg_class cls[2];
	enum arg_class whole;
	/* After a vector wider than 16 bytes (see classify_vector()), the xmm
	 * registers and the stack slots of later arguments depend on whether
	 * the function was compiled for AVX; returning one, even rdi does. */
	bool sse_unknown = false, stack_unknown = false, all_unknown = is_wide_vector(f->ret);

	memset(ret, 0, sizeof(*ret));
	*entry_vregs = *exit_vregs = false;

	/* The return value. */
	if (f->ret && dw_type_size(f->ret)) {
		size_t size = dw_type_size(f->ret);
		whole = classify_value(f->ret, cls);
		/* A clone named as one (clone_kind) returns what its origin
		 * returns, where the ABI puts it; a split-off .cold part
		 * returns nothing of its own. */
		ret->available = (!f->abi_changed || f->clone_kind) && !all_unknown;
		ret->size = (uint32_t)size;
		if (whole == CLS_MEMORY) {
			/* The caller's buffer, whose address comes back in rax. */
			if (size)
				add_piece(ret, FETCH_MEM, X86_DW_RAX, 0, (uint32_t)size, 0);
			else
				ret->available = false;
			next_gpr = 1; /* the hidden pointer takes rdi */
		} else if (whole == CLS_X87) {
			add_piece(ret, FETCH_REG, X86_DW_ST0, 0, 10, 0);
		} else if (whole == CLS_COMPLEX_X87) {
			/* The real part in st0, the imaginary part in st1. */
			add_piece(ret, FETCH_REG, X86_DW_ST0, 0, 10, 0);
			add_piece(ret, FETCH_REG, X86_DW_ST0 + 1, 0, 10, 16);
		} else {
			static const unsigned ret_gprs[2] = {X86_DW_RAX, X86_DW_RDX};
			unsigned gi = 0, si = 0;
			add_eightbytes(ret, cls, size, ret_gprs, &gi, &si);
		}
		*exit_vregs = uses_vregs(ret);
	}

	for (size_t i = 0; i < f->nparams; i++) {
		struct fetch_plan *p = &params[i];
		const struct dw_type *t = f->params[i].type;
		size_t size = dw_type_size(t);
		unsigned need_int = 0, need_sse = 0;

		memset(p, 0, sizeof(*p));
		p->size = (uint32_t)size;
		p->available = size != 0 && !f->abi_changed && !all_unknown;
		if (is_wide_vector(t)) {
			p->available = false;
			sse_unknown = stack_unknown = true;
			continue;
		}
		if (!size) {
			/* An unknown type still takes an eightbyte register. */
			if (next_gpr < 6)
				next_gpr++;
			continue;
		}
		if (dw_type_by_reference(t)) {
			plan_by_reference(p, &next_gpr, &stack, size);
			continue;
		}
		whole = classify_value(t, cls);
		if (whole == CLS_NONE) {
			for (unsigned b = 0; b * 8 < size; b++) {
				need_int += cls[b] == CLS_INTEGER;
				need_sse += cls[b] == CLS_SSE;
			}
			if (next_gpr + need_int > 6 || next_sse + need_sse > 8)
				whole = CLS_MEMORY; /* no room for all of it: all on the stack */
		}
		if (whole == CLS_NONE) {
			add_eightbytes(p, cls, size, arg_gprs, &next_gpr, &next_sse);
		} else {
			size_t align = type_align(t) > 8 ? 16 : 8;
			stack = (stack + align - 1) / align * align;
			/* At the entry, [rsp] is the return address: arguments start at rsp + 8. */
			add_piece(p, FETCH_MEM, X86_DW_RSP, (int64_t)(8 + stack), (uint32_t)size, 0);
			stack += (size + 7) / 8 * 8;
			if (stack_unknown)
				p->available = false;
		}
		if (sse_unknown && uses_vregs(p))
			p->available = false;
		if (uses_vregs(p))
			*entry_vregs = true;
	}
	/* What the classification could not place is not "optimized out"
	 * (fetch_plan.h's default): the ABI alone does not say where it is
	 * (after a vector wider than 16 bytes, in a clone). */
	for (size_t i = 0; i < f->nparams; i++)
		if (!params[i].available && !params[i].why)
			params[i].why = "location unknown";
	if (!ret->available && !ret->why)
		ret->why = "location unknown";
}
