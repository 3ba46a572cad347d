#!/usr/bin/env python3
"""test_nodebug.py [O0|O2]: a function without debug information.

libnodebug.so is built without -g and stripped to its dynamic symbols.
dwtrace -e nd_add must still trace it, naming the raw integer-register
arguments arg0, arg1, ... (unsigned 64-bit values) and showing rax as the
return value, and must say on stderr that there is no debug info.
"""

import os
import re
import sys

import harness
from harness import fail

APP_LINE = re.compile(r"^nd_add\((-?\d+), (-?\d+), (-?\d+)\) = (-?\d+)$")
NO_DEBUG = re.compile(r"\b(no|without|missing|lacks?)\b.*\b(debug ?info(rmation)?|dwarf)\b|"
                      r"\b(debug ?info(rmation)?|dwarf)\b.*\b(not found|missing|unavailable)\b",
                      re.IGNORECASE)
U64 = 1 << 64


def test(opt):
    workdir = harness.tempdir()
    app = harness.sample(opt, "nodebug_app")
    out = os.path.join(workdir, "events.json")
    where = "nd_add (%s)" % opt
    result = harness.run_dwtrace(["--format", "json", "-o", out, "-e", "nd_add", "--", app])

    calls = []
    for line in result.stdout.splitlines():
        m = APP_LINE.match(line)
        if not m:
            fail("unexpected line in nodebug_app's output: %r\n%s"
                 % (line, harness.describe(result)))
        calls.append([int(x) for x in m.groups()])
    if len(calls) != 3:
        fail("nodebug_app printed %d calls, expected 3\n%s" % (len(calls), harness.describe(result)))

    if not NO_DEBUG.search(result.stderr):
        fail("%s: dwtrace does not say on stderr that there is no debug info\n%s"
             % (where, harness.describe(result)))

    events = harness.read_events(out)
    for i, ev in enumerate(events):
        w = "%s, event #%d" % (where, i)
        harness.check_event_fields(ev, w)
        if ev["function"] != "nd_add" or ev["module"] != "libnodebug.so":
            fail("%s: function %r in module %r, expected nd_add in libnodebug.so"
                 % (w, ev["function"], ev["module"]))
    harness.check_alternation(events, where)
    harness.check_monotonic(events, where)
    harness.check_one_process(events, result.pid, where)
    entries = [ev for ev in events if ev["type"] == "entry"]
    exits = [ev for ev in events if ev["type"] == "exit"]
    if len(entries) != 3 or len(exits) != 3:
        fail("%s: %d entry and %d exit events, expected 3 of each"
             % (where, len(entries), len(exits)))

    for i, ((a, b, c, r), entry, exit_) in enumerate(zip(calls, entries, exits)):
        expected = {"arg0": a % U64, "arg1": b % U64, "arg2": c % U64}
        got = {k: entry["args"].get(k, "(missing)") for k in expected}
        diffs = harness.compare(expected, got, "args")
        if diffs:
            fail("%s: call #%d nd_add(%d, %d, %d): raw arguments differ:\n  %s\nevent: %s"
                 % (where, i, a, b, c, "\n  ".join(diffs), entry))
        diffs = harness.compare(r % U64, exit_.get("retval", "(missing)"), "retval")
        if diffs:
            fail("%s: call #%d returned %d: %s" % (where, i, r, diffs[0]))


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv, default="O0")))
