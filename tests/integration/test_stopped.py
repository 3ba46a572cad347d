#!/usr/bin/env python3
"""test_stopped.py O0|O2: dwtrace -p on a process stopped by SIGSTOP.

spin_app (see samples/spin_app.c) is stopped with SIGSTOP, and then:
  1. dwtrace -e spin_step -p PID --duration 1 must exit 0 within 2.5 s (it
     hung for ever in detach), leaving every thread of spin_app stopped
     (state T, TracerPid 0) and staying so; after SIGCONT and SIGUSR1
     spin_app's output and exit status are those of a run that went through
     the same SIGSTOP/SIGCONT without dwtrace ("ok iterations=N", N apart).
  2. dwtrace attaches while spin_app is stopped; SIGCONT; 1 s later SIGINT
     stops dwtrace: there are events of spin_step with right return values
     from spin_app's worker threads, and spin_app runs on unharmed.
  3. dwtrace attaches to a running spin_app, which is then stopped with
     SIGSTOP; SIGTERM makes dwtrace detach within 2.5 s, and spin_app stays
     stopped (T) until SIGCONT, then finishes unharmed.
"""

import os
import re
import signal
import sys
import time

import harness
import tracing
from harness import fail

MODULE = "libspin.so"
MODULUS = 1000003


def start_app(opt, where):
    app = tracing.Running([harness.sample(opt, "spin_app"), "100"])
    app.stdout.wait_for(r"^ready$", 10, where)
    return app


def stop(app, where):
    tracing.send(app.pid, signal.SIGSTOP)
    if not tracing.wait_until(lambda: set(tracing.states(app.pid).values()) == {"T"}, 10):
        fail("%s: spin_app did not stop: %s" % (where, tracing.states(app.pid)))


def check_still_stopped(app, where, seconds=0.3):
    deadline = time.monotonic() + seconds
    while True:
        states = tracing.states(app.pid)
        tracers = {tracing.tracer_pid(app.pid, t) for t in states}
        if set(states.values()) != {"T"} or tracers != {0}:
            fail("%s: after dwtrace exited, spin_app's threads are in states %s with "
                 "TracerPids %s; expected all stopped (T) and untraced" % (where, states, tracers))
        if time.monotonic() > deadline:
            return
        time.sleep(0.02)


def finish(app, where):
    """SIGUSR1 ends spin_app; returns (exit status, stdout with N normalized)."""
    tracing.send(app.pid, signal.SIGUSR1)
    status = app.wait(10, where)
    out = re.sub(r"iterations=\d+", "iterations=N", app.stdout.text())
    return status, out


def untraced_reference(opt):
    where = "spin_app without dwtrace"
    app = start_app(opt, where)
    stop(app, where)
    time.sleep(0.2)
    tracing.send(app.pid, signal.SIGCONT)
    time.sleep(0.2)
    ref = finish(app, where)
    if ref != (0, "ready\nok iterations=N\n"):
        fail("%s: unexpected status/output %s\n%s" % (where, ref, app.describe()))
    return ref


def check_same(ref, got, app, where):
    if got != ref:
        fail("%s: spin_app's exit status and output %r differ from the untraced run's %r\n%s"
             % (where, got, ref, app.describe()))


def check_dwtrace_ended(tracer, status, app, where):
    stderr = tracer.stderr.text()
    if status != 0:
        fail("%s: dwtrace exited with status %s, expected 0\n%s" % (where, status, tracer.describe()))
    tracing.check_summary(stderr, where, tail=r"^detached from spin_app \(pid %d\)" % app.pid)


def detach_while_stopped(opt, workdir, ref):
    where = "stopped spin_app, --duration 1 (%s)" % opt
    app = start_app(opt, where)
    stop(app, where)
    out = os.path.join(workdir, "duration.json")
    start = time.monotonic()
    tracer = tracing.Running([harness.dwtrace(), "-F", "json", "-o", out, "-e", "spin_step",
                              "-p", str(app.pid), "--duration", "1"])
    status = tracer.wait(10, where)
    elapsed = time.monotonic() - start
    if elapsed > 2.5:
        fail("%s: dwtrace took %.2f s to finish, expected about 1 s" % (where, elapsed))
    check_dwtrace_ended(tracer, status, app, where)
    if harness.read_events(out):
        fail("%s: events from a process that never ran:\n%s" % (where, harness.read_text(out)[:2000]))
    check_still_stopped(app, where)
    tracing.send(app.pid, signal.SIGCONT)
    time.sleep(0.2)
    check_same(ref, finish(app, where), app, where)


def continue_while_traced(opt, workdir, ref):
    where = "attached while stopped, then SIGCONT (%s)" % opt
    app = start_app(opt, where)
    stop(app, where)
    out = os.path.join(workdir, "continued.json")
    tracer = tracing.Running([harness.dwtrace(), "-F", "json", "-o", out, "-e", "spin_step",
                              "-p", str(app.pid)])
    if not tracing.wait_until(lambda: tracing.tracer_pid(app.pid, app.pid) == tracer.pid, 10):
        fail("%s: dwtrace did not attach within 10 s\n%s" % (where, tracer.describe()))
    time.sleep(0.5)
    tids = [t for t in tracing.task_ids(app.pid) if t != app.pid]
    tracing.send(app.pid, signal.SIGCONT)
    time.sleep(1)
    tracing.send(tracer.pid, signal.SIGINT)
    status = tracer.wait(10, where)
    check_dwtrace_ended(tracer, status, app, where)
    events = harness.read_events(out)
    tracing.check_events(events, where, "spin_step", MODULE)
    calls, _ = tracing.pair_calls(events, where)
    if not calls:
        fail("%s: no call of spin_step traced in the second after SIGCONT" % where)
    if {ev["tid"] for ev in events} - set(tids):
        fail("%s: events from tids %s, spin_app's workers are %s"
             % (where, sorted({ev["tid"] for ev in events}), tids))
    for entry, exit in calls:
        args = entry["args"]
        tracing.check_retval(entry, exit, (args["acc"] * 31 + args["i"]) % MODULUS, where)
    states = tracing.states(app.pid)
    if "t" in states.values() or "T" in states.values():
        fail("%s: spin_app's threads are in states %s after dwtrace detached" % (where, states))
    check_same(ref, finish(app, where), app, where)


def stopped_during_trace(opt, workdir, ref):
    where = "stopped while traced, dwtrace ended by SIGTERM (%s)" % opt
    app = start_app(opt, where)
    out = os.path.join(workdir, "stopped-later.json")
    tracer = tracing.Running([harness.dwtrace(), "-F", "json", "-o", out, "-e", "spin_step",
                              "-p", str(app.pid)])
    if not tracing.wait_until(lambda: tracing.tracer_pid(app.pid, app.pid) == tracer.pid, 10):
        fail("%s: dwtrace did not attach within 10 s\n%s" % (where, tracer.describe()))
    time.sleep(0.3)
    tracing.send(app.pid, signal.SIGSTOP)
    # Under ptrace a stopped thread shows t or T.
    if not tracing.wait_until(lambda: set(tracing.states(app.pid).values()) <= {"t", "T"}, 10):
        fail("%s: spin_app did not stop: %s" % (where, tracing.states(app.pid)))
    time.sleep(0.2)
    start = time.monotonic()
    tracing.send(tracer.pid, signal.SIGTERM)
    status = tracer.wait(10, where)
    if time.monotonic() - start > 2.5:
        fail("%s: dwtrace took %.2f s to detach" % (where, time.monotonic() - start))
    check_dwtrace_ended(tracer, status, app, where)
    check_still_stopped(app, where)
    tracing.send(app.pid, signal.SIGCONT)
    time.sleep(0.2)
    check_same(ref, finish(app, where), app, where)


def test(opt):
    workdir = harness.tempdir()
    try:
        ref = untraced_reference(opt)
        detach_while_stopped(opt, workdir, ref)
        continue_while_traced(opt, workdir, ref)
        stopped_during_trace(opt, workdir, ref)
    finally:
        tracing.kill_all()


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
