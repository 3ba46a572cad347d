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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dw_internal.h"

/* The 8 bytes at addr in process pid (root, or its tracer, may read). */
static int read_slot(pid_t pid, uint64_t addr, uint64_t *value)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, value, sizeof(*value), (off_t)addr);
	close(fd);
	return n == (ssize_t)sizeof(*value) ? 0 : -EIO;
}

/* Whether value is the start of a function of m other than the resolver:
 * the name of that function (the implementation), or NULL. */
static const char *implementation_at(struct dw_module *m, uint64_t value, uint64_t resolver, uint64_t *size)
{
	GElf_Sym sym;
	GElf_Off off;
	const char *name;

	if (!value || value == resolver)
		return NULL;
	name = dwfl_module_addrinfo(m->mod, value, &off, &sym, NULL, NULL, NULL);
	if (!name || off != 0 || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
		return NULL;
	*size = sym.st_size;
	return name;
}

/* Scans the allocated RELA sections of module c for a slot the dynamic
 * linker filled with the implementation of name (defined in m at resolver):
 * IRELATIVE with that resolver when c is m, JUMP_SLOT/GLOB_DAT naming it. */
static int scan_module(struct dw_module *c, struct dw_module *m, const char *name, uint64_t resolver,
		       struct dw_ifunc *out)
{
	GElf_Addr cbias = 0, mbias = 0;
	Elf *elf = dwfl_module_getelf(c->mod, &cbias);
	Elf_Scn *scn = NULL;
	pid_t pid = c->session->pid;

	if (!elf || !dwfl_module_getelf(m->mod, &mbias))
		return -ENOENT;
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
			uint64_t value;

			if (!gelf_getrela(data, (int)i, &rela))
				break;
			type = GELF_R_TYPE(rela.r_info);
			if (type == R_X86_64_IRELATIVE) {
				if (c != m || (uint64_t)rela.r_addend + mbias != resolver)
					continue;
			} else if (type == R_X86_64_JUMP_SLOT || type == R_X86_64_GLOB_DAT) {
				if (!symdata || !GELF_R_SYM(rela.r_info) ||
				    !gelf_getsym(symdata, (int)GELF_R_SYM(rela.r_info), &sym) ||
				    !(sname = elf_strptr(elf, symshdr.sh_link, sym.st_name)) || strcmp(sname, name))
					continue;
			} else {
				continue;
			}
			if (read_slot(pid, rela.r_offset + cbias, &value) != 0)
				continue;
			out->impl_name = implementation_at(m, value, resolver, &out->impl_size);
			if (out->impl_name) {
				out->impl = value;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int dw_ifunc_bound(struct dw_module *m, const char *name, uint64_t resolver, struct dw_ifunc *out)
{
	struct dw_session *s = m->session;

	if (s->pid <= 0)
		return -ENOENT;
	if (scan_module(m, m, name, resolver, out) == 0)
		return 0;
	for (size_t i = 0; i < s->nmodules; i++)
		if (s->modules[i] != m && scan_module(s->modules[i], m, name, resolver, out) == 0)
			return 0;
	if (s->ifunc_call && s->ifunc_call(s->ifunc_call_arg, resolver, &out->impl) == 0) {
		out->impl_name = implementation_at(m, out->impl, resolver, &out->impl_size);
		if (out->impl_name)
			return 0;
	}
	return -ENOENT;
}

void dw_session_set_ifunc_caller(struct dw_session *s, int (*call)(void *arg, uint64_t resolver, uint64_t *result),
				 void *arg)
{
	s->ifunc_call = call;
	s->ifunc_call_arg = arg;
}
