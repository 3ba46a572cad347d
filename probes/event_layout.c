#include "event_layout.h"

#include <stdlib.h>

#include "filter.h"
#include "xalloc.h"

struct event_layout *event_layout_new(const struct dw_function *f, unsigned id)
{
	struct event_layout *l = xcalloc(1, sizeof(*l));

	l->id = id;
	l->fn = f;
	l->function = f->name;
	l->module = dw_module_name(f->module);
	l->nfields = f->nparams;
	l->fields = xcalloc(f->nparams, sizeof(*l->fields));
	for (size_t i = 0; i < f->nparams; i++) {
		l->fields[i].name = f->params[i].name;
		l->fields[i].type = f->params[i].type;
		l->fields[i].unnamed = f->params[i].unnamed;
	}
	l->variadic = f->variadic;
	l->raw = !f->has_dwarf;
	l->has_ret = f->ret != NULL && dw_type_size(f->ret) != 0;
	l->ret.name = "retval";
	l->ret.type = f->ret;
	return l;
}

void event_layout_free(struct event_layout *l)
{
	if (!l)
		return;
	filter_bound_free(l->filter);
	free(l->fields);
	free(l->locals);
	free(l);
}
