/* Late binding of IFUNCs whose resolver dwtrace cannot call (a library
 * being loaded by dlopen, a static executable before its start-up code, a
 * resolver that timed out or threads that run), as gdb does with its
 * bp_gnu_ifunc_resolver and bp_gnu_ifunc_resolver_return breakpoints: an
 * internal probe on the resolver; where the program's own call of it
 * returns, rax is the implementation, which is then probed. */
#ifndef DWTRACE_IFUNC_LATE_H
#define DWTRACE_IFUNC_LATE_H

#include "tracer_internal.h"

/* The entry of a resolver probe (site->ifunc_resolver) at ev's
 * breakpoint: its call is tracked, no event is emitted. */
void ifunc_late_entry(struct tracer *tr, struct event *ev, struct probe_site *site);

/* A call of resolver probe site returned in ev's thread (the registers at
 * its ret): notes the implementation for ifunc_late_place. */
void ifunc_late_returned(struct event *ev, struct probe_site *site);

/* Probes the implementations ifunc_late_returned noted for ev's thread,
 * once each (after every role of ev's breakpoint ran: placing may add
 * exits to breakpoints). */
void ifunc_late_place(struct tracer *tr, struct event *ev);

#endif
