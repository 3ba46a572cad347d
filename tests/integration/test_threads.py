#!/usr/bin/env python3
"""test_threads.py O0|O2: no call is missed when several threads hit one probe.

threads_app 4 5000 has 4 threads call th_work(thread, i) of libthreads.so for
i = 0 .. 4999 each, concurrently: 20000 calls.  Under dwtrace there must be
exactly 20000 entry and 20000 exit events; per thread, entries and exits
alternate; every (thread, i) appears once; every retval is
thread * 1000003 + i * 3 for the arguments of its entry; each thread index
runs on one tid of its own; and the checksum the program prints is the one
computed here, so the program itself saw the right results.
"""

import collections
import os
import re
import sys

import harness
import tracing
from harness import fail

NTHREADS, CALLS = 4, 5000
MODULE = "libthreads.so"


def th_work(thread, i):
    return thread * 1000003 + i * 3


def check_app_output(result, where):
    m = re.fullmatch(r"calls=(\d+) checksum=(\d+)\n", result.stdout)
    if not m:
        fail("%s: threads_app did not print 'calls=N checksum=M'\n%s"
             % (where, harness.describe(result)))
    checksum = sum(th_work(t, i) for t in range(NTHREADS) for i in range(CALLS)) % 2**64
    if (int(m.group(1)), int(m.group(2))) != (NTHREADS * CALLS, checksum):
        fail("%s: threads_app printed %r, expected calls=%d checksum=%d"
             % (where, result.stdout.strip(), NTHREADS * CALLS, checksum))


def test(opt):
    app = harness.sample(opt, "threads_app")
    out = os.path.join(harness.tempdir(), "events.json")
    where = "th_work (%s)" % opt
    result = harness.run_dwtrace(["-F", "json", "-o", out, "-e", "th_work", "--",
                                  app, str(NTHREADS), str(CALLS)])
    check_app_output(result, where)
    events = harness.read_events(out)
    tracing.check_events(events, where, "th_work", MODULE)
    tracing.check_summary(result.stderr, where, len(events), r"^threads_app exited with status 0$")

    pids = {ev["pid"] for ev in events}
    if len(pids) != 1 or result.pid in pids:
        fail("%s: events from pids %s, expected threads_app's only" % (where, sorted(pids)))
    kinds = collections.Counter(ev["type"] for ev in events)
    if kinds["entry"] != NTHREADS * CALLS or kinds["exit"] != NTHREADS * CALLS:
        fail("%s: %d entry and %d exit events, expected %d of each"
             % (where, kinds["entry"], kinds["exit"], NTHREADS * CALLS))

    calls, unfinished = tracing.pair_calls(events, where)
    if unfinished:
        fail("%s: %d entries without exit, e.g. %s" % (where, len(unfinished), unfinished[0]))
    seen = collections.Counter()
    thread_of_tid = {}
    for entry, exit in calls:
        args = entry["args"]
        if set(args) != {"thread", "i"}:
            fail("%s: arguments %s, expected thread and i" % (where, args))
        thread, i = args["thread"], args["i"]
        tracing.check_retval(entry, exit, th_work(thread, i), where)
        seen[(thread, i)] += 1
        if thread_of_tid.setdefault(entry["tid"], thread) != thread:
            fail("%s: tid %d calls th_work for threads %d and %d"
                 % (where, entry["tid"], thread_of_tid[entry["tid"]], thread))
    expected = collections.Counter((t, i) for t in range(NTHREADS) for i in range(CALLS))
    if seen != expected:
        missing = sorted((expected - seen).elements())[:10]
        extra = sorted((seen - expected).elements())[:10]
        fail("%s: the calls seen differ from the calls made: missing (thread, i) %s, "
             "unexpected or repeated %s" % (where, missing, extra))
    if len(thread_of_tid) != NTHREADS:
        fail("%s: th_work called on %d tids, expected %d"
             % (where, len(thread_of_tid), NTHREADS))
    for tid in thread_of_tid:
        mine = [ev["ts_ns"] for ev in events if ev["tid"] == tid]
        if mine != sorted(mine):
            fail("%s: ts_ns goes backwards on tid %d" % (where, tid))


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
