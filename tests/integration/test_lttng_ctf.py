#!/usr/bin/env python3
"""test_lttng_ctf.py O0|O2: dwtrace --ctf DIR, and --lttng without a session
daemon.

1. No session daemon runs: dwtrace --lttng -e my_traced_function -- sample_app 5
   prints a warning line on stderr saying nothing is recorded, runs the
   program to completion (its 5 lines on stdout) and exits with status 0;
   with sample_app -x (a usage error: status 2, as sample_app alone shows)
   dwtrace exits with status 2.  dwtrace does not start a session daemon
   for --lttng.
2. Still none runs: dwtrace --ctf DIR -- sample_app 100 starts one itself,
   records, destroys its session and prints
   "dwtrace: CTF trace in DIR (babeltrace2 DIR)"; babeltrace2 DIR shows the
   100 calls with the values sample_app printed; the daemon it started is
   gone when dwtrace has exited (test_lttng_ctf_own.py tests that closer).
3. A session daemon the test started runs, with a session "user" of its
   own: dwtrace --ctf DIR2 uses that daemon (no other one starts), leaves
   the "user" session alone and leaves no session of its own behind.
4. The same daemon, with -p: dwtrace --ctf DIR3 -e spin_step -p PID
   --duration 0.2 on spin_app (the agent engine records millions of calls a
   second, which babeltrace2 then reads): the events are spin_app's threads' calls,
   every return value (acc * 31 + i) % 1000003 for its entry's arguments,
   and spin_app finds all its own results right afterwards.
"""

import os
import signal
import sys

import harness
import lttng_harness as lh
import tracing
from harness import fail

FUNCTION = "my_traced_function"
MODULUS = 1000003


def ctf_line(result, directory, where):
    line = "dwtrace: CTF trace in %s (babeltrace2 %s)" % (directory, directory)
    if line not in result.stderr.splitlines():
        fail("%s: dwtrace's stderr lacks the line\n  %s\n%s"
             % (where, line, harness.describe(result)))


def no_sessiond(lt, opt):
    where = "--lttng without a session daemon (%s)" % opt
    app = harness.sample(opt, "sample_app")
    if lt.running_sessiond() is not None:
        fail("%s: a session daemon runs already" % where)
    result = lt.dwtrace(["--lttng", "-e", FUNCTION, "--", app, "5"])
    lh.sample_returns(result, 5, where)
    warnings = lh.no_sessiond_warnings(result.stderr)
    if len(warnings) != 1:
        fail("%s: expected one warning line on stderr saying that nothing is recorded "
             "(matching %r), got %d\n%s" % (where, lh.NO_SESSIOND_WARNING.pattern,
                                            len(warnings), harness.describe(result)))
    if lt.running_sessiond() is not None:
        lt.adopt_sessiond()
        fail("%s: dwtrace --lttng started a session daemon" % where)

    alone = lt.run([app, "-x"])
    if alone.returncode != 2:
        fail("%s: sample_app -x exits with status %s, the test expects 2\n%s"
             % (where, alone.returncode, harness.describe(alone)))
    lt.dwtrace(["--lttng", "-e", FUNCTION, "--", app, "-x"], expect_status=alone.returncode)


def ctf_own_sessiond(lt, opt):
    where = "--ctf without a session daemon (%s)" % opt
    directory = lt.path("ctf-own")
    result = lt.dwtrace(["--ctf", directory, "-e", FUNCTION, "--",
                         harness.sample(opt, "sample_app"), "100"])
    pid = lt.adopt_sessiond()
    returns = lh.sample_returns(result, 100, where)
    ctf_line(result, directory, where)
    lh.check_sample_events(lt.events(directory), returns, result.pid, where)
    if pid is not None:
        fail("%s: the session daemon dwtrace started still runs after it (pid %d); "
             "dwtrace(1): it stops the daemon it started" % (where, pid))


def ctf_bad_filter(lt, opt):
    """A --filter error after --ctf made its session: exit 2 with the one
    error line -- no "CTF trace in DIR" note, as nothing was traced -- and
    the program never ran (it prints at start), no daemon left running."""
    where = "--ctf with a bad --filter (%s)" % opt
    directory = lt.path("ctf-bad-filter")
    result = lt.dwtrace(["--ctf", directory, "--filter", "i ==", "-e", FUNCTION, "--",
                         harness.sample(opt, "sample_app"), "3"], expect_status=2)
    lines = harness.stderr_lines(result)
    if len(lines) != 1 or "--filter" not in lines[0] or result.stdout:
        fail("%s: expected one error line about --filter and no output of the program\n%s"
             % (where, harness.describe(result)))
    if lt.running_sessiond() is not None:
        lt.adopt_sessiond()
        fail("%s: a session daemon runs on after dwtrace gave up" % where)


def ctf_test_sessiond(lt, opt):
    where = "--ctf with a session daemon running (%s)" % opt
    pid = lt.start_sessiond()
    lt.create_session("user", events=["dwtrace:*"])
    directory = lt.path("ctf-running")
    result = lt.dwtrace(["--ctf", directory, "-e", FUNCTION, "--",
                         harness.sample(opt, "sample_app"), "100"])
    returns = lh.sample_returns(result, 100, where)
    ctf_line(result, directory, where)
    lh.check_sample_events(lt.events(directory), returns, result.pid, where)
    if lt.running_sessiond() != pid:
        fail("%s: the session daemon is now pid %s, not the test's (%d)"
             % (where, lt.running_sessiond(), pid))
    left = lt.session_names()
    if left != ["user"]:
        fail("%s: sessions after dwtrace: %s, expected only the test's 'user'" % (where, left))
    lt.lttng("destroy", "user")


def ctf_attach(lt, opt):
    where = "--ctf with -p (%s)" % opt
    spin = lt.start([harness.sample(opt, "spin_app"), "120"])
    spin.stdout.wait_for(r"^ready$", 10, where)
    tids = set(tracing.task_ids(spin.pid))
    directory = lt.path("ctf-attach")
    result = lt.dwtrace(["--ctf", directory, "-e", "spin_step", "-p", str(spin.pid),
                         "--duration", "0.2"], timeout=30)
    ctf_line(result, directory, where)
    # spin_app was not started with LTTNG_UST_ALLOW_BLOCKING, so LTTng
    # discards (and counts) events when its buffers fill faster than the
    # consumer empties them: a loaded machine does that to a hot loop (the
    # man page says so).  Events around a gap are not paired then.
    discarded = []
    events = lt.events(directory, discarded=discarded)
    entries = check_spin_events(events, spin, tids, where, paired=not discarded)
    if entries == 0:
        fail("%s: no call recorded in 0.2 s of tracing" % where)
    if discarded:
        print("%s: LTTng discarded events (a program that may not block): %s" % (where, discarded[0]))
    tracing.send(spin.pid, signal.SIGUSR1)
    status = spin.wait(10, where)
    spin.stdout.wait_for(r"^ok iterations=\d+$", 5, where)
    if status != 0:
        fail("%s: spin_app exited with status %s\n%s" % (where, status, spin.describe()))


def check_spin_events(events, spin, tids, where, paired=True):
    """spin_app's calls, entries and exits paired per thread: written by
    spin_app itself (agent engine: its vpid, vtid and procname contexts,
    which --ctf's channel has) or by dwtrace (ptrace engine: payload pid and
    tid first).  paired: also check that entries and exits alternate per
    thread, with the right return value (not when LTTng discarded some).
    Returns the number of entries."""
    entries = 0
    last = {}
    own = lh.program_writes()
    ids = [] if own else ["pid", "tid"]
    for i, ev in enumerate(events):
        w = "%s, event #%d" % (where, i)
        # The program's own process writes the events with the agent
        # engine: its vpid/vtid contexts say who; the ptrace engine's
        # events carry the traced pid and tid as payload fields.
        pid, tid = (ev.context("vpid"), ev.context("vtid")) if own else (ev.get("pid"), ev.get("tid"))
        if pid != str(spin.pid) or not lh.is_decimal(tid or "") or int(tid) not in tids:
            fail("%s: not a call of spin_app (pid %d, tids %s):\n  %s"
                 % (w, spin.pid, sorted(tids), ev.line))
        if own and ev.context("procname") != '"spin_app"':
            fail("%s: procname context %r, expected spin_app:\n  %s" % (w, ev.context("procname"), ev.line))
        prev = last.get(tid)
        if ev.name == "dwtrace:spin_step_entry":
            if ev.fields() != ids + ["acc", "i"]:
                fail("%s: fields %s, expected %s:\n  %s" % (w, ev.fields(), ids + ["acc", "i"], ev.line))
            if paired and prev is not None and prev.name == ev.name:
                fail("%s: two entries in a row on tid %s:\n  %s\n  %s" % (w, tid, prev.line, ev.line))
            entries += 1
        elif ev.name == "dwtrace:spin_step_exit":
            if ev.fields() != ids + ["retval", "duration_ns"]:
                fail("%s: fields %s, expected %s:\n  %s"
                     % (w, ev.fields(), ids + ["retval", "duration_ns"], ev.line))
            if prev is None or not paired:
                pass  # the call under way when dwtrace attached, or a gap
            elif prev.name != "dwtrace:spin_step_entry":
                fail("%s: two exits in a row on tid %s:\n  %s\n  %s" % (w, tid, prev.line, ev.line))
            else:
                acc, step = int(prev.get("acc")), int(prev.get("i"))
                if int(ev.get("retval")) != (acc * 31 + step) % MODULUS:
                    fail("%s: spin_step(acc=%d, i=%d) returned %s, expected %d"
                         % (w, acc, step, ev.get("retval"), (acc * 31 + step) % MODULUS))
        else:
            fail("%s: unexpected event:\n  %s" % (w, ev.line))
        last[tid] = ev
    return entries


def test(opt):
    with lh.Lttng() as lt:
        no_sessiond(lt, opt)
        ctf_own_sessiond(lt, opt)
        ctf_bad_filter(lt, opt)
        ctf_test_sessiond(lt, opt)
        ctf_attach(lt, opt)


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
