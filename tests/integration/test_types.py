#!/usr/bin/env python3
"""test_types.py O0|O2: every kind of parameter and return value.

types_app calls the t_* functions of libtypes.so; each of them prints, on
stdout, an oracle line with the arguments it received and one with the value
it returns, in dwtrace's JSON value format (samples/oracle.h).  dwtrace -e 't_*'
must produce the same events, call by call, in the same order.  Then: the
string limit (-s), and a few spot checks of the text format.
"""

import collections
import json
import os
import re
import sys

import harness
from harness import fail

MODULE = "libtypes.so"
# types_app's strings, as the checks of -s and of the text format need them.
ESCAPES = "quote\" backslash\\ newline\n tab\t ctl\x01 end"
LONG_TEXT = "".join(str(i % 10) for i in range(1000))
RET_STR = "two \"quoted\"\tand tabbed"


def run_types(opt, workdir, name, extra_args, fmt="json"):
    app = harness.sample(opt, "types_app")
    out = os.path.join(workdir, name)
    result = harness.run_dwtrace(["--format", fmt, "-o", out] + extra_args +
                                 ["-e", "t_*", "--", app])
    return result, out


def describe_call(i, ev):
    return "event #%d (%s of %s)" % (i, ev.get("type"), ev.get("function"))


def compare_with_oracle(oracle, events, where):
    # Every event is one of libtypes.so's t_* functions, well formed.
    for i, ev in enumerate(events):
        w = "%s, %s" % (where, describe_call(i, ev))
        harness.check_event_fields(ev, w)
        if ev["module"] != MODULE:
            fail("%s: module %r, expected %r" % (w, ev["module"], MODULE))

    # Same calls: counts per function and type first, for a readable message.
    want = collections.Counter((ev["function"], ev["type"]) for ev in oracle)
    got = collections.Counter((ev["function"], ev["type"]) for ev in events)
    if want != got:
        lines = []
        for key in sorted(set(want) | set(got)):
            if want[key] != got[key]:
                lines.append("%s %s: oracle %d, dwtrace %d" % (key[0], key[1], want[key], got[key]))
        fail("%s: the events do not match the oracle's calls:\n  %s"
             % (where, "\n  ".join(lines)))

    # Then call by call, in order.
    problems = []
    for i, (exp, ev) in enumerate(zip(oracle, events)):
        w = describe_call(i, exp)
        if (exp["type"], exp["function"]) != (ev["type"], ev["function"]):
            problems.append("%s: dwtrace has %s of %s here" % (w, ev["type"], ev["function"]))
            break  # the order is off; what follows would only repeat it
        if exp["type"] == "entry":
            diffs = harness.compare(exp["args"], ev["args"], "args")
        elif "retval" in exp:
            if "retval" not in ev:
                diffs = ["retval: expected %s, missing" % json.dumps(exp["retval"])]
            else:
                diffs = harness.compare(exp["retval"], ev["retval"], "retval")
        else:
            diffs = ["retval: void function, got %s" % json.dumps(ev["retval"])] \
                if "retval" in ev else []
        problems += ["%s: %s" % (w, d) for d in diffs]
    if problems:
        shown = problems[:60]
        if len(problems) > len(shown):
            shown.append("... and %d more" % (len(problems) - len(shown)))
        fail("%s: dwtrace differs from the oracle (%d differences):\n  %s"
             % (where, len(problems), "\n  ".join(shown)))

    harness.check_monotonic(events, where)


def check_string_limit(opt, workdir):
    """-s 16: strings are cut to 16 bytes of their contents, then "..."."""
    limit = 16
    where = "-s %d (%s)" % (limit, opt)
    _, out = run_types(opt, workdir, "limit.json", ["-s", str(limit)])
    events = harness.read_events(out)
    strings = [ev["args"].get("s", "(no s)") for ev in events
               if ev.get("type") == "entry" and ev.get("function") == "t_string"]
    expected = ["hello, world", ESCAPES[:limit] + "...", "", None, LONG_TEXT[:limit] + "..."]
    if strings != expected:
        fail("%s: t_string arguments %s, expected %s"
             % (where, json.dumps(strings), json.dumps(expected)))
    rets = [ev.get("retval", "(no retval)") for ev in events
            if ev.get("type") == "exit" and ev.get("function") == "t_ret_str"]
    expected = [RET_STR[:limit] + "...", None]
    if rets != expected:
        fail("%s: t_ret_str return values %s, expected %s"
             % (where, json.dumps(rets), json.dumps(expected)))


TEXT_PREFIX = r"^\d\d:\d\d:\d\d\.\d{6} \d+/\d+ "
TEXT_DURATION = r" <\d+\.\d{9}>$"
TEXT_CHECKS = [
    ("a string with escapes",
     r't_string\(s="quote\\" backslash\\\\ newline\\n tab\\t ctl\\(?:0{0,2}1|x0?1) end"\)$'),
    ("a string cut at the default limit",
     r't_string\(s="' + LONG_TEXT[:256] + r'"\.\.\.\)$'),
    ("a NULL string", r"t_string\(s=NULL\)$"),
    ("enum names", r"t_enums\(c=GREEN, l=LEVEL_LOW\)$"),
    ("an enum value without a name", r"t_enums\(c=42, l=LEVEL_HIGH\)$"),
    ("an enum return value", r"t_enums \u2192 BLUE" + TEXT_DURATION),
    ("a struct", r"t_small\(s=\{id=7, ratio=0\.5, value=2\.25\}, scale=2(?:\.0)?\)$"),
    ("a returned struct", r"t_small \u2192 \{id=8, ratio=1(?:\.0)?, value=4\.5\}" + TEXT_DURATION),
    ("a double", r"t_ret_double\(x=3\.14159\)$"),
    ("a void function", r"t_void_fn \u2192 void" + TEXT_DURATION),
]


def check_text(opt, workdir, oracle):
    where = "text format (%s)" % opt
    _, out = run_types(opt, workdir, "events.txt", [], fmt="text")
    lines = [l for l in harness.text_event_lines(harness.read_text(out)) if l.strip()]
    if len(lines) != len(oracle):
        fail("%s: %d lines, expected one per event: %d" % (where, len(lines), len(oracle)))
    for what, pattern in TEXT_CHECKS:
        regex = re.compile(TEXT_PREFIX + pattern)
        if not any(regex.match(l) for l in lines):
            name = re.match(r"(t_\w+)", pattern).group(1)
            near = [l for l in lines if (" %s(" % name) in l or (" %s " % name) in l]
            fail("%s: no line shows %s; expected a match for\n  %s\nlines of %s:\n  %s"
                 % (where, what, regex.pattern, name, "\n  ".join(near) or "(none)"))


def test(opt):
    workdir = harness.tempdir()
    result, out = run_types(opt, workdir, "events.json", [])
    oracle = harness.oracle_lines(result)
    events = harness.read_events(out)
    compare_with_oracle(oracle, events, "t_* (%s)" % opt)
    check_string_limit(opt, workdir)
    check_text(opt, workdir, oracle)


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
