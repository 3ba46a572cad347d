/* Probe sites of functions whose parameters are read from DWARF locations
 * rather than by the SysV classification: languages other than C and C++
 * (Go, Rust, ...) and calling conventions other than DW_CC_normal
 * (dw_function.params_from_locations). */
#ifndef DWTRACE_PROBE_LANG_H
#define DWTRACE_PROBE_LANG_H

#include "probe_site.h"

/* Replaces the plans of site's layout (made by arch_plan_call) when
 * site->fn->params_from_locations: the parameters where its language's
 * conventions or its DWARF locations put them, the return value where the
 * language returns it (unavailable when not known: never guessed), and
 * moves site->addr to fn->params_pc when the parameters are read after the
 * prologue (site->entry_ra_* then say where the return address is).
 * Nothing else is touched. */
void probe_lang_plan(struct probe_site *site);

#endif
