#!/usr/bin/env python3
"""test_lttng_ctf_own.py O0|O2: a --ctf trace holds its own run's events,
never replaces an existing trace, and the session daemon dwtrace started
goes away with it.

1. Two dwtrace --ctf runs at once, on two sample_app processes (4000 and
   1500 calls 1 ms apart, the second started right after the first), with
   one session daemon the test started: each trace holds
   exactly the calls its own sample_app printed (entry and exit each, the
   pid in the payload its own program's), nothing of the other run, and the
   two traces overlap in time (else the test would prove nothing).  Both
   programs print and exit as they do without dwtrace.
2. --ctf DIR where DIR holds a file, and where DIR is a regular file: dwtrace
   exits non-zero with one line on stderr naming DIR, sample_app does not
   run, no session daemon starts, and DIR is left as it was.
3. No session daemon runs: dwtrace --ctf starts one (its pid in dwtrace's
   note), records the calls, and when dwtrace has exited that daemon and its
   consumer daemons are gone.
"""

import os
import re
import subprocess
import sys

import harness
import lttng_harness as lh
from harness import fail

FUNCTION = "my_traced_function"
TIME = re.compile(r"^\[(\d+):(\d+):(\d+)\.(\d+)\]")


def event_seconds(ev, where):
    m = TIME.match(ev.line)
    if not m:
        fail("%s: no [hh:mm:ss.ns] time in %r" % (where, ev.line))
    h, mi, s, frac = m.groups()
    return int(h) * 3600 + int(mi) * 60 + int(s) + int(frac) / 10 ** len(frac)


def lttng_processes(lt):
    """Live lttng-* daemons that run with this test's LTTNG_HOME."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (lh._comm(int(entry)) or "").startswith("lttng-") \
                and lh.alive(int(entry)) \
                and lh.process_env(int(entry)).get("LTTNG_HOME") == lt.home:
            pids.append(int(entry))
    return pids


def start_dwtrace(lt, args):
    cmd = [harness.dwtrace()] + args
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=lt.env, text=True, errors="replace")
    return cmd, proc


def finish(cmd, proc, where):
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        fail("%s: %s did not finish within 120 s\n%s" % (where, harness.show_cmd(cmd), err[-2000:]))
    result = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    result.pid = proc.pid
    return result


def two_runs_at_once(lt, opt):
    app = harness.sample(opt, "sample_app")
    lt.start_sessiond()
    runs = []
    # Paced by time, not by count (1 ms after each call), so that the second
    # run starts recording while the first still does on a machine of any
    # speed and load: the first lasts 4 s, the second 1.5 s, and either's
    # set-up takes well under 2.5 s.
    plan = [(calls, [app, str(calls), "-d", "1000"]) for calls in (4000, 1500)]
    alone = {}
    for calls, cmd in plan:
        alone[calls] = lt.run(cmd)
        if alone[calls].returncode != 0:
            fail("sample_app %d alone exits with %s\n%s"
                 % (calls, alone[calls].returncode, harness.describe(alone[calls])))
    for calls, app_cmd in plan:
        where = "--ctf, two runs at once, sample_app %d (%s)" % (calls, opt)
        directory = lt.path("ctf-%d" % calls)
        cmd, proc = start_dwtrace(lt, ["--ctf", directory, "-e", FUNCTION, "--"] + app_cmd)
        runs.append((calls, where, directory, alone[calls], cmd, proc))
    spans = []
    for calls, where, directory, alone, cmd, proc in runs:
        result = finish(cmd, proc, where)
        if result.returncode != alone.returncode or result.stdout != alone.stdout:
            fail("%s: under dwtrace sample_app printed %d lines and exited with %s; alone "
                 "%d lines and %s\n%s" % (where, len(result.stdout.splitlines()),
                                          result.returncode, len(alone.stdout.splitlines()),
                                          alone.returncode, harness.describe(result)))
        returns = lh.sample_returns(result, calls, where)
        events = lt.events(directory)
        # Every event is sample_app's own call, as many as it printed: one
        # foreign event (the other run's pid, or one call too many) fails.
        lh.check_sample_events(events, returns, result.pid, where)
        # Who wrote them: the traced program (its vpid context, with the
        # agent engine), or dwtrace for it (the payload pid).
        pids = {ev.context("vpid") if lh.program_writes() else ev.get("pid") for ev in events}
        if len(pids) != 1 or None in pids or str(result.pid) in pids:
            fail("%s: events of several processes in one trace: pids %s" % (where, sorted(pids)))
        spans.append((event_seconds(events[0], where), event_seconds(events[-1], where)))
    (a0, a1), (b0, b1) = spans
    if max(a0, b0) >= min(a1, b1):
        fail("the two --ctf runs did not record at the same time (%.6f-%.6f and %.6f-%.6f): "
             "the test shows nothing about foreign events; give them more calls"
             % (a0, a1, b0, b1))
    if lt.session_names():
        fail("sessions left behind by the two runs: %s" % lt.session_names())


def refused(lt, opt):
    app = harness.sample(opt, "sample_app")
    lt.adopt_sessiond()
    for pid in list(lt.sessiond_pids):
        lt.stop_sessiond(pid)
    if lt.running_sessiond() is not None:
        fail("a session daemon still runs before the refusal cases")
    nonempty = lt.path("old-trace")
    os.mkdir(nonempty)
    with open(os.path.join(nonempty, "keep"), "w") as f:
        f.write("an earlier trace\n")
    plain = lt.path("plain-file")
    with open(plain, "w") as f:
        f.write("not a directory\n")
    for directory, what in ((nonempty, "a non-empty directory"), (plain, "a regular file")):
        where = "--ctf on %s (%s)" % (what, opt)
        result = lt.dwtrace(["--ctf", directory, "-e", FUNCTION, "--", app, "3"],
                            expect_status=None)
        lines = [l for l in result.stderr.splitlines() if l.strip()]
        if result.returncode == 0 or len(lines) != 1 or directory not in lines[0]:
            fail("%s: expected a non-zero exit and one line on stderr naming %s\n%s"
                 % (where, directory, harness.describe(result)))
        if result.stdout:
            fail("%s: sample_app ran although dwtrace refused\n%s"
                 % (where, harness.describe(result)))
        if lt.running_sessiond() is not None:
            lt.adopt_sessiond()
            fail("%s: dwtrace started a session daemon before refusing" % where)
    if sorted(os.listdir(nonempty)) != ["keep"] or \
            harness.read_text(os.path.join(nonempty, "keep")) != "an earlier trace\n":
        fail("--ctf on a non-empty directory changed it: %s" % sorted(os.listdir(nonempty)))
    if harness.read_text(plain) != "not a directory\n":
        fail("--ctf on a regular file changed it")


def own_daemon_stops(lt, opt):
    where = "--ctf without a session daemon (%s)" % opt
    app = harness.sample(opt, "sample_app")
    if lt.running_sessiond() is not None:
        fail("%s: a session daemon runs already" % where)
    directory = lt.path("ctf-own-daemon")
    alone = lt.run([app, "50"])
    result = lt.dwtrace(["--ctf", directory, "-e", FUNCTION, "--", app, "50"],
                        expect_status=alone.returncode)
    if result.stdout != alone.stdout:
        fail("%s: sample_app printed other lines under dwtrace\n%s"
             % (where, harness.describe(result)))
    returns = lh.sample_returns(result, 50, where)
    m = re.search(r"session daemon \(pid (\d+)\)", result.stderr)
    if not m:
        fail("%s: dwtrace does not name the session daemon it started\n%s"
             % (where, harness.describe(result)))
    daemon = int(m.group(1))
    # Whatever the outcome below, never leave it running.
    if lh.alive(daemon):
        lt.sessiond_pids.append(daemon)
    left = [p for p in [daemon] + lh._children(daemon) if lh.alive(p)]
    left += [p for p in lttng_processes(lt) if p not in left]
    if lt.running_sessiond() is not None or left:
        fail("%s: after dwtrace ended, the session daemon it started still runs (pids %s)"
             % (where, left or lt.running_sessiond()))
    # The trace it wrote is complete although the daemon is gone.
    lh.check_sample_events(lt.events(directory), returns, result.pid, where)


def test(opt):
    with lh.Lttng() as lt:
        two_runs_at_once(lt, opt)
        refused(lt, opt)
        own_daemon_stops(lt, opt)


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
