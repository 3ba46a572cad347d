#!/usr/bin/env python3
"""test_fatal_signal.py O0|O2: dwtrace's own death never harms the program.

A fatal signal of dwtrace's (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT)
must take every probe out of the traced process, bring its threads back
from the scratch area, detach, print one line and let dwtrace die of that
very signal.  Each signal is sent with kill(2) to a dwtrace that traces
  - a started sample_app (20000 calls): the program, orphaned, is reaped by
    this test (a child subreaper) and must have printed what it prints
    untraced and exited 0;
  - spin_app attached with -p: afterwards no thread of it is traced or
    stopped, and at the end spin_app finds all its own results right.
dwtrace also really faults, at an entry event while the thread that hit the
probe is stopped at the trap (DWTRACE_TEST_CRASH_AFTER, test-only), by a
write to an inaccessible page and by a stack overflow: the same checks, started.
"""

import ctypes
import os
import re
import signal
import subprocess
import sys

import harness
import tracing
from harness import fail

N = 20000
SIGNALS = [signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL, signal.SIGABRT]
# The ptrace engine restores the code; the agent engine left ptrace after
# setting up, and its probes pass through once the agent sees dwtrace gone.
LINE = re.compile(r"^dwtrace: SIG[A-Z]+ \(.*\) in dwtrace itself; (?:restored and )?detached from (\S+) "
                  r"\(pid (\d+)\), which runs on(?: with the agent's probes passing through)?; "
                  r"please report this bug$")
PR_SET_CHILD_SUBREAPER = 36


def events_seen(path, n):
    try:
        # Bytes: dwtrace may be in the middle of writing a UTF-8 "→".
        with open(path, "rb") as f:
            return f.read().count(b"my_traced_function(") >= n
    except OSError:
        return False


def check_death(proc, err, sig, name, where):
    """dwtrace died of sig after its one line; returns the pid it names."""
    if proc.returncode != -sig:
        fail("%s: dwtrace's status is %s, expected death by signal %d\nstderr:\n%s"
             % (where, proc.returncode, sig, err))
    lines = harness.without_engine_note(err)
    m = LINE.match(lines[-1]) if lines else None
    if len(lines) != 1 or not m or m.group(1) != name:
        fail("%s: expected one line 'dwtrace: SIG... detached from %s ...', got:\n%s" % (where, name, err))
    return int(m.group(2))


def started(app, plain, sig, env, where):
    d = harness.tempdir()
    events, out = os.path.join(d, "events"), os.path.join(d, "out")
    with open(out, "w") as f:
        proc = subprocess.Popen([harness.dwtrace(), "-o", events, "-e", "my_traced_function", "--", app,
                                 str(N)], stdout=f, stderr=subprocess.PIPE, text=True, env=env)
    if sig is not None:
        if not tracing.wait_until(lambda: events_seen(events, 100) or proc.poll() is not None, 30):
            proc.kill()
            fail("%s: no events within 30 s" % where)
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    pid = check_death(proc, err, sig if sig is not None else signal.SIGSEGV, "sample_app", where)
    # Orphaned, the program is ours to reap (we are its subreaper).
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        fail("%s: sample_app's exit status is %d, 0 untraced" % (where, os.waitstatus_to_exitcode(status)))
    got = harness.read_text(out)
    if got != plain:
        fail("%s: the program's output differs from its untraced run (%d lines, %d expected)"
             % (where, got.count("\n"), plain.count("\n")))


def attached(spin, sig, where):
    events = os.path.join(harness.tempdir(), "events")
    proc = subprocess.Popen([harness.dwtrace(), "-o", events, "-e", "spin_step", "-p", str(spin.pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def traced():
        try:
            with open(events, "rb") as f:
                return f.read().count(b"spin_step(") >= 20
        except OSError:
            return False
    if not tracing.wait_until(lambda: traced() or proc.poll() is not None, 30):
        proc.kill()
        fail("%s: no events within 30 s" % where)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    check_death(proc, err, sig, "spin_app", where)
    if spin.proc.poll() is not None or not tracing.task_ids(spin.pid):
        fail("%s: spin_app is gone\n%s" % (where, spin.describe()))
    for tid in tracing.task_ids(spin.pid):
        if tracing.is_traced(spin.pid, tid):
            tp = tracing.tracer_pid(spin.pid, tid)
            fail("%s: thread %d of spin_app is still traced by %s (%s; dwtrace was %d)"
                 % (where, tid, tp, tracing._proc(tp, tp, "comm"), proc.pid))
        if tracing.task_state(spin.pid, tid) in ("t", "T"):
            fail("%s: thread %d of spin_app is stopped" % (where, tid))


def test(opt):
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        fail("prctl(PR_SET_CHILD_SUBREAPER): %s" % os.strerror(ctypes.get_errno()))
    app = harness.sample(opt, "sample_app")
    plain = harness.run_ok([app, str(N)]).stdout
    env = dict(os.environ)
    try:
        for sig in SIGNALS:
            started(app, plain, sig, env, "started, %s" % signal.Signals(sig).name)
        spin = tracing.Running([harness.sample(opt, "spin_app"), "300"])
        spin.stdout.wait_for("^ready$", 30, "spin_app")
        for sig in SIGNALS:
            attached(spin, sig, "attached, %s" % signal.Signals(sig).name)
        os.kill(spin.pid, signal.SIGUSR1)
        status = spin.wait(30, "spin_app")
        spin.stdout.wait_for("^ok iterations=", 5, "spin_app")
        if status != 0:
            fail("spin_app exited with %d\n%s" % (status, spin.describe()))
        for kind in ("null", "overflow"):
            crash_env = dict(env, DWTRACE_TEST_CRASH_AFTER="300", DWTRACE_TEST_CRASH_KIND=kind)
            started(app, plain, None, crash_env, "a real fault (%s) mid-event" % kind)
    finally:
        tracing.kill_all()


if __name__ == "__main__":
    harness.main(test, harness.opt_level(sys.argv))
