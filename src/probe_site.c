/* Resolving probe specs: FUNCTION, MODULE:FUNCTION, MODULE:0xOFFSET. */
#define _GNU_SOURCE
#include "probe_site.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "dw_demangle.h"
#include "log.h"
#include "suggest.h"
#include "u64_map.h"
#include "xalloc.h"

struct add_ctx {
	struct probe_set *set;
	const char *first_raw;       /* functions without DWARF: the first and how many */
	size_t nraw;
	const char *raw_module;
	const char *first_clone;     /* compiler clones: the first and how many */
	size_t nclones;
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
	site->fn = f;
	site->go = dw_module_is_go(f->module);
	site->layout = l;
	site->addr = f->addr;
	xgrow(&set->sites, &set->cap, set->len + 1, sizeof(*set->sites));
	set->sites[set->len++] = site;
	return site;
}

static int add_function(struct dw_function *f, void *arg)
{
	struct add_ctx *ctx = arg;

	if (u64_map_get(&ctx->set->by_addr, f->addr))
		return 0;
	u64_map_put(&ctx->set->by_addr, f->addr, new_site(ctx->set, f));
	if (!f->has_dwarf) {
		if (!ctx->nraw++)
			ctx->first_raw = f->name;
		ctx->raw_module = dw_module_name(f->module);
	}
	if (f->abi_changed && !f->dwarf_start && !ctx->nclones++)
		ctx->first_clone = f->name;
	return 0;
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

static int resolve_offset(struct dw_module *m, const char *spec, const char *text, struct add_ctx *ctx)
{
	char *end;
	uint64_t off;
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
	if (rc != 0) {
		log_error("probe '%s': offset 0x%" PRIx64 " of %s is not inside any function", spec, off,
			  dw_module_name(m));
		return -1;
	}
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
		return resolve_offset(m, spec, name, ctx);
	total = dw_module_each_function(m, name, glob, add_function, ctx);
	if (total < 0) {
		log_error("probe '%s': %s", spec, dw_session_error(s));
		return -1;
	}
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

static void add_pending(struct probe_set *set, const char *spec)
{
	xgrow(&set->pending, &set->pending_cap, set->npending + 1, sizeof(*set->pending));
	set->pending[set->npending++] = xstrdup(spec);
}

static int resolve_one(struct dw_session *s, const char *spec, const char *program, struct add_ctx *ctx)
{
	const char *sep = module_separator(spec);
	const char *name = sep ? sep + 1 : spec;
	bool glob = dw_name_is_glob(name);
	struct suggestion sug;
	int total = 0;
	char *modname = NULL;

	if (!*name) {
		log_error("probe '%s': no function after the ':'", spec);
		return -1;
	}
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
	for (size_t i = 0; i < dw_session_nmodules(s); i++) {
		int n = dw_module_each_function(dw_session_module(s, i), name, glob, add_function, ctx);
		if (n > 0)
			total += n;
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

static void warn_unusual(const struct add_ctx *ctx)
{
	if (ctx->nraw == 1)
		log_warning("no debug info for '%s' in %s: showing the raw integer registers arg0..arg5 and the "
			    "return register",
			    ctx->first_raw, ctx->raw_module);
	else if (ctx->nraw > 1)
		log_warning("no debug info for %zu probed functions ('%s', ...): showing the raw integer registers "
			    "arg0..arg5 and the return register",
			    ctx->nraw, ctx->first_raw);
	if (ctx->nclones == 1)
		log_warning("'%s' is a compiler clone or part of a function: its values are shown as unavailable",
			    ctx->first_clone);
	else if (ctx->nclones > 1)
		log_warning("%zu probed functions ('%s', ...) are compiler clones or parts of functions: their values "
			    "are shown as unavailable",
			    ctx->nclones, ctx->first_clone);
}

size_t probe_set_resolve_pending(struct probe_set *set, struct dw_session *s, struct dw_module *m)
{
	struct add_ctx ctx = {.set = set};
	size_t before = set->len;

	for (size_t i = 0; i < set->npending; i++) {
		const char *spec = set->pending[i];
		const char *sep = module_separator(spec);
		char *modname = xstrndup(spec, (size_t)(sep - spec));
		char *real = realpath(modname, NULL);

		if (dw_module_matches(m, modname, real))
			resolve_in_module(s, m, spec, sep + 1, &ctx);
		free(real);
		free(modname);
	}
	warn_unusual(&ctx);
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
		u64_map_del(&set->by_addr, site->addr);
	}
}

void probe_set_resolve_quiet(struct probe_set *set, struct dw_session *s, char **specs, size_t nspecs,
			     const char *program)
{
	struct add_ctx ctx = {.set = set};

	log_quiet(true);
	for (size_t i = 0; i < nspecs; i++)
		resolve_one(s, specs[i], program, &ctx);
	log_quiet(false);
}

int probe_set_resolve(struct probe_set *set, struct dw_session *s, char **specs, size_t nspecs,
		      const char *program)
{
	struct add_ctx ctx = {.set = set};
	int rc = 0;

	for (size_t i = 0; i < nspecs && rc == 0; i++)
		rc = resolve_one(s, specs[i], program, &ctx);
	if (rc == 0 && !set->len && !set->npending) {
		log_error("nothing to probe");
		return -1;
	}
	if (rc == 0)
		warn_unusual(&ctx);
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
	u64_map_free(&set->by_addr);
	memset(set, 0, sizeof(*set));
}
