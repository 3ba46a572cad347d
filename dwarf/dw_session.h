/* Modules and functions of a process or an ELF file, through elfutils libdwfl.
 *
 * A dw_session reports the modules of a live process (or one file) and finds
 * functions in them by name, glob or file offset.  Debug info is found where
 * gdb finds it: in the file, via .gnu_debuglink, or under
 * /usr/lib/debug/.build-id/.  Nothing here prints or exits: failures return a
 * negative errno and leave a message in dw_session_error().
 */
#ifndef DWTRACE_DW_SESSION_H
#define DWTRACE_DW_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dw_type.h"

struct dw_session;
struct dw_module;

struct dw_param {
	const char *name;            /* "argN" (N its position) when DWARF names none */
	const struct dw_type *type;
	bool unnamed;                /* DWARF gives no name (a declaration's, "int f(int)") */
	/* Offset in the module's DWARF of the parameter's DIE in the
	 * function's own (concrete) subprogram, whose DW_AT_location or
	 * DW_AT_const_value says where it is (dw_loc.h); 0 when none. */
	uint64_t die;
};

/* A range of code addresses where a module is loaded: [start, end). */
struct dw_range {
	uint64_t start, end;
};

struct dw_function {
	const char *name;            /* the symbol name that matched */
	struct dw_module *module;
	uint64_t addr;               /* entry address where the module is loaded */
	uint64_t elf_addr;           /* entry address as the ELF file says (symbol value) */
	uint64_t file_offset;        /* entry's offset in the ELF file */
	uint64_t size;               /* symbol size, 0 when unknown */
	bool has_dwarf;              /* false: no DWARF; params are raw integer registers */
	bool abi_changed;            /* a compiler clone (.isra, .constprop, .part): the
				      * parameters are not where the ABI puts them */
	/* The clone's kind ("constprop", "isra", "part"; the first suffix of
	 * its symbol) when abi_changed, else NULL; origin_name: the name of
	 * the function it is a clone of ("f" for "f.constprop.0"). */
	const char *clone_kind;
	const char *origin_name;
	/* DW_AT_language of its CU (DW_LANG_C11, DW_LANG_Rust, DW_LANG_Go...),
	 * 0 when unknown. */
	int language;
	/* The parameters are read from DWARF locations at params_pc, not by
	 * the calling convention: a clone, a language other than C/C++, or a
	 * DW_AT_calling_convention other than DW_CC_normal.  params_pc is
	 * addr when the locations cover the entry, else the first address
	 * after the prologue where they do (as debuggers do). */
	bool params_from_locations;
	uint64_t params_pc;
	const struct dw_type *ret;   /* NULL for void */
	struct dw_param *params;
	size_t nparams;
	bool variadic;
	const char *decl_file;       /* NULL when unknown */
	int decl_line;
	/* The function's code where loaded: every range of its DWARF subprogram
	 * (DW_AT_low_pc/high_pc or DW_AT_ranges, so ".cold" parts are in), or
	 * [addr, addr + size) from the symbol without DWARF; none when unknown. */
	struct dw_range *ranges;
	size_t nranges;
	/* Non-zero when the symbol lies inside a DWARF function that starts
	 * elsewhere (a corrupt symbol table): where that function starts. */
	uint64_t dwarf_start;
	bool noreturn;               /* DW_AT_noreturn: never returns to its caller */
	bool signal_frame;           /* its CFI is a signal frame ('S'): a signal trampoline */
	bool not_called;             /* its CFI at the entry is not a called function's: entered by a jump */
	/* An IFUNC (name is the public name): the implementation the dynamic
	 * linker bound it to in this process ("__strlen_avx2", at addr), or
	 * NULL in a file, where addr is the resolver's and nothing is run. */
	const char *impl;
	bool ifunc;
	/* A live process's IFUNC whose implementation is not known (impl
	 * NULL, addr is the resolver's): why, in words ("its resolver did not
	 * return within 1 s"), for a listing or an error; never probe it. */
	const char *ifunc_unbound;
	/* With ifunc_unbound: the program runs the resolver itself later, so
	 * probing the resolver tells the implementation when it returns
	 * (late binding); why in a few words ("its library is being
	 * loaded").  NULL when that cannot be done. */
	const char *ifunc_late;
	bool no_symbol;              /* found by file offset where no symbol is (a stripped file) */
	/* C++: name is demangled as gdb shows it ("ns::C::m(long)"); then
	 * linkage_name is the symbol ("_ZN2ns1C1mEl") and qualified_name
	 * the name without parameter list ("ns::C::m").  NULL for others. */
	const char *linkage_name;
	const char *qualified_name;
	/* Its extent comes from its symbol alone (assembly, or no DWARF for
	 * it): other code may jump into its middle, as glibc's assembly does. */
	bool open_code;
	/* Go (issue 13, L): the results, DW_AT_variable_parameter formal
	 * parameters ("~r0"), which are not arguments; ret is the one
	 * result's type, or a struct of them in order. */
	struct dw_param *results;
	size_t nresults;
	/* With params_pc > addr: at params_pc the CFA (the caller's stack
	 * pointer before the call) is DWARF register params_cfa_reg plus
	 * params_cfa_off, from the CFI (DWARF 5 section 6.4.1); params_cfa_reg
	 * is -1 when the CFI gives no register rule there. */
	int params_cfa_reg;
	int64_t params_cfa_off;
};

/* Source lines (FILE:LINE probes).  Calls fn once for each address where
 * code for line `line` of a source file whose path ends with `file` at a
 * '/' boundary ("mylib.c", "samples/mylib.c") begins, in the modules of s
 * (only those dw_session_find_module matches module_spec, when not NULL):
 * as gdb's "break FILE:LINE" chooses them, the lowest address of each
 * function and of each inlined copy where the line table marks a statement
 * (is_stmt) of that line.  fn returns non-zero to stop.  Returns the number
 * of addresses, 0 when the line has no code (the caller then names the
 * nearest lines that do), or -errno. */
int dw_session_each_line_addr(struct dw_session *s, const char *module_spec, const char *file, int line,
			      int (*fn)(struct dw_module *m, uint64_t addr, void *arg), void *arg);

/* dw_session_each_line_addr, fn also given the path of the line-table row
 * that matched (libdw's string, valid while s is open): the file an event
 * of that FILE:LINE names with that line.  At a function's entry whose
 * variables live in frame slots (-O0), the address is past the prologue
 * (the line table's prologue_end, else its next statement row), where
 * gdb's "break FILE:LINE" stops and those slots hold the values. */
int dw_session_each_line_row(struct dw_session *s, const char *module_spec, const char *file, int line,
			     int (*fn)(struct dw_module *m, uint64_t addr, const char *path, void *arg), void *arg);

/* For a FILE:LINE without code: the nearest lines before and after `line`
 * of that file that have a statement in the line table (*before, *after;
 * 0 when none), in the modules dw_session_each_line_addr would search.
 * Returns 0, or -ENOENT when no CU of those modules has the file. */
int dw_session_line_neighbours(struct dw_session *s, const char *module_spec, const char *file, int line,
			       int *before, int *after);

/* The function whose symbol covers load address addr of m (built once,
 * owned by m): 0 and *out, or -ENOENT when no function symbol with a size
 * covers it. */
int dw_module_function_at(struct dw_module *m, uint64_t addr, struct dw_function **out);

/* The source position of load address pc of m as gdb shows a stop there
 * (symtab.c, find_pc_sect_line): the last line table row at or before pc,
 * or, when that row is no statement, an earlier row at its address that
 * is one.  Returns 0 with *file (owned by libdw) and *line, or -ENOENT. */
int dw_module_line_at(struct dw_module *m, uint64_t pc, const char **file, int *line);

/* A copy of a function inlined into another (DW_TAG_inlined_subroutine). */
struct dw_inline {
	const char *name;            /* the inlined function's name (its origin's DW_AT_name, C++ qualified) */
	struct dw_module *module;
	uint64_t addr;               /* its entry pc where loaded (DW_AT_entry_pc, else its lowest address) */
	const char *caller;          /* the function it was inlined into (outermost concrete one) */
	uint64_t caller_start;       /* that function's entry */
	const char *call_file;       /* DW_AT_call_file / call_line, NULL/0 when unknown */
	int call_line;
	const struct dw_type *ret;
	/* Its parameters, in the origin's order, located at addr (dw_loc.h). */
	struct dw_var *params;
	size_t nparams;
};

/* Calls fn for every inlined copy in m of a function whose name matches
 * pattern (exact, or an fnmatch glob when glob; C++ names as
 * dw_function_matches compares them), owned by m and built once.  fn
 * returns non-zero to stop.  Returns the number of copies, or -errno. */
int dw_module_each_inlined(struct dw_module *m, const char *pattern, bool glob,
			   int (*fn)(const struct dw_inline *in, void *arg), void *arg);

/* dw_module_each_inlined over every module of s, where the copies in one
 * module of a function named as another module's export (a global
 * definition) are left out, as dw_session_each_function leaves out local
 * symbols: "malloc" is libc's, not the dynamic linker's inline malloc
 * around its own allocator (which would show libc's calls twice).
 * shadowed (when not NULL) is told of each copy left out, with the
 * exporting module.  Returns the number of copies passed to fn. */
int dw_session_each_inlined(struct dw_session *s, const char *pattern, bool glob,
			    int (*fn)(const struct dw_inline *in, void *arg), void *arg,
			    void (*shadowed)(const struct dw_inline *in, struct dw_module *owner, void *arg));

/* Number of raw arguments shown for a function without DWARF. */
#define DW_RAW_ARGS 6

/* Reports the modules mapped in process pid.  Returns 0, or -errno with no
 * session created (message in *err, to be freed by the caller). */
int dw_session_open_pid(pid_t pid, struct dw_session **out, char **err);

/* Opens one ELF file (executable or shared library) at its link-time addresses. */
int dw_session_open_file(const char *path, struct dw_session **out, char **err);

void dw_session_close(struct dw_session *s);

/* Reports the modules a process mapped since the last report (dlopen).
 * Modules that went away stay known, with everything found in them.
 * Returns how many modules are new, or -errno. */
int dw_session_refresh(struct dw_session *s);

/* The address of symbol name (any type) in the first module matching
 * module_spec (NULL: any module): 0, or -ENOENT. */
int dw_session_find_symbol(struct dw_session *s, const char *module_spec, const char *name, uint64_t *addr);

/* The message of the last failure. */
const char *dw_session_error(const struct dw_session *s);

size_t dw_session_nmodules(const struct dw_session *s);
/* The process whose modules these are, 0 for a file. */
pid_t dw_session_pid(const struct dw_session *s);
struct dw_module *dw_session_module(struct dw_session *s, size_t i);

/* The first module whose path, file name, or file name up to a '.' after
 * spec (so "libc.so" finds libc.so.6) is spec; NULL if none. */
struct dw_module *dw_session_find_module(struct dw_session *s, const char *spec);

/* How well m matches spec: 3 by path (real is spec's realpath or NULL), 2
 * by file name, 1 by file name up to a dot, 0 not at all. */
int dw_module_matches(const struct dw_module *m, const char *spec, const char *real);

/* Where m is loaded: [*start, *end). */
void dw_module_range(const struct dw_module *m, uint64_t *start, uint64_t *end);

const char *dw_module_path(const struct dw_module *m);
const char *dw_module_name(const struct dw_module *m);   /* file name (basename) */
bool dw_module_is_main(const struct dw_module *m);       /* the executable */
/* True when m was built by the Go toolchain (a .go.buildinfo section). */
bool dw_module_is_go(struct dw_module *m);
/* True when s's executable was built by the Go toolchain. */
bool dw_session_main_is_go(struct dw_session *s);

/* True when DWARF was found for the module (this looks for it, once). */
bool dw_module_has_dwarf(struct dw_module *m);

/* Calls fn for each function symbol of m whose name matches pattern (an
 * exact name, or an fnmatch glob when glob is set), once per entry address.
 * A C++ symbol matches by its linkage name or by its demangled name as gdb
 * compares them (dw_cxx_matches: "ns::C::m" every overload, "ns::C::m(long)"
 * one, "ns::twice<int>", globs over the qualified name).
 * fn returns non-zero to stop.  Returns the number of matches, or -errno. */
int dw_module_each_function(struct dw_module *m, const char *pattern, bool glob,
			    int (*fn)(struct dw_function *f, void *arg), void *arg);

/* Whether f is a function dw_module_each_function matches with pattern
 * and glob (by its symbol name, or a C++ one by its demangled name as gdb
 * compares them): the test for exclusions and for probes that wait for a
 * program (-f). */
bool dw_function_matches(const struct dw_function *f, const char *pattern, bool glob);

/* dw_module_each_function over every module of s, where a name that one
 * module exports (a global or weak definition) is not matched by another
 * module's local symbol: "strlen" is libc's, not the dynamic linker's
 * private copy.  Returns the number of matches. */
int dw_session_each_function(struct dw_session *s, const char *pattern, bool glob,
			     int (*fn)(struct dw_function *f, void *arg), void *arg);

/* Told of a local symbol that dw_session_each_function leaves out: name
 * (valid during the call only) in module m, owner the module exporting it. */
typedef void dw_shadowed_fn(struct dw_module *m, const char *name, struct dw_module *owner, void *arg);

/* dw_session_each_function, calling shadowed (when not NULL) for each
 * matching local symbol left out because another module exports its name;
 * shadowed must not look functions up (collect, then look up). */
int dw_session_each_function_shadowed(struct dw_session *s, const char *pattern, bool glob,
				      int (*fn)(struct dw_function *f, void *arg), void *arg,
				      dw_shadowed_fn *shadowed, void *shadowed_arg);

/* The function containing file offset off of m's ELF file: 0 and *out, or
 * -ENOENT when off is in no function, -ERANGE when it is in no loaded segment. */
int dw_module_function_at_offset(struct dw_module *m, uint64_t off, struct dw_function **out);

/* The address where file offset off of m is loaded: 0, or -ERANGE when off
 * is in no loaded segment. */
int dw_module_offset_address(struct dw_module *m, uint64_t off, uint64_t *addr);

/* A function where no symbol names one (a stripped file): the code at addr
 * (where loaded), size bytes long (0: extent unknown), named "sub_ADDR"
 * (ADDR its ELF address in hexadecimal, as disassemblers name such code),
 * with no_symbol set; owned by m, built once. */
struct dw_function *dw_module_function_nosym(struct dw_module *m, uint64_t addr, uint64_t size);

/* True when file offset off of m is in an executable PT_LOAD segment. */
bool dw_module_offset_is_code(struct dw_module *m, uint64_t off);

/* The nearest address at or before addr (where loaded, in m's code) that
 * is known to start an instruction: the start of the executable section
 * containing addr, or of a function symbol after it.  Returns 0, *anchor,
 * and in *code the file's bytes from *anchor to the end of its section
 * (*avail of them; owned by m); or -ENOENT when no executable section of
 * the file contains addr. */
int dw_module_insn_anchor(struct dw_module *m, uint64_t addr, uint64_t *anchor, const uint8_t **code,
			  size_t *avail);

/* True when m's ELF file, or its separate debug file, has a .symtab (not
 * only .dynsym). */
bool dw_module_has_symtab(struct dw_module *m);

/* The function symbol containing addr in s's modules: its name (valid as
 * long as s; a C++ one demangled), start and size.  Returns 0, or -ENOENT. */
int dw_session_symbol_at(struct dw_session *s, uint64_t addr, const char **name, uint64_t *start, uint64_t *size);

/* The symbol whose address the dynamic linker puts in the GOT slot at
 * address slot (a JUMP_SLOT or GLOB_DAT relocation: what a PLT entry jumps
 * to), by name without version (a C++ one demangled): 0 and *name (valid
 * as long as s), or -ENOENT. */
int dw_session_got_name(struct dw_session *s, uint64_t slot, const char **name);

/* Lets dw_module_each_function resolve an IFUNC that no GOT slot of the
 * process binds yet: call(arg, resolver, &result) runs the resolver (load
 * address) in the stopped target and returns 0 with what it returned, or
 * -errno (-EAGAIN threads run, -EBUSY the dynamic linker is at work in the
 * target, -ETIMEDOUT, -EFAULT: the first three bind it late).  NULL (the
 * default): such an IFUNC is not matched. */
/* Late binding: the dw_function of IFUNC f (unbound, f->ifunc_late set)
 * bound to impl, the address its resolver returned -- named as f, with
 * impl the implementation's symbol and impl's prototype.  Owned by the
 * session.  NULL when impl is no function of f's module. */
struct dw_function *dw_ifunc_late_bound(struct dw_function *f, uint64_t impl);

void dw_session_set_ifunc_caller(struct dw_session *s, int (*call)(void *arg, uint64_t resolver, uint64_t *result),
				 void *arg);

/* Writes f's C prototype ("int f(int a, const char *s)") into buf, like
 * snprintf; functions without DWARF print as "f(?)". */
size_t dw_function_prototype(const struct dw_function *f, char *buf, size_t size);

/* A symbolized code address: one frame per inlined call, innermost first,
 * then the function containing it. */
struct dw_frame {
	const char *function;        /* NULL when unknown */
	uint64_t offset;             /* from the start of the function (outermost frame) */
	const char *module;          /* file name, NULL when no module maps pc */
	const char *file;            /* NULL when unknown */
	int line;
	bool inlined;
	/* A function that tail-called the next inner frame's: not on the stack,
	 * found from DWARF call sites (dw_session_tail_calls). */
	bool tail_call;
	uint64_t addr;               /* the pc symbolized (a return address as given) */
};

/* Symbolizes pc (a return address when is_return: looked up at pc - 1, as
 * the call is the instruction before it) into at most max frames, as gdb and
 * addr2line -i show them: first the innermost DW_TAG_inlined_subroutine
 * holding pc (named after its DW_AT_abstract_origin, in another CU too) at
 * the line table's file:line for pc, then each function it was inlined into
 * at the inlined subroutine's DW_AT_call_file:DW_AT_call_line (DWARF 5
 * section 3.3.8), the concrete function last, with its offset.  Returns the
 * number of frames (at least 1 when max > 0).  Strings live as long as s. */
size_t dw_session_symbolize(struct dw_session *s, uint64_t pc, bool is_return, struct dw_frame *out, size_t max);

/* The frames a stack lacks between two of its frames because of tail calls,
 * as gdb synthesizes them (gdb/dwarf2/frame-tailcall.c): callee_pc is the
 * inner frame's pc (a return address when callee_is_return), return_pc the
 * return address into its caller.  When the caller's call site at
 * return_pc (DW_TAG_call_site, DWARF 5 section 3.4.1) calls another
 * function than the callee's, and exactly one chain of tail calls
 * (DW_AT_call_tail_call) leads from that function to the callee's, writes
 * the chain's functions innermost first, each symbolized at its tail call
 * (inlined frames included, the function's frame with tail_call set), at
 * most max.  Returns how many: 0 when none is missing, the call site is
 * unknown or indirect, or the chain is not unique.  Strings live as long as
 * s. */
size_t dw_session_tail_calls(struct dw_session *s, uint64_t callee_pc, bool callee_is_return, uint64_t return_pc,
			     struct dw_frame *out, size_t max);

/* Calls fn with the name of every function symbol in every module (for "did
 * you mean" suggestions), C++ ones also demangled, with and without their
 * parameter list; names may repeat. */
void dw_session_each_function_name(struct dw_session *s, void (*fn)(const char *name, void *arg), void *arg);

#endif
