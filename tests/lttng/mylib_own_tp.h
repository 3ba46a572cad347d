/* The hand-written LTTng-UST tracepoint provider "mylib_own": what a
 * developer would compile into a program to trace my_traced_function() of
 * libmylib.so when the program writes its own events, which is what dwtrace
 * --lttng --provider mylib_own does with the agent engine (the events come
 * from the traced process, so LTTng's vpid/vtid/procname/ip contexts say who
 * called, and there are no pid/tid payload fields).  Compared field by field
 * with dwtrace's events in tests/integration/test_lttng_basic.py.
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER mylib_own

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./mylib_own_tp.h"

#if !defined(DWTRACE_TESTS_MYLIB_OWN_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define DWTRACE_TESTS_MYLIB_OWN_TP_H

#include <stdint.h>

#include <lttng/tracepoint.h>

TRACEPOINT_EVENT(mylib_own, my_traced_function_entry,
	TP_ARGS(int, arg1, uint64_t, arg2, double, arg3, void *, arg4),
	TP_FIELDS(
		ctf_integer(int, arg1, arg1)
		ctf_integer(uint64_t, arg2, arg2)
		ctf_float(double, arg3, arg3)
		ctf_integer_hex(uintptr_t, arg4, arg4)
	)
)

TRACEPOINT_EVENT(mylib_own, my_traced_function_exit,
	TP_ARGS(int, retval, uint64_t, d),
	TP_FIELDS(
		ctf_integer(int, retval, retval)
		ctf_integer(uint64_t, duration_ns, d)
	)
)

#endif /* DWTRACE_TESTS_MYLIB_OWN_TP_H */

#include <lttng/tracepoint-event.h>
