/* Which compilation unit covers a code address, when .debug_aranges does
 * not say.
 *
 * libdwfl's dwfl_module_addrdie finds a CU through .debug_aranges alone
 * (elfutils 0.188, libdwfl/cu.c: addrarange over dwarf_getaranges).  The Go
 * toolchain writes no .debug_aranges (cmd/link/internal/ld/dwarf.go), nor
 * do some other producers, so every address of such a module is "in no
 * CU".  The CU DIEs themselves say what code they cover (DWARF 5 section
 * 3.1.1: DW_AT_low_pc/high_pc or DW_AT_ranges): this indexes them once per
 * module, lazily, on the first address aranges do not cover. */
#include <dwarf.h>
#include <stdlib.h>

#include "dw_internal.h"
#include "xalloc.h"

struct dw_cu_span {
	Dwarf_Addr start, end;       /* DWARF addresses: [start, end) */
	Dwarf_Off cu;                /* offset of the CU DIE in .debug_info */
};

static int by_start(const void *a, const void *b)
{
	const struct dw_cu_span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void build_index(struct dw_module *m)
{
	Dwarf_Off off = 0, next;
	size_t hsize, cap = 0;
	Dwarf_Die cu;

	m->cu_index_built = true;
	while (dwarf_nextcu(m->dwarf, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Addr base, start, end;
		ptrdiff_t r = 0;

		if (dwarf_offdie(m->dwarf, off + hsize, &cu)) {
			while ((r = dwarf_ranges(&cu, r, &base, &start, &end)) > 0) {
				if (end <= start)
					continue;
				xgrow(&m->cu_spans, &cap, m->ncu_spans + 1, sizeof(*m->cu_spans));
				m->cu_spans[m->ncu_spans++] =
					(struct dw_cu_span){start, end, dwarf_dieoffset(&cu)};
			}
		}
		off = next;
	}
	qsort(m->cu_spans, m->ncu_spans, sizeof(*m->cu_spans), by_start);
}

Dwarf_Die *dw_module_addrdie(struct dw_module *m, uint64_t addr, Dwarf_Die *buf, Dwarf_Addr *bias)
{
	Dwarf_Die *cu = dwfl_module_addrdie(m->mod, addr, bias);
	Dwarf_Addr a;
	size_t lo = 0, hi;

	if (cu || !dw_module_has_dwarf(m))
		return cu;
	if (!m->cu_index_built)
		build_index(m);
	*bias = m->dwarf_bias;
	a = addr - m->dwarf_bias;
	/* Spans of well-formed DWARF do not overlap: the one covering a is
	 * the last starting at or before a.  A few before it are looked at
	 * too, for producers whose CU ranges nest or overlap. */
	hi = m->ncu_spans;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->cu_spans[mid].start <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0 && lo - i <= 8;)
		if (a >= m->cu_spans[i].start && a < m->cu_spans[i].end)
			return dwarf_offdie(m->dwarf, m->cu_spans[i].cu, buf);
	return NULL;
}

void dw_cu_index_free(struct dw_module *m)
{
	free(m->cu_spans);
	m->cu_spans = NULL;
	m->ncu_spans = 0;
}

Dwarf_Attribute *dw_attr_location(Dwarf_Die *die, unsigned name, Dwarf_Attribute *attr)
{
	if (!dwarf_attr(die, name, attr))
		return NULL;
	/* A DW_FORM_block's length is a ULEB128 like DW_FORM_exprloc's, and
	 * a DW_FORM_block1 length below 0x80 is the same byte as its ULEB128:
	 * the same bytes read as an exprloc are the same expression. */
	if (attr->form == DW_FORM_block || (attr->form == DW_FORM_block1 && attr->valp && *attr->valp < 0x80))
		attr->form = DW_FORM_exprloc;
	return attr;
}
