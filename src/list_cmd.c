/* dwtrace list FILE [GLOB]: the functions of an ELF file as prototypes, with
 * their addresses and file offsets, to find what to probe. */
#include "list_cmd.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dw_demangle.h"
#include "dw_session.h"
#include "log.h"
#include "xalloc.h"

struct collected {
	struct dw_function **fns;
	size_t len, cap;
};

static int collect(struct dw_function *f, void *arg)
{
	struct collected *c = arg;
	xgrow(&c->fns, &c->cap, c->len + 1, sizeof(*c->fns));
	c->fns[c->len++] = f;
	return 0;
}

static int by_address(const void *a, const void *b)
{
	const struct dw_function *fa = *(struct dw_function *const *)a, *fb = *(struct dw_function *const *)b;
	return fa->elf_addr < fb->elf_addr ? -1 : fa->elf_addr > fb->elf_addr;
}

int list_functions(const char *file, const char *glob)
{
	struct dw_session *s;
	struct collected c = {0};
	char *err = NULL;
	struct dw_module *m;
	int n;

	if (dw_session_open_file(file, &s, &err) != 0) {
		log_error("%s", err);
		free(err);
		return 1;
	}
	m = dw_session_module(s, 0);
	n = dw_module_each_function(m, glob, dw_name_is_glob(glob), collect, &c);
	if (n < 0) {
		log_error("%s", dw_session_error(s));
		dw_session_close(s);
		return 1;
	}
	if (n == 0) {
		log_error("no function in %s matches '%s'", file, glob);
		dw_session_close(s);
		return 1;
	}
	if (!dw_module_has_dwarf(m))
		log_warning("no debug info for %s: parameters are unknown", file);
	qsort(c.fns, c.len, sizeof(*c.fns), by_address);
	for (size_t i = 0; i < c.len; i++) {
		char proto[1024];
		dw_function_prototype(c.fns[i], proto, sizeof(proto));
		printf("0x%" PRIx64 " 0x%" PRIx64 " %s\n", c.fns[i]->elf_addr, c.fns[i]->file_offset, proto);
	}
	free(c.fns);
	dw_session_close(s);
	return fflush(stdout) == 0 ? 0 : 1;
}
