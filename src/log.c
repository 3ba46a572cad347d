#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool quiet;

void log_quiet(bool q)
{
	quiet = q;
}

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];

	if (quiet)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "dwtrace: %s%s\n", prefix, line);
}

void log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void log_warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void log_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

static int debug_enabled(const char *area)
{
	static const char *areas;
	static int init;
	const char *p;
	size_t n = strlen(area);

	if (!init) {
		areas = getenv("DWTRACE_DEBUG");
		init = 1;
	}
	if (!areas)
		return 0;
	if (!strcmp(areas, "all"))
		return 1;
	for (p = areas; (p = strstr(p, area)); p += n)
		if ((p == areas || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return 1;
	return 0;
}

void log_debug(const char *area, const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	if (!debug_enabled(area))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "dwtrace[%s]: %s\n", area, line);
}
