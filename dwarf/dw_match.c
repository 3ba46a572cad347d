/* Matching probe names against a module's function symbols: exact names,
 * globs, C++ demangled names (dw_demangle.c), symbol versions, aliases and
 * IFUNCs (dw_ifunc.c), and which of several names at one address names the
 * function.  Split from dw_session.c, which keeps modules and the function
 * cache. */
#include <errno.h>
#include <fnmatch.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "dw_demangle.h"
#include "dw_internal.h"
#include "xalloc.h"

/* Symbol names in .symtab may carry a version ("memcpy@GLIBC_2.2.5"). */
static bool name_matches(const char *symname, const char *pattern, bool glob)
{
	const char *at = strchr(symname, '@');
	char buf[256];

	if (at) {
		size_t n = (size_t)(at - symname);
		if (n >= sizeof(buf))
			return false;
		memcpy(buf, symname, n);
		buf[n] = '\0';
		symname = buf;
	}
	return glob ? fnmatch(pattern, symname, 0) == 0 : strcmp(pattern, symname) == 0;
}

/* The test of dw_function_matches on a symbol (name, possibly versioned)
 * and its demangled name dm (NULL when it is none); canonical is
 * dw_cxx_canonical(pattern) when !glob. */
static bool symbol_matches(const char *name, const char *dm, const char *pattern, const char *canonical, bool glob)
{
	return name_matches(name, pattern, glob) || (dm && dw_cxx_matches(dm, pattern, canonical, glob));
}

bool dw_function_matches(const struct dw_function *f, const char *pattern, bool glob)
{
	char *canonical = glob ? NULL : dw_cxx_canonical(pattern);
	bool yes = f->linkage_name ? symbol_matches(f->linkage_name, f->name, pattern, canonical, glob)
				   : symbol_matches(f->name, NULL, pattern, canonical, glob);

	free(canonical);
	return yes;
}


/* Of several symbols at one address, the one to name the function by: a
 * plain name before a compiler-made one ("f.localalias", "f.cold"), a global
 * before a local, fewer leading underscores, then the shorter. */
static int name_rank(const char *name, const GElf_Sym *sym)
{
	size_t under = strspn(name, "_"), len = strcspn(name, "@");
	int rank = 0;

	if (!strchr(name, '.'))
		rank += 4000;
	if (GELF_ST_BIND(sym->st_info) != STB_LOCAL)
		rank += 2000;
	/* glibc's aliases: a strong name before a weak alias of it ("memcmp"
	 * before "bcmp"), but fewer leading underscores first ("malloc"
	 * before "__libc_malloc", "nanosleep" before the strong
	 * "__nanosleep", "_IO_do_write" before "__GI__IO_do_write"); then the
	 * shorter ("__libc_start_main" before "..._alias_2"). */
	if (GELF_ST_BIND(sym->st_info) == STB_GLOBAL)
		rank += 150;
	rank -= 300 * (int)(under < 9 ? under : 9);
	rank -= (int)(len < 99 ? len : 99);
	return rank;
}

/* The names are hashed into a set once per module, not walked per
 * question. */
int dw_module_plain_function(struct dw_module *m, const char *plain)
{
	int n = dwfl_module_getsymtab(m->mod);
	const char *name;

	if (!m->plain_defined_read) {
		m->plain_defined_read = true;
		for (int i = 1; i < n; i++) {
			GElf_Sym sym;
			GElf_Addr addr;
			GElf_Word shndx;
			name = dwfl_module_getsym_info(m->mod, i, &sym, &addr, &shndx, NULL, NULL);
			if (name && !strchr(name, '@') && dw_is_function_symbol(&sym, addr, shndx))
				u64_map_put(&m->plain_defined, u64_hash_string(name, strlen(name)), (void *)(uintptr_t)i);
		}
	}
	/* One symbol per hash is kept: confirm it is the name asked for. */
	{
		int i = (int)(uintptr_t)u64_map_get(&m->plain_defined, u64_hash_string(plain, strlen(plain)));
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;

		name = i ? dwfl_module_getsym_info(m->mod, i, &sym, &addr, &shndx, NULL, NULL) : NULL;
		return name && !strcmp(name, plain) ? i : 0;
	}
}

/* Whether m defines a function symbol named plain (no version). */
static bool defines_plain(struct dw_module *m, const char *plain)
{
	return dw_module_plain_function(m, plain) > 0;
}

/* The demangled name of symbol i of m (called name), demangled once; NULL
 * when it is no C++ or Rust name. */
static const char *symbol_demangled(struct dw_module *m, int i, const char *name)
{
	char buf[256];

	if ((strncmp(name, "_Z", 2) != 0 && strncmp(name, "_R", 2) != 0) || i < 0)
		return NULL;
	if (!m->demangled) {
		int n = dwfl_module_getsymtab(m->mod);
		if (n <= i)
			return NULL;
		m->ndemangled = (size_t)n;
		m->demangled = xcalloc((size_t)n, sizeof(*m->demangled));
	}
	if ((size_t)i >= m->ndemangled)
		return NULL;
	if (!m->demangled[i]) {
		char *d = dw_demangle(dw_plain_name(name, buf, sizeof(buf)));
		m->demangled[i] = d ? d : dw_not_cxx;
	}
	return m->demangled[i] == dw_not_cxx ? NULL : m->demangled[i];
}

/* Whether symbol name is the cold part GCC splits off a function
 * ("f.cold", "f.cold.3", "f.part.0.cold"). */
static bool is_cold_part(const char *name)
{
	const char *c = strstr(name, ".cold");

	return c && (c[5] == '\0' || c[5] == '.' || c[5] == '@');
}

static void free_value(uint64_t key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	free(value);
}

struct match {
	int rank;
	GElf_Addr addr;
	GElf_Xword size;
	const char *name;
	bool ifunc;
	const char *impl;
	const char *demangled;       /* of name, when matching demangled it */
	const char *unbound;         /* an IFUNC whose implementation is unknown: why */
	GElf_Addr resolver;          /* an IFUNC's */
	const char *late;            /* with unbound: late binding possible, why */
};

int dw_module_each_function(struct dw_module *m, const char *pattern, bool glob,
			    int (*fn)(struct dw_function *f, void *arg), void *arg)
{
	return dw_module_each_function_except(m, pattern, glob, NULL, NULL, fn, arg);
}

int dw_module_each_function_except(struct dw_module *m, const char *pattern, bool glob,
				   bool (*skip_local)(struct dw_module *m, const char *name, void *arg),
				   void *skip_arg, int (*fn)(struct dw_function *f, void *arg), void *arg)
{
	int n = dwfl_module_getsymtab(m->mod);
	struct u64_map by_addr = {0}, by_resolver = {0}, resolvers = {0}, bound_by_resolver = {0};
	struct match *matches = NULL;
	size_t nmatches = 0, cap = 0;
	char *canonical;

	if (n < 0) {
		dw_set_error(m->session, "cannot read the symbols of %s: %s", m->path, dwfl_errmsg(-1));
		return -EIO;
	}
	canonical = glob ? NULL : dw_cxx_canonical(pattern);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		const char *name = dwfl_module_getsym_info(m->mod, i, &sym, &addr, &shndx, NULL, NULL);
		const char *dm = NULL;
		struct match *prev;
		struct dw_ifunc bound = {0};
		const char *unbound = NULL, *late = NULL;
		GElf_Addr resolver;
		bool ifunc;
		char buf[256];
		int rank;

		if (!name || !*name || !dw_is_function_symbol(&sym, addr, shndx))
			continue;
		/* symbol_matches, demangling only when the name does not match. */
		if (!name_matches(name, pattern, glob) &&
		    !((dm = symbol_demangled(m, i, name)) && dw_cxx_matches(dm, pattern, canonical, glob)))
			continue;
		/* A split-off part of a function ("f.cold", "_Z1fi.cold") is no
		 * function: only its own symbol or demangled name, suffix
		 * included, reaches it; a glob or the function's name never. */
		if (is_cold_part(name) &&
		    (glob || !(strcmp(dw_plain_name(name, buf, sizeof(buf)), pattern) == 0 ||
			       (dm && strstr(canonical, "[clone .cold")))))
			continue;
		if (skip_local && GELF_ST_BIND(sym.st_info) == STB_LOCAL &&
		    skip_local(m, dw_plain_name(name, buf, sizeof(buf)), skip_arg))
			continue;
		/* "memcpy@GLIBC_2.2.5" is a compatibility version that programs
		 * linked today do not call: the name means the default one. */
		if (strchr(name, '@') && !strstr(name, "@@") &&
		    defines_plain(m, dw_plain_name(name, buf, sizeof(buf))))
			continue;
		ifunc = GELF_ST_TYPE(sym.st_info) == STT_GNU_IFUNC;
		resolver = ifunc ? addr : 0;
		if (ifunc && glob)
			u64_map_put(&resolvers, addr, (void *)1);
		if (ifunc && m->session->pid > 0) {
			/* The code that runs, not the resolver; when it is not
			 * known, the resolver's address and why, for the caller
			 * to list or refuse -- never to probe. */
			struct dw_ifunc *known = u64_map_get(&bound_by_resolver, addr);
			if (known) {
				/* An alias of an IFUNC bound already. */
				bound = *known;
				addr = bound.impl;
				sym.st_size = bound.impl_size;
			} else if (dw_ifunc_bound(m, dw_plain_name(name, buf, sizeof(buf)), addr, &bound) == 0) {
				known = xmalloc(sizeof(*known));
				*known = bound;
				u64_map_put(&bound_by_resolver, addr, known);
				addr = bound.impl;
				sym.st_size = bound.impl_size;
			} else {
				bound.impl_name = NULL;
				unbound = bound.why;
				late = bound.late;
			}
		}
		rank = name_rank(name, &sym) + (ifunc ? 10000 : 0);
		/* Aliases of one IFUNC ("memmove", "__GI_memmove") share its
		 * resolver: one function, by the best name. */
		prev = ifunc ? u64_map_get(&by_resolver, resolver) : NULL;
		if (!prev)
			prev = u64_map_get(&by_addr, addr);
		if (prev && ifunc && matches[(size_t)(uintptr_t)prev - 1].ifunc &&
		    matches[(size_t)(uintptr_t)prev - 1].resolver != resolver) {
			/* Another IFUNC (not an alias: its own resolver) bound
			 * to the same implementation: a function of its own,
			 * which the caller reports. */
			prev = NULL;
		}
		if (prev && ifunc && !u64_map_get(&by_resolver, resolver))
			u64_map_put(&by_resolver, resolver, prev);
		if (prev) {
			/* Index into matches, stored off by one. */
			struct match *mt = &matches[(size_t)(uintptr_t)prev - 1];
			if (rank > mt->rank) {
				mt->rank = rank;
				mt->name = name;
				mt->ifunc = ifunc;
				mt->impl = bound.impl_name;
				mt->demangled = dm;
				mt->unbound = unbound;
				mt->resolver = resolver;
				mt->late = late;
			}
			continue;
		}
		xgrow(&matches, &cap, nmatches + 1, sizeof(*matches));
		matches[nmatches] = (struct match){
			rank, addr, sym.st_size, name, ifunc, bound.impl_name, dm, unbound, resolver, late};
		++nmatches;
		if (!u64_map_get(&by_addr, addr))
			u64_map_put(&by_addr, addr, (void *)(uintptr_t)nmatches);
		if (ifunc)
			u64_map_put(&by_resolver, resolver, (void *)(uintptr_t)nmatches);
	}
	u64_map_free(&by_addr);
	u64_map_free(&by_resolver);
	free(canonical);
	for (size_t i = 0; i < nmatches; i++) {
		/* An alias ("__GI_strstr") no slot names, of an IFUNC that
		 * one does bind: the bound one stands for both. */
		if (matches[i].unbound && u64_map_get(&bound_by_resolver, matches[i].resolver)) {
			matches[i--] = matches[--nmatches];
			continue;
		}
		/* A glob matching an IFUNC and its resolver's own symbol
		 * ("memchr" and "memchr_ifunc") means the function, not the
		 * code that chose its implementation at load time. */
		if (!matches[i].ifunc && u64_map_get(&resolvers, matches[i].addr)) {
			matches[i--] = matches[--nmatches];
			continue;
		}
	}
	u64_map_free(&resolvers);
	u64_map_each(&bound_by_resolver, free_value, NULL);
	u64_map_free(&bound_by_resolver);
	for (size_t i = 0; i < nmatches; i++) {
		struct dw_function *f = dw_function_at(m, matches[i].name, matches[i].demangled, matches[i].addr,
						    matches[i].size, matches[i].ifunc, matches[i].impl,
						    matches[i].unbound);
		if (f->ifunc_unbound)
			f->ifunc_late = matches[i].late;
		if (fn(f, arg))
			break;
	}
	free(matches);
	return (int)nmatches;
}

void dw_session_each_function_name(struct dw_session *s, void (*fn)(const char *name, void *arg), void *arg)
{
	for (size_t k = 0; k < s->nmodules; k++) {
		Dwfl_Module *mod = s->modules[k]->mod;
		int n = dwfl_module_getsymtab(mod);
		for (int i = 1; i < n; i++) {
			GElf_Sym sym;
			GElf_Addr addr;
			GElf_Word shndx;
			char buf[256];
			const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, NULL, NULL);
			const char *dm;
			if (!name || !*name || !dw_is_function_symbol(&sym, addr, shndx))
				continue;
			fn(dw_plain_name(name, buf, sizeof(buf)), arg);
			if ((dm = symbol_demangled(s->modules[k], i, name))) {
				size_t q = dw_demangled_qualified_len(dm);
				fn(dm, arg);
				if (q < sizeof(buf)) {
					memcpy(buf, dm, q);
					buf[q] = '\0';
					fn(buf, arg);
				}
			}
		}
	}
}
