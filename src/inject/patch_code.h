/* The bytes of one planned patch point (patch_plan.h): its stub or
 * out-of-line copy, and the bytes written over the original code.  Pure. */
#ifndef DWTRACE_PATCH_CODE_H
#define DWTRACE_PATCH_CODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "patch_plan.h"

#define PATCH_CODE_MAX ARCH_STUB_MAX

/* Builds point p's code to live at address at: for PATCH_JUMP the stub
 * that records site (hit: dwt_hit's address; vregs: the layout reads
 * vector registers) and the jump written at p->start; for PATCH_TRAP the
 * out-of-line copy of the trapped instruction (struct dwt_site.resume) and
 * the trap byte.  code gets *code_len bytes (cap at least PATCH_CODE_MAX),
 * patch *patch_len (at most PATCH_MAX_BYTES); map says where a thread
 * inside the code is in the original (arch_stub_map).  Returns 0, or -1
 * with err: a PATCH_JUMP whose instructions cannot be relocated, for which
 * the caller makes the point a trap (patch_point_make_trap). */
int patch_point_code(const struct patch_point *p, uint64_t at, uint32_t site, uint64_t hit, bool vregs,
		     uint8_t *code, size_t cap, size_t *code_len, uint8_t *patch, size_t *patch_len,
		     struct arch_stub_map *map, char *err, size_t errsize);

/* Makes PATCH_JUMP point p a trap on its probed instruction (for an entry
 * patched after its endbr64, the first displaced one), saying why.
 * Returns 0, or -1 when p is a conditional exit (the agent's trap records
 * every pass: the function then gets entry events only). */
int patch_point_make_trap(struct patch_point *p, const char *why);

#endif
