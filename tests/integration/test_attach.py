#!/usr/bin/env python3
"""test_attach.py O0|O2: attach to a running program, detach, again and again.

spin_app runs four threads that call spin_step(acc, i) of libspin.so forever
(with pauses in read() and nanosleep()) and check every result themselves.
30 times, dwtrace -e spin_step -p PID attaches and is stopped:
  - 5 times by a signal 0 .. 0.04 s after it installed its handler for that
    signal, attached or not;
  - 15 times by a signal 0.05 .. 0.6 s after it attached (spin_app's
    TracerPid became dwtrace's pid);
  - 10 times by --duration 0.2;
the signals take turns: SIGINT, SIGTERM, SIGHUP.  Each time dwtrace must exit
with status 0 within 10 s, its last stderr line must be the summary saying it
detached from spin_app, and its events must be sane: all from spin_app's
threads, per thread entries and exits alternate (a call under way at attach
time has no entry, one under way at detach time no exit), arguments in range,
each retval (acc * 31 + i) % 1000003 for its entry's arguments.  Afterwards
every thread of spin_app runs on (state not t or T) with TracerPid 0.  Events
must come in at least half of the cycles, and in every cycle that traced for
0.45 s or more.  At the end spin_app, stopped with SIGUSR1, must find that all
its own results were right ("ok iterations=N").

Also: -p with a pid that cannot exist fails with one "dwtrace:" line.
"""

import os
import signal
import sys
import time

import harness
import tracing
from harness import fail

MODULE = "libspin.so"
MODULUS, I_LIMIT = 1000003, 1000000
NWORKERS = 4
CYCLES = 30
EARLY_DELAYS = [0, 0.01, 0.02, 0.03, 0.04]
ATTACHED_DELAYS = [0.05, 0.15, 0.3, 0.45, 0.6]
STOP_SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


def cycle_plan():
    """(kind, delay, signal) for each cycle: kind 'duration', 'early' or
    'attached'; signal None for 'duration'."""
    plan, early, attached = [], iter(EARLY_DELAYS), iter(ATTACHED_DELAYS * 3)
    for k in range(CYCLES):
        sig = STOP_SIGNALS[len([p for p in plan if p[2]]) % len(STOP_SIGNALS)]
        if k % 3 == 2:
            plan.append(("duration", 0.2, None))
        elif k % 6 == 0:
            plan.append(("early", next(early), sig))
        else:
            plan.append(("attached", next(attached), sig))
    return plan


def check_cycle_events(events, pid, tids, where):
    """The checks of one cycle's events; returns the number of entries."""
    tracing.check_events(events, where, "spin_step", MODULE)
    stray = {(ev["pid"], ev["tid"]) for ev in events
             if ev["pid"] != pid or ev["tid"] not in tids}
    if stray:
        fail("%s: events from pid/tid %s, not from spin_app's threads %d/%s"
             % (where, sorted(stray), pid, tids))
    calls, unfinished = tracing.pair_calls(events, where)
    for entry in [c[0] for c in calls] + unfinished:
        args = entry["args"]
        if (set(args) != {"acc", "i"} or not 0 <= args["acc"] < MODULUS
                or not 0 <= args["i"] < I_LIMIT):
            fail("%s: arguments out of range: %s" % (where, entry))
    for entry, exit in calls:
        args = entry["args"]
        tracing.check_retval(entry, exit, (args["acc"] * 31 + args["i"]) % MODULUS, where)
    entries = len(calls) + len(unfinished)
    if not entries - NWORKERS <= len(calls) <= entries:
        fail("%s: %d entries but %d exits" % (where, entries, len(calls)))
    return entries


def check_target_unharmed(app, where):
    if app.proc.poll() is not None:
        fail("%s: spin_app is gone, exit status %s\n%s" % (where, app.proc.poll(), app.describe()))
    for tid in tracing.task_ids(app.pid):
        state, tracer = tracing.task_state(app.pid, tid), tracing.tracer_pid(app.pid, tid)
        if state in ("t", "T") or tracer not in (0, None):
            fail("%s: after dwtrace exited, spin_app's thread %d is in state %s with "
                 "TracerPid %s" % (where, tid, state, tracer))


def run_cycle(k, kind, delay, sig, app, workdir, opt):
    out = os.path.join(workdir, "cycle-%d.json" % k)
    args = ["-F", "json", "-o", out, "-e", "spin_step", "-p", str(app.pid)]
    if kind == "duration":
        args += ["--duration", str(delay)]
        where = "cycle %d (%s, --duration %g)" % (k, opt, delay)
    else:
        where = "cycle %d (%s, %s %g s after %s)" % (
            k, opt, sig.name, delay,
            "attaching" if kind == "attached" else "dwtrace installed its handler")
    tracer = tracing.Running([harness.dwtrace()] + args)
    if kind != "duration":
        if kind == "attached":
            # Attached: spin_app's tracer (the ptrace engine, and the agent
            # engine while it sets up), or events already written (the agent
            # engine has detached by then).
            ready = lambda: (tracing.tracer_pid(app.pid, app.pid) == tracer.pid
                             or (os.path.exists(out) and os.path.getsize(out) > 0))
        else:
            ready = lambda: tracing.catches(tracer.pid, sig)
        if not tracing.wait_until(ready, 10):
            tracer.kill()
            fail("%s: dwtrace did not get there within 10 s\n%s" % (where, tracer.describe()))
        time.sleep(delay)
        tracing.send(tracer.pid, sig)
    status = tracer.wait(10, where)
    stderr = tracer.stderr.text()
    if status != 0:
        fail("%s: dwtrace exited with status %s, expected 0\n%s"
             % (where, status, tracer.describe()))
    check_target_unharmed(app, where)
    if any(not l.startswith("dwtrace:") for l in stderr.splitlines() if l.strip()):
        fail("%s: stray output on dwtrace's stderr:\n%s" % (where, stderr))
    events = harness.read_events(out)
    tail = None if kind == "early" else r"^detached from spin_app \(pid %d\)" % app.pid
    tracing.check_summary(stderr, where, len(events), tail)
    entries = check_cycle_events(events, app.pid, tracing.task_ids(app.pid), where)
    os.unlink(out)
    if entries == 0 and kind == "attached" and delay >= 0.45:
        fail("%s: no events although dwtrace traced spin_app for %g s" % (where, delay))
    return entries


def check_no_such_pid():
    with open("/proc/sys/kernel/pid_max") as f:
        pid = int(f.read())  # pids are below pid_max
    result = harness.run_dwtrace(["-e", "spin_step", "-p", str(pid)], expect_status=None)
    lines = harness.stderr_lines(result)
    if (result.returncode <= 0 or len(lines) != 1 or not lines[0].startswith("dwtrace:")
            or str(pid) not in lines[0] or result.stdout):
        fail("-p %d (no such process): expected a non-zero exit status and one stderr line "
             "'dwtrace: ...' naming the pid\n%s" % (pid, harness.describe(result)))


def test(opt):
    workdir = harness.tempdir()
    check_no_such_pid()
    app = tracing.Running([harness.sample(opt, "spin_app"), "100"])
    try:
        app.stdout.wait_for(r"^ready$", 10, "spin_app")
        with_events = 0
        for k, (kind, delay, sig) in enumerate(cycle_plan()):
            with_events += run_cycle(k, kind, delay, sig, app, workdir, opt) > 0
        if with_events < CYCLES / 2:
            fail("events in only %d of %d cycles (%s)" % (with_events, CYCLES, opt))
        tracing.send(app.pid, signal.SIGUSR1)
        status = app.wait(10, "spin_app after SIGUSR1")
        app.stdout.text()
        if status != 0 or not any(l.startswith("ok iterations=") for l in app.stdout.lines):
            fail("spin_app found itself harmed (%s)\n%s" % (opt, app.describe()))
    finally:
        tracing.kill_all()


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
