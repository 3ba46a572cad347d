/* Source lines to code addresses (FILE:LINE probes), as gdb's
 * "break FILE:LINE" finds them: the line table's statement rows (DWARF 5
 * section 6.2, is_stmt) of that line, the lowest address of each function
 * and of each inlined copy that has one. */
#define _GNU_SOURCE
#include <dwarf.h>
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "dw_internal.h"
#include "xalloc.h"

/* Whether path names file: equal, or ends with it at a '/' boundary
 * ("/src/samples/mylib.c" names "mylib.c" and "samples/mylib.c"). */
static bool path_names(const char *path, const char *file)
{
	size_t lp, lf = strlen(file);

	if (!path)
		return false;
	lp = strlen(path);
	if (lf > lp)
		return false;
	if (lf == lp)
		return !strcmp(path, file);
	return path[lp - lf - 1] == '/' && !strcmp(path + lp - lf, file);
}

/* Whether a CU's file table names file ("./x.c" as "x.c"). */
static bool cu_has_file(Dwarf_Die *cu, const char *file)
{
	Dwarf_Files *files;
	size_t n;

	if (dwarf_getsrcfiles(cu, &files, &n) != 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *p = dwarf_filesrc(files, i, NULL, NULL);
		if (p && path_names(p, file))
			return true;
	}
	return false;
}

/* The innermost function or inlined copy under die holding addr (a DWARF
 * address), by the DIEs' own ranges (dwarf_haspc): its DIE offset, 0 when
 * none.  Namespaces and classes have no ranges but hold C++ definitions;
 * imported units hold what the unit that imports them describes. */
static uint64_t walk_key(Dwarf_Die *die, Dwarf_Addr addr, int depth)
{
	Dwarf_Die child;
	uint64_t key = 0;

	if (depth > 64 || dwarf_child(die, &child) != 0)
		return 0;
	do {
		int tag = dwarf_tag(&child);

		Dwarf_Attribute attr;
		Dwarf_Die unit;

		if (tag == DW_TAG_namespace || tag == DW_TAG_class_type || tag == DW_TAG_structure_type) {
			key = walk_key(&child, addr, depth + 1);
		} else if (tag == DW_TAG_imported_unit) {
			/* dwz's partial units (DWARF 5 section 3.2.5). */
			if (dwarf_formref_die(dwarf_attr(&child, DW_AT_import, &attr), &unit))
				key = walk_key(&unit, addr, depth + 1);
		} else if ((tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
			    tag == DW_TAG_lexical_block) &&
			   dwarf_haspc(&child, addr) > 0) {
			key = walk_key(&child, addr, depth + 1);
			if (!key && tag != DW_TAG_lexical_block)
				key = dwarf_dieoffset(&child);
			return key;
		}
	} while (!key && dwarf_siblingof(&child, &child) == 0);
	return key;
}

/* The innermost function or inlined copy holding addr (a DWARF address of
 * cu): its DIE offset, 0 when none.  Not dwarf_getscopes: in GCC's LTO
 * units (python3.11) it fails, "no address value", on inlined copies
 * whose abstract origin is in another unit (and leaks its array then,
 * elfutils 0.188); every row of a line then counted as one scope, 2
 * addresses where gdb has 110. */
static uint64_t scope_key(Dwarf *dbg, Dwarf_Die *cu, Dwarf_Addr addr)
{
	Dwarf_Die other;
	uint64_t key = walk_key(cu, addr, 0);

	/* A line table whose rows another unit's DIEs describe. */
	if (!key && dwarf_addrdie(dbg, addr, &other) && dwarf_dieoffset(&other) != dwarf_dieoffset(cu))
		key = walk_key(&other, addr, 0);
	return key;
}

/* Whether statement row i (address a, file src) of lines is followed at
 * the same address by a statement row of another file: it covers no code
 * of its own.  gdb
 * drops such rows (dwarf2/read.c: a change of file ends the old file's
 * sequence there, and buildsym's record_line deletes that file's rows at
 * the pc), so "break FILE:LINE" does not stop there (LTO code is full of
 * them: a call's line row right before its inlined callee's). */
static bool empty_row(Dwarf_Lines *lines, size_t n, size_t i, Dwarf_Addr a, const char *src)
{
	for (size_t j = i + 1; j < n; j++) {
		Dwarf_Line *l = dwarf_onesrcline(lines, j);
		const char *other;
		Dwarf_Addr b;
		bool end = false, stmt = false;

		if (!l || dwarf_lineaddr(l, &b) != 0 || b != a)
			return false;
		if (dwarf_lineendsequence(l, &end) == 0 && end)
			continue;
		/* A row of another file that is no statement is one gdb
		 * ignores after a statement at that address (ignore_this_line). */
		other = dwarf_linesrc(l, NULL, NULL);
		if (other && strcmp(other, src) != 0 && dwarf_linebeginstatement(l, &stmt) == 0 && stmt)
			return true;
	}
	return false;
}

struct line_hit {
	uint64_t key;                /* scope_key */
	Dwarf_Addr addr;             /* lowest so far */
	const char *path;            /* its row's file (libdw's, lives with the Dwarf) */
};

struct line_scan {
	const char *file;
	int line;
	/* Nearest lines with code on either side (dw_session_line_neighbours). */
	int before, after;
	bool file_seen;
};

/* The rows of cu for sc's line: the lowest address per scope in *hits.
 * Also keeps the nearest statement lines around it. */
static void scan_cu(Dwarf *dbg, Dwarf_Die *cu, struct line_scan *sc, struct line_hit **hits, size_t *nhits,
		    size_t *cap)
{
	Dwarf_Lines *lines;
	size_t n, first = nhits ? *nhits : 0;

	if (!cu_has_file(cu, sc->file) || dwarf_getsrclines(cu, &lines, &n) != 0)
		return;
	sc->file_seen = true;
	for (size_t i = 0; i < n; i++) {
		Dwarf_Line *l = dwarf_onesrcline(lines, i);
		bool stmt = false, end = false;
		const char *src;
		Dwarf_Addr a;
		int lineno;
		uint64_t key;
		size_t k;

		if (!l || dwarf_linebeginstatement(l, &stmt) != 0 || !stmt || dwarf_lineendsequence(l, &end) != 0 ||
		    end || dwarf_lineno(l, &lineno) != 0 || !(src = dwarf_linesrc(l, NULL, NULL)) ||
		    !path_names(src, sc->file) || dwarf_lineaddr(l, &a) != 0)
			continue;
		/* Address 0: code of a function the linker dropped. */
		if (!a || empty_row(lines, n, i, a, src))
			continue;
		if (lineno < sc->line && lineno > sc->before)
			sc->before = lineno;
		if (lineno > sc->line && (!sc->after || lineno < sc->after))
			sc->after = lineno;
		if (lineno != sc->line || !hits)
			continue;
		key = scope_key(dbg, cu, a);
		for (k = 0; k < *nhits && (*hits)[k].key != key; k++)
			;
		if (k < *nhits) {
			if (a < (*hits)[k].addr) {
				(*hits)[k].addr = a;
				(*hits)[k].path = src;
			}
			continue;
		}
		xgrow(hits, cap, *nhits + 1, sizeof(**hits));
		(*hits)[(*nhits)++] = (struct line_hit){key, a, src};
	}
	/* A function's first line at its entry: past the prologue, as gdb. */
	for (size_t k = first; hits && k < *nhits; k++) {
		Dwarf_Die scope;
		if ((*hits)[k].key && dwarf_offdie(dbg, (*hits)[k].key, &scope))
			(*hits)[k].addr = dw_line_skip_prologue(cu, &scope, (*hits)[k].addr);
	}
}

static int cmp_hit(const void *a, const void *b)
{
	const struct line_hit *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Scans every CU of m; the addresses of the line go to *hits (when hits is
 * not NULL), sorted. */
static void scan_module(struct dw_module *m, struct line_scan *sc, struct line_hit **hits, size_t *nhits)
{
	Dwarf_Off off = 0, next;
	size_t hsize, cap = 0;

	if (!dw_module_has_dwarf(m))
		return;
	while (dwarf_nextcu(m->dwarf, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;

		if (dwarf_offdie(m->dwarf, off + hsize, &cu))
			scan_cu(m->dwarf, &cu, sc, hits, hits ? nhits : NULL, &cap);
		off = next;
	}
	if (hits && *nhits)
		qsort(*hits, *nhits, sizeof(**hits), cmp_hit);
}

static bool module_wanted(struct dw_session *s, struct dw_module *m, const char *module_spec,
			  struct dw_module *chosen)
{
	(void)s;
	return !module_spec || m == chosen;
}

int dw_session_each_line_row(struct dw_session *s, const char *module_spec, const char *file, int line,
			     int (*fn)(struct dw_module *m, uint64_t addr, const char *path, void *arg), void *arg)
{
	struct dw_module *chosen = module_spec ? dw_session_find_module(s, module_spec) : NULL;
	int total = 0;

	if (!file || !*file || line <= 0) {
		dw_set_error(s, "a source line is FILE:LINE with LINE > 0");
		return -EINVAL;
	}
	if (module_spec && !chosen) {
		dw_set_error(s, "no module %s", module_spec);
		return -ENOENT;
	}
	for (size_t i = 0; i < s->nmodules; i++) {
		struct dw_module *m = s->modules[i];
		struct line_scan sc = {.file = file, .line = line};
		struct line_hit *hits = NULL;
		size_t nhits = 0;
		bool stop = false;

		if (!module_wanted(s, m, module_spec, chosen))
			continue;
		scan_module(m, &sc, &hits, &nhits);
		for (size_t k = 0; k < nhits && !stop; k++) {
			total++;
			stop = fn(m, hits[k].addr + m->dwarf_bias, hits[k].path, arg) != 0;
		}
		free(hits);
		if (stop)
			break;
	}
	return total;
}

struct addr_cb {
	int (*fn)(struct dw_module *m, uint64_t addr, void *arg);
	void *arg;
};

static int addr_only(struct dw_module *m, uint64_t addr, const char *path, void *arg)
{
	struct addr_cb *c = arg;

	(void)path;
	return c->fn(m, addr, c->arg);
}

int dw_session_each_line_addr(struct dw_session *s, const char *module_spec, const char *file, int line,
			      int (*fn)(struct dw_module *m, uint64_t addr, void *arg), void *arg)
{
	struct addr_cb c = {fn, arg};

	return dw_session_each_line_row(s, module_spec, file, line, addr_only, &c);
}

int dw_session_line_neighbours(struct dw_session *s, const char *module_spec, const char *file, int line,
			       int *before, int *after)
{
	struct dw_module *chosen = module_spec ? dw_session_find_module(s, module_spec) : NULL;
	bool seen = false;

	*before = *after = 0;
	for (size_t i = 0; i < s->nmodules; i++) {
		struct line_scan sc = {.file = file, .line = line};

		if (!module_wanted(s, s->modules[i], module_spec, chosen))
			continue;
		scan_module(s->modules[i], &sc, NULL, NULL);
		seen |= sc.file_seen;
		if (sc.before > *before)
			*before = sc.before;
		if (sc.after && (!*after || sc.after < *after))
			*after = sc.after;
	}
	return seen ? 0 : -ENOENT;
}

int dw_module_function_at(struct dw_module *m, uint64_t addr, struct dw_function **out)
{
	GElf_Sym sym;
	GElf_Off symoff;
	const char *name = dwfl_module_addrinfo(m->mod, addr, &symoff, &sym, NULL, NULL, NULL);

	if (!name || GELF_ST_TYPE(sym.st_info) != STT_FUNC || symoff >= (sym.st_size ? sym.st_size : 1))
		return -ENOENT;
	*out = dw_function_at(m, name, NULL, addr - symoff, sym.st_size, false, NULL, NULL);
	return 0;
}

int dw_module_line_at(struct dw_module *m, uint64_t pc, const char **file, int *line)
{
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(m->mod, pc, &bias);
	Dwarf_Lines *lines;
	Dwarf_Addr a, addr = pc - bias;
	size_t n, best = (size_t)-1;
	bool stmt = false, end = false;

	if (!cu || dwarf_getsrclines(cu, &lines, &n) != 0)
		return -ENOENT;
	/* The last row at or before addr (libdw keeps rows in address
	 * order, rows at one address in table order). */
	for (size_t i = 0; i < n; i++) {
		if (dwarf_lineaddr(dwarf_onesrcline(lines, i), &a) != 0 || a > addr)
			break;
		best = i;
	}
	if (best == (size_t)-1 || dwarf_lineendsequence(dwarf_onesrcline(lines, best), &end) != 0 || end)
		return -ENOENT;
	/* Not a statement: an earlier row at the same address that is one
	 * (gdb's find_pc_sect_line). */
	if (dwarf_linebeginstatement(dwarf_onesrcline(lines, best), &stmt) == 0 && !stmt) {
		Dwarf_Addr here;
		dwarf_lineaddr(dwarf_onesrcline(lines, best), &here);
		for (size_t i = best; i-- > 0;) {
			if (dwarf_lineaddr(dwarf_onesrcline(lines, i), &a) != 0 || a != here)
				break;
			if (dwarf_linebeginstatement(dwarf_onesrcline(lines, i), &stmt) == 0 && stmt) {
				best = i;
				break;
			}
		}
	}
	*file = dwarf_linesrc(dwarf_onesrcline(lines, best), NULL, NULL);
	return *file && dwarf_lineno(dwarf_onesrcline(lines, best), line) == 0 ? 0 : -ENOENT;
}
