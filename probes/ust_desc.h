/* The description compiler: event layouts (DWARF types and fetch plans)
 * made into one description blob of src/agent/ust_abi.h, which both LTTng
 * writers turn into lttng-ust event descriptions (the in-process emitter
 * libdwtrace-ust.so, and dwtrace's own sink libdwtrace-lttng.so for the
 * ptrace engine); and, for dwtrace's own sink, the field scalars of an
 * event of such a blob computed from decoded values.
 *
 * The events are those lttng_event_desc.c's lt_build_event() built from a
 * layout: PROVIDER:FN_entry and PROVIDER:FN_exit (FN the mangled linkage
 * name, else the function name; points and inlined copies: see
 * ust_desc_add_layout()); structures and unions flattened into
 * NAME_MEMBER fields (anonymous members NAME_anonI), complex values into
 * NAME_real/NAME_imag, vectors into NAME_0...; see ust_desc.c.  Pure C, no
 * lttng-ust headers; never prints, never exits. */
#ifndef DWTRACE_UST_DESC_H
#define DWTRACE_UST_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "event_layout.h"
#include "ust_abi.h"
#include "ust_value.h"

/* Nesting a field may have: the parameter, then up to 7 members (deeper
 * members are left out, as lt_build_event() did with LT_MAX_DEPTH). */
#define UST_DESC_MAX_DEPTH 8

struct ust_desc_opts {
	/* Entry and exit events start with the int32 fields pid and tid
	 * (FROM_PID, FROM_TID), and parameters named pid or tid become _pid
	 * and _tid: dwtrace-side emission (the ptrace engine). */
	bool with_pid_tid;
	/* Entry events end with the field "stack" (STRING, nofilter,
	 * FROM_STACK): dwtrace-side emission with --stack. */
	bool with_stack;
	/* The ring buffer aligns fields naturally: the build of lttng-ust
	 * defines LTTNG_UST_RING_BUFFER_NATURAL_ALIGN (not on x86-64).  Decides
	 * struct dwt_ust_event_desc.align (else 1). */
	bool natural_align;
	/* Most bytes of a string read (decode_opts.string_limit): the length of
	 * STRING fields. */
	uint32_t string_limit;
};

/* Where a field's value is in decoded values: index[0] the parameter
 * (entry events) or 0 (exit events: the return value), index[1..depth)
 * the child at each level (member, complex part, vector element).  depth 0
 * for fields not from an image (pid, tid, duration, stack). */
struct ust_field_path {
	uint32_t depth;
	int32_t index[UST_DESC_MAX_DEPTH];
};

struct ust_desc_builder;
struct ust_desc_paths;

/* A builder for one blob of provider events (provider is made a CTF
 * identifier, as ust_desc_mangle() does).  o is copied.  Never NULL (dies
 * on out of memory, as x* allocations do). */
struct ust_desc_builder *ust_desc_builder_new(const char *provider, const struct ust_desc_opts *o);

/* The index of an event that does not exist (ust_desc_event() gives NULL). */
#define UST_DESC_NO_EVENT UINT32_MAX

/* Adds layout l's events; *entry_index and *exit_index (either may be
 * NULL) get their indices in the blob (ust_desc_event()).  LAYOUT_CALL:
 * FN_entry and FN_exit, a clone's FN being FN_KIND ("f_isra_entry").
 * LAYOUT_POINT: one event FN_0xOFFSET (entry kind) whose fields are the
 * parameters', then the locals' (an outer local shadowed by an inner one
 * of its name is NAME_N, layout_local_shadow()); the outermost locals that
 * would take it past UST_LTTNG_MAX_FIELDS fields are left out.
 * LAYOUT_INLINED: one event FN_inlined_CALLER_0xOFFSET_entry.  Points and
 * inlined copies have no exit event: *exit_index is UST_DESC_NO_EVENT.
 * Field names are unique in an event (a name taken gets _2, _3...); a name
 * past lttng-ust's length limit is cut and hashed (see ust_desc.c).  l,
 * its types and plans are only read during the call. */
void ust_desc_add_layout(struct ust_desc_builder *b, const struct event_layout *l, uint32_t *entry_index,
			 uint32_t *exit_index);

/* The blob (malloc'ed, *size bytes; the caller frees it) and, when paths
 * is not NULL, the side table of the fields' value paths (free with
 * ust_desc_paths_free()).  Frees b.  Returns NULL with errno = EFBIG when
 * the blob would pass UINT32_MAX bytes (b is freed all the same). */
void *ust_desc_finish(struct ust_desc_builder *b, size_t *size, struct ust_desc_paths **paths);

/* The paths of the fields of event index ev (an array of that event's
 * nfields), or NULL when ev is out of range. */
const struct ust_field_path *ust_desc_event_paths(const struct ust_desc_paths *p, uint32_t ev);
void ust_desc_paths_free(struct ust_desc_paths *p);

/* The start of the names of l's events, a CTF identifier: FN (the
 * mangled linkage name, else the function's name), FN_KIND for a clone,
 * FN_0xOFFSET for a point, FN_inlined_CALLER_0xOFFSET for an inlined copy
 * (ust_desc_add_layout()).  malloc'ed. */
char *ust_desc_event_base(const struct event_layout *l);

/* base + suffix ("_entry", "_exit", ""), cut so that "provider:name" stays
 * under lttng-ust's 256 bytes (LTTNG_UST_ABI_SYM_NAME_LEN): the start of
 * base, '_', 16 hex digits of a hash of base (FNV-1a), suffix.  provider
 * is the mangled provider name.  malloc'ed. */
char *ust_desc_fit_name(const char *provider, const char *base, const char *suffix);

/* name made a CTF identifier: every byte outside [A-Za-z0-9_] becomes '_',
 * and '_' is put before a leading digit or an empty name.  malloc'ed. */
char *ust_desc_mangle(const char *name);

/* Fills out[0..ev->nfields) for event ev of blob (size bytes) from decoded
 * values: values is what decode_entry() gave (entry events: one per
 * parameter) or decode_return() (exit events; NULL: a tail call's exit, the
 * return value unknown), paths the event's ust_desc_event_paths(), h the
 * event's header (pid, tid, stack; NULL: those fields unavailable),
 * duration_ns the exit's duration.  Integers are sign- or zero-extended as
 * decode's value_as_s64()/value_as_u64() give them, floats as
 * value_as_float() made double, strings point into values (STRING: the
 * characters read, CHARS: the array's length bytes), DEC128 digits
 * (format_int128()) and the stack ("f+0x1a (mod) file.c:12; g+0x7 (mod)",
 * at most 4095 bytes) are written into buf (buf_size bytes; 4 KiB + 48 per
 * DEC128 field is enough); a field that does not fit there is unavailable.
 * Values a decoder could not read are unavailable. */
void ust_scalars_from_values(const void *blob, size_t size, const struct dwt_ust_event_desc *ev,
			     const struct ust_field_path *paths, const struct value *values,
			     const struct event_header *h, uint64_t duration_ns, struct ust_scalar *out, char *buf,
			     size_t buf_size);

/* The stack as one string, as the LTTng field "stack" carries it:
 * "f+0x1a (mod) file.c:12; g+0x7 (mod); ..." (?? for what is unknown),
 * cut at size - 1 bytes; "" for NULL.  Returns its length. */
size_t ust_format_stack(const struct stack_trace *st, char *buf, size_t size);

#endif
