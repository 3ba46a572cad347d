/* The hand-written LTTng-UST tracepoint provider "mylib": what a developer
 * would write by hand to trace my_traced_function() of libmylib.so
 * (samples/mylib.c), with the fields dwtrace --lttng --provider mylib must
 * produce for it.  The integration tests compare babeltrace2's text of a
 * trace of handwritten_app with that of a trace of dwtrace, field by field
 * (tests/integration/test_lttng_basic.py).
 *
 * The traced pid and tid are payload fields (dwtrace emits the events from
 * its own process, so LTTng's vpid/vtid contexts would be dwtrace's).
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER mylib

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./mylib_tp.h"

#if !defined(DWTRACE_TESTS_MYLIB_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define DWTRACE_TESTS_MYLIB_TP_H

#include <stdint.h>

#include <lttng/tracepoint.h>

TRACEPOINT_EVENT(mylib, my_traced_function_entry,
	TP_ARGS(int, pid, int, tid, int, arg1, uint64_t, arg2, double, arg3,
		void *, arg4),
	TP_FIELDS(
		ctf_integer(int, pid, pid)
		ctf_integer(int, tid, tid)
		ctf_integer(int, arg1, arg1)
		ctf_integer(uint64_t, arg2, arg2)
		ctf_float(double, arg3, arg3)
		ctf_integer_hex(uintptr_t, arg4, arg4)
	)
)

TRACEPOINT_EVENT(mylib, my_traced_function_exit,
	TP_ARGS(int, pid, int, tid, int, retval, uint64_t, d),
	TP_FIELDS(
		ctf_integer(int, pid, pid)
		ctf_integer(int, tid, tid)
		ctf_integer(int, retval, retval)
		ctf_integer(uint64_t, duration_ns, d)
	)
)

#endif /* DWTRACE_TESTS_MYLIB_TP_H */

#include <lttng/tracepoint-event.h>
