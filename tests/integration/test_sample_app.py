#!/usr/bin/env python3
"""test_sample_app.py O0|O2: dwtrace on the classic example.

sample_app 1000 calls my_traced_function(42, 0xdeadbeef, 3.14159,
(void *)0x12345678) of libmylib.so 1000 times and prints each call with its
return value.  Under dwtrace, with the probe given as a function name, as
MODULE:FUNCTION and as MODULE:0xOFFSET (the file offset of the function's
first byte, computed here with nm and readelf: an entry probe; an offset
inside it is a probe of that instruction, test_points.py), the JSON events
must show exactly those
1000 calls; the text format must show them too.
"""

import os
import re
import sys

import harness
from harness import fail

CALLS = 1000
FUNCTION = "my_traced_function"
MODULE = "libmylib.so"
EXPECTED_ARGS = {"arg1": 42, "arg2": 3735928559, "arg3": float("3.14159"),
                 "arg4": "0x12345678"}
APP_LINE = re.compile(r"^my_traced_function\(arg1=42, arg2=3735928559, arg3=3\.14159, "
                      r"arg4=0x12345678\) = (-?\d+)$")
# One call, one line: its entry completed by its exit, which came next
# (nothing else is traced in the one thread).
TEXT_CALL = re.compile(r"^\d\d:\d\d:\d\d\.\d{6} (\d+)/(\d+) my_traced_function\(arg1=42, "
                       r"arg2=3735928559, arg3=3\.14159, arg4=0x12345678\) \u2192 (-?\d+) <(\d+\.\d{9})>$")


def app_results(result):
    """The return values sample_app printed, one per call."""
    values = []
    for line in result.stdout.splitlines():
        m = APP_LINE.match(line)
        if not m:
            fail("unexpected line in sample_app's output: %r\n%s"
                 % (line, harness.describe(result)))
        values.append(int(m.group(1)))
    if len(values) != CALLS:
        fail("sample_app printed %d calls, expected %d\n%s"
             % (len(values), CALLS, harness.describe(result)))
    return values


def check_json_run(opt, probe, workdir):
    app = harness.sample(opt, "sample_app")
    out = os.path.join(workdir, "events-%s.json" % re.sub(r"\W", "_", probe))
    where = "probe %r (%s)" % (probe, opt)
    result = harness.run_dwtrace(["--format", "json", "-o", out, "-e", probe, "--",
                                  app, str(CALLS)])
    returns = app_results(result)
    events = harness.read_events(out)

    for i, ev in enumerate(events):
        w = "%s, event #%d" % (where, i)
        harness.check_event_fields(ev, w)
        if ev["function"] != FUNCTION:
            fail("%s: function %r, expected %r" % (w, ev["function"], FUNCTION))
        if ev["module"] != MODULE:
            fail("%s: module %r, expected %r" % (w, ev["module"], MODULE))

    entries = [ev for ev in events if ev["type"] == "entry"]
    exits = [ev for ev in events if ev["type"] == "exit"]
    if len(entries) != CALLS or len(exits) != CALLS:
        fail("%s: %d entry and %d exit events, expected %d of each\n%s"
             % (where, len(entries), len(exits), CALLS, harness.describe(result)))
    harness.check_alternation(events, where)
    harness.check_monotonic(events, where)
    harness.check_one_process(events, result.pid, where)

    for i, ev in enumerate(entries):
        diffs = harness.compare(EXPECTED_ARGS, ev["args"], "args")
        if diffs:
            fail("%s: call #%d: wrong arguments:\n  %s" % (where, i, "\n  ".join(diffs)))
    for i, (ev, ret) in enumerate(zip(exits, returns)):
        if "retval" not in ev:
            fail("%s: call #%d: exit event without retval: %s" % (where, i, ev))
        diffs = harness.compare(ret, ev["retval"], "retval")
        if diffs:
            fail("%s: call #%d: %s (the value sample_app printed)" % (where, i, diffs[0]))


def check_text_run(opt, workdir):
    app = harness.sample(opt, "sample_app")
    out = os.path.join(workdir, "events.txt")
    where = "text format (%s)" % opt
    result = harness.run_dwtrace(["--format", "text", "-o", out, "-e", FUNCTION, "--",
                                  app, str(CALLS)])
    returns = app_results(result)
    exits = []
    for n, line in enumerate(harness.read_text(out).splitlines(), 1):
        if not line.strip():
            continue
        m = TEXT_CALL.match(line)
        if not m:
            fail("%s: line %d does not match the format of a call's line: %r" % (where, n, line))
        exits.append(int(m.group(3)))
    if len(exits) != CALLS:
        fail("%s: %d call lines, expected %d" % (where, len(exits), CALLS))
    for i, (got, ret) in enumerate(zip(exits, returns)):
        if got != ret:
            fail("%s: call #%d: return value %d, sample_app printed %d" % (where, i, got, ret))


def offset_probe(opt):
    """MODULE:0xOFFSET with OFFSET the file offset of my_traced_function's
    first byte, computed from nm and readelf only."""
    lib = harness.sample(opt, MODULE)
    value, _ = harness.symbol(lib, FUNCTION)
    return "%s:0x%x" % (MODULE, harness.vaddr_to_offset(lib, value))


def test(opt):
    workdir = harness.tempdir()
    for probe in (FUNCTION, "%s:%s" % (MODULE, FUNCTION), offset_probe(opt)):
        check_json_run(opt, probe, workdir)
    check_text_run(opt, workdir)


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
