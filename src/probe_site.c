/* Resolving probe specs: FUNCTION, MODULE:FUNCTION, MODULE:0xOFFSET. */
#define _GNU_SOURCE
#include "probe_site.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "dw_demangle.h"
#include "fde_extent.h"
#include "filter_probes.h"
#include "log.h"
#include "probe_inline.h"
#include "probe_point.h"
#include "probe_lang.h"
#include "suggest.h"
#include "u64_map.h"
#include "xalloc.h"

struct add_ctx {
	struct probe_set *set;
	bool glob;                   /* the name being resolved is a glob */
	bool failed;                 /* an error was printed */
	/* IFUNCs probed at their resolver (late binding) since the last
	 * note_late: how many, the first one. */
	size_t nlate;
	const struct dw_function *late;
	size_t late_first;           /* its site's index */
};

static struct probe_site *new_site(struct probe_set *set, struct dw_function *f)
{
	struct probe_site *site = xcalloc(1, sizeof(*site));
	struct event_layout *l = event_layout_new(f, (unsigned)set->len);
	struct fetch_plan *plans = xcalloc(f->nparams ? f->nparams : 1, sizeof(*plans));

	arch_plan_call(f, plans, &l->ret.plan, &l->entry_vregs, &l->exit_vregs);
	for (size_t i = 0; i < f->nparams; i++)
		l->fields[i].plan = plans[i];
	free(plans);
	/* Compiler clones: from DWARF locations instead (probe_inline.c). */
	probe_layout_from_locations(l, f);
	site->fn = f;
	site->go = dw_module_is_go(f->module);
	site->layout = l;
	site->addr = f->addr;
	probe_lang_plan(site); /* other languages: plans from DWARF locations */
	xgrow(&set->sites, &set->cap, set->len + 1, sizeof(*set->sites));
	set->sites[set->len++] = site;
	return site;
}

static const char *module_separator(const char *spec);

static void note_left_out(struct probe_set *set, struct dw_function *f, const char *why, const char *spec)
{
	xgrow(&set->left_out, &set->left_out_cap, set->nleft_out + 1, sizeof(*set->left_out));
	set->left_out[set->nleft_out++] = (struct probe_left_out){f, why, spec, NULL};
}

/* Local symbols a bare name left out for another module's export. */
struct shadowed {
	struct dw_module *m, *owner;
	char *name;
};

struct shadowed_list {
	struct shadowed *v;
	size_t len, cap;
};

static void collect_shadowed(struct dw_module *m, const char *name, struct dw_module *owner, void *arg)
{
	struct shadowed_list *l = arg;

	xgrow(&l->v, &l->cap, l->len + 1, sizeof(*l->v));
	l->v[l->len++] = (struct shadowed){m, owner, xstrdup(name)};
}

struct shadowed_ctx {
	struct probe_set *set;
	const struct shadowed *sh;
};

static int note_shadowed(struct dw_function *f, void *arg)
{
	struct shadowed_ctx *c = arg;
	struct probe_set *set = c->set;

	if (u64_map_get(&set->by_addr, f->addr))
		return 0;
	note_left_out(set, f, "a local symbol another module exports the name of", NULL);
	set->left_out[set->nleft_out - 1].exported_by = c->sh->owner;
	/* The program's own static function is most likely the one meant. */
	if (dw_module_is_main(f->module))
		log_warning("'%s' in %s is a local (static) function, and %s exports the name: probing %s's; "
			    "probe %s:%s for the program's own",
			    f->name, dw_module_name(f->module), dw_module_name(c->sh->owner),
			    dw_module_name(c->sh->owner), dw_module_name(f->module), f->name);
	return 0;
}

/* Notes (for -v) each local symbol l lists, and frees l. */
static void note_shadowed_list(struct probe_set *set, struct shadowed_list *l)
{
	for (size_t i = 0; i < l->len; i++) {
		struct shadowed_ctx c = {set, &l->v[i]};
		dw_module_each_function(l->v[i].m, l->v[i].name, false, note_shadowed, &c);
		free(l->v[i].name);
	}
	free(l->v);
}

/* Removes the sites from index first on whose function exclusion spec
 * ('!GLOB' or '!MODULE:GLOB') matches: the probes before it, as uftrace -N
 * and ltrace -e '-NAME' do.  Returns how many. */
/* Why an IFUNC is left out when another one probed is bound to the same
 * implementation (compared by address: warn_unusual, exclude). */
static const char SHARED_IMPL[] = "an IFUNC bound to the implementation of one probed already";
/* Why another name of a function probed already is left out. */
static const char ALIAS[] = "an alias of a function probed already, at the same address";

/* The function exclusion spec left out at addr, or NULL. */
static const struct dw_function *excluded_at(const struct probe_set *set, const char *spec, uint64_t addr)
{
	for (size_t i = 0; i < set->nleft_out; i++)
		if (set->left_out[i].spec == spec && set->left_out[i].fn->addr == addr)
			return set->left_out[i].fn;
	return NULL;
}

static size_t exclude(struct probe_set *set, const char *spec, size_t first)
{
	const char *pattern = spec + 1, *sep = module_separator(pattern);
	char *modname = sep ? xstrndup(pattern, (size_t)(sep - pattern)) : NULL;
	char *real = modname ? realpath(modname, NULL) : NULL;
	size_t kept = first, removed = 0;
	bool glob;

	if (sep)
		pattern = sep + 1;
	glob = dw_name_is_glob(pattern);
	for (size_t i = first; i < set->len; i++) {
		struct probe_site *site = set->sites[i];
		struct dw_function *f = site->fn;

		if (!site->gone && probe_site_matches(site, pattern, glob) &&
		    (!modname || dw_module_matches(f->module, modname, real))) {
			u64_map_del(&set->by_addr, probe_site_key(site));
			/* An inlined copy's f is the function around it. */
			if (site->layout->kind != LAYOUT_INLINED)
				note_left_out(set, f, "excluded", spec);
			event_layout_free(site->layout);
			free(site);
			removed++;
			continue;
		}
		set->sites[kept] = site;
		/* Layout ids are indexes into the set. */
		site->layout->id = (unsigned)kept;
		kept++;
	}
	set->len = kept;
	/* A name left out for sharing its address with a probe just excluded
	 * (memcpy when memmove came first and is excluded) is probed now. */
	for (size_t i = 0; removed && i < set->nleft_out; i++) {
		struct probe_left_out *lo = &set->left_out[i];
		struct dw_function *f = lo->fn;

		const struct dw_function *gone;

		if (lo->spec || lo->exported_by || u64_map_get(&set->by_addr, f->addr) ||
		    (lo->why != ALIAS && lo->why != SHARED_IMPL) ||
		    dw_function_matches(f, pattern, glob) || !(gone = excluded_at(set, spec, f->addr)))
			continue;
		if (lo->why == SHARED_IMPL)
			log_warning("%s, excluded, is bound to the same implementation %s as %s in this process: its "
				    "calls are shown as %s",
				    gone->name, f->impl, f->name, f->name);
		u64_map_put(&set->by_addr, f->addr, new_site(set, f));
		set->left_out[i--] = set->left_out[--set->nleft_out];
	}
	free(real);
	free(modname);
	return removed;
}

static int add_function(struct dw_function *f, void *arg)
{
	struct add_ctx *ctx = arg;

	struct probe_site *dup;

	if (f->ifunc_unbound && f->ifunc_late && !ctx->set->dry_run) {
		/* Its implementation is probed when the program's own call
		 * of the resolver returns (ifunc_late.c). */
		struct probe_site *site;
		if (u64_map_get(&ctx->set->by_addr, f->addr))
			return 0;
		site = new_site(ctx->set, f);
		site->ifunc_resolver = true;
		u64_map_put(&ctx->set->by_addr, f->addr, site);
		if (!ctx->nlate++) {
			ctx->late = f;
			ctx->late_first = ctx->set->len - 1;
		}
		return 0;
	}
	if (f->ifunc_unbound && !ctx->set->dry_run) {
		/* Never a probe on the resolver: it runs once, at binding. */
		if (ctx->glob) {
			log_warning("IFUNC %s in %s left out: %s; probe its implementation by name", f->name,
				    dw_module_name(f->module), f->ifunc_unbound);
			note_left_out(ctx->set, f, "an IFUNC whose implementation is not known", NULL);
			return 0;
		}
		log_error("IFUNC %s in %s: %s; probe its implementation by name", f->name, dw_module_name(f->module),
			  f->ifunc_unbound);
		ctx->failed = true;
		return 1;
	}
	dup = u64_map_get(&ctx->set->by_addr, f->addr);
	if (dup && probe_site_is_point(dup)) {
		/* One probe per address (probe_point.c). */
		log_error("probe '%s': its entry is probed already by a probe inside it (a source line or offset "
			  "there): one probe per address, drop one of them",
			  f->name);
		ctx->failed = true;
		return 1;
	}
	if (dup) {
		if (dup->fn != f && f->ifunc && dup->fn->ifunc && f->impl) {
			/* One implementation serves both names: warn_unusual
			 * says which name its calls get (after exclusions). */
			note_left_out(ctx->set, f, SHARED_IMPL, NULL);
		} else if (dup->fn != f) {
			note_left_out(ctx->set, f, ALIAS, NULL);
		}
		return 0;
	}
	u64_map_put(&ctx->set->by_addr, f->addr, new_site(ctx->set, f));
	return 0;
}

/* One line for the IFUNCs add_function probed at their resolvers since
 * the last call (a glob over a library being loaded matches dozens). */
static void note_late(struct add_ctx *ctx)
{
	const struct dw_function *f = ctx->late;

	if (ctx->set->verbose)
		for (size_t i = ctx->late_first; ctx->nlate > 1 && i < ctx->set->len; i++)
			if (ctx->set->sites[i]->ifunc_resolver)
				log_note("IFUNC %s in %s: probed when its resolver runs", ctx->set->sites[i]->fn->name,
					 dw_module_name(ctx->set->sites[i]->fn->module));
	if (ctx->nlate == 1)
		log_note("IFUNC %s in %s is probed when its resolver runs (%s)", f->name, dw_module_name(f->module),
			 f->ifunc_late);
	else if (ctx->nlate > 1)
		log_note("%zu IFUNCs in %s ('%s', ...) are probed when their resolver runs (%s; -v lists them)",
			 ctx->nlate, dw_module_name(f->module), f->name, f->ifunc_late);
	ctx->nlate = 0;
	ctx->late = NULL;
}

int probe_set_add_entry(struct probe_set *set, struct dw_function *f)
{
	struct add_ctx ctx = {.set = set};

	add_function(f, &ctx);
	note_late(&ctx);
	return ctx.failed ? -1 : 0;
}

struct probe_site *probe_set_add_late(struct probe_set *set, struct dw_function *f)
{
	struct probe_site *site;

	if (u64_map_get(&set->by_addr, f->addr))
		return NULL;
	site = new_site(set, f);
	u64_map_put(&set->by_addr, f->addr, site);
	filter_probes_bind_late(set, set->len - 1);
	return site;
}

/* Splits "MODULE:FUNCTION" at the last ':' that is not part of a C++ "::"
 * nor inside brackets (a C++ parameter list, "[abi:cxx11]"). */
static const char *module_separator(const char *spec)
{
	const char *sep = NULL;
	int depth = 0;

	for (const char *p = spec; *p; p++) {
		if (*p == '(' || *p == '[')
			depth++;
		else if ((*p == ')' || *p == ']') && depth > 0)
			depth--;
		else if (!depth && *p == ':' && p[1] != ':' && (p == spec || p[-1] != ':'))
			sep = p;
	}
	return sep;
}

/* Sweeps instructions forward from anchor, a known instruction start
 * (code: the bytes there, avail of them), to addr.  Returns 0 when one
 * starts at addr; else 1 and in *insn the start of the instruction addr is
 * inside, or -1 and in *insn where the bytes stop decoding. */
static int sweep_to(const uint8_t *code, size_t avail, uint64_t anchor, uint64_t addr, uint64_t *insn)
{
	uint64_t pc = anchor;

	while (pc < addr) {
		struct arch_insn in;
		char err[64];

		*insn = pc;
		if (pc - anchor >= avail ||
		    arch_decode_flow(code + (pc - anchor), avail - (pc - anchor), pc, &in, err, sizeof(err)) != 0)
			return -1;
		if (addr < pc + in.len)
			return 1;
		pc += in.len;
	}
	return 0;
}

/* Whether the code at addr (file offset off of m) starts an instruction, as
 * a sweep from a known instruction start before it says: a breakpoint
 * anywhere else corrupts an instruction.  Returns 0, or -1 after printing
 * why not. */
static int check_insn_start(struct dw_module *m, const char *spec, uint64_t off, uint64_t addr)
{
	const uint8_t *code;
	uint64_t anchor, insn = 0;
	size_t avail;
	int rc;

	if (dw_module_insn_anchor(m, addr, &anchor, &code, &avail) != 0) {
		log_error("probe '%s': offset 0x%" PRIx64 " of %s is in no executable section: cannot tell where "
			  "its instructions start; probe a function's start",
			  spec, off, dw_module_name(m));
		return -1;
	}
	rc = sweep_to(code, avail, anchor, addr, &insn);
	if (rc > 0)
		log_error("probe '%s': offset 0x%" PRIx64 " of %s is inside the instruction at 0x%" PRIx64
			  "; probe an instruction start",
			  spec, off, dw_module_name(m), off - (addr - insn));
	else if (rc < 0)
		log_error("probe '%s': cannot tell whether offset 0x%" PRIx64 " of %s starts an instruction: the "
			  "bytes at 0x%" PRIx64 " do not decode; probe a function's start",
			  spec, off, dw_module_name(m), off - (addr - insn));
	return rc ? -1 : 0;
}

/* An offset no function symbol covers (a stripped file, or code the symbol
 * table leaves out): the function whose .eh_frame FDE starts there.
 * Returns 0, or -1 after printing why not. */
static int resolve_offset_nosym(struct dw_session *s, struct dw_module *m, const char *spec, uint64_t off,
				struct add_ctx *ctx)
{
	bool symtab = dw_module_has_symtab(m);
	const char *why = symtab ? "no symbol covers it" : "the file has no symbols";
	uint64_t addr, start = 0, end = 0;
	struct dw_function *f;
	bool fde;

	if (!dw_module_offset_is_code(m, off) || dw_module_offset_address(m, off, &addr) != 0) {
		log_error("probe '%s': offset 0x%" PRIx64 " of %s is not inside any function (not in its code)", spec,
			  off, dw_module_name(m));
		return -1;
	}
	fde = dw_session_pid(s) > 0 && fde_extent(dw_session_pid(s), addr, &start, &end) == 0;
	/* With a symbol table, code no symbol covers is no function unless
	 * an FDE starts there; without one, any code is probed. */
	if ((fde && start != addr) || (!fde && symtab)) {
		if (!fde) {
			log_error("probe '%s': offset 0x%" PRIx64 " of %s is not inside any function", spec, off,
				  dw_module_name(m));
			return -1;
		}
		/* A function's entry only: a probe inside one is not a call. */
		log_error("probe '%s': offset 0x%" PRIx64 " of %s is inside a function that starts at offset 0x%" PRIx64
			  " (%s; its call frame information says where it starts): probe 0x%" PRIx64 " for its calls",
			  spec, off, dw_module_name(m), off - (addr - start), why, off - (addr - start));
		return -1;
	}
	if (!fde && check_insn_start(m, spec, off, addr) != 0)
		return -1;
	f = dw_module_function_nosym(m, addr, end - start);
	if (f->size)
		log_note("probe '%s': %s; probing %s, 0x%" PRIx64 " bytes as its call frame information says", spec,
			 why, f->name, f->size);
	else
		log_note("probe '%s': %s and no call frame information covers offset 0x%" PRIx64
			 ": probing that address alone (entry events only)",
			 spec, why, off);
	return add_function(f, ctx);
}

static int resolve_offset(struct dw_session *s, struct dw_module *m, const char *spec, const char *text, struct add_ctx *ctx)
{
	char *end;
	uint64_t off, addr;
	struct dw_function *f;
	int rc;

	errno = 0;
	off = strtoull(text, &end, 16);
	if (errno || *end || end == text + 2) {
		log_error("probe '%s': '%s' is not a hexadecimal file offset", spec, text);
		return -1;
	}
	rc = dw_module_function_at_offset(m, off, &f);
	if (rc == -ERANGE) {
		log_error("probe '%s': offset 0x%" PRIx64 " is not in a loaded segment of %s", spec, off,
			  dw_module_name(m));
		return -1;
	}
	if (rc == -ENOENT)
		return resolve_offset_nosym(s, m, spec, off, ctx);
	if (rc != 0) {
		log_error("probe '%s': offset 0x%" PRIx64 " of %s is not inside any function", spec, off,
			  dw_module_name(m));
		return -1;
	}
	/* Inside the function: that instruction (probe_point.c). */
	if (dw_module_offset_address(m, off, &addr) == 0 && addr != f->addr)
		return probe_point_check_insn(f, addr, spec) ? -1 : probe_point_add(ctx->set, f, addr, spec);
	return add_function(f, ctx);
}

/* Resolves the FUNCTION or 0xOFFSET part of a spec in module m. */
static int resolve_in_module(struct dw_session *s, struct dw_module *m, const char *spec, const char *name,
			     struct add_ctx *ctx)
{
	bool glob = dw_name_is_glob(name);
	struct suggestion sug;
	int total;

	if (!strncmp(name, "0x", 2) || !strncmp(name, "0X", 2))
		return resolve_offset(s, m, spec, name, ctx);
	if (probe_point_is_func_offset(name))
		return probe_point_resolve_func_offset(ctx->set, s, m, spec, name);
	ctx->glob = glob;
	ctx->failed = false;
	total = dw_module_each_function(m, name, glob, add_function, ctx);
	note_late(ctx);
	if (ctx->failed)
		return -1;
	if (total < 0) {
		log_error("probe '%s': %s", spec, dw_session_error(s));
		return -1;
	}
	/* Its inlined copies too (probe_inline.c). */
	total += (int)probe_inline_add(ctx->set, s, m, name, glob);
	if (total > 0)
		return 0;
	if (glob) {
		log_error("probe '%s': no function in %s matches '%s'", spec, dw_module_name(m), name);
		return -1;
	}
	suggest_init(&sug, name);
	dw_session_each_function_name(s, suggest_offer, &sug);
	if (suggest_result(&sug))
		log_error("no function '%s' in %s (did you mean '%s'?)", name, dw_module_name(m), suggest_result(&sug));
	else
		log_error("no function '%s' in %s", name, dw_module_name(m));
	return -1;
}

static int resolve_one_probe(struct dw_session *s, const char *spec, const char *program, struct add_ctx *ctx);

static void add_pending(struct probe_set *set, const char *spec)
{
	xgrow(&set->pending, &set->pending_cap, set->npending + 1, sizeof(*set->pending));
	set->pending[set->npending++] = xstrdup(spec);
}

static int resolve_one(struct dw_session *s, const char *spec, const char *program, struct add_ctx *ctx)
{
	if (probe_spec_is_exclusion(spec)) {
		/* Modules loaded later get the probes before it, then it. */
		if (ctx->set->npending)
			add_pending(ctx->set, spec);
		if (!exclude(ctx->set, spec, 0) && !ctx->set->npending)
			log_warning("exclusion '%s' excludes nothing: no probe before it matches '%s'", spec, spec + 1);
		return 0;
	}
	return resolve_one_probe(s, spec, program, ctx);
}

static int resolve_one_probe(struct dw_session *s, const char *spec, const char *program, struct add_ctx *ctx)
{
	const char *sep = module_separator(spec);
	const char *name = sep ? sep + 1 : spec;
	bool glob = dw_name_is_glob(name);
	struct suggestion sug;
	struct shadowed_list shadowed = {0};
	int total = 0;
	char *modname = NULL;

	if (!*name) {
		log_error("probe '%s': no function after the ':'", spec);
		return -1;
	}
	/* [MODULE:]FILE:LINE, FUNC+OFF (probe_point.c). */
	if (probe_point_check_source_spec(s, spec) != 0)
		return -1;
	if (probe_point_is_line(spec))
		return probe_point_resolve_line(ctx->set, s, spec);
	if (!sep && probe_point_is_func_offset(name))
		return probe_point_resolve_func_offset(ctx->set, s, NULL, spec, name);
	if (sep) {
		struct dw_module *m;
		int rc = 0;
		modname = xstrndup(spec, (size_t)(sep - spec));
		m = dw_session_find_module(s, modname);
		if (m)
			rc = resolve_in_module(s, m, spec, name, ctx);
		if (rc == 0 && (!m || dw_session_pid(s) > 0)) {
			/* Loaded later (dlopen), or again after a dlclose. */
			add_pending(ctx->set, spec);
			if (!m)
				log_note("probe '%s' is pending until %s is loaded", spec, modname);
		}
		free(modname);
		return rc;
	}
	ctx->glob = glob;
	ctx->failed = false;
	total = dw_session_each_function_shadowed(s, name, glob, add_function, ctx, collect_shadowed, &shadowed);
	note_shadowed_list(ctx->set, &shadowed);
	note_late(ctx);
	if (ctx->failed)
		return -1;
	/* Its inlined copies too (probe_inline.c). */
	if (total >= 0)
		total += (int)probe_inline_add(ctx->set, s, NULL, name, glob);
	if (total == 0 && ctx->set->keep_missing) {
		/* A wrapper (a shell script, sh -c 'exec prog') starts the
		 * program that has it. */
		add_pending(ctx->set, spec);
		xgrow(&ctx->set->waiting, &ctx->set->waiting_cap, ctx->set->nwaiting + 1, sizeof(*ctx->set->waiting));
		ctx->set->waiting[ctx->set->nwaiting++] = spec;
		log_note("probe '%s': %s '%s' in %s or its libraries yet; pending for the programs it starts and the "
			 "libraries they load (-f)",
			 spec, glob ? "no function matches" : "no function", name, program);
		return 0;
	}
	if (total == 0) {
		if (glob) {
			log_error("no function in %s or its libraries matches '%s'", program, name);
			return -1;
		}
		suggest_init(&sug, name);
		dw_session_each_function_name(s, suggest_offer, &sug);
		if (suggest_result(&sug))
			log_error("no function '%s' in %s or its libraries (did you mean '%s'?)", name, program,
				  suggest_result(&sug));
		else
			log_error("no function '%s' in %s or its libraries", name, program);
		return -1;
	}
	return 0;
}

/* One line for each kind of unusual function among the sites from index
 * first on (those the exclusions left): without DWARF, compiler clones,
 * IFUNCs (which implementation is probed). */
static void warn_unusual(struct probe_set *set, size_t first)
{
	const struct dw_function *raw = NULL, *clone = NULL, *ifunc = NULL, *named = NULL;
	size_t nraw = 0, nclones = 0, nifuncs = 0, nnamed = 0;

	for (size_t i = first; i < set->len; i++) {
		const struct dw_function *f = set->sites[i]->fn;

		if (set->sites[i]->gone || set->sites[i]->ifunc_resolver || probe_site_is_point(set->sites[i]))
			continue;
		if (!f->has_dwarf && !nraw++)
			raw = f;
		/* A clone named as one reads its parameters from DWARF; a
		 * part probed by its own symbol (".cold") has none to read. */
		if (f->clone_kind && !nnamed++)
			named = f;
		if (f->abi_changed && !f->clone_kind && !f->dwarf_start && !nclones++)
			clone = f;
		if (f->impl && !nifuncs++)
			ifunc = f;
	}
	if (nraw == 1)
		log_warning("no debug info for '%s' in %s: showing the raw integer registers arg0..arg5 and the "
			    "return register",
			    raw->name, dw_module_name(raw->module));
	else if (nraw > 1)
		log_warning("no debug info for %zu probed functions ('%s', ...): showing the raw integer registers "
			    "arg0..arg5 and the return register",
			    nraw, raw->name);
	if (nclones == 1)
		log_warning("'%s' is a part of a function split off by the compiler: its values are shown as "
			    "unavailable",
			    clone->name);
	else if (nclones > 1)
		log_warning("%zu probed functions ('%s', ...) are parts of functions split off by the compiler: their "
			    "values are shown as unavailable",
			    nclones, clone->name);
	if (nnamed == 1)
		log_note("'%s' is a compiler clone of %s (%s): probed as %s, its parameters from DWARF locations",
			 named->name, named->origin_name, named->clone_kind, named->origin_name);
	else if (nnamed > 1)
		log_note("%zu probed functions ('%s', ...) are compiler clones: probed as the functions they are clones "
			 "of, their parameters from DWARF locations (-v lists them)",
			 nnamed, named->name);
	/* One implementation serving two IFUNCs: which name its calls get,
	 * rather than merge silently. */
	for (size_t i = set->nleft_out_said; i < set->nleft_out; i++) {
		const struct probe_left_out *lo = &set->left_out[i];
		const struct probe_site *site = u64_map_get(&set->by_addr, lo->fn->addr);

		if (lo->why == SHARED_IMPL && site && site->fn != lo->fn)
			log_warning("%s and %s are bound to the same implementation %s in this process: their calls are "
				    "shown as %s",
				    site->fn->name, lo->fn->name, lo->fn->impl, site->fn->name);
	}
	set->nleft_out_said = set->nleft_out;
	if (nifuncs == 1)
		log_note("%s in %s is an IFUNC: probing %s, the implementation chosen for this process", ifunc->name,
			 dw_module_name(ifunc->module), ifunc->impl);
	else if (nifuncs > 1)
		log_note("%zu probed functions ('%s' is %s, ...) are IFUNCs: probing the implementations chosen for "
			 "this process (-v lists them)",
			 nifuncs, ifunc->name, ifunc->impl);
}

size_t probe_set_resolve_pending(struct probe_set *set, struct dw_session *s, struct dw_module *m)
{
	struct add_ctx ctx = {.set = set};
	size_t before = set->len;

	for (size_t i = 0; i < set->npending; i++) {
		const char *spec = set->pending[i];
		const char *sep = module_separator(spec);
		char *modname, *real;

		if (probe_spec_is_exclusion(spec)) {
			exclude(set, spec, before);
			continue;
		}
		if (probe_point_is_line(spec)) {
			probe_point_resolve_line_pending(set, s, m, spec);
			continue;
		}
		if (!sep) {
			/* A bare name waiting for a module that has it (-f). */
			size_t was = set->len;
			ctx.glob = dw_name_is_glob(spec);
			dw_module_each_function(m, spec, ctx.glob, add_function, &ctx);
			note_late(&ctx);
			probe_inline_add(set, s, m, spec, ctx.glob);
			if (set->len > was)
				log_note("probe '%s': found in %s, just loaded", spec, dw_module_name(m));
			continue;
		}
		modname = xstrndup(spec, (size_t)(sep - spec));
		real = realpath(modname, NULL);

		if (dw_module_matches(m, modname, real))
			resolve_in_module(s, m, spec, sep + 1, &ctx);
		free(real);
		free(modname);
	}
	warn_unusual(set, before);
	filter_probes_bind_late(set, before);
	return set->len - before;
}

void probe_set_drop_module(struct probe_set *set, const struct dw_module *m)
{
	for (size_t i = 0; i < set->len; i++) {
		struct probe_site *site = set->sites[i];
		if (site->gone || site->fn->module != m)
			continue;
		site->gone = true;
		site->placed = false;
		u64_map_del(&set->by_addr, probe_site_key(site));
	}
}

void probe_set_resolve_quiet(struct probe_set *set, struct dw_session *s, char **specs, size_t nspecs,
			     const char *program)
{
	struct add_ctx ctx = {.set = set};
	size_t before = set->len;

	set->keep_missing = true;
	log_quiet(true);
	for (size_t i = 0; i < nspecs; i++)
		resolve_one(s, specs[i], program, &ctx);
	log_quiet(false);
	filter_probes_bind_late(set, before);
}

int probe_set_resolve(struct probe_set *set, struct dw_session *s, char **specs, size_t nspecs,
		      const char *program)
{
	struct add_ctx ctx = {.set = set};
	int rc = 0;

	for (size_t i = 0; i < nspecs && rc == 0; i++)
		rc = resolve_one(s, specs[i], program, &ctx);
	if (rc == 0 && !set->len && !set->npending && set->nleft_out) {
		log_error("nothing to probe: the exclusions leave out every function the probes matched");
		return -1;
	}
	if (rc == 0 && !set->len && !set->npending) {
		log_error("nothing to probe");
		return -1;
	}
	if (rc == 0)
		warn_unusual(set, 0);
	return rc;
}

bool probe_site_contains(const struct probe_site *site, uint64_t addr)
{
	const struct dw_function *f = site->fn;

	for (size_t i = 0; i < f->nranges; i++)
		if (addr >= f->ranges[i].start && addr < f->ranges[i].end)
			return true;
	return false;
}

void probe_set_free(struct probe_set *set)
{
	for (size_t i = 0; i < set->len; i++) {
		event_layout_free(set->sites[i]->layout);
		free(set->sites[i]);
	}
	free(set->sites);
	for (size_t i = 0; i < set->npending; i++)
		free(set->pending[i]);
	free(set->pending);
	free(set->left_out);
	free(set->waiting);
	u64_map_free(&set->by_addr);
	memset(set, 0, sizeof(*set));
}
