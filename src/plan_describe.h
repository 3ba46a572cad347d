/* Where a value lives, in words, for `dwtrace list -v` (as perf probe -V
 * and gdb's "info address" say it). */
#ifndef DWTRACE_PLAN_DESCRIBE_H
#define DWTRACE_PLAN_DESCRIBE_H

#include <stddef.h>

#include "fetch_plan.h"

/* Writes where plan p finds its value into buf (always NUL-terminated):
 * "register rdi", "stack [rsp+8]" (rsp or rbp based), "memory [rdi+16]",
 * "memory [0x4010]" (an address), "memory at the address in [rsp+8]",
 * "constant 5", "expression" (a DWARF expression evaluated at the hit),
 * "optimized out" (or the plan's why); several pieces are listed with
 * their bytes: "bytes 0-7: register rax, bytes 8-15: optimized out".
 * Register names are the architecture's (arch_reg_name).  bias: the
 * module's load address minus its ELF address; an address (FETCH_ABS,
 * a load address of the session) is shown as the ELF file's, as nm shows
 * it.  Returns buf. */
char *fetch_plan_describe(const struct fetch_plan *p, uint64_t bias, char *buf, size_t size);

#endif
