#!/usr/bin/env python3
"""test_bench_lttng.py: the benchmark's --lttng rows still measure what they
say (tests/bench/agent_rows.py, lttng_rows), with few calls so that it runs
in seconds; the timings themselves are not checked.

1. tests/lttng/bench_threads_tp, the compiled-in tracepoint the benchmark
   compares dwtrace with: run alone in a session enabling mylib_own:*, its
   3 calls give 3 entry events with my_traced_function's arguments
   (samples/bench_threads.c: 42, 0xdeadbeef, 3.14159, 0x12345678) and 3
   exit events with the return value its checksum implies (checksum / 3).
2. Both rows of lttng_rows with N = 20000 calls (and N/4, one run each):
   each is measured (no "failed: ..."), babeltrace2 counts 2 events per
   call of the N run, none lost in any run, and the dwtrace row saw the
   agent mapped into bench_threads.  bench_threads' checksum (calls x the
   return value) is checked by the rows themselves.
"""

import os
import re
import sys

import harness
import lttng_harness as lh
from harness import fail

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
import agent_rows  # noqa: E402  (tests/bench/agent_rows.py)

CALLS = 20000


def check_reference(lt, program):
    trace = lt.create_session("reference", channel="chan", events=["mylib_own:*"],
                              channel_args=["--blocking-timeout=inf"])
    lt.lttng("start", "reference")
    result = lt.run([program, "1", "3"], extra_env={"LTTNG_UST_ALLOW_BLOCKING": "1"})
    lt.lttng("stop", "reference")
    lt.lttng("destroy", "reference")
    m = re.match(r"^checksum (\d+)$", result.stdout.strip())
    if result.returncode != 0 or not m:
        fail("bench_threads_tp 1 3 did not print its checksum\n" + harness.describe(result))
    retval = int(m.group(1)) // 3
    events = lt.events(trace)
    want = []
    for _ in range(3):
        want.append(("mylib_own:my_traced_function_entry",
                     [("arg1", "42"), ("arg2", "3735928559"), ("arg3", "3.14159"), ("arg4", "0x12345678")]))
        want.append(("mylib_own:my_traced_function_exit", [("retval", str(retval)), ("duration_ns", "0")]))
    got = [(e.name, e.payload) for e in events]
    if got != want:
        fail("bench_threads_tp 1 3 recorded\n  %s\nexpected\n  %s" % ("\n  ".join(map(str, got)),
                                                                      "\n  ".join(map(str, want))))


def test():
    build = os.path.dirname(os.path.dirname(os.path.dirname(lh.handwritten_app())))
    samples = os.environ.get("SAMPLES") or fail("environment variable SAMPLES is not set")
    rows = []
    ctx = agent_rows.Context(harness.dwtrace(), samples, True, CALLS, CALLS, rows,
                             os.path.join(build, "tests", "lttng"))
    agent_rows.LTTNG_REPEAT = 1  # the timings are not checked
    with lh.Lttng() as lt:
        lt.start_sessiond()
        check_reference(lt, ctx.bench_threads_tp)
        agent_rows.lttng_rows(ctx, lt)
    if len(rows) != 2:
        fail("lttng_rows made %d rows, expected 2: %r" % (len(rows), rows))
    for name, ns, events, expected, why in rows:
        if ns is None or why:
            fail("row %r: %s" % (name, why))
        if events != expected or expected != 2 * CALLS:
            fail("row %r: %s events recorded, expected %d" % (name, events, 2 * CALLS))
        print("%s: %.0f ns per call, %d events" % (name, ns, events))


if __name__ == "__main__":
    harness.main(test)
