/* TEMPORARY: helper P's dw_module_function_at (wt-P), until it lands on
 * main (then removed). */
#include <errno.h>
#include <elfutils/libdwfl.h>

#include "dw_internal.h"
#include "dw_issue13_stub.h"
int dw_module_function_at(struct dw_module *m, uint64_t addr, struct dw_function **out)
{
	GElf_Sym sym;
	GElf_Off off;
	GElf_Addr sa;
	const char *name = dwfl_module_addrinfo(m->mod, addr, &off, &sym, NULL, NULL, NULL);

	if (!name || !sym.st_size || off >= sym.st_size)
		return -ENOENT;
	sa = addr - off;
	*out = dw_function_at(m, name, NULL, sa, sym.st_size, false, NULL, NULL);
	return 0;
}

