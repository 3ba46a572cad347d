/* A function's signature from its subprogram DIE. */
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "dw_internal.h"
#include "xalloc.h"

struct find_ctx {
	Dwarf_Addr pc;          /* DWARF address of the entry */
	Dwarf_Die found;
	int quality;            /* 2: starts at pc, 1: contains pc */
};

static int starts_at(Dwarf_Die *die, Dwarf_Addr pc)
{
	Dwarf_Addr lo, base, start, end;
	ptrdiff_t off = 0;

	if (dwarf_lowpc(die, &lo) == 0)
		return lo == pc ? 2 : (dwarf_haspc(die, pc) == 1);
	if (dwarf_entrypc(die, &lo) == 0 && lo == pc)
		return 2;
	while ((off = dwarf_ranges(die, off, &base, &start, &end)) > 0)
		if (start == pc)
			return 2;
	return dwarf_haspc(die, pc) == 1;
}

static int match_subprogram(Dwarf_Die *die, void *arg)
{
	struct find_ctx *ctx = arg;
	int q;

	if (!dwarf_hasattr(die, DW_AT_low_pc) && !dwarf_hasattr(die, DW_AT_ranges))
		return DWARF_CB_OK;
	q = starts_at(die, ctx->pc);
	if (q > ctx->quality) {
		ctx->found = *die;
		ctx->quality = q;
	}
	return q == 2 ? DWARF_CB_ABORT : DWARF_CB_OK;
}

/* The DIE that lists the declared parameters: the abstract origin of a
 * concrete instance (its own list may lack optimized-out ones), else itself. */
static Dwarf_Die *declaring_die(Dwarf_Die *die, Dwarf_Die *buf)
{
	Dwarf_Attribute attr;

	if (dwarf_attr(die, DW_AT_abstract_origin, &attr) && dwarf_formref_die(&attr, buf))
		return buf;
	if (dwarf_attr(die, DW_AT_specification, &attr) && dwarf_formref_die(&attr, buf)) {
		Dwarf_Die child;
		/* A C++ definition out of its class: parameters are on the definition. */
		if (dwarf_child(die, &child) == 0)
			return die;
		return buf;
	}
	return die;
}

static void read_params(struct dw_module *m, struct dw_function *f, Dwarf_Die *die)
{
	Dwarf_Die child;
	size_t cap = 0;

	if (dwarf_child(die, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);
		if (tag == DW_TAG_unspecified_parameters) {
			f->variadic = true;
		} else if (tag == DW_TAG_formal_parameter) {
			struct dw_param *p;
			/* GCC's C++ constructors and destructors declare an
			 * artificial __in_chrg that the emitted variants (C1,
			 * D1, ...) never take in a register. */
			if (dwarf_hasattr(&child, DW_AT_artificial) && dwarf_diename(&child) &&
			    !strcmp(dwarf_diename(&child), "__in_chrg"))
				continue;
			xgrow(&f->params, &cap, f->nparams + 1, sizeof(*f->params));
			p = &f->params[f->nparams];
			p->name = dwarf_diename(&child);
			p->unnamed = !p->name;
			if (!p->name) {
				/* An unnamed parameter still takes its place, named by
				 * it as raw arguments are (JSON keys and LTTng fields
				 * need a name; text shows the value alone). */
				static const char *const names[] = {"arg0", "arg1", "arg2", "arg3", "arg4", "arg5",
								    "arg6", "arg7", "arg8", "arg9", "arg10", "arg11"};
				p->name = f->nparams < 12 ? names[f->nparams] : "arg";
			}
			p->type = dw_type_of_attr(m, &child);
			p->die = dwarf_dieoffset(&child);
			f->nparams++;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
}

/* The DIE offset of concrete's formal parameter whose abstract origin is
 * the DIE at offset origin, 0 when it has none (optimized out). */
static uint64_t concrete_param(Dwarf_Die *concrete, uint64_t origin)
{
	Dwarf_Die child, o;
	Dwarf_Attribute attr;

	if (dwarf_child(concrete, &child) != 0)
		return 0;
	do {
		if (dwarf_tag(&child) == DW_TAG_formal_parameter && dwarf_attr(&child, DW_AT_abstract_origin, &attr) &&
		    dwarf_formref_die(&attr, &o) && dwarf_dieoffset(&o) == origin)
			return dwarf_dieoffset(&child);
	} while (dwarf_siblingof(&child, &child) == 0);
	return 0;
}

/* Points each parameter read from decl (an abstract origin) at its DIE in
 * the concrete subprogram, where DW_AT_location is (DWARF 5 section 3.3.8.2). */
static void concrete_params(struct dw_function *f, Dwarf_Die *decl, Dwarf_Die *concrete)
{
	if (dwarf_dieoffset(decl) == dwarf_dieoffset(concrete))
		return;
	for (size_t i = 0; i < f->nparams; i++)
		f->params[i].die = concrete_param(concrete, f->params[i].die);
}

/* Whether concrete has a formal parameter whose abstract origin is param. */
static bool concrete_has(Dwarf_Die *concrete, Dwarf_Die *param)
{
	Dwarf_Die child, origin;
	Dwarf_Attribute attr;

	if (dwarf_child(concrete, &child) != 0)
		return false;
	do {
		if (dwarf_tag(&child) == DW_TAG_formal_parameter && dwarf_attr(&child, DW_AT_abstract_origin, &attr) &&
		    dwarf_formref_die(&attr, &origin) && dwarf_dieoffset(&origin) == dwarf_dieoffset(param))
			return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/* GCC declares a C++ constructor or destructor once, with the artificial
 * parameters __in_chrg and __vtt_parm, and emits variants (C1/C2, D0/D1/D2)
 * that take them only when the class has virtual bases.  A parameter the
 * variant (concrete, read from decl) does not list is not passed: drop it,
 * as its register holds something else. */
static void drop_unpassed_artificial(struct dw_function *f, Dwarf_Die *decl, Dwarf_Die *concrete)
{
	Dwarf_Die child;
	size_t i = 0;

	if (decl == concrete || dwarf_child(decl, &child) != 0)
		return;
	do {
		const char *name;
		if (dwarf_tag(&child) != DW_TAG_formal_parameter)
			continue;
		name = dwarf_diename(&child);
		if (i < f->nparams && name && dwarf_hasattr(&child, DW_AT_artificial) &&
		    (!strcmp(name, "__in_chrg") || !strcmp(name, "__vtt_parm")) && !concrete_has(concrete, &child)) {
			memmove(&f->params[i], &f->params[i + 1], (f->nparams - i - 1) * sizeof(*f->params));
			f->nparams--;
			continue;
		}
		i++;
	} while (dwarf_siblingof(&child, &child) == 0);
}

/* The code of f from its subprogram DIE (DWARF 5 section 2.17: a single
 * range or DW_AT_ranges), at load addresses. */
static void read_ranges(struct dw_function *f, Dwarf_Die *die, Dwarf_Addr bias)
{
	Dwarf_Addr base, start, end;
	ptrdiff_t off = 0;
	size_t cap = 0;

	while ((off = dwarf_ranges(die, off, &base, &start, &end)) > 0) {
		if (end <= start)
			continue;
		xgrow(&f->ranges, &cap, f->nranges + 1, sizeof(*f->ranges));
		f->ranges[f->nranges++] = (struct dw_range){start + bias, end + bias};
	}
}

static void symbol_range(struct dw_function *f)
{
	if (!f->size)
		return;
	f->ranges = xmalloc(sizeof(*f->ranges));
	f->ranges[0] = (struct dw_range){f->addr, f->addr + f->size};
	f->nranges = 1;
}

/* Where the DIE's code starts (its entry pc), as a load address. */
static uint64_t die_start(Dwarf_Die *die, Dwarf_Addr bias)
{
	Dwarf_Addr pc;

	if (dwarf_entrypc(die, &pc) == 0 || dwarf_lowpc(die, &pc) == 0)
		return pc + bias;
	return 0;
}

static void raw_signature(struct dw_module *m, struct dw_function *f)
{
	static const char *const names[DW_RAW_ARGS] = {"arg0", "arg1", "arg2", "arg3", "arg4", "arg5"};

	f->has_dwarf = false;
	f->nparams = DW_RAW_ARGS;
	f->params = xcalloc(DW_RAW_ARGS, sizeof(*f->params));
	for (size_t i = 0; i < DW_RAW_ARGS; i++) {
		f->params[i].name = names[i];
		f->params[i].type = m->session->raw_type;
	}
	f->ret = m->session->raw_type;
}

bool dw_function_die(const struct dw_function *f, Dwarf_Die *out)
{
	struct find_ctx ctx = {0};
	Dwarf_Addr bias;
	Dwarf_Die *cu, cu_buf;

	if (!f->has_dwarf || !dw_module_has_dwarf(f->module))
		return false;
	cu = dw_module_addrdie(f->module, f->addr, &cu_buf, &bias);
	if (!cu)
		return false;
	ctx.pc = f->addr - bias;
	dwarf_getfuncs(cu, match_subprogram, &ctx, 0);
	if (!ctx.quality)
		return false;
	*out = ctx.found;
	return true;
}

void dw_function_read_params(struct dw_module *m, struct dw_function *f, Dwarf_Die *die)
{
	read_params(m, f, die);
	/* A declaration's parameters (maybe another module's) locate nothing. */
	for (size_t i = 0; i < f->nparams; i++)
		f->params[i].die = 0;
}

void dw_function_read_signature(struct dw_module *m, struct dw_function *f)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = NULL, cu_buf, decl_buf, *decl;
	struct find_ctx ctx = {0};

	if (dw_module_has_dwarf(m))
		cu = dw_module_addrdie(m, f->addr, &cu_buf, &bias);
	if (cu && dwarf_srclang(cu) > 0)
		f->language = dwarf_srclang(cu);
	/* Assembly has no prototype in its DWARF (no parameters, unspecified
	 * return type); an IFUNC in a file is its resolver, not the function:
	 * a declaration of the name says what it takes, else raw registers. */
	if ((cu && dw_die_is_assembly(cu)) || (f->ifunc && !f->impl)) {
		if (!dw_decl_signature(m, f))
			raw_signature(m, f);
		symbol_range(f);
		f->open_code = true;
		return;
	}
	if (!cu) {
		/* An IFUNC's implementation with no DWARF (a static executable's
		 * libc.a code): the prototype a declaration of its name gives. */
		if (!(f->ifunc && dw_decl_signature(m, f)))
			raw_signature(m, f);
		symbol_range(f);
		f->open_code = true;
		return;
	}
	ctx.pc = f->addr - bias;
	dwarf_getfuncs(cu, match_subprogram, &ctx, 0);
	if (!ctx.quality) {
		raw_signature(m, f);
		symbol_range(f);
		f->open_code = true;
		return;
	}
	f->has_dwarf = true;
	read_ranges(f, &ctx.found, bias);
	f->noreturn = dwarf_hasattr_integrate(&ctx.found, DW_AT_noreturn);
	if (ctx.quality < 2 && !strchr(f->name, '.'))
		f->dwarf_start = die_start(&ctx.found, bias);
	/* A clone's parameters are not where the ABI says, and a piece of a
	 * function split off (".cold") has no entry at all. */
	f->abi_changed = strstr(f->name, ".isra.") || strstr(f->name, ".constprop.") || strstr(f->name, ".part.") ||
			 ctx.quality < 2;
	f->ret = dw_type_of_attr(m, &ctx.found);
	decl = declaring_die(&ctx.found, &decl_buf);
	read_params(m, f, decl);
	drop_unpassed_artificial(f, decl, &ctx.found);
	concrete_params(f, decl, &ctx.found);
	if (!dwarf_hasattr_integrate(&ctx.found, DW_AT_prototyped) && !f->nparams)
		f->variadic = false;
	f->decl_file = dwarf_decl_file(&ctx.found);
	dwarf_decl_line(&ctx.found, &f->decl_line);
	dw_lang_signature(m, f, &ctx.found, cu, bias);
}

size_t dw_function_prototype(const struct dw_function *f, char *buf, size_t size)
{
	size_t cap = 256, len = 0;
	char *decl, *tmp;
	size_t n;

	/* A demangled name carries its parameter types already. */
	if (!f->has_dwarf)
		return (size_t)snprintf(buf, size, "%s%s  /* %s */", f->name, f->linkage_name ? "" : "(?)",
					f->ifunc && !f->impl ? "IFUNC, no declaration in the debug info"
							     : "no debug info");
	decl = xmalloc(cap);
	len = (size_t)snprintf(decl, cap, "%s(", f->qualified_name ? f->qualified_name : f->name);
	for (size_t i = 0; i < f->nparams; i++) {
		n = dw_type_declare(f->params[i].type, f->params[i].unnamed ? NULL : f->params[i].name, NULL, 0);
		xgrow(&decl, &cap, len + n + 8, 1);
		if (i)
			len += (size_t)sprintf(decl + len, ", ");
		dw_type_declare(f->params[i].type, f->params[i].unnamed ? NULL : f->params[i].name, decl + len, cap - len);
		len += n;
	}
	xgrow(&decl, &cap, len + 16, 1);
	if (f->variadic)
		len += (size_t)sprintf(decl + len, "%s...", f->nparams ? ", " : "");
	else if (!f->nparams)
		len += (size_t)sprintf(decl + len, "void");
	sprintf(decl + len, ")");
	n = dw_type_declare(f->ret, decl, NULL, 0);
	tmp = xmalloc(n + 1);
	dw_type_declare(f->ret, decl, tmp, n + 1);
	free(decl);
	/* In a file nothing runs the resolver: the address listed is its. */
	n = (size_t)snprintf(buf, size, "%s%s", tmp,
			     f->ifunc && !f->impl ? "  /* IFUNC: the address is its resolver's */" : "");
	free(tmp);
	return n;
}
