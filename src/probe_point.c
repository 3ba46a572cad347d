/* Probes inside functions: MODULE:0xOFFSET mid-function, FUNC+OFF,
 * FILE:LINE (see probe_point.h). */
#define _GNU_SOURCE
#include "probe_point.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "dw_demangle.h"
#include "dw_loc.h"
#include "log.h"
#include "xalloc.h"

bool probe_point_is_line(const char *spec)
{
	const char *colon = strrchr(spec, ':');

	if (!colon || colon == spec || colon[-1] == ':' || !colon[1])
		return false;
	for (const char *p = colon + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

/* Whether the n bytes at name end in a source file's extension. */
static bool source_name(const char *name, size_t n)
{
	static const char *const exts[] = {".c",   ".h",   ".cc",  ".cpp", ".cxx", ".c++", ".hpp", ".hh",
					   ".hxx", ".C",   ".H",   ".rs",  ".go",  ".f",   ".f90", ".f95",
					   ".f03", ".f08", ".for", ".F90", ".s",   ".S",   ".m",   ".mm",
					   ".d",   ".adb", ".ads", ".zig", ".inc", ".def"};

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t le = strlen(exts[i]);
		if (n > le && !memcmp(name + n - le, exts[i], le) && name[n - le - 1] != '/')
			return true;
	}
	return false;
}

static bool all_digits(const char *p)
{
	if (!*p)
		return false;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

/* Whether s has a module named by the n bytes at name. */
static bool module_named(struct dw_session *s, const char *name, size_t n)
{
	char *mod;
	bool found;

	if (!s)
		return false;
	mod = xstrndup(name, n);
	found = dw_session_find_module(s, mod) != NULL;
	free(mod);
	return found;
}

int probe_point_check_source_spec(struct dw_session *s, const char *spec)
{
	const char *colon = strchr(spec, ':'), *second;
	const char *file = spec, *rest;
	size_t n;

	if (!colon || colon[1] == ':')
		return 0;
	n = (size_t)(colon - spec);
	rest = colon + 1;
	if (!source_name(spec, n) || module_named(s, spec, n)) {
		/* MODULE:FILE:X */
		second = strchr(rest, ':');
		if (!second || second[1] == ':' || !source_name(rest, (size_t)(second - rest)))
			return 0;
		file = rest;
		n = (size_t)(second - rest);
		rest = second + 1;
	}
	if (all_digits(rest))
		return 0;
	log_error("probe '%s': '%.*s' is a source file and '%s' is not a line number: a source line is "
		  "[MODULE:]FILE:LINE with LINE a decimal number from 1 (e.g. %.*s:12); functions are FUNC, "
		  "MODULE:FUNC, FUNC+OFF; addresses MODULE:0xOFFSET",
		  spec, (int)n, file, rest, (int)n, file);
	return -1;
}

/* The '+' of FUNC+OFF in name, or NULL. */
static const char *offset_plus(const char *name)
{
	const char *plus = strrchr(name, '+'), *p;

	if (!plus || plus == name || !plus[1])
		return NULL;
	p = plus + 1;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		if (!*p)
			return NULL;
		for (; *p; p++)
			if (!isxdigit((unsigned char)*p))
				return NULL;
		return plus;
	}
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return NULL;
	return plus;
}

bool probe_point_is_func_offset(const char *name)
{
	return offset_plus(name) != NULL;
}

static void add_pending(struct probe_set *set, const char *spec)
{
	for (size_t i = 0; i < set->npending; i++)
		if (!strcmp(set->pending[i], spec))
			return;
	xgrow(&set->pending, &set->pending_cap, set->npending + 1, sizeof(*set->pending));
	set->pending[set->npending++] = xstrdup(spec);
}

struct layout_field *probe_point_fields(const struct dw_var *vars, size_t n, bool *vregs)
{
	struct layout_field *fields = xcalloc(n ? n : 1, sizeof(*fields));

	for (size_t i = 0; i < n; i++) {
		const struct dw_var *v = &vars[i];
		fields[i] = (struct layout_field){v->name, v->type, v->plan, v->unnamed};
		*vregs |= arch_plan_reads_vregs(&v->plan);
	}
	return fields;
}

struct event_layout *probe_point_layout(struct dw_function *f, uint64_t addr, unsigned id)
{
	struct event_layout *l = event_layout_new(f, id);
	const struct dw_scope *sc = NULL;

	l->kind = LAYOUT_POINT;
	l->from_locations = true;
	l->offset = addr - f->addr;
	l->has_ret = false;
	l->raw = false;
	l->variadic = false;
	free(l->fields);
	l->fields = NULL;
	l->nfields = 0;
	/* Without DWARF there is nothing to locate: the registers a call
	 * passes arguments in mean nothing mid-function. */
	/* Where gdb says a stop at addr is (the scope's row may be another
	 * of the rows at addr). */
	if (dw_module_line_at(f->module, addr, &l->file, &l->line) != 0)
		l->file = NULL;
	if (!f->has_dwarf || dw_scope_at(f->module, addr, &sc) != 0)
		return l;
	if (!l->file) {
		l->file = sc->file;
		l->line = sc->line;
	}
	l->nfields = sc->nparams;
	l->fields = probe_point_fields(sc->params, sc->nparams, &l->entry_vregs);
	l->nlocals = sc->nlocals;
	l->locals = probe_point_fields(sc->locals, sc->nlocals, &l->entry_vregs);
	return l;
}

int probe_point_check_insn(struct dw_function *f, uint64_t addr, const char *spec)
{
	const char *mod = dw_module_name(f->module);
	const uint8_t *code;
	uint64_t anchor, pc, prev = 0;
	size_t avail;

	if (addr < f->addr || (f->size && addr >= f->addr + f->size)) {
		log_error("probe '%s': %s+0x%" PRIx64 " is outside %s (0x%" PRIx64 " bytes long)", spec, f->name,
			  addr - f->addr, f->name, f->size);
		return -1;
	}
	if (dw_module_insn_anchor(f->module, addr, &anchor, &code, &avail) != 0 || anchor > addr) {
		log_error("probe '%s': cannot read the code of %s in %s to tell where its instructions start", spec,
			  f->name, mod);
		return -1;
	}
	for (pc = anchor; pc < addr;) {
		struct arch_insn in;
		char err[64];

		if (pc - anchor >= avail ||
		    arch_decode_flow(code + (pc - anchor), avail - (pc - anchor), pc, &in, err, sizeof(err)) != 0) {
			log_error("probe '%s': the code of %s does not decode at %s+0x%" PRIx64
				  " (%s): cannot tell where its instructions start",
				  spec, f->name, f->name, pc - f->addr, err);
			return -1;
		}
		prev = pc;
		pc += in.len;
	}
	if (pc == addr)
		return 0;
	if (prev >= f->addr)
		log_error("probe '%s': %s+0x%" PRIx64 " is inside an instruction: the nearest instruction starts are "
			  "%s+0x%" PRIx64 " and %s+0x%" PRIx64,
			  spec, f->name, addr - f->addr, f->name, prev - f->addr, f->name, pc - f->addr);
	else
		log_error("probe '%s': %s+0x%" PRIx64 " is inside an instruction: the next instruction starts at "
			  "%s+0x%" PRIx64,
			  spec, f->name, addr - f->addr, f->name, pc - f->addr);
	return -1;
}

/* probe_point_add; file, line: the line-table row a FILE:LINE spec matched
 * (its path, the line asked for), shown as one pair whichever other rows
 * (an inlined callee's) the line table has at addr; NULL, 0 for the line
 * table's at addr (gdb's stop location). */
static int add_point(struct probe_set *set, struct dw_function *f, uint64_t addr, const char *spec, const char *file,
		     int line)
{
	struct probe_site *dup = u64_map_get(&set->by_addr, addr), *site;

	if (dup && probe_site_is_point(dup))
		return 0; /* the same instruction named twice (FILE:LINE and FUNC+OFF) */
	if (dup) {
		log_error("probe '%s': %s+0x%" PRIx64 " is the entry of %s, which another probe traces already: one "
			  "probe per address (drop one of them; the entry event has the parameters)",
			  spec, f->name, addr - f->addr, dup->fn->name);
		return -1;
	}
	site = xcalloc(1, sizeof(*site));
	site->fn = f;
	site->addr = addr;
	site->layout = probe_point_layout(f, addr, (unsigned)set->len);
	if (line && file) {
		site->layout->file = file;
		site->layout->line = line;
	}
	site->go = dw_module_is_go(f->module);
	/* One instruction: no call to follow to its exits. */
	site->entry_only = true;
	xgrow(&set->sites, &set->cap, set->len + 1, sizeof(*set->sites));
	set->sites[set->len++] = site;
	u64_map_put(&set->by_addr, addr, site);
	return 0;
}

int probe_point_add(struct probe_set *set, struct dw_function *f, uint64_t addr, const char *spec)
{
	return add_point(set, f, addr, spec, NULL, 0);
}

const char *probe_site_label(const struct probe_site *site, char *buf, size_t size)
{
	if (!probe_site_is_point(site))
		return site->fn->name;
	snprintf(buf, size, "%s+0x%" PRIx64, site->fn->name, site->addr - site->fn->addr);
	return buf;
}

/* ---- FILE:LINE ---------------------------------------------------- */

struct line_spec {
	char *module;                /* NULL: every module */
	char *file;
	int line;
};

static void line_spec_parse(const char *spec, struct line_spec *ls)
{
	const char *colon = strrchr(spec, ':'), *first = memchr(spec, ':', (size_t)(colon - spec));

	ls->line = atoi(colon + 1);
	if (first && first > spec) {
		ls->module = xstrndup(spec, (size_t)(first - spec));
		ls->file = xstrndup(first + 1, (size_t)(colon - first - 1));
	} else {
		ls->module = NULL;
		ls->file = xstrndup(spec, (size_t)(colon - spec));
	}
}

static void line_spec_free(struct line_spec *ls)
{
	free(ls->module);
	free(ls->file);
}

struct line_ctx {
	struct probe_set *set;
	const char *spec;
	int line;
	struct dw_module *only;      /* a module just loaded, or NULL */
	size_t added;
	bool failed;
};

static int add_line_addr(struct dw_module *m, uint64_t addr, const char *path, void *arg)
{
	struct line_ctx *c = arg;
	struct dw_function *f;
	size_t before = c->set->len;

	if (c->only && m != c->only)
		return 0;
	if (dw_module_function_at(m, addr, &f) != 0) {
		log_error("probe '%s': its code at %s+0x%" PRIx64 " is in no function symbol", c->spec,
			  dw_module_name(m), addr);
		c->failed = true;
		return 1;
	}
	if (probe_point_check_insn(f, addr, c->spec) != 0 || add_point(c->set, f, addr, c->spec, path, c->line) != 0) {
		c->failed = true;
		return 1;
	}
	c->added += c->set->len - before;
	return 0;
}

/* The error for a line that gave no address. */
static void no_code(struct dw_session *s, const char *spec, const struct line_spec *ls)
{
	int before, after;

	if (dw_session_line_neighbours(s, ls->module, ls->file, ls->line, &before, &after) != 0)
		log_error("probe '%s': no source file '%s' in the debug info of %s%s", spec, ls->file,
			  ls->module ? ls->module : "the program or its libraries",
			  ls->module ? "" : " (a library loaded later: MODULE:FILE:LINE; a file offset: MODULE:0xOFFSET)");
	else if (before && after)
		log_error("probe '%s': line %d of %s has no code; the nearest lines with code are %d and %d", spec,
			  ls->line, ls->file, before, after);
	else if (before || after)
		log_error("probe '%s': line %d of %s has no code; the nearest line with code is %d", spec, ls->line,
			  ls->file, before ? before : after);
	else
		log_error("probe '%s': line %d of %s has no code (no line of it has any)", spec, ls->line, ls->file);
}

int probe_point_resolve_line(struct probe_set *set, struct dw_session *s, const char *spec)
{
	struct line_spec ls;
	struct line_ctx c = {.set = set, .spec = spec};
	int n, rc = 0;

	line_spec_parse(spec, &ls);
	c.line = ls.line;
	if (ls.line <= 0 || !*ls.file) {
		log_error("probe '%s': a source line is [MODULE:]FILE:LINE, LINE from 1", spec);
		line_spec_free(&ls);
		return -1;
	}
	if (ls.module && !dw_session_find_module(s, ls.module)) {
		add_pending(set, spec);
		log_note("probe '%s' is pending until %s is loaded", spec, ls.module);
		line_spec_free(&ls);
		return 0;
	}
	n = dw_session_each_line_row(s, ls.module, ls.file, ls.line, add_line_addr, &c);
	if (n < 0) {
		log_error("probe '%s': %s", spec, dw_session_error(s));
		rc = -1;
	} else if (c.failed) {
		rc = -1;
	} else if (n == 0) {
		no_code(s, spec, &ls);
		rc = -1;
	} else if (ls.module && dw_session_pid(s) > 0) {
		/* Loaded again after a dlclose. */
		add_pending(set, spec);
	}
	line_spec_free(&ls);
	return rc;
}

size_t probe_point_resolve_line_pending(struct probe_set *set, struct dw_session *s, struct dw_module *m,
					const char *spec)
{
	struct line_spec ls;
	struct line_ctx c = {.set = set, .spec = spec, .only = m};
	char *real;

	line_spec_parse(spec, &ls);
	c.line = ls.line;
	real = ls.module ? realpath(ls.module, NULL) : NULL;
	if (ls.module && dw_module_matches(m, ls.module, real))
		dw_session_each_line_row(s, dw_module_path(m), ls.file, ls.line, add_line_addr, &c);
	free(real);
	line_spec_free(&ls);
	return c.added;
}

/* ---- FUNC+OFF ----------------------------------------------------- */

struct offset_ctx {
	struct probe_set *set;
	const char *spec;
	uint64_t off;
	size_t found;
	bool failed;
};

static int add_offset(struct dw_function *f, void *arg)
{
	struct offset_ctx *c = arg;

	c->found++;
	if (!c->off) {
		/* FUNC+0: its entry probe, as -e FUNC. */
		if (probe_set_add_entry(c->set, f) != 0) {
			c->failed = true;
			return 1;
		}
		return 0;
	}
	if (probe_point_check_insn(f, f->addr + c->off, c->spec) != 0 ||
	    probe_point_add(c->set, f, f->addr + c->off, c->spec) != 0) {
		c->failed = true;
		return 1;
	}
	return 0;
}

int probe_point_resolve_func_offset(struct probe_set *set, struct dw_session *s, struct dw_module *m,
				    const char *spec, const char *name)
{
	const char *plus = offset_plus(name);
	struct offset_ctx c = {.set = set, .spec = spec};
	char *func = xstrndup(name, (size_t)(plus - name)), *end;
	const char *num = plus + 1;
	int n;

	errno = 0;
	if (num[0] == '0' && (num[1] == 'x' || num[1] == 'X'))
		c.off = strtoull(num + 2, &end, 16);
	else
		c.off = strtoull(num, &end, 10);
	if (errno || *end) {
		log_error("probe '%s': '%s' is not an offset (decimal, or hexadecimal 0x...)", spec, num);
		free(func);
		return -1;
	}
	if (dw_name_is_glob(func)) {
		log_error("probe '%s': FUNCTION+OFFSET names one function, not a glob", spec);
		free(func);
		return -1;
	}
	n = m ? dw_module_each_function(m, func, false, add_offset, &c)
	      : dw_session_each_function(s, func, false, add_offset, &c);
	if (n < 0)
		log_error("probe '%s': %s", spec, dw_session_error(s));
	else if (!c.found && !c.failed)
		log_error("probe '%s': no function '%s' in %s", spec, func,
			  m ? dw_module_name(m) : "the program or its libraries");
	free(func);
	return n < 0 || c.failed || !c.found ? -1 : 0;
}
