/* GNU indirect functions (STT_GNU_IFUNC): which implementation the dynamic
 * linker bound a name to in the traced process.
 *
 * The symbol's value is a resolver that returns the implementation for this
 * CPU; the dynamic linker stores what it returned in GOT slots.  So, as gdb's
 * elf_gnu_ifunc_resolve_addr does before it calls the resolver, read the
 * slots: first the R_X86_64_IRELATIVE relocations of the defining module
 * whose addend is the resolver (the module's own calls, relocated before the
 * program starts, whatever the binding mode), then the JUMP_SLOT and GLOB_DAT
 * relocations naming the function in every loaded module (unbound lazy
 * slots still point into the caller's PLT and are refused below).
 *
 * The slots are indexed once per module (every RELA entry of a large
 * library is walked once per session, not once per IFUNC); their values
 * are read afresh each time through one /proc/PID/mem descriptor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dw_internal.h"
#include "procfs.h"
#include "xalloc.h"

/* One GOT slot that may hold an IFUNC's implementation. */
struct slot {
	uint64_t addr;               /* load address of the slot */
	const char *name;            /* JUMP_SLOT/GLOB_DAT: the symbol; NULL for IRELATIVE */
	struct dw_module *owner;     /* the module whose GOT it is */
	struct slot *next;           /* same key */
};

static uint64_t fnv(const char *s)
{
	return u64_hash_string(s, strlen(s));
}

static void add_slot(struct u64_map *map, uint64_t key, uint64_t addr, const char *name, struct dw_module *owner)
{
	struct slot *sl = xcalloc(1, sizeof(*sl));

	sl->addr = addr;
	sl->name = name;
	sl->owner = owner;
	sl->next = u64_map_get(map, key);
	u64_map_put(map, key, sl);
}

/* Indexes the slots of module c's allocated RELA sections: IRELATIVE by
 * resolver load address, JUMP_SLOT/GLOB_DAT by symbol name hash. */
static void index_module(struct dw_session *s, struct dw_module *c)
{
	GElf_Addr bias = 0;
	Elf *elf = dwfl_module_getelf(c->mod, &bias);
	Elf_Scn *scn = NULL;

	c->ifunc_indexed = true;
	if (!elf)
		return;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr, symshdr;
		Elf_Data *data, *symdata = NULL;
		Elf_Scn *symscn;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_RELA || !(shdr.sh_flags & SHF_ALLOC) ||
		    !shdr.sh_entsize || !(data = elf_getdata(scn, NULL)))
			continue;
		symscn = elf_getscn(elf, shdr.sh_link);
		if (symscn && gelf_getshdr(symscn, &symshdr))
			symdata = elf_getdata(symscn, NULL);
		for (size_t i = 0; i < shdr.sh_size / shdr.sh_entsize; i++) {
			GElf_Rela rela;
			GElf_Sym sym;
			unsigned type;
			const char *sname;

			if (!gelf_getrela(data, (int)i, &rela))
				break;
			type = GELF_R_TYPE(rela.r_info);
			if (type == R_X86_64_IRELATIVE) {
				add_slot(&s->ifunc_irelative, (uint64_t)rela.r_addend + bias, rela.r_offset + bias, NULL,
					 c);
			} else if (type == R_X86_64_JUMP_SLOT || type == R_X86_64_GLOB_DAT) {
				if (!symdata || !GELF_R_SYM(rela.r_info) ||
				    !gelf_getsym(symdata, (int)GELF_R_SYM(rela.r_info), &sym) ||
				    GELF_ST_TYPE(sym.st_info) == STT_OBJECT ||
				    !(sname = elf_strptr(elf, symshdr.sh_link, sym.st_name)) || !*sname)
					continue;
				add_slot(&s->ifunc_named, fnv(sname), rela.r_offset + bias, sname, c);
			}
		}
	}
}

/* The 8 bytes at addr in the session's process (root, or its tracer, may
 * read), through one descriptor kept open for the session. */
static int read_slot(struct dw_session *s, uint64_t addr, uint64_t *value)
{
	if (s->memfd <= 0) {
		s->memfd = procfs_open(s->pid, "mem", O_RDONLY);
		if (s->memfd < 0) {
			s->memfd = 0;
			return -errno;
		}
	}
	return pread(s->memfd, value, sizeof(*value), (off_t)addr) == (ssize_t)sizeof(*value) ? 0 : -EIO;
}

/* Whether value is the start of a function of m, inside m, other than the
 * resolver: the name of that function (the implementation), or NULL.  An
 * unrelocated slot holds a link-time address, which this refuses unless it
 * happens to name a function of m at its load address. */
static const char *implementation_at(struct dw_module *m, uint64_t value, uint64_t resolver, uint64_t *size)
{
	Dwarf_Addr start = 0, end = 0;
	GElf_Sym sym;
	GElf_Off off;
	const char *name;

	if (!value || value == resolver)
		return NULL;
	dwfl_module_info(m->mod, NULL, &start, &end, NULL, NULL, NULL, NULL);
	if (value < start || value >= end)
		return NULL;
	name = dwfl_module_addrinfo(m->mod, value, &off, &sym, NULL, NULL, NULL);
	if (!name || off != 0 || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
		return NULL;
	*size = sym.st_size;
	return name;
}

/* Whether m's file asks for a program interpreter (PT_INTERP): not a
 * static executable. */
static bool has_interp(struct dw_module *m)
{
	GElf_Addr bias = 0;
	Elf *elf = dwfl_module_getelf(m->mod, &bias);
	size_t n = 0;

	if (!elf || elf_getphdrnum(elf, &n) != 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_INTERP)
			return true;
	}
	return false;
}

static int bound_slot(struct dw_session *s, struct dw_module *m, const struct slot *sl, uint64_t resolver,
		      struct dw_ifunc *out)
{
	uint64_t value;

	/* The module's own GOT before the dynamic linker relocated it holds
	 * nothing to go by. */
	if (sl->owner->unrelocated || read_slot(s, sl->addr, &value) != 0)
		return -ENOENT;
	out->impl_name = implementation_at(m, value, resolver, &out->impl_size);
	if (!out->impl_name)
		return -ENOENT;
	out->impl = value;
	return 0;
}

int dw_ifunc_bound(struct dw_module *m, const char *name, uint64_t resolver, struct dw_ifunc *out)
{
	struct dw_session *s = m->session;
	int rc;

	out->why = "no GOT slot binds it in this process";
	if (s->pid <= 0)
		return -ENOENT;
	for (size_t i = 0; i < s->nmodules; i++)
		if (!s->modules[i]->ifunc_indexed)
			index_module(s, s->modules[i]);
	for (const struct slot *sl = u64_map_get(&s->ifunc_irelative, resolver); sl; sl = sl->next)
		if (sl->owner == m && bound_slot(s, m, sl, resolver, out) == 0)
			return 0;
	for (const struct slot *sl = u64_map_get(&s->ifunc_named, fnv(name)); sl; sl = sl->next)
		if (!strcmp(sl->name, name) && bound_slot(s, m, sl, resolver, out) == 0)
			return 0;
	if (m->unrelocated) {
		/* Announced by dlopen before the dynamic linker relocated it:
		 * its resolver may read an unfilled GOT entry and fault.  The
		 * dynamic linker runs it itself right after (relocation with
		 * RTLD_NOW, lazy binding, dlsym). */
		out->why = "its library is being loaded (dlopen) and no GOT slot binds it yet, so its resolver "
			   "cannot run safely now";
		out->late = "the library is being loaded";
		return -EAGAIN;
	}
	if (dw_module_is_main(m) && !has_interp(m)) {
		/* A static executable: its IRELATIVE relocations are applied
		 * in __libc_start_main (apply_irel), after the CPU features
		 * the resolvers read are known.  Run now, at the entry point,
		 * a resolver returns the baseline implementation, not the one
		 * the program will use: wait for the program to run it. */
		out->why = "a static executable whose IRELATIVE relocations are not applied yet: its resolver "
			   "would choose for an unknown CPU now";
		out->late = "a static executable, before its start-up code ran";
		return -EAGAIN;
	}
	if (!s->ifunc_call) {
		out->why = "no GOT slot binds it yet (implementation not bound yet), and no resolver is run for a "
			   "listing or a dry run";
		return -ENOENT;
	}
	rc = s->ifunc_call(s->ifunc_call_arg, resolver, &out->impl);
	switch (rc) {
	case 0:
		out->impl_name = implementation_at(m, out->impl, resolver, &out->impl_size);
		if (out->impl_name)
			return 0;
		out->why = "no GOT slot binds it yet and its resolver returned no function of its module";
		return -ENOENT;
	case -ETIMEDOUT:
		out->why = "no GOT slot binds it yet and its resolver did not return within 1 s";
		out->late = "its resolver did not return within 1 s when dwtrace called it";
		break;
	case -EFAULT:
		out->why = "no GOT slot binds it yet and its resolver faulted (the fault was discarded)";
		break;
	case -EAGAIN:
		out->why = "no GOT slot binds it yet and its resolver cannot run while the program's threads run";
		out->late = "the program's threads run";
		break;
	case -EBUSY:
		out->why = "no GOT slot binds it yet and the dynamic linker is at work in the program (loading a "
			   "library, binding a symbol)";
		out->late = "the dynamic linker is at work in the program";
		break;
	default:
		out->why = "no GOT slot binds it yet and its resolver could not be run";
		break;
	}
	return rc;
}

struct dw_function *dw_ifunc_late_bound(struct dw_function *f, uint64_t impl)
{
	const char *symname = f->linkage_name ? f->linkage_name : f->name;
	const char *impl_name;
	uint64_t size = 0;

	if (!f->ifunc || !f->ifunc_unbound)
		return NULL;
	/* f->addr is the resolver's (an unbound IFUNC's). */
	impl_name = implementation_at(f->module, impl, f->addr, &size);
	if (!impl_name)
		return NULL;
	return dw_function_at(f->module, symname, f->linkage_name ? f->name : NULL, impl, size, true, impl_name, NULL);
}

static void free_slots(uint64_t key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	for (struct slot *sl = value, *next; sl; sl = next) {
		next = sl->next;
		free(sl);
	}
}

void dw_ifunc_forget(struct dw_session *s)
{
	u64_map_each(&s->ifunc_irelative, free_slots, NULL);
	u64_map_free(&s->ifunc_irelative);
	u64_map_each(&s->ifunc_named, free_slots, NULL);
	u64_map_free(&s->ifunc_named);
	if (s->memfd > 0)
		close(s->memfd);
	s->memfd = 0;
}

void dw_session_set_ifunc_caller(struct dw_session *s, int (*call)(void *arg, uint64_t resolver, uint64_t *result),
				 void *arg)
{
	s->ifunc_call = call;
	s->ifunc_call_arg = arg;
}
