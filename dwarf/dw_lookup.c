/* A function name looked up in every module of a process: the exported
 * definition wins over another module's local symbol of the same name (the
 * dynamic linker's private strlen, memcmp, __opendir...), which is probed
 * only when its module is named. */
#include <gelf.h>
#include <string.h>

#include "dw_internal.h"

struct exported {
	struct u64_map owner;        /* name hash → module exporting it */
	dw_shadowed_fn *shadowed;    /* told of each local symbol left out */
	void *shadowed_arg;
};

/* Names without "@VERSION". */
static uint64_t plain_hash(const char *name)
{
	return u64_hash_string(name, strcspn(name, "@"));
}

static void collect_exported(struct dw_module *m, const char *pattern, bool glob, struct exported *ex)
{
	int n = dwfl_module_getsymtab(m->mod);

	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		const char *name = dwfl_module_getsym_info(m->mod, i, &sym, &addr, &shndx, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info);

		if (!name || !*name || (type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
		    GELF_ST_BIND(sym.st_info) == STB_LOCAL || !addr)
			continue;
		if (!glob) {
			size_t len = strlen(pattern);
			if (strncmp(name, pattern, len) || (name[len] && name[len] != '@'))
				continue;
		}
		if (!u64_map_get(&ex->owner, plain_hash(name)))
			u64_map_put(&ex->owner, plain_hash(name), m);
	}
}

static bool exported_elsewhere(struct dw_module *m, const char *name, void *arg)
{
	struct exported *ex = arg;
	struct dw_module *owner = u64_map_get(&ex->owner, plain_hash(name));

	if (owner && owner != m && ex->shadowed)
		ex->shadowed(m, name, owner, ex->shadowed_arg);
	return owner && owner != m;
}

int dw_session_each_function(struct dw_session *s, const char *pattern, bool glob,
			     int (*fn)(struct dw_function *f, void *arg), void *arg)
{
	return dw_session_each_function_shadowed(s, pattern, glob, fn, arg, NULL, NULL);
}

int dw_session_each_function_shadowed(struct dw_session *s, const char *pattern, bool glob,
				      int (*fn)(struct dw_function *f, void *arg), void *arg,
				      dw_shadowed_fn *shadowed, void *shadowed_arg)
{
	struct exported ex = {.shadowed = shadowed, .shadowed_arg = shadowed_arg};
	int total = 0;

	for (size_t i = 0; i < s->nmodules; i++)
		collect_exported(s->modules[i], pattern, glob, &ex);
	for (size_t i = 0; i < s->nmodules; i++) {
		int n = dw_module_each_function_except(s->modules[i], pattern, glob, exported_elsewhere, &ex, fn,
						       arg);
		if (n > 0)
			total += n;
	}
	u64_map_free(&ex.owner);
	return total;
}

struct inlined_ctx {
	struct exported ex;
	int (*fn)(const struct dw_inline *in, void *arg);
	void (*shadowed)(const struct dw_inline *in, struct dw_module *owner, void *arg);
	void *arg;
	int kept;
};

static int inlined_unless_exported(const struct dw_inline *in, void *arg)
{
	struct inlined_ctx *c = arg;
	struct dw_module *owner = u64_map_get(&c->ex.owner, plain_hash(in->name));

	/* A copy of an inline function of in's module (the dynamic linker's
	 * malloc around __rtld_malloc, glibc's extern inline atoi in a
	 * program) named as another module's export: the name means the
	 * export, as for local symbols. */
	if (owner && owner != in->module) {
		if (c->shadowed)
			c->shadowed(in, owner, c->arg);
		return 0;
	}
	c->kept++;
	return c->fn(in, c->arg);
}

int dw_session_each_inlined(struct dw_session *s, const char *pattern, bool glob,
			    int (*fn)(const struct dw_inline *in, void *arg), void *arg,
			    void (*shadowed)(const struct dw_inline *in, struct dw_module *owner, void *arg))
{
	struct inlined_ctx c = {.fn = fn, .shadowed = shadowed, .arg = arg};

	for (size_t i = 0; i < s->nmodules; i++)
		collect_exported(s->modules[i], pattern, glob, &c.ex);
	for (size_t i = 0; i < s->nmodules; i++)
		if (dw_module_each_inlined(s->modules[i], pattern, glob, inlined_unless_exported, &c) < 0)
			break;
	u64_map_free(&c.ex.owner);
	return c.kept;
}
