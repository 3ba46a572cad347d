/* The names of a layout's LTTng events (ust_desc.h): what sets a point,
 * an inlined copy and a clone apart, and lttng-ust's length limit.  Only
 * ust_desc.c calls them, so the dwtrace executable links them with it. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ust_desc.h"
#include "xalloc.h"

/* lttng-ust refuses "provider:event" of 256 bytes or more
 * (LTTNG_UST_ABI_SYM_NAME_LEN, checked by ust_lttng_desc.c): base +
 * suffix when it fits, else the start of base, '_', a hash of base (FNV-1a,
 * 64 bits, 16 hex digits: names stay distinct) and suffix ("_entry" stays
 * last, for 'prov:*_entry').  C++ linkage names, an inlined copy's caller
 * in the name.  malloc'ed. */
char *ust_desc_fit_name(const char *provider, const char *base, const char *suffix)
{
	/* the most bytes of a name: 255 with "provider:" */
	size_t room = 255 - 1 - strlen(provider), n = strlen(base), k = strlen(suffix);
	uint64_t h = 0xcbf29ce484222325ull;

	if (n + k <= room || room < 32 + k)
		return xasprintf("%s%s", base, suffix);
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)base[i]) * 0x100000001b3ull;
	return xasprintf("%.*s_%016llx%s", (int)(room - 17 - k), base, (unsigned long long)h, suffix);
}

/* The name events of l start with, a CTF identifier (ust_desc_mangle()):
 * C++, the linkage name, unique per overload and already nearly an
 * identifier ("shop::Till::add(long)" would collide with its operator<
 * and operator> siblings once made one), else the function's name; a
 * clone's kind after it ("f_isra": a clone's parameters come from DWARF
 * locations, and its fields may differ from f's, which lttng-sessiond
 * refuses under one name); a point's offset in hex ("f_0x1c", unique per
 * layout in a module: one layout per probed address); an inlined copy's
 * caller and offset there ("weigh_inlined_main_0x1c": one event per copy,
 * apart from the out-of-line weigh's). */
char *ust_desc_event_base(const struct event_layout *l)
{
	const char *fn = l->fn && l->fn->linkage_name ? l->fn->linkage_name : l->function;
	char *kind = l->clone_kind ? xasprintf("%s_%s", fn, l->clone_kind) : xstrdup(fn);
	char *name, *mangled;

	if (l->kind == LAYOUT_POINT)
		name = xasprintf("%s_0x%llx", kind, (unsigned long long)l->offset);
	else if (l->kind == LAYOUT_INLINED)
		name = xasprintf("%s_inlined_%s_0x%llx", kind, l->inlined_into ? l->inlined_into : "",
				 (unsigned long long)l->offset);
	else
		name = xstrdup(kind);
	mangled = ust_desc_mangle(name);
	free(name);
	free(kind);
	return mangled;
}
