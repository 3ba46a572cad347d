#!/usr/bin/env python3
"""16 threads in a tight loop while dwtrace attaches and detaches again and
again (FASTPATH.md test list), samples/stress_threads.c, for either engine.

1. Started: stress_threads -j 4 -n 2000 under dwtrace prints what it prints
   alone, and every call is an entry and an exit with st_step's arguments
   and result.
2. Attached: CYCLES times (default 6), dwtrace -p attaches to the 16
   spinning threads for --duration 0.05 s (with the agent engine that is
   ~150,000 calls with those made while the patches are taken out: their
   JSON takes Python seconds to check, so few cycles); each run exits 0 within a bound,
   its events are well-formed calls of st_step with the right results, and
   afterwards no thread is traced or stopped and the code of st_step is the
   file's again.  At the end the program's own check of every thread's sum
   says "ok" and it exits 0.

usage: test_fastpath_threads.py O0|O2 [CYCLES]
"""

import os
import sys
import time

import fastpath
import harness
import tracing
from harness import fail

THREADS = 16


def check_calls(events, where, nthreads):
    tracing.check_events(events, where, "st_step", "stress_threads")
    calls, open_entries = tracing.pair_calls(events, where)
    for entry, exit in calls:
        a = entry["args"]
        if set(a) != {"thread", "i"} or not 0 <= a["thread"] < nthreads or a["i"] < 0:
            fail("%s: arguments out of range: %s" % (where, entry))
        tracing.check_retval(entry, exit, (a["i"] % 1000) * (a["thread"] + 1) + 1, where)
    # An attached run may stop with one call per thread in flight.
    if len(open_entries) > nthreads:
        fail("%s: %d entries without exit (more than one per thread)" % (where, len(open_entries)))
    return calls


def started(app, opt):
    where = "stress_threads %s, started" % opt
    plain, traced, path = harness.check_unharmed([app, "-j", "4", "-n", "2000"],
                                                 ["-F", "json", "-e", "st_step"], timeout=120)
    events = harness.read_events(path)
    tracing.check_summary(traced.stderr, where, len(events))
    calls = check_calls(events, where, 4)
    if len(calls) != 4 * 2000:
        fail("%s: %d calls traced, the program made %d" % (where, len(calls), 4 * 2000))


def attached(app, opt, cycles):
    workdir = harness.tempdir()
    stop = os.path.join(workdir, "stop")
    code = fastpath.Code(app, ["st_step"])
    prog = tracing.Running([app, "-f", stop, "-t", "300"])
    try:
        tracing.wait_for(lambda: len(tracing.task_ids(prog.pid)) == THREADS + 1,
                         "16 threads of stress_threads", 10)
        total = 0
        for k in range(cycles):
            where = "stress_threads %s, attach cycle %d" % (opt, k)
            out = os.path.join(workdir, "events-%d.json" % k)
            t0 = time.monotonic()
            r = harness.run([harness.dwtrace(), "-F", "json", "-o", out, "-e", "st_step",
                             "-p", str(prog.pid), "--duration", "0.05"], timeout=30)
            if r.returncode != 0:
                fail("%s: dwtrace exited %s\n%s" % (where, r.returncode, harness.describe(r)))
            if time.monotonic() - t0 > 20:
                fail("%s: attaching for 0.05 s took %.1f s" % (where, time.monotonic() - t0))
            if prog.proc.poll() is not None:
                fail("%s: stress_threads is gone\n%s" % (where, prog.describe()))
            for tid in tracing.task_ids(prog.pid):
                if tracing.is_traced(prog.pid, tid) or tracing.is_stopped(prog.pid, tid):
                    fail("%s: thread %d still traced or stopped after dwtrace exited" % (where, tid))
            if code.patched(prog.pid):
                fail("%s: st_step's code differs from the file after dwtrace exited" % where)
            events = harness.read_events(out)
            tracing.check_summary(r.stderr, where, len(events))
            total += len(check_calls(events, where, THREADS))
            os.unlink(out)
        if total == 0:
            fail("stress_threads %s: no call traced in %d attach cycles" % (opt, cycles))
        with open(stop, "w"):
            pass
        status = prog.wait(30, "stress_threads %s" % opt)
        lines = prog.stdout.text().splitlines()
        if status != 0 or not lines or lines[-1] != "ok" or len(lines) != THREADS + 1:
            fail("stress_threads %s: the program's own check failed (status %s)\n%s"
                 % (opt, status, prog.describe()))
    finally:
        prog.kill()


def test(opt, cycles):
    app = harness.sample(opt, "stress_threads")
    started(app, opt)
    attached(app, opt, cycles)


if __name__ == "__main__":
    harness.main(test, harness.opt_level(sys.argv), int(sys.argv[2]) if len(sys.argv) > 2 else 6)
