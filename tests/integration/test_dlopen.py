#!/usr/bin/env python3
"""test_dlopen.py O0|O2: a probe on a library loaded later with dlopen().

dlopen_app loads libplugin.so (which it does not link), calls plugin_fn(1),
(2), (3), unloads it, loads it again and calls plugin_fn(4), (5), printing
each call and its result: the oracle.  The probe libplugin.so:plugin_fn is
pending at first: dwtrace must say so on stderr (exactly once), then trace all
five calls, across the dlclose() and the second dlopen(), with the arguments
and return values the program printed, in order, and nothing else; the
program's output must be the same as without dwtrace, and dwtrace must exit
with status 0 after the summary line.

Twice: dwtrace starting dlopen_app, and dwtrace attaching with -p to
dlopen_app --wait, which loads the library only when the test, after seeing
the pending line, writes a byte to its stdin.
"""

import os
import re
import subprocess
import sys
import time

import harness
import tracing
from harness import fail

MODULE = "libplugin.so"
PROBE = "libplugin.so:plugin_fn"
CALL_LINE = re.compile(r"^plugin_fn\(x=(-?\d+)\) = (-?\d+)$")
EXPECTED_OUTPUT = ("dlopen libplugin.so\n" + "plugin_fn(x=%d) = %d\n" * 3 +
                   "dlclose libplugin.so\ndlopen libplugin.so\n" + "plugin_fn(x=%d) = %d\n" * 2 +
                   "dlclose libplugin.so\n") % (1, 101, 2, 202, 3, 303, 4, 401, 5, 502)


def check_output(stdout, where):
    """The calls dlopen_app printed, as (x, result) pairs.  The output is
    fixed: plugin_fn counts its calls from 0 again after each load."""
    if stdout != EXPECTED_OUTPUT:
        fail("%s: dlopen_app printed\n%s\nexpected\n%s" % (where, stdout, EXPECTED_OUTPUT))
    return [tuple(int(g) for g in m.groups())
            for m in map(CALL_LINE.match, stdout.splitlines()) if m]


def check_trace(stderr, out, calls, pid, where):
    lines = [l for l in stderr.splitlines() if l.strip()]
    pending = tracing.pending_line(PROBE, MODULE)
    if lines.count(pending) != 1:
        fail("%s: dwtrace's stderr does not have the line %r exactly once:\n%s"
             % (where, pending, stderr))
    events = harness.read_events(out)
    tracing.check_summary(stderr, where, len(events), r"^dlopen_app exited with status 0$")
    tracing.check_events(events, where, "plugin_fn", MODULE)
    traced, unfinished = tracing.pair_calls(events, where)
    if unfinished or len(traced) != len(calls):
        fail("%s: %d complete and %d unfinished calls traced, expected the %d calls %s"
             % (where, len(traced), len(unfinished), len(calls), calls))
    for (entry, exit), (x, ret) in zip(traced, calls):
        if entry["pid"] != pid or entry["tid"] != pid:
            fail("%s: event of pid/tid %d/%d, expected dlopen_app's %d"
                 % (where, entry["pid"], entry["tid"], pid))
        if harness.compare({"x": x}, entry["args"]):
            fail("%s: plugin_fn%s traced, dlopen_app called plugin_fn(x=%d)"
                 % (where, entry["args"], x))
        tracing.check_retval(entry, exit, ret, where)


def check_started(opt, workdir):
    where = "dwtrace -e %s -- dlopen_app (%s)" % (PROBE, opt)
    app = harness.sample(opt, "dlopen_app")
    out = os.path.join(workdir, "started.json")
    calls = check_output(harness.run_ok([app]).stdout, where + ", without dwtrace")
    result = harness.run_dwtrace(["-F", "json", "-o", out, "-e", PROBE, "--", app])
    check_output(result.stdout, where)
    pids = {ev["pid"] for ev in harness.read_events(out)}
    if len(pids) != 1:
        fail("%s: events from pids %s, expected one\n%s"
             % (where, sorted(pids), harness.describe(result)))
    check_trace(result.stderr, out, calls, pids.pop(), where)


def check_attached(opt, workdir):
    where = "dwtrace -e %s -p PID of dlopen_app --wait (%s)" % (PROBE, opt)
    out = os.path.join(workdir, "attached.json")
    try:
        app = tracing.Running([harness.sample(opt, "dlopen_app"), "--wait"],
                              stdin=subprocess.PIPE)
        tracer = tracing.Running([harness.dwtrace(), "-F", "json", "-o", out, "-e", PROBE,
                                  "-p", str(app.pid)])
        tracer.stderr.wait_for("^%s$" % re.escape(tracing.pending_line(PROBE, MODULE)),
                               10, where)
        time.sleep(0.3)  # the pending line comes as the probes are set up
        app.proc.stdin.write("g")
        app.proc.stdin.close()
        app_status = app.wait(20, where)
        status = tracer.wait(10, where)
        if app_status != 0 or status != 0:
            fail("%s: dlopen_app exited with status %s and dwtrace with %s, expected 0\n%s\n%s"
                 % (where, app_status, status, app.describe(), tracer.describe()))
        calls = check_output(app.stdout.text(), where)
        check_trace(tracer.stderr.text(), out, calls, app.pid, where)
    finally:
        tracing.kill_all()


def test(opt):
    workdir = harness.tempdir()
    check_started(opt, workdir)
    check_attached(opt, workdir)


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
