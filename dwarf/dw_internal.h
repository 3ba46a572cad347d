/* Shared between the files of dwarf/; not part of its interface. */
#ifndef DWTRACE_DW_INTERNAL_H
#define DWTRACE_DW_INTERNAL_H

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "dw_session.h"
#include "u64_map.h"

/* Every dw_type a session built, for freeing, and the DIE → type cache of
 * one module's DWARF. */
struct dw_type_pool {
	struct dw_type **types;
	size_t len, cap;
};

struct dw_module {
	struct dw_session *session;
	Dwfl_Module *mod;
	const char *path;
	const char *name;
	bool is_main;
	int dwarf_state;             /* 0 unknown, 1 found, -1 none */
	Dwarf *dwarf;
	Dwarf_Addr dwarf_bias;
	struct u64_map types;        /* DIE offset → struct dw_type */
	struct u64_map functions;    /* entry address → struct dw_function */
	struct u64_map got_names;    /* GOT slot (ELF address) + 1 → symbol name, NULL: not read yet */
	bool got_read;
	int go_state;                /* 0 unknown, 1 Go, -1 not */
	/* Symbol index → its demangled name (dw_demangle), filled as names
	 * are compared; NULL not yet, dw_not_cxx for a name that is not C++. */
	char **demangled;
	size_t ndemangled;
};

/* The marker in dw_module.demangled of a symbol name that is not C++. */
extern char dw_not_cxx[];

/* dw_debuginfo.c: libdwfl callbacks that open regular files only. */
extern char *dw_debuginfo_path;
/* Dwfl_Callbacks.find_debuginfo: dwfl_standard_find_debuginfo, searching
 * only the path elements where no candidate is a FIFO, device, directory. */
int dw_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, GElf_Addr base,
		      const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
		      char **debuginfo_file_name);
/* Dwfl_Callbacks.find_elf for dwfl_linux_proc_report: regular files opened
 * without blocking, the rest as dwfl_linux_proc_find_elf does. */
int dw_find_elf_proc(Dwfl_Module *mod, void **userdata, const char *module_name, Dwarf_Addr base,
		     char **file_name, Elf **elfp);
/* Opens path read-only if it is a regular file, without blocking on
 * anything else.  Returns the fd, or -errno (-EINVAL with *kind set to the
 * st_mode of what it is when it is not a regular file). */
int dw_open_regular(const char *path, mode_t *kind);
/* "a FIFO", "a directory", ... for an st_mode. */
const char *dw_file_kind(mode_t mode);

struct dw_session {
	Dwfl *dwfl;
	pid_t pid;                   /* 0 for a file */
	struct dw_module **modules;  /* stable: refreshing adds, never moves */
	size_t nmodules, cap;
	struct u64_map by_mod;       /* Dwfl_Module * → struct dw_module */
	struct u64_map plain_names;  /* symbol name with @version → name without */
	struct dw_type_pool pool;
	const struct dw_type *raw_type; /* "unsigned long", for functions without DWARF */
	char error[512];
	struct u64_map demangled_names; /* linkage name string → its demangled name */
};

/* The type of DIE die (a type DIE), built once per module. */
const struct dw_type *dw_type_from_die(struct dw_module *m, Dwarf_Die *die);

/* The type DIE's DW_AT_type target; NULL for void. */
const struct dw_type *dw_type_of_attr(struct dw_module *m, Dwarf_Die *die);

struct dw_type *dw_type_new(struct dw_type_pool *pool, enum dw_kind kind);
void dw_type_pool_free(struct dw_type_pool *pool);

/* Fills f's signature from the subprogram DIE of m that starts at f->addr; on
 * no DIE, a raw signature. */
void dw_function_read_signature(struct dw_module *m, struct dw_function *f);

/* dw_symbolize.c: a C++ linkage name (without "@version") demangled as gdb
 * shows it, interned for s's life; NULL when it is none. */
const char *dw_session_demangled(struct dw_session *s, const char *linkage);

void dw_set_error(struct dw_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
