/* What the text, JSON and LTTng outputs call the parts of an event that
 * issue 13 added: shadowed locals and source file names. */
#include <string.h>

#include "sink.h"

unsigned layout_local_shadow(const struct event_layout *l, size_t i)
{
	unsigned n = 0;

	if (!l->locals || i >= l->nlocals)
		return 0;
	for (size_t k = 0; k < i; k++)
		n += !strcmp(l->locals[k].name, l->locals[i].name);
	return n;
}

const char *sink_file_base(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}
