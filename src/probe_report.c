/* -v and --list-probes: what was probed, where, and what was left out. */
#define _GNU_SOURCE
#include "probe_report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

#include "log.h"
#include "probe_point.h"
#include "xalloc.h"

static void where(const struct dw_function *f, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s 0x%" PRIx64 " elf=0x%" PRIx64 " offset=0x%" PRIx64 "%s%s", dw_module_name(f->module),
		 f->name, f->addr, f->elf_addr, f->file_offset, f->impl ? " impl=" : "", f->impl ? f->impl : "");
}

/* A probe inside a function: its instruction, as FUNC+OFF and file:line. */
static void point_where(const struct probe_site *site, char *buf, size_t size)
{
	const struct dw_function *f = site->fn;
	const struct event_layout *l = site->layout;
	uint64_t off = site->addr - f->addr;

	snprintf(buf, size, "%s %s+0x%" PRIx64 " 0x%" PRIx64 " elf=0x%" PRIx64 " offset=0x%" PRIx64 " (%s:%d)",
		 dw_module_name(f->module), f->name, off, site->addr, f->elf_addr + off, f->file_offset + off,
		 l->file ? l->file : "?", l->line);
}

/* Why a probed function gets entry events only or odd values, as known
 * from the function alone; NULL when nothing is special. */
static const char *static_note(const struct dw_function *f, uint64_t entry)
{
	if (f->ifunc_unbound && f->ifunc_late)
		return "an IFUNC, implementation not bound yet: the address is its resolver's, where a run binds it "
		       "late (the implementation it returns when the program runs it is probed)";
	if (f->ifunc_unbound)
		return "an IFUNC, implementation not bound yet: the address is its resolver's, which a dry run does not "
		       "call";
	if (f->dwarf_start)
		return "left out: its symbol and its DWARF disagree on where it starts";
	if (f->noreturn)
		return "entry events only: noreturn";
	if (f->signal_frame)
		return "entry events only: a signal trampoline";
	if (f->not_called)
		return "entry events only: entered by a jump, as its call frame information says";
	if (dw_module_is_main(f->module) && f->addr == entry)
		return "entry events only: the entry point";
	if (f->no_symbol && !f->size)
		return "entry events only: no symbol and no call frame information give its extent";
	if (f->clone_kind)
		return "a compiler clone: parameters from DWARF locations";
	if (f->abi_changed)
		return "a part of a function split off by the compiler: values shown as unavailable";
	if (!f->has_dwarf)
		return "no debug info: raw registers";
	return NULL;
}

void probe_report(const struct probe_set *set, struct dw_session *s, bool placed, uint64_t entry)
{
	char buf[600];

	for (size_t i = 0; i < set->len; i++) {
		const struct probe_site *site = set->sites[i];
		const char *note = static_note(site->fn, entry);
		const struct event_layout *l = site->layout;

		if (l && l->kind == LAYOUT_INLINED) {
			/* A copy inlined into site->fn: where, and what called it. */
			snprintf(buf, sizeof(buf), "%s %s 0x%" PRIx64 " (inlined into %s+0x%" PRIx64 ", called at %s:%d)",
				 dw_module_name(site->fn->module), l->function, site->addr, site->fn->name, l->offset,
				 l->call_file ? l->call_file : "?", l->call_line);
			if (placed && !site->placed)
				log_note("left out %s: it could not be placed (the message above says why)", buf);
			else
				log_note("probe %s (entry events only: an inlined copy)", buf);
			continue;
		}
		if (probe_site_is_point(site)) {
			point_where(site, buf, sizeof(buf));
			if (placed && !site->placed)
				log_note("left out %s: it could not be placed (the message above says why)", buf);
			else
				log_note("probe %s (inside the function: an event per hit, no exit)", buf);
			continue;
		}
		where(site->fn, buf, sizeof(buf));
		if (placed && !site->placed)
			log_note("left out %s: it could not be placed (the message above says why)", buf);
		else if (placed && site->entry_only && (!note || note[0] != 'e'))
			log_note("probe %s (entry events only: its exits are not all known)", buf);
		else if (note)
			log_note("probe %s (%s)", buf, note);
		else
			log_note("probe %s", buf);
	}
	for (size_t i = 0; i < set->nleft_out; i++) {
		const struct probe_left_out *lo = &set->left_out[i];

		/* An alias excluded later is no longer an alias of a probe. */
		where(lo->fn, buf, sizeof(buf));
		if (lo->spec)
			log_note("left out %s: excluded by '%s'", buf, lo->spec);
		else if (lo->exported_by)
			log_note("left out %s: a local symbol; %s exports the name; probe it as %s:%s", buf,
				 dw_module_name(lo->exported_by), dw_module_name(lo->fn->module), lo->fn->name);
		else
			log_note("left out %s: %s", buf, lo->why);
	}
	/* MODULE: specs stay pending after they resolved, for a reload
	 * after dlclose: only those whose module is not there are news. */
	for (size_t i = 0; i < set->npending; i++) {
		const char *spec = set->pending[i], *sep = probe_spec_separator(spec);
		char *modname;

		if (probe_spec_is_exclusion(spec))
			continue;
		if (!sep) {
			log_note("pending %s: no module has it yet; resolved in the programs it starts and the "
				 "libraries they load (-f)",
				 spec);
			continue;
		}
		modname = xstrndup(spec, (size_t)(sep - spec));
		if (!dw_session_find_module(s, modname))
			log_note("pending %s: resolved when %s is loaded", spec, modname);
		free(modname);
	}
}
