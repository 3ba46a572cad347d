/* TEMPORARY: declarations helper P adds (dw_session.h, arch.h) on wt-P;
 * removed when that lands on main. */
#ifndef DWTRACE_DW_ISSUE13_STUB_H
#define DWTRACE_DW_ISSUE13_STUB_H
#include "dw_session.h"
#include "fetch_plan.h"
int dw_module_function_at(struct dw_module *m, uint64_t addr, struct dw_function **out);
#endif
