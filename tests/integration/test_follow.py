#!/usr/bin/env python3
"""test_follow.py O0|O2: fork, vfork and exec, with and without -f.

fork_app (see samples/fork_app.c): the parent P calls my_traced_function
once, fk_work(0, 0) and (0, 1), then fk_fork(), inside which child C1 is
forked: C1 calls fk_work(1, 0..2) and execs sample_app 2; P then vforks child
C2, which execs sample_app 1, calls fk_work(0, 2..4) and waits for both.  Each
process prints what it called and got (the oracle); sample_app prints its own
calls.  Probes: fk_work, fk_fork, my_traced_function.

With -f, per pid, in order:
  P   my_traced_function, fk_work(0, 0), (0, 1), fk_fork() = C1, fk_work(0, 2..4)
  C1  fk_work(1, 0..2), my_traced_function twice (in the exec'ed sample_app)
  C2  my_traced_function once (in the exec'ed sample_app)
each call with entry and exit events, the values the processes printed, and
module libmylib.so or libfork.so.  C1 starts inside fk_fork(); whether
dwtrace shows that call's return in C1 (an exit with retval 0, without an
entry) is not specified, so such an event is allowed, nothing else.
Without -f: P's calls only, and the children still do all their work (their
lines are printed, both exit with status 0).  Either way the output is that of
fork_app alone, and dwtrace exits with status 0.
"""

import os
import re
import sys

import harness
import tracing
from harness import fail

PROBES = ["fk_work", "fk_fork", "my_traced_function"]
MODULES = {"fk_work": "libfork.so", "fk_fork": "libfork.so", "my_traced_function": "libmylib.so"}
MTF_ARGS = {"arg1": 42, "arg2": 3735928559, "arg3": 3.14159, "arg4": "0x12345678"}
SAMPLE_APP_LINE = ("my_traced_function(arg1=42, arg2=3735928559, arg3=3.14159, "
                   "arg4=0x12345678) = 292")
LINE = re.compile(r"^(parent|child) (\d+) (.*)$")
FK_WORK = re.compile(r"fk_work\((\d+), (\d+)\) = (\d+)")


def parse_output(stdout, where):
    """The calls each process made, from fork_app's output:
    ({pid: [(function, args, retval)]}, P, C1, C2)."""
    calls, p, c1, c2 = {}, None, None, None
    sample_app_lines = 0
    exited = []
    for line in stdout.splitlines():
        m = LINE.match(line)
        if line == SAMPLE_APP_LINE:
            sample_app_lines += 1
            continue
        if not m:
            fail("%s: unexpected line in fork_app's output: %r" % (where, line))
        pid, what = int(m.group(2)), m.group(3)
        if m.group(1) == "parent":
            p = pid
        mine = calls.setdefault(pid, [])
        if what == "my_traced_function(42, 3735928559, 3.14159, 0x12345678) = 292":
            mine.append(("my_traced_function", MTF_ARGS, 292))
        elif FK_WORK.fullmatch(what):
            who, i, ret = map(int, FK_WORK.fullmatch(what).groups())
            mine.append(("fk_work", {"who": who, "i": i}, ret))
        elif what.startswith("fk_fork() = "):
            c1 = int(what.split(" = ")[1])
            mine.append(("fk_fork", {}, c1))
        elif what.startswith("vfork() = "):
            c2 = int(what.split(" = ")[1])
        elif re.fullmatch(r"child \d+ exited with status 0", what):
            exited.append(int(what.split()[1]))
        else:
            fail("%s: unexpected line in fork_app's output: %r" % (where, line))
    if sample_app_lines != 3 or sorted(exited) != sorted([c1, c2]) or None in (p, c1, c2):
        fail("%s: fork_app's output lacks lines: 3 of sample_app, both children exiting "
             "with status 0:\n%s" % (where, stdout))
    shape = {pid: [c[:2] for c in calls.get(pid, [])] for pid in (p, c1)}
    expected_shape = {
        p: [("my_traced_function", MTF_ARGS)] + [("fk_work", {"who": 0, "i": i}) for i in (0, 1)] +
           [("fk_fork", {})] + [("fk_work", {"who": 0, "i": i}) for i in (2, 3, 4)],
        c1: [("fk_work", {"who": 1, "i": i}) for i in (0, 1, 2)],
    }
    if shape != expected_shape or set(calls) != {p, c1}:
        fail("%s: fork_app's processes did not make the expected calls:\n%s" % (where, stdout))
    return calls, p, c1, c2


def traced_calls(events, pid, where):
    """(function, args, retval) of pid's complete calls, in order."""
    mine = [ev for ev in events if ev["pid"] == pid]
    if any(ev["tid"] != pid for ev in mine):
        fail("%s: events of pid %d from other tids" % (where, pid))
    calls, unfinished = tracing.pair_calls(mine, where)
    if unfinished:
        fail("%s: pid %d: entries without exit: %s" % (where, pid, unfinished))
    return [(entry["function"], entry["args"], exit.get("retval")) for entry, exit in calls]


def compare_calls(expected, got, pid, where):
    if len(expected) != len(got) or any(
            e[0] != g[0] or harness.compare(e[1], g[1]) or harness.compare(e[2], g[2])
            for e, g in zip(expected, got)):
        fail("%s: pid %d: traced calls\n  %s\nexpected (fork_app's output)\n  %s"
             % (where, pid, "\n  ".join(map(str, got)), "\n  ".join(map(str, expected))))


def check_run(opt, follow, workdir):
    where = "fork_app %s-f (%s)" % ("" if follow else "without ", opt)
    out = os.path.join(workdir, "follow.json" if follow else "nofollow.json")
    args = ["-F", "json", "-o", out] + (["-f"] if follow else [])
    for probe in PROBES:
        args += ["-e", probe]
    result = harness.run_dwtrace(args + ["--", harness.sample(opt, "fork_app")])
    calls, p, c1, c2 = parse_output(result.stdout, where)
    events = harness.read_events(out)
    tracing.check_summary(result.stderr, where, len(events), r"^fork_app exited with status 0$")
    for i, ev in enumerate(events):
        harness.check_event_fields(ev, "%s, event #%d" % (where, i))
        if MODULES.get(ev["function"]) != ev["module"]:
            fail("%s: event #%d: %s in %s" % (where, i, ev["function"], ev["module"]))

    pids = {ev["pid"] for ev in events}
    expected_pids = {p, c1, c2} if follow else {p}
    if pids != expected_pids:
        fail("%s: events from pids %s, expected %s (parent %d, children %d and %d)"
             % (where, sorted(pids), sorted(expected_pids), p, c1, c2))
    compare_calls(calls[p], traced_calls(events, p, where), p, where)
    if not follow:
        return
    # C1 may see the return from the fk_fork() call it was born in: at most
    # one exit event without entry, first, with retval 0.
    c1_events = [ev for ev in events if ev["pid"] == c1]
    if c1_events and c1_events[0]["function"] == "fk_fork":
        if c1_events[0]["type"] != "exit" or c1_events[0].get("retval") != 0:
            fail("%s: child %d starts with %s" % (where, c1, c1_events[0]))
        events = [ev for ev in events if ev is not c1_events[0]]
    mtf = ("my_traced_function", MTF_ARGS, 292)
    compare_calls(calls[c1] + [mtf] * 2, traced_calls(events, c1, where), c1, where)
    compare_calls([mtf], traced_calls(events, c2, where), c2, where)


def test(opt):
    workdir = harness.tempdir()
    alone = harness.run_ok([harness.sample(opt, "fork_app")])
    parse_output(alone.stdout, "fork_app alone (%s)" % opt)
    check_run(opt, False, workdir)
    check_run(opt, True, workdir)


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
