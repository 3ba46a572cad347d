#!/usr/bin/env python3
"""test_signals.py O0|O2: signals reach the traced program exactly as
without dwtrace.

signals_app -s counts the signals it handles: 5 SIGALRM from one-shot timers,
3 SIGCHLD from children, 3 SIGUSR1 sent to itself, 3 raise(SIGTRAP), 3
SIGSEGV recovered with siglongjmp(), and 1 SIGCONT after the test stops it
with SIGSTOP (when it prints "stop-me PID"); it calls sig_work(i) in between
and from its SIGALRM handler, and prints its counts last:
"alrm=5 chld=3 usr1=3 trap=3 segv=3 cont=1 work=N".

Alone and under dwtrace -e sig_work, the program must stop on SIGSTOP (every
thread in state T, or t under a tracer, for 0.3 s), print the same counts
(the expected ones), and exit 0.  Under dwtrace, there must be exactly N entry
and N exit events of sig_work, all from signals_app itself (children are not
followed without -f), each exit matched with its entry innermost first (a
handler's call can nest in another call) and returning i * 7 + 3.
"""

import os
import re
import signal
import sys

import harness
import tracing
from harness import fail

MODULE = "libsignals.so"
COUNTS = re.compile(r"^alrm=(\d+) chld=(\d+) usr1=(\d+) trap=(\d+) segv=(\d+) cont=(\d+) "
                    r"work=(\d+)$")
EXPECTED = {"alrm": 5, "chld": 3, "usr1": 3, "trap": 3, "segv": 3, "cont": 1}


def run_stopped_once(cmd, where):
    """Runs cmd (signals_app, or dwtrace starting it), stops and continues
    signals_app when it asks, and returns (Running, signals_app's pid, its
    counts as a dict)."""
    run = tracing.Running(cmd)
    pid = int(run.stdout.wait_for(r"^stop-me (\d+)$", 60, where).group(1))
    tracer = tracing.tracer_pid(pid, pid)
    # Started by dwtrace: traced by it (ptrace engine), or running free with
    # dwtrace's agent in it (agent engine).
    if (pid, tracer) != (run.pid, 0) and tracer != run.pid and not tracing.has_agent(pid):
        fail("%s: signals_app (pid %d) has TracerPid %s, started as pid %d"
             % (where, pid, tracer, run.pid))
    tracing.kill_later(pid, "signals_app")
    tracing.send(pid, signal.SIGSTOP)
    tracing.check_stays_stopped(pid, where)
    tracing.send(pid, signal.SIGCONT)
    status = run.wait(60, where)
    lines = run.stdout.text().splitlines()
    m = COUNTS.match(lines[-1]) if lines else None
    if status != 0 or not m:
        fail("%s: expected exit status 0 and the counts last\n%s" % (where, run.describe()))
    counts = dict(zip(["alrm", "chld", "usr1", "trap", "segv", "cont", "work"],
                      map(int, m.groups())))
    return run, pid, counts


def test(opt):
    app = harness.sample(opt, "signals_app")
    out = os.path.join(harness.tempdir(), "events.json")
    where = "signals_app (%s)" % opt
    try:
        _, _, alone = run_stopped_once([app, "-s"], where + " without dwtrace")
        if {k: alone[k] for k in EXPECTED} != EXPECTED:
            fail("%s: counts %s without dwtrace, expected %s" % (where, alone, EXPECTED))
        where_traced = where + " under dwtrace -e sig_work"
        tracer, pid, traced = run_stopped_once(
            [harness.dwtrace(), "-F", "json", "-o", out, "-e", "sig_work", "--", app, "-s"],
            where_traced)
    finally:
        tracing.kill_all()
    if traced != alone:
        fail("%s: counts %s, without dwtrace %s" % (where_traced, traced, alone))

    events = harness.read_events(out)
    tracing.check_summary(tracer.stderr.text(), where_traced, len(events),
                          r"^signals_app exited with status 0$")
    tracing.check_events(events, where_traced, "sig_work", MODULE)
    others = {ev["pid"] for ev in events} - {pid}
    if others:
        fail("%s: events from pids %s besides signals_app's %d (children are not followed "
             "without -f)" % (where_traced, sorted(others), pid))
    calls, unfinished = tracing.pair_calls(events, where_traced, nested=True)
    if unfinished or len(calls) != traced["work"]:
        fail("%s: %d complete and %d unfinished calls of sig_work traced, signals_app made %d"
             % (where_traced, len(calls), len(unfinished), traced["work"]))
    for entry, exit in calls:
        if set(entry["args"]) != {"i"}:
            fail("%s: arguments %s, expected i" % (where_traced, entry["args"]))
        tracing.check_retval(entry, exit, entry["args"]["i"] * 7 + 3, where_traced)


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
