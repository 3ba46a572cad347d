/* The text sink's pieces shared by its files: one decoded value as people
 * read it (gdb's notation), and the ANSI SGR colors of --color. */
#ifndef DWTRACE_SINK_TEXT_VALUE_H
#define DWTRACE_SINK_TEXT_VALUE_H

#include "sink.h"

/* ANSI SGR sequences (ECMA-48): what each color marks in the text output. */
#define SGR_FUNCTION "\033[1;34m"    /* function names: bold blue */
#define SGR_NUMBER "\033[36m"        /* integers, floats, booleans, enumerators, addresses: cyan */
#define SGR_STRING "\033[32m"        /* strings and characters: green */
#define SGR_UNAVAILABLE "\033[35m"   /* <optimized out>, <unreadable>: magenta */
#define SGR_RESET "\033[0m"

/* Starts color sgr (one of the above) on s->out when s->opts.color; NULL
 * ends the color in effect. */
void text_color(struct sink *s, const char *sgr);

/* Writes v to s->out: 42, -7 'x', "text"..., 0x7ffc..., NULL, {x=1, y=2},
 * [1, 2, ...], RED, 1.5+-2i, &0x...={...}, or <why> when not available;
 * colored as the SGR_* comments say when s->opts.color. */
void text_put_value(struct sink *s, const struct value *v);

#endif
