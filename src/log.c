#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool quiet;
static bool notes_off, color;
/* The line an open event line (stderr shared with the events) must end
 * first, or NULL. */
static void (*before_message)(void);

void log_quiet(bool q)
{
	quiet = q;
}

/* Copies text to out with control characters escaped (\n, \t, \r, \xNN),
 * so that a message stays one line whatever user text it quotes (a probe
 * ending in a newline, a command name with an escape sequence). */
static void escape_controls(const char *text, char *out, size_t size)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p && n + 5 < size; p++) {
		if (*p >= 0x20 && *p != 0x7f)
			out[n++] = (char)*p;
		else if (*p == '\n')
			n += (size_t)sprintf(out + n, "\\n");
		else if (*p == '\t')
			n += (size_t)sprintf(out + n, "\\t");
		else if (*p == '\r')
			n += (size_t)sprintf(out + n, "\\r");
		else
			n += (size_t)sprintf(out + n, "\\x%02x", *p);
	}
	out[n] = '\0';
}

void log_notes(bool on)
{
	notes_off = !on;
}

void log_color(bool on)
{
	color = on;
}

void log_before_message(void (*fn)(void))
{
	before_message = fn;
}

/* sgr: the ANSI color of the message when colors are on, or NULL. */
static void vlog(const char *prefix, const char *sgr, const char *fmt, va_list ap)
{
	char line[1024], escaped[4 * sizeof(line)];
	static bool inside;

	if (quiet)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	escape_controls(line, escaped, sizeof(escaped));
	/* Not again from a message the hook itself would print. */
	if (before_message && !inside) {
		inside = true;
		before_message();
		inside = false;
	}
	if (color && sgr)
		fprintf(stderr, "%sdwtrace: %s%s\033[0m\n", sgr, prefix, escaped);
	else
		fprintf(stderr, "dwtrace: %s%s\n", prefix, escaped);
}

void log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("", "\033[1;31m", fmt, ap);
	va_end(ap);
}

void log_warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("warning: ", NULL, fmt, ap);
	va_end(ap);
}

void log_note(const char *fmt, ...)
{
	va_list ap;

	if (notes_off)
		return;
	va_start(ap, fmt);
	vlog("", NULL, fmt, ap);
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
	char line[1024], escaped[4 * sizeof(line)];

	if (!debug_enabled(area))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	escape_controls(line, escaped, sizeof(escaped));
	fprintf(stderr, "dwtrace[%s]: %s\n", area, escaped);
}
