/* Modules of a process or file, their symbols, and function look-up. */
#define _GNU_SOURCE
#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dw_demangle.h"
#include "dw_internal.h"
#include "procfs.h"
#include "xalloc.h"

char dw_not_cxx[] = "";

/* Nothing but regular files is opened (dw_debuginfo.c): a debuglink
 * naming a FIFO must not block dwtrace with its target stopped. */
static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dw_find_elf_proc,
	.find_debuginfo = dw_find_debuginfo,
	.debuginfo_path = &dw_debuginfo_path,
};

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dw_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &dw_debuginfo_path,
};

void dw_set_error(struct dw_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
}

const char *dw_session_error(const struct dw_session *s)
{
	return s->error;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

struct fill_ctx {
	struct dw_session *s;
	Dwarf_Addr main_start;
	size_t added;
};

static int fill_module(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
	struct fill_ctx *ctx = arg;
	struct dw_session *s = ctx->s;
	struct dw_module *m;
	const char *file = NULL;

	if (u64_map_get(&s->by_mod, (uint64_t)(uintptr_t)mod))
		return DWARF_CB_OK;
	m = xcalloc(1, sizeof(*m));
	m->session = s;
	m->mod = mod;
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &file, NULL);
	m->path = file ? file : name;
	m->name = base_name(m->path);
	m->is_main = ctx->main_start && start == ctx->main_start;
	xgrow(&s->modules, &s->cap, s->nmodules + 1, sizeof(*s->modules));
	s->modules[s->nmodules++] = m;
	u64_map_put(&s->by_mod, (uint64_t)(uintptr_t)mod, m);
	ctx->added++;
	return DWARF_CB_OK;
}

/* The main executable is the module mapping the program's entry point. */
static Dwarf_Addr main_module_start(Dwfl *dwfl, pid_t pid)
{
	uint64_t entry;
	Dwarf_Addr start = 0;
	Dwfl_Module *mod;

	if (pid <= 0 || procfs_auxv(pid, AT_ENTRY, &entry) != 0)
		return 0;
	mod = dwfl_addrmodule(dwfl, entry);
	if (mod)
		dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	return start;
}

static size_t collect_modules(struct dw_session *s, pid_t pid)
{
	struct fill_ctx ctx = {.s = s};
	size_t before = s->nmodules;

	ctx.main_start = main_module_start(s->dwfl, pid);
	dwfl_getmodules(s->dwfl, fill_module, &ctx, 0);
	if (pid <= 0 && s->nmodules && !before)
		s->modules[0]->is_main = true;
	return ctx.added;
}

static struct dw_session *session_new(const Dwfl_Callbacks *cb)
{
	struct dw_session *s = xcalloc(1, sizeof(*s));
	struct dw_type *raw;

	s->dwfl = dwfl_begin(cb);
	raw = dw_type_new(&s->pool, DW_KIND_UINT);
	raw->name = "unsigned long";
	raw->size = 8;
	s->raw_type = raw;
	return s;
}

int dw_session_open_pid(pid_t pid, struct dw_session **out, char **err)
{
	struct dw_session *s = session_new(&proc_callbacks);
	int rc;

	*out = NULL;
	if (!s->dwfl) {
		*err = xasprintf("cannot start libdwfl: %s", dwfl_errmsg(-1));
		dw_session_close(s);
		return -ENOMEM;
	}
	dwfl_report_begin(s->dwfl);
	rc = dwfl_linux_proc_report(s->dwfl, pid);
	dwfl_report_end(s->dwfl, NULL, NULL);
	if (rc != 0) {
		*err = xasprintf("cannot read the memory map of process %d: %s", (int)pid,
				 rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
		dw_session_close(s);
		return rc > 0 ? -rc : -EIO;
	}
	s->pid = pid;
	collect_modules(s, pid);
	*out = s;
	return 0;
}

int dw_session_refresh(struct dw_session *s)
{
	size_t before;
	int rc;

	/* Add what is new, keep what was: functions and types already handed
	 * out stay valid even for modules that were unloaded. */
	/* A refresh comes with each announcement by the dynamic linker:
	 * what the previous one announced is relocated by now. */
	for (size_t i = 0; i < s->nmodules; i++)
		s->modules[i]->unrelocated = false;
	dwfl_report_begin_add(s->dwfl);
	rc = dwfl_linux_proc_report(s->dwfl, s->pid);
	dwfl_report_end(s->dwfl, NULL, NULL);
	if (rc != 0) {
		dw_set_error(s, "cannot read the memory map of process %d: %s", (int)s->pid,
			     rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
		return rc > 0 ? -rc : -EIO;
	}
	before = s->nmodules;
	rc = (int)collect_modules(s, s->pid);
	for (size_t i = before; i < s->nmodules; i++)
		s->modules[i]->unrelocated = true;
	return rc;
}

int dw_session_open_file(const char *path, struct dw_session **out, char **err)
{
	struct dw_session *s = session_new(&offline_callbacks);
	Dwfl_Module *mod;
	mode_t kind;
	int fd;

	*out = NULL;
	fd = dw_open_regular(path, &kind);
	if (fd < 0) {
		if (kind)
			*err = xasprintf("'%s' is %s, not an ELF file (give the path of an executable or a "
					 "shared library)", path, dw_file_kind(kind));
		else
			*err = xasprintf("cannot open '%s': %s", path, strerror(-fd));
		dw_session_close(s);
		return fd;
	}
	dwfl_report_begin(s->dwfl);
	/* On success libdwfl owns fd. */
	mod = dwfl_report_offline(s->dwfl, base_name(path), path, fd);
	dwfl_report_end(s->dwfl, NULL, NULL);
	if (!mod) {
		close(fd);
		*err = xasprintf("'%s' is not an ELF file dwtrace can read: %s", path, dwfl_errmsg(-1));
		dw_session_close(s);
		return -ENOEXEC;
	}
	collect_modules(s, 0);
	*out = s;
	return 0;
}

static void free_function(uint64_t key, void *value, void *arg)
{
	struct dw_function *f = value;
	free((char *)f->name);
	free((char *)f->linkage_name);
	free((char *)f->qualified_name);
	free(f->params);
	free(f->results);
	free(f->ranges);
	free(f);
}

static void free_plain_name(uint64_t key, void *value, void *arg)
{
	free(value);
}

void dw_session_close(struct dw_session *s)
{
	if (!s)
		return;
	dw_loc_forget(s);
	for (size_t i = 0; i < s->nmodules; i++) {
		u64_map_free(&s->modules[i]->types);
		u64_map_each(&s->modules[i]->functions, free_function, NULL);
		u64_map_free(&s->modules[i]->functions);
		u64_map_each(&s->modules[i]->ifunc_functions, free_function, NULL);
		u64_map_free(&s->modules[i]->ifunc_functions);
		u64_map_free(&s->modules[i]->plain_defined);
		u64_map_free(&s->modules[i]->got_names);
		u64_map_free(&s->modules[i]->decls);
		dw_cu_index_free(s->modules[i]);
		for (size_t k = 0; k < s->modules[i]->ndemangled; k++)
			if (s->modules[i]->demangled[k] != dw_not_cxx)
				free(s->modules[i]->demangled[k]);
		free(s->modules[i]->demangled);
		free(s->modules[i]);
	}
	free(s->modules);
	dw_ifunc_forget(s);
	u64_map_free(&s->by_mod);
	u64_map_each(&s->plain_names, free_plain_name, NULL);
	u64_map_free(&s->plain_names);
	u64_map_each(&s->demangled_names, free_plain_name, NULL);
	u64_map_free(&s->demangled_names);
	dw_type_pool_free(&s->pool);
	if (s->dwfl)
		dwfl_end(s->dwfl);
	free(s);
}

size_t dw_session_nmodules(const struct dw_session *s)
{
	return s->nmodules;
}

pid_t dw_session_pid(const struct dw_session *s)
{
	return s->pid;
}

struct dw_module *dw_session_module(struct dw_session *s, size_t i)
{
	return i < s->nmodules ? s->modules[i] : NULL;
}

const char *dw_module_path(const struct dw_module *m)
{
	return m->path;
}

const char *dw_module_name(const struct dw_module *m)
{
	return m->name;
}

bool dw_module_is_main(const struct dw_module *m)
{
	return m->is_main;
}

bool dw_module_is_go(struct dw_module *m)
{
	GElf_Addr bias;
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (m->go_state)
		return m->go_state > 0;
	m->go_state = -1;
	elf = dwfl_module_getelf(m->mod, &bias);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		const char *name;
		if (gelf_getshdr(scn, &shdr) && (name = elf_strptr(elf, shstrndx, shdr.sh_name)) &&
		    !strcmp(name, ".go.buildinfo")) {
			m->go_state = 1;
			break;
		}
	}
	return m->go_state > 0;
}

bool dw_session_main_is_go(struct dw_session *s)
{
	for (size_t i = 0; i < s->nmodules; i++)
		if (s->modules[i]->is_main)
			return dw_module_is_go(s->modules[i]);
	return false;
}

bool dw_module_has_dwarf(struct dw_module *m)
{
	if (!m->dwarf_state) {
		m->dwarf = dwfl_module_getdwarf(m->mod, &m->dwarf_bias);
		m->dwarf_state = m->dwarf ? 1 : -1;
	}
	return m->dwarf_state > 0;
}

int dw_module_matches(const struct dw_module *m, const char *spec, const char *real)
{
	size_t len = strlen(spec);

	if (!strcmp(m->path, spec) || (real && !strcmp(m->path, real)))
		return 3;
	if (!strcmp(m->name, spec))
		return 2;
	if (!strncmp(m->name, spec, len) && m->name[len] == '.')
		return 1;
	return 0;
}

struct dw_module *dw_session_find_module(struct dw_session *s, const char *spec)
{
	char *real = realpath(spec, NULL);
	struct dw_module *best = NULL;
	int best_q = 0;

	for (size_t i = 0; i < s->nmodules; i++) {
		int q = dw_module_matches(s->modules[i], spec, real);
		if (q > best_q) {
			best = s->modules[i];
			best_q = q;
		}
	}
	free(real);
	return best;
}

void dw_module_range(const struct dw_module *m, uint64_t *start, uint64_t *end)
{
	Dwarf_Addr lo = 0, hi = 0;

	dwfl_module_info(m->mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
	*start = lo;
	*end = hi;
}

int dw_session_find_symbol(struct dw_session *s, const char *module_spec, const char *name, uint64_t *addr)
{
	for (size_t k = 0; k < s->nmodules; k++) {
		Dwfl_Module *mod = s->modules[k]->mod;
		int n;

		if (module_spec && !dw_module_matches(s->modules[k], module_spec, NULL))
			continue;
		n = dwfl_module_getsymtab(mod);
		for (int i = 1; i < n; i++) {
			GElf_Sym sym;
			GElf_Addr a;
			GElf_Word shndx;
			const char *sname = dwfl_module_getsym_info(mod, i, &sym, &a, &shndx, NULL, NULL);
			if (sname && sym.st_shndx != SHN_UNDEF && !strcmp(sname, name)) {
				*addr = a;
				return 0;
			}
		}
	}
	return -ENOENT;
}

bool dw_is_function_symbol(const GElf_Sym *sym, GElf_Addr addr, GElf_Word shndx)
{
	return (GELF_ST_TYPE(sym->st_info) == STT_FUNC || GELF_ST_TYPE(sym->st_info) == STT_GNU_IFUNC) &&
	       sym->st_shndx != SHN_UNDEF && addr != 0;
}

/* File offset of ELF address vaddr, through the PT_LOAD program headers. */
static int vaddr_to_offset(Elf *elf, uint64_t vaddr, uint64_t *off)
{
	size_t n;

	if (!elf || elf_getphdrnum(elf, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -1;
}

static int offset_to_vaddr(Elf *elf, uint64_t off, uint64_t *vaddr)
{
	size_t n;

	if (!elf || elf_getphdrnum(elf, &n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (off >= ph.p_offset && off < ph.p_offset + ph.p_filesz) {
			*vaddr = off - ph.p_offset + ph.p_vaddr;
			return 0;
		}
	}
	return -1;
}

const char *dw_plain_name(const char *symname, char *buf, size_t size)
{
	const char *at = strchr(symname, '@');
	if (!at)
		return symname;
	snprintf(buf, size, "%.*s", (int)(at - symname), symname);
	return buf;
}

/* What the call frame information (.eh_frame) says of the code at addr:
 * *signal_frame when it marks a signal frame (augmentation 'S', as glibc's
 * __restore_rt has: code the kernel enters on a signal's return), and
 * *not_called when the canonical frame address there is the stack pointer
 * plus something other than the return address a call pushed (8 on
 * x86-64): code entered by a jump with more on the stack, as the dynamic
 * linker's _dl_runtime_resolve is from a PLT entry.  Without CFI, neither. */
static void read_entry_cfi(struct dw_module *m, GElf_Addr addr, bool *signal_frame, bool *not_called)
{
	Dwarf_Addr bias;
	Dwarf_CFI *cfi = dwfl_module_eh_cfi(m->mod, &bias);
	Dwarf_Frame *frame = NULL;
	Dwarf_Addr start, end;
	Dwarf_Op *ops = NULL;
	size_t nops = 0;
	bool signalp = false;

	*signal_frame = *not_called = false;
	if (!cfi || dwarf_cfi_addrframe(cfi, addr - bias, &frame) != 0)
		return;
	if (dwarf_frame_info(frame, &start, &end, &signalp) >= 0)
		*signal_frame = signalp;
	/* DWARF 5 section 6.4.2.2: DW_CFA_def_cfa reg, offset reads back as
	 * DW_OP_bregx reg offset (libdw's dwarf_frame_cfa). */
	if (dwarf_frame_cfa(frame, &ops, &nops) == 0 && nops == 1 &&
	    ((ops[0].atom == DW_OP_bregx && ops[0].number == 7 && ops[0].number2 != 8) ||
	     (ops[0].atom == DW_OP_breg7 && ops[0].number != 8)))
		*not_called = true;
	free(frame);
}

/* The cache key of IFUNC name bound to addr. */
static uint64_t ifunc_key(const char *name, uint64_t addr)
{
	return u64_hash_string(name, strlen(name)) ^ addr;
}

struct dw_function *dw_function_at(struct dw_module *m, const char *symname, const char *demangled, GElf_Addr addr,
				       GElf_Xword size, bool ifunc, const char *impl, const char *unbound)
{
	char buf[256];
	/* IFUNCs by name: memcpy and memmove may share an implementation. */
	struct u64_map *cache = ifunc ? &m->ifunc_functions : &m->functions;
	uint64_t key = ifunc ? ifunc_key(dw_plain_name(symname, buf, sizeof(buf)), addr) : addr;
	struct dw_function *f = u64_map_get(cache, key);
	GElf_Addr bias = 0;
	Elf *elf;

	if (f)
		return f;
	f = xcalloc(1, sizeof(*f));
	symname = dw_plain_name(symname, buf, sizeof(buf));
	f->name = demangled ? xstrdup(demangled) : dw_demangle(symname);
	if (f->name) {
		f->linkage_name = xstrdup(symname);
		f->qualified_name = xstrndup(f->name, dw_demangled_qualified_len(f->name));
	} else {
		f->name = xstrdup(symname);
	}
	f->module = m;
	f->addr = addr;
	f->size = size;
	f->ifunc = ifunc;
	f->impl = impl;
	f->ifunc_unbound = unbound;
	elf = dwfl_module_getelf(m->mod, &bias);
	f->elf_addr = addr - bias;
	if (vaddr_to_offset(elf, f->elf_addr, &f->file_offset) != 0)
		f->file_offset = f->elf_addr;
	dw_function_read_signature(m, f);
	read_entry_cfi(m, addr, &f->signal_frame, &f->not_called);
	u64_map_put(cache, key, f);
	return f;
}

/* Every relocation of m that fills a GOT slot with a symbol's address. */
static void read_got_names(struct dw_module *m)
{
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(m->mod, &bias);
	Elf_Scn *scn = NULL;

	m->got_read = true;
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		Elf_Data *data;
		Elf_Scn *symscn;
		GElf_Shdr symshdr;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_RELA || !(shdr.sh_flags & SHF_ALLOC) ||
		    !(data = elf_getdata(scn, NULL)) || !(symscn = elf_getscn(elf, shdr.sh_link)) ||
		    !gelf_getshdr(symscn, &symshdr))
			continue;
		for (size_t i = 0; shdr.sh_entsize && i < shdr.sh_size / shdr.sh_entsize; i++) {
			GElf_Rela rela;
			GElf_Sym sym;
			unsigned type;
			const char *name;

			if (!gelf_getrela(data, (int)i, &rela))
				break;
			type = GELF_R_TYPE(rela.r_info);
			if ((type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) || !GELF_R_SYM(rela.r_info))
				continue;
			if (!gelf_getsym(elf_getdata(symscn, NULL), (int)GELF_R_SYM(rela.r_info), &sym) ||
			    !(name = elf_strptr(elf, symshdr.sh_link, sym.st_name)) || !*name)
				continue;
			u64_map_put(&m->got_names, rela.r_offset + 1, (void *)name);
		}
	}
}

int dw_session_got_name(struct dw_session *s, uint64_t slot, const char **name)
{
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, slot);
	struct dw_module *m = mod ? u64_map_get(&s->by_mod, (uint64_t)(uintptr_t)mod) : NULL;
	GElf_Addr bias = 0;

	if (!m || !dwfl_module_getelf(mod, &bias))
		return -ENOENT;
	if (!m->got_read)
		read_got_names(m);
	*name = u64_map_get(&m->got_names, slot - bias + 1);
	if (!*name)
		return -ENOENT;
	/* Named as events and stack frames name the function: "operator
	 * new(unsigned long)", not "_Znwm". */
	if (dw_session_demangled(s, *name))
		*name = dw_session_demangled(s, *name);
	return 0;
}

int dw_session_symbol_at(struct dw_session *s, uint64_t addr, const char **name, uint64_t *start, uint64_t *size)
{
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, addr);
	GElf_Sym sym;
	GElf_Off off;
	const char *n;

	if (!mod)
		return -ENOENT;
	n = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (!n || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
		return -ENOENT;
	if (!strchr(n, '@') && dw_session_demangled(s, n))
		n = dw_session_demangled(s, n);
	*name = n;
	*start = addr - off;
	*size = sym.st_size;
	return 0;
}

int dw_module_function_at_offset(struct dw_module *m, uint64_t off, struct dw_function **out)
{
	GElf_Addr bias = 0;
	Elf *elf = dwfl_module_getelf(m->mod, &bias);
	uint64_t vaddr;
	GElf_Sym sym;
	GElf_Off symoff;
	const char *name;

	if (offset_to_vaddr(elf, off, &vaddr) != 0)
		return -ERANGE;
	name = dwfl_module_addrinfo(m->mod, vaddr + bias, &symoff, &sym, NULL, NULL, NULL);
	if (!name || GELF_ST_TYPE(sym.st_info) != STT_FUNC || symoff >= (sym.st_size ? sym.st_size : 1))
		return -ENOENT;
	*out = dw_function_at(m, name, NULL, vaddr + bias - symoff, sym.st_size, false, NULL, NULL);
	return 0;
}

int dw_module_offset_address(struct dw_module *m, uint64_t off, uint64_t *addr)
{
	GElf_Addr bias = 0;
	uint64_t vaddr;

	if (offset_to_vaddr(dwfl_module_getelf(m->mod, &bias), off, &vaddr) != 0)
		return -ERANGE;
	*addr = vaddr + bias;
	return 0;
}
