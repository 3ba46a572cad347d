/* Output style (output_style.h). */
#include "output_style.h"

#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

bool color_wanted(enum color_mode m, int fd)
{
	const char *term = getenv("TERM"), *no_color = getenv("NO_COLOR");

	if (m != COLOR_AUTO)
		return m == COLOR_ALWAYS;
	return fd >= 0 && isatty(fd) && !(term && !strcmp(term, "dumb")) && !(no_color && *no_color);
}

struct sink_opts sink_opts_from_cli(const struct options *o, int fd)
{
	struct sink_opts so = sink_opts_default;

	if (o->relative)
		so.time = SINK_TIME_RELATIVE;
	else if (o->timestamps == 1)
		so.time = SINK_TIME_CLOCK_S;
	else if (o->timestamps >= 3)
		so.time = SINK_TIME_EPOCH_US;
	else
		so.time = SINK_TIME_CLOCK_US;
	so.color = color_wanted(o->color, fd);
	so.json_int_strings = o->json_int_strings;
	/* LC_CTYPE only, and back to "C" at once, so that nothing else
	 * (ctype.h in dwtrace, libdw) changes with the user's locale;
	 * LC_NUMERIC is never set: the decimal point stays '.'. */
	if (setlocale(LC_CTYPE, ""))
		so.ascii = strcmp(nl_langinfo(CODESET), "UTF-8") != 0;
	else
		so.ascii = true; /* a locale that is not installed: C's, ASCII */
	setlocale(LC_CTYPE, "C");
	return so;
}

static struct sink *shared;

static void end_event_line(void)
{
	if (shared && shared->ops->end_line) {
		shared->ops->end_line(shared);
		fflush(shared->out);
	}
}

void output_messages_share(struct sink *s, int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) != 0 || fstat(STDERR_FILENO, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return;
	shared = s;
	log_before_message(end_event_line);
}

void output_messages_apart(void)
{
	log_before_message(NULL);
	shared = NULL;
}
