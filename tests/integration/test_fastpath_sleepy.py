#!/usr/bin/env python3
"""Injection while threads sit in nanosleep, read(), a futex wait and a
malloc/free storm (FASTPATH.md test list), samples/sleepy.c, either engine.

1. Started: sleepy -t 1 under dwtrace prints what it prints alone (each
   thread checks its own work) and sl_tick's events carry its results.
2. Attached: CYCLES times (default 10) dwtrace -p with --duration 0.3 must
   finish within a bound (no hang in a blocked thread or in malloc), leave
   no thread traced or stopped and the code as in the file; then sleepy,
   told to stop by a file, prints the same lines as an untraced run.

usage: test_fastpath_sleepy.py O0|O2 [CYCLES]
"""

import os
import sys
import time

import fastpath
import harness
import tracing
from harness import fail

EXPECTED = "nanosleep ok\nread ok\nfutex ok\nmalloc storm ok\nchecksum OK\n"


def check_calls(events, where):
    tracing.check_events(events, where, "sl_tick", "sleepy")
    calls, open_entries = tracing.pair_calls(events, where)
    for entry, exit in calls:
        a = entry["args"]
        tracing.check_retval(entry, exit, a["kind"] * 1000003 + a["i"], where)
    if len(open_entries) > 5:
        fail("%s: %d entries without exit (5 threads)" % (where, len(open_entries)))
    return calls


def test(opt, cycles):
    app = harness.sample(opt, "sleepy")
    where = "sleepy %s, started" % opt
    plain, traced, path = harness.check_unharmed([app, "-t", "1"], ["-F", "json", "-e", "sl_tick"])
    if plain.stdout != EXPECTED or plain.returncode != 0:
        fail("%s: the untraced program's own check failed\n%s" % (where, harness.describe(plain)))
    events = harness.read_events(path)
    tracing.check_summary(traced.stderr, where, len(events))
    kinds = {entry["args"]["kind"] for entry, _ in check_calls(events, where)}
    if kinds != {0, 1, 2, 3, 4}:
        fail("%s: calls from the kinds %s only, expected all five threads" % (where, sorted(kinds)))

    workdir = harness.tempdir()
    stop = os.path.join(workdir, "stop")
    code = fastpath.Code(app, ["sl_tick"])
    prog = tracing.Running([app, "-f", stop, "-t", "300"])
    try:
        tracing.wait_for(lambda: len(tracing.task_ids(prog.pid)) == 6, "6 threads of sleepy", 10)
        for k in range(cycles):
            where = "sleepy %s, attach cycle %d" % (opt, k)
            out = os.path.join(workdir, "events-%d.json" % k)
            t0 = time.monotonic()
            r = harness.run([harness.dwtrace(), "-F", "json", "-o", out, "-e", "sl_tick",
                             "-p", str(prog.pid), "--duration", "0.3"], timeout=30)
            if r.returncode != 0:
                fail("%s: dwtrace exited %s\n%s" % (where, r.returncode, harness.describe(r)))
            if time.monotonic() - t0 > 20:
                fail("%s: attaching for 0.3 s took %.1f s" % (where, time.monotonic() - t0))
            if prog.proc.poll() is not None:
                fail("%s: sleepy is gone\n%s" % (where, prog.describe()))
            for tid in tracing.task_ids(prog.pid):
                if tracing.is_traced(prog.pid, tid) or tracing.is_stopped(prog.pid, tid):
                    fail("%s: thread %d still traced or stopped after dwtrace exited" % (where, tid))
            if code.patched(prog.pid):
                fail("%s: sl_tick's code differs from the file after dwtrace exited" % where)
            events = harness.read_events(out)
            tracing.check_summary(r.stderr, where, len(events))
            check_calls(events, where)
            os.unlink(out)
        with open(stop, "w"):
            pass
        status = prog.wait(30, "sleepy %s" % opt)
        if status != 0 or prog.stdout.text() != EXPECTED:
            fail("sleepy %s: after %d attach cycles the program's output or status differs from "
                 "an untraced run\n%s" % (opt, cycles, prog.describe()))
    finally:
        prog.kill()


if __name__ == "__main__":
    harness.main(test, harness.opt_level(sys.argv), int(sys.argv[2]) if len(sys.argv) > 2 else 10)
