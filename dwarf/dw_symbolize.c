/* Code addresses to function+offset, module, file:line and inlined calls,
 * the way eu-stack shows them. */
#define _GNU_SOURCE
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "dw_demangle.h"
#include "dw_internal.h"

const char *dw_session_demangled(struct dw_session *s, const char *linkage)
{
	char *d;

	if (!linkage || (strncmp(linkage, "_Z", 2) != 0 && strncmp(linkage, "_R", 2) != 0))
		return NULL;
	d = u64_map_get(&s->demangled_names, (uint64_t)(uintptr_t)linkage);
	if (!d && (d = dw_demangle(linkage)))
		u64_map_put(&s->demangled_names, (uint64_t)(uintptr_t)linkage, d);
	return d;
}

static const char *scope_name(struct dw_session *s, Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name;

	/* C++: the qualified name with parameter types, as in events. */
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) && (name = dw_session_demangled(s, dwarf_formstring(&attr))))
		return name;
	if (dwarf_attr_integrate(die, DW_AT_name, &attr) && (name = dwarf_formstring(&attr)))
		return name;
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) && (name = dwarf_formstring(&attr)))
		return name;
	return NULL;
}

const char *dw_call_file(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Word idx;
	Dwarf_Die cu;
	Dwarf_Files *files;
	size_t nfiles;

	if (!dwarf_attr(die, DW_AT_call_file, &attr) || dwarf_formudata(&attr, &idx) != 0 ||
	    !dwarf_diecu(die, &cu, NULL, NULL) || dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 || idx >= nfiles)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

int dw_call_line(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Word line;

	if (!dwarf_attr(die, DW_AT_call_line, &attr) || dwarf_formudata(&attr, &line) != 0)
		return 0;
	return (int)line;
}

/* "memcpy@@GLIBC_2.14" as "memcpy", interned for the session's life. */
static const char *plain(struct dw_session *s, const char *name)
{
	const char *at = name ? strchr(name, '@') : NULL;
	char *p;

	if (!at)
		return name;
	p = u64_map_get(&s->plain_names, (uint64_t)(uintptr_t)name);
	if (!p) {
		p = strndup(name, (size_t)(at - name));
		if (!p)
			return name;
		u64_map_put(&s->plain_names, (uint64_t)(uintptr_t)name, p);
	}
	return p;
}

/* Tags whose DIEs hold code (and may nest more of it), and tags that hold
 * no code of their own but may hold function definitions (C++ namespaces
 * and classes, Fortran modules). */
static bool holds_code(int tag)
{
	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block ||
	       tag == DW_TAG_entry_point;
}

static bool holds_functions(int tag)
{
	return tag == DW_TAG_namespace || tag == DW_TAG_module || tag == DW_TAG_class_type ||
	       tag == DW_TAG_structure_type || tag == DW_TAG_union_type || tag == DW_TAG_interface_type;
}

/* deep: also look inside code that does not hold pc, for a function
 * nested in another one (GNU C, Fortran's contained procedures, Ada) whose
 * code lies outside its parent's ranges. */
static bool walk_scopes(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *chain, int *n, int max, int depth, bool deep)
{
	Dwarf_Die child;

	if (depth > 128 || dwarf_child(parent, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);
		if (holds_code(tag) && dwarf_haspc(&child, pc) > 0) {
			if (tag != DW_TAG_lexical_block && *n < max)
				chain[(*n)++] = child;
			walk_scopes(&child, pc, chain, n, max, depth + 1, deep);
			return true;
		}
		if ((holds_functions(tag) || (deep && holds_code(tag))) &&
		    walk_scopes(&child, pc, chain, n, max, depth + 1, deep))
			return true;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

/* dwarf_getscopes is not used: past an inlined instance it looks for the
 * abstract origin's scopes in the same CU, and with LTO the origin is in
 * another one (DW_FORM_ref_addr): elfutils 0.188 then fails with "no address
 * value" and returns no scope at all (python3.11's inlined frames were lost
 * so).  The concrete tree alone is what addr2line -i and gdb walk. */
int dw_pc_scopes(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *chain, int max)
{
	int n = 0;

	if (!walk_scopes(cu, pc, chain, &n, max, 0, false))
		walk_scopes(cu, pc, chain, &n, max, 0, true);
	return n;
}

/* The line table's file:line at module address at; NULL when none. */
static const char *source_line(Dwfl_Module *mod, uint64_t at, int *line)
{
	Dwfl_Line *dl = dwfl_module_getsrc(mod, at);

	*line = 0;
	return dl ? dwfl_lineinfo(dl, NULL, line, NULL, NULL, NULL) : NULL;
}

#define MAX_SCOPES 64

size_t dw_session_symbolize(struct dw_session *s, uint64_t pc, bool is_return, struct dw_frame *out, size_t max)
{
	uint64_t at = is_return ? pc - 1 : pc;
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, at);
	struct dw_module *m;
	GElf_Off symoff = 0;
	GElf_Sym sym;
	const char *symname = NULL, *file = NULL;
	int line = 0;
	Dwarf_Addr bias;
	Dwarf_Die *cu, cu_buf, scopes[MAX_SCOPES];
	size_t n = 0;
	int nscopes = 0;
	const char *dwarf_name = NULL, *module;

	if (!mod && s->pid > 0 && dw_session_refresh(s) >= 0)
		mod = dwfl_addrmodule(s->dwfl, at);
	if (!max)
		return 0;
	memset(out, 0, sizeof(*out));
	out[0].addr = pc;
	if (!mod)
		return 1;
	m = u64_map_get(&s->by_mod, (uint64_t)(uintptr_t)mod);
	module = m ? m->name : NULL;
	out[0].module = module;
	symname = dwfl_module_addrinfo(mod, at, &symoff, &sym, NULL, NULL, NULL);
	file = source_line(mod, at, &line);
	if (!file && m && dw_module_has_dwarf(m) && dw_module_row_at(m, at, &file, &line, NULL) != 0) {
		/* dwfl_module_getsrc needs .debug_aranges; Go writes none. */
		file = NULL;
		line = 0;
	}

	/* scopes: the subprogram, then each inlined call inside it, outermost
	 * first.  Frame 0 is the innermost inlined function at pc's line; each
	 * next frame is the function it was inlined into, at the inlined
	 * subroutine's DW_AT_call_file:call_line (DWARF 5 section 3.3.8.2). */
	cu = m ? dw_module_addrdie(m, at, &cu_buf, &bias) : dwfl_module_addrdie(mod, at, &bias);
	if (cu)
		nscopes = dw_pc_scopes(cu, at - bias, scopes, MAX_SCOPES);
	for (int i = nscopes - 1; i > 0 && n + 1 < max; i--) {
		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].function = scope_name(s, &scopes[i]);
		out[n].module = module;
		out[n].file = file;
		out[n].line = line;
		out[n].inlined = true;
		out[n].addr = pc;
		file = dw_call_file(&scopes[i]);
		line = dw_call_line(&scopes[i]);
		n++;
	}
	/* The function's source name, as debuggers show it ("msort_with_tmp",
	 * not "msort_with_tmp.part.0"), through DW_AT_abstract_origin or
	 * DW_AT_specification, in another CU too. */
	if (nscopes > 0 && dwarf_tag(&scopes[0]) == DW_TAG_subprogram)
		dwarf_name = scope_name(s, &scopes[0]);
	if (!dwarf_name && symname)
		dwarf_name = dw_session_demangled(s, plain(s, symname));
	memset(&out[n], 0, sizeof(out[n]));
	out[n].function = dwarf_name ? dwarf_name : plain(s, symname);
	out[n].offset = symname ? (is_return ? symoff + 1 : symoff) : 0;
	out[n].module = module;
	out[n].file = file;
	out[n].line = line;
	out[n].inlined = false;
	out[n].addr = pc;
	return n + 1;
}
