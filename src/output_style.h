/* How events and messages look: the sinks' options from the command line,
 * the terminal and the locale (-t/-tt/-ttt, -r, --color, the arrow,
 * --json-int-strings), and the sharing of stderr between events and
 * dwtrace's messages. */
#ifndef DWTRACE_OUTPUT_STYLE_H
#define DWTRACE_OUTPUT_STYLE_H

#include <stdbool.h>

#include "cli.h"
#include "sink.h"

/* --color's rule: true for always, false for never; for auto, when fd is a
 * terminal, TERM is not "dumb" and NO_COLOR is unset or empty
 * (no-color.org). */
bool color_wanted(enum color_mode m, int fd);

/* The text and JSON sinks' options for o, writing to fd (for --color=auto).
 * The arrow is "->" unless LC_CTYPE's codeset (from LC_ALL, LC_CTYPE, LANG)
 * is UTF-8; the locale is read, then put back to "C". */
struct sink_opts sink_opts_from_cli(const struct options *o, int fd);

/* When fd (the events') is the same file as stderr, every message of log.c
 * first ends a line s left open (sink_ops.end_line); until
 * output_messages_apart().  s must live until then. */
void output_messages_share(struct sink *s, int fd);
void output_messages_apart(void);

#endif
