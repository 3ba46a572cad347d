/* C++ (Itanium ABI) names: demangling, and matching what a user types
 * ("ns::C::m", "ns::C::m(char const*)", "ns::twice<int>", globs) against
 * demangled names the way gdb's "break" does.
 *
 * Demangled names are libiberty's, with the flags gdb uses for its symbol
 * names (DMGL_PARAMS | DMGL_ANSI | DMGL_RET_DROP): "ns::C::m(long)", a
 * template function without its return type ("ns::twice<int>(int)").
 */
#ifndef DWTRACE_DW_DEMANGLE_H
#define DWTRACE_DW_DEMANGLE_H

#include <stdbool.h>
#include <stddef.h>

/* The demangled form of linkage name (a symbol name without "@version"),
 * as gdb shows it; NULL when it is no mangled C++ or Rust name.  Rust names
 * (legacy and v0) come without their hash and have no parameter list:
 * "rust_app::compute".  The caller frees. */
char *dw_demangle(const char *linkage);

/* Length of the qualified name in demangled (a dw_demangle result): what
 * comes before its parameter list, so 15 for "ns::twice<int>(int)". */
size_t dw_demangled_qualified_len(const char *demangled);

/* A C++ name or signature as the user spelled it, respelled the way the
 * demangler prints (and gdb compares): whitespace only where needed,
 * cv-qualifiers after the type ("const char *" is "char const*"),
 * "long int" as "long", "> >" for nested templates.  The caller frees. */
char *dw_cxx_canonical(const char *spelling);

/* Whether pattern is an fnmatch glob: it has '*', '?' or '[' outside a
 * parameter list and not as an operator's name ("operator*", "operator[]"). */
bool dw_name_is_glob(const char *pattern);

/* Whether a C++ function named demangled (a dw_demangle result) matches
 * pattern: canonical is dw_cxx_canonical(pattern), compared with the whole
 * name when it has a parameter list and with the qualified name otherwise,
 * where, as in gdb, a pattern that is no plain identifier may leave out
 * outer scopes ("Till::add" names "shop::Till::add") and one without
 * template arguments names every instance ("shop::twice" names
 * "shop::twice<int>"); glob: pattern is an fnmatch glob, matched against
 * the same part of the name. */
bool dw_cxx_matches(const char *demangled, const char *pattern, const char *canonical, bool glob);

#endif
