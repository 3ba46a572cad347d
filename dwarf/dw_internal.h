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
	struct u64_map decls;        /* dw_decl.c: name hash → declaration DIE offset + 1 */
	int decls_state;             /* 0 not indexed yet, 1 indexed, -1 no DWARF */
	/* Symbol index → its demangled name (dw_demangle), filled as names
	 * are compared; NULL not yet, dw_not_cxx for a name that is not C++. */
	char **demangled;
	size_t ndemangled;
	/* IFUNC code (dw_ifunc.c): its GOT slots are indexed; it was reported
	 * by a refresh (dlopen announces a library before the dynamic linker
	 * relocates it) and no later refresh has happened since. */
	bool ifunc_indexed;
	bool unrelocated;
	/* IFUNCs by their public name's hash: two IFUNCs bound to one
	 * implementation are two functions at one address. */
	struct u64_map ifunc_functions;
	/* Hash of each unversioned function symbol's name → its index. */
	struct u64_map plain_defined;
	bool plain_defined_read;
	/* dw_inline.c: its inlined subroutines by abstract origin, NULL until
	 * the first dw_module_each_inlined. */
	struct dw_inline_index *inlines;
	/* dw_cu_index.c: the CUs' code ranges, sorted by start, built on the
	 * first address .debug_aranges does not cover. */
	struct dw_cu_span *cu_spans;
	size_t ncu_spans;
	bool cu_index_built;
	/* dw_loc_plan.c: pc → struct dw_scope built by dw_scope_at. */
	struct u64_map scopes;
	/* dw_entry_value.c: DWARF return address → call site DIE offset. */
	struct u64_map call_sites;
	int call_sites_state;        /* 0 not indexed yet, 1 indexed */
	/* dw_entry_value.c: DWARF return address → the caller's frame base
	 * and CFA there, built at the first entry value decoded through it. */
	struct u64_map call_frames;
};

/* dw_lang.c: the rest of f's signature from its subprogram DIE concrete
 * (of CU cu), once its parameters point at their concrete DIEs: Go's
 * results, params_from_locations and params_pc. */
void dw_lang_signature(struct dw_module *m, struct dw_function *f, Dwarf_Die *concrete, Dwarf_Die *cu,
		       Dwarf_Addr bias);

/* dw_lang.c: the end of the prologue of a function entered at entry (a
 * DWARF address, its range ending at end): the first line-table row of
 * cu flagged prologue_end (DWARF 5 section 6.2.2) in (entry, end), else
 * the first statement row after the entry; 0 when the line table has
 * none. */
Dwarf_Addr dw_prologue_end(Dwarf_Die *cu, Dwarf_Addr entry, Dwarf_Addr end);

/* dw_lang.c: where "break FILE:LINE" stops for a line starting at addr (a
 * DWARF address of cu) whose innermost function or inlined copy is scope:
 * past the prologue (dw_prologue_end) when addr is the entry of a
 * subprogram some of whose variables live in frame slots (-O0: the
 * prologue stores them there; gdb's skip_prologue_sal moves such a
 * breakpoint too), else addr. */
Dwarf_Addr dw_line_skip_prologue(Dwarf_Die *cu, Dwarf_Die *scope, Dwarf_Addr addr);

/* dw_cu_index.c: the CU DIE covering load address addr of m, and the bias
 * from DWARF to load addresses: dwfl_module_addrdie's answer (from
 * .debug_aranges), else from the CU DIEs' own ranges (Go writes no
 * .debug_aranges).  The result is libdwfl's or buf; NULL when no CU covers
 * addr or m has no DWARF. */
Dwarf_Die *dw_module_addrdie(struct dw_module *m, uint64_t addr, Dwarf_Die *buf, Dwarf_Addr *bias);
/* Frees m's CU index (dw_session_close). */
void dw_cu_index_free(struct dw_module *m);

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
	/* dw_session_set_ifunc_caller: runs an IFUNC resolver in the target. */
	int (*ifunc_call)(void *arg, uint64_t resolver, uint64_t *result);
	void *ifunc_call_arg;
	/* dw_ifunc.c: GOT slots by resolver (IRELATIVE) and by symbol name
	 * hash (JUMP_SLOT, GLOB_DAT); /proc/PID/mem to read them (0: not open). */
	struct u64_map ifunc_irelative, ifunc_named;
	int memfd;
	struct u64_map demangled_names; /* linkage name string → its demangled name */
	/* dw_loc_plan.c: what plans point to (struct dw_loc_expr, their ops,
	 * constant images, scopes), freed by dw_loc_forget. */
	void **loc_keep;
	size_t nloc_keep, loc_keep_cap;
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

/* dw_function.c: f's parameters from the children of die (a subprogram). */
void dw_function_read_params(struct dw_module *m, struct dw_function *f, Dwarf_Die *die);

/* dw_decl.c: f's parameters and return type from a declaration named
 * f->name in m's DWARF, else in the executable's.  False when none. */
bool dw_decl_signature(struct dw_module *m, struct dw_function *f);
/* dw_decl.c: whether die belongs to a CU written in assembly. */
bool dw_die_is_assembly(Dwarf_Die *die);

/* dw_ifunc.c: the implementation an IFUNC is bound to in the process. */
struct dw_ifunc {
	uint64_t impl;               /* its load address */
	uint64_t impl_size;
	const char *impl_name;       /* its symbol, valid as long as the session */
	const char *why;             /* on failure: why none is known (static text) */
	const char *late;            /* on failure: the program will run the resolver
				      * itself, why in a few words (late binding), or NULL */
};

/* dw_session.c: the dw_function of m for symbol symname (a version
 * "@..." is dropped) at load address addr, size bytes long (0: unknown),
 * built once and owned by m (IFUNCs cached by name and address, others by
 * address).  demangled: symname's dw_demangle result when known, else NULL
 * (it is then demangled here).  ifunc with impl (the implementation's
 * symbol) or unbound (why it is not known) for an IFUNC. */
struct dw_function *dw_function_at(struct dw_module *m, const char *symname, const char *demangled, GElf_Addr addr,
				   GElf_Xword size, bool ifunc, const char *impl, const char *unbound);
/* dw_session.c: a function symbol (STT_FUNC or STT_GNU_IFUNC) defined in
 * the module, as dwfl_module_getsym_info gives it. */
bool dw_is_function_symbol(const GElf_Sym *sym, GElf_Addr addr, GElf_Word shndx);
/* dw_session.c: symname without "@VERSION" (in buf when it had one). */
const char *dw_plain_name(const char *symname, char *buf, size_t size);
/* The implementation the IFUNC name of m, whose resolver is at load address
 * resolver, is bound to in m's process: 0 and *out, or -ENOENT (a file, or
 * no slot bound and no resolver call possible or successful), -EAGAIN (m is
 * not relocated yet, or threads run), -EBUSY (the dynamic linker is at
 * work in the target), -ETIMEDOUT, -EFAULT (the resolver
 * call's); out->why then says why in words.  Resolvers run only through the
 * session's ifunc caller, never in an unrelocated module. */
int dw_ifunc_bound(struct dw_module *m, const char *name, uint64_t resolver, struct dw_ifunc *out);
/* Frees the slot index and closes the descriptor (dw_session_close). */
void dw_ifunc_forget(struct dw_session *s);

/* dw_module_each_function, leaving out each LOCAL symbol for which
 * skip_local(m, name without version, skip_arg) is true. */
int dw_module_each_function_except(struct dw_module *m, const char *pattern, bool glob,
				   bool (*skip_local)(struct dw_module *m, const char *name, void *arg),
				   void *skip_arg, int (*fn)(struct dw_function *f, void *arg), void *arg);

/* dw_cxx.c: true when the class or struct of DIE die (whose members and bases
 * t already holds) is passed by invisible reference in the Itanium C++ ABI. */
bool dw_cxx_pass_by_reference(Dwarf_Die *die, const struct dw_type *t);
/* dw_cxx.c: marks t as std::string / std::string_view (cxx_string, with the
 * offsets of its data pointer and length) when it is one; else leaves it. */
void dw_cxx_string_layout(struct dw_type *t);
/* dw_lang_type.c: marks t (a struct, of type DIE die) as a string
 * (cxx_string) when it is Go's string or Rust's &str or String. */
void dw_lang_string_layout(struct dw_type *t, Dwarf_Die *die);
/* dw_symbolize.c: a C++ linkage name (without "@version") demangled as gdb
 * shows it, interned for s's life; NULL when it is none. */
const char *dw_session_demangled(struct dw_session *s, const char *linkage);
/* dw_symbolize.c: the DIEs of cu whose code contains pc (a module address,
 * without the bias): the DW_TAG_subprogram first, then each
 * DW_TAG_inlined_subroutine nested in it, innermost last, at most max.
 * Returns how many (0: none). */
int dw_pc_scopes(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *chain, int max);
/* dw_symbolize.c: the source file of an inlined subroutine's call, the
 * DW_AT_call_file index into the line table's file names of die's CU
 * (DWARF 5 section 3.3.8.2), owned by libdw; NULL when unknown. */
const char *dw_call_file(Dwarf_Die *die);
/* dw_symbolize.c: die's DW_AT_call_line; 0 when unknown. */
int dw_call_line(Dwarf_Die *die);
/* dw_match.c: the index in m's symbol table of a function symbol named
 * plain (without "@version"; IFUNCs included), from a set of the names
 * hashed once per module; 0 when none.  One of several of that name. */
int dw_module_plain_function(struct dw_module *m, const char *plain);

/* dw_function.c: f's concrete subprogram DIE (the one whose code starts
 * at f->addr) into *out; false when f has no DWARF subprogram. */
bool dw_function_die(const struct dw_function *f, Dwarf_Die *out);

/* dw_loc_plan.c: zeroed memory that lives as long as s. */
void *dw_loc_keep(struct dw_session *s, size_t size);
/* dw_loc_plan.c: frees what dw_loc_keep handed out and the scope caches
 * (dw_session_close). */
void dw_loc_forget(struct dw_session *s);
/* dw_entry_value.c: m's call sites by return address (dw_loc_expr
 * call_sites), indexed on the first call. */
const void *dw_module_call_sites(struct dw_module *m);

/* dw_function.c: whether symbol name (a C or linkage name) is a GCC clone
 * ("f.constprop.0", "f.isra.0", "f.part.0"): true with *len the length of
 * the name it is a clone of and *kind its first suffix ("constprop",
 * "isra", "part": static text). */
bool dw_clone_base(const char *name, size_t *len, const char **kind);
/* dw_function.c: fills f's clone_kind, origin_name (owned by f),
 * params_from_locations and params_pc when its symbol is a clone's. */
void dw_function_name_clone(struct dw_function *f);

/* dw_inline.c: frees m's index of inlined copies (dw_session_close). */
void dw_inline_forget(struct dw_module *m);

void dw_set_error(struct dw_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
