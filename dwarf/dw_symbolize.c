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

/* The file named by a DW_AT_call_file index of die's CU. */
static const char *call_file(Dwarf_Die *die)
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

static int call_line(Dwarf_Die *die)
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

size_t dw_session_symbolize(struct dw_session *s, uint64_t pc, bool is_return, struct dw_frame *out, size_t max)
{
	uint64_t at = is_return ? pc - 1 : pc;
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, at);
	struct dw_module *m;
	GElf_Off symoff = 0;
	GElf_Sym sym;
	const char *symname = NULL, *file = NULL;
	int line = 0;
	Dwfl_Line *dl;
	Dwarf_Addr bias;
	Dwarf_Die *cu, cu_buf, *scopes = NULL;
	size_t n = 0;
	int nscopes;
	const char *dwarf_name = NULL;

	if (!mod && s->pid > 0 && dw_session_refresh(s) >= 0)
		mod = dwfl_addrmodule(s->dwfl, at);
	memset(out, 0, sizeof(*out));
	if (!mod || !max)
		return 1;
	m = u64_map_get(&s->by_mod, (uint64_t)(uintptr_t)mod);
	out[0].module = m ? m->name : NULL;
	symname = dwfl_module_addrinfo(mod, at, &symoff, &sym, NULL, NULL, NULL);
	if ((dl = dwfl_module_getsrc(mod, at)))
		file = dwfl_lineinfo(dl, NULL, &line, NULL, NULL, NULL);

	/* Inlined calls: each scope names the function whose code pc is in;
	 * the place it was called from is the next frame's file:line. */
	cu = m ? dw_module_addrdie(m, at, &cu_buf, &bias) : dwfl_module_addrdie(mod, at, &bias);
	nscopes = cu ? dwarf_getscopes(cu, at - bias, &scopes) : 0;
	if (nscopes > 0) {
		/* Past an inlined instance dwarf_getscopes goes on with the
		 * abstract definition's scopes; the scopes of the DIE itself
		 * are the concrete ones (the callers, up to the function). */
		Dwarf_Die *chain = NULL;
		int nchain = dwarf_getscopes_die(&scopes[0], &chain);
		if (nchain > 0) {
			free(scopes);
			scopes = chain;
			nscopes = nchain;
		}
	}
	for (int i = 0; i < nscopes; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag == DW_TAG_subprogram) {
			/* The function's source name, as debuggers show it
			 * ("msort_with_tmp", not "msort_with_tmp.part.0"). */
			dwarf_name = scope_name(s, &scopes[i]);
			break;
		}
		if (tag != DW_TAG_inlined_subroutine || n + 1 >= max)
			continue;
		out[n].function = scope_name(s, &scopes[i]);
		out[n].module = out[0].module;
		out[n].file = file;
		out[n].line = line;
		out[n].inlined = true;
		file = call_file(&scopes[i]);
		line = call_line(&scopes[i]);
		n++;
	}
	free(scopes);
	if (!dwarf_name && symname)
		dwarf_name = dw_session_demangled(s, plain(s, symname));
	out[n].function = dwarf_name ? dwarf_name : plain(s, symname);
	out[n].offset = symname ? (is_return ? symoff + 1 : symoff) : 0;
	out[n].module = out[0].module;
	out[n].file = file;
	out[n].line = line;
	out[n].inlined = false;
	return n + 1;
}
