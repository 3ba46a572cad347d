/* Messages to the user: one line each on stderr, prefixed "dwtrace: ".
 * Control characters in a message (user text quoted in it) are escaped as
 * \n, \t, \r or \xNN, so that every message stays on one line. */
#ifndef DWTRACE_LOG_H
#define DWTRACE_LOG_H

#include <stdbool.h>

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* While quiet, errors and notes are dropped (warnings too): internal, for
 * attempts whose failure is not the user's business. */
void log_quiet(bool quiet);

/* -q: notes off (dwtrace's own remarks and its summary line); errors and
 * warnings stay.  On by default. */
void log_notes(bool on);

/* --color: errors in bold red (ANSI SGR) when on; off by default. */
void log_color(bool on);

/* fn runs before each message is written (NULL: nothing): main.c ends an
 * event line left open on the stream the messages share. */
void log_before_message(void (*fn)(void));

/* Debug output by area ("ptrace", "dwarf", ...), enabled by DWTRACE_DEBUG=area,area|all. */
void log_debug(const char *area, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
