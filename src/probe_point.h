/* Probes inside functions (issue 13): MODULE:0xOFFSET at that instruction,
 * [MODULE:]FUNC+OFF, [MODULE:]FILE:LINE.  Each address becomes a probe
 * site whose layout is a LAYOUT_POINT: one "probe" event per hit, with the
 * function's parameters and the variables in scope there, located from
 * DWARF at that pc (dw_scope_at).  Entry events only. */
#ifndef DWTRACE_PROBE_POINT_H
#define DWTRACE_PROBE_POINT_H

#include <stdbool.h>
#include <stdint.h>

#include "dw_session.h"
#include "probe_site.h"

/* Whether spec is [MODULE:]FILE:LINE: its last ':'-separated part is all
 * decimal digits (a file offset is written 0x...). */
bool probe_point_is_line(const char *spec);

/* A spec whose FILE part (its first ':'-separated part, or its second
 * after a MODULE) ends in a source extension (.c .h .cc .cpp .cxx .hpp .rs
 * .go .f90 ...; a module of s named so excepted) must end in a LINE
 * number: "t1.c:-3", "t1.c:10:5" and "t1.c:main" would otherwise wait for
 * a library named t1.c.  Returns 0, or -1 after printing a one-line error
 * that names spec and the forms accepted. */
int probe_point_check_source_spec(struct dw_session *s, const char *spec);

/* Whether name (a spec's part after MODULE:) is FUNC+OFF, OFF decimal or
 * 0x hexadecimal. */
bool probe_point_is_func_offset(const char *name);

/* Resolves [MODULE:]FILE:LINE in s: a point at each address the line table
 * gives (dw_session_each_line_addr).  A MODULE not loaded yet, or any
 * MODULE of a live process, makes the spec pending too.  Returns 0, or -1
 * after printing a one-line error (line without code: the nearest lines
 * that have some; a file no CU has). */
int probe_point_resolve_line(struct probe_set *set, struct dw_session *s, const char *spec);

/* The same in m alone, just loaded (a pending spec): quiet when m does not
 * have the file.  Returns the points added. */
size_t probe_point_resolve_line_pending(struct probe_set *set, struct dw_session *s, struct dw_module *m,
					const char *spec);

/* Resolves FUNC+OFF (name) in m, or in every module of s when m is NULL.
 * OFF must start an instruction inside FUNC (else an error names the
 * nearest instruction starts); OFF 0 is FUNC's entry probe.  Returns 0, or
 * -1 after printing. */
int probe_point_resolve_func_offset(struct probe_set *set, struct dw_session *s, struct dw_module *m,
				    const char *spec, const char *name);

/* A point at addr inside f (a load address, checked to start an
 * instruction of f's code), for spec.  At f's entry with an entry probe
 * there, or an entry probe asked for later at a point: refused (one probe
 * per address).  Returns 0, or -1 after printing. */
int probe_point_add(struct probe_set *set, struct dw_function *f, uint64_t addr, const char *spec);

/* Whether addr starts an instruction of f's code as the ELF file has it.
 * Returns 0, or -1 after printing why not, naming the instruction starts
 * around addr. */
int probe_point_check_insn(struct dw_function *f, uint64_t addr, const char *spec);

/* The fields of a layout for n variables located at one pc (dw_scope_at,
 * dw_inline): a new array (at least one element, owned by the caller)
 * sharing names, types and plans with vars; *vregs is set when a plan reads
 * vector or x87 registers (arch_plan_reads_vregs), left alone otherwise. */
struct layout_field *probe_point_fields(const struct dw_var *vars, size_t n, bool *vregs);

/* The layout of a point at addr of f: function, offset, file:line, fields
 * (f's parameters) and locals from dw_scope_at, id. */
struct event_layout *probe_point_layout(struct dw_function *f, uint64_t addr, unsigned id);

/* Whether site is one instruction inside a function: a point, or the entry
 * of an inlined copy (probe_inline.c), placed alike (an int3 on the agent
 * engine, one breakpoint on the ptrace engine, no exits). */
static inline bool probe_site_is_point(const struct probe_site *site)
{
	return site->layout && site->layout->kind != LAYOUT_CALL;
}

/* How messages name site: "FUNC+0xOFF" for a point, else FUNC (in buf
 * when it is made). */
const char *probe_site_label(const struct probe_site *site, char *buf, size_t size);

#endif
