/* Prototypes from declarations: a function whose own DWARF is no prototype
 * (written in assembly, as glibc's string functions are, or an IFUNC seen
 * through its resolver) takes its parameters and return type from a
 * DW_TAG_subprogram with DW_AT_declaration of the same name, which every CU
 * that calls the function carries.  dwarf_getfuncs skips declarations, so
 * each module's CUs are walked once, top-level DIEs only, into a name index.
 */
#include <dwarf.h>
#include <stdio.h>
#include <string.h>

#include "dw_internal.h"

/* Names are keys of a u64_map; a match is confirmed by strcmp. */
static uint64_t name_hash(const char *s)
{
	return u64_hash_string(s, strlen(s));
}

static void build_index(struct dw_module *m)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	m->decls_state = -1;
	if (!dw_module_has_dwarf(m))
		return;
	while (dwarf_nextcu(m->dwarf, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, die;

		if (dwarf_offdie(m->dwarf, off + hsize, &cu) && dwarf_child(&cu, &die) == 0) {
			do {
				const char *name;
				uint64_t key;

				if (dwarf_tag(&die) != DW_TAG_subprogram || !dwarf_hasattr(&die, DW_AT_declaration) ||
				    !dwarf_hasattr(&die, DW_AT_external) || !(name = dwarf_diename(&die)))
					continue;
				key = name_hash(name);
				if (!u64_map_get(&m->decls, key))
					u64_map_put(&m->decls, key, (void *)(uintptr_t)(dwarf_dieoffset(&die) + 1));
			} while (dwarf_siblingof(&die, &die) == 0);
		}
		off = next;
	}
	m->decls_state = 1;
}

/* A declaration of name in m: true and *die. */
static bool find_in(struct dw_module *m, const char *name, Dwarf_Die *die)
{
	uintptr_t v;

	if (!m->decls_state)
		build_index(m);
	if (m->decls_state < 0)
		return false;
	v = (uintptr_t)u64_map_get(&m->decls, name_hash(name));
	return v && dwarf_offdie(m->dwarf, (Dwarf_Off)(v - 1), die) && !strcmp(dwarf_diename(die), name);
}

/* A declaration of name in m, else in the executable, whose CUs are few
 * and call what it traces: true, *die and *where. */
static bool find_decl(struct dw_module *m, const char *name, Dwarf_Die *die, struct dw_module **where)
{
	struct dw_session *s = m->session;

	*where = m;
	if (find_in(m, name, die))
		return true;
	for (size_t i = 0; i < s->nmodules; i++) {
		*where = s->modules[i];
		if (*where != m && (*where)->is_main && find_in(*where, name, die))
			return true;
	}
	return false;
}

bool dw_decl_signature(struct dw_module *m, struct dw_function *f)
{
	struct dw_module *where;
	Dwarf_Die die;
	char alias[256];
	bool found = find_decl(m, f->name, &die, &where);

	/* glibc's own CUs call many functions by their internal alias only
	 * (__strchrnul, __wcslen, __memrchr): the public name's prototype. */
	if (!found && strncmp(f->name, "__", 2) != 0 &&
	    (size_t)snprintf(alias, sizeof(alias), "__%s", f->name) < sizeof(alias))
		found = find_decl(m, alias, &die, &where);
	if (!found)
		return false;
	f->has_dwarf = true;
	f->ret = dw_type_of_attr(where, &die);
	dw_function_read_params(where, f, &die);
	f->decl_file = dwarf_decl_file(&die);
	dwarf_decl_line(&die, &f->decl_line);
	return true;
}

bool dw_die_is_assembly(Dwarf_Die *die)
{
	Dwarf_Die cu;

	return dwarf_diecu(die, &cu, NULL, NULL) && dwarf_srclang(&cu) == DW_LANG_Mips_Assembler;
}
