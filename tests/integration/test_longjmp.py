#!/usr/bin/env python3
"""test_longjmp.py O0|O2: return probes and calls left by longjmp().

longjmp_app leaves calls of lj_outer and the recursive lj_inner of
liblongjmp.so with longjmp() and with siglongjmp() out of a signal handler,
between calls that return normally (see samples/longjmp_app.c).  The traced
functions print the oracle on stdout:

  entry FUNCTION DEPTH        when called
  exit FUNCTION DEPTH VALUE   just before returning normally

(main's own lines start with "#").  dwtrace -e lj_outer -e lj_inner must give
exactly one event per oracle line, in the same order: an entry with
args {"depth": DEPTH} for each entry line, an exit with retval VALUE for each
exit line, and no exit for a call left by a jump.  The program's output and
exit status must be the same as without dwtrace, and dwtrace's summary must
count the calls left by a jump (entry lines without their exit line; the
program makes a traced call after its last jump, so each one is noticed):
"N calls left without returning".
"""

import sys

import exits
import harness
import tracing
from harness import fail

MODULE = "liblongjmp.so"


def oracle(stdout, where):
    """The expected events as (type, function, args or retval) tuples."""
    expected = []
    for line in stdout.splitlines():
        fields = line.split()
        if line.startswith("#"):
            continue
        if len(fields) == 3 and fields[0] == "entry":
            expected.append(("entry", fields[1], {"depth": int(fields[2])}))
        elif len(fields) == 4 and fields[0] == "exit":
            expected.append(("exit", fields[1], int(fields[3])))
        else:
            fail("%s: not an oracle line: %r" % (where, line))
    entries = sum(e[0] == "entry" for e in expected)
    if not expected or entries == len(expected) - entries:
        fail("%s: the oracle shows no call left by a jump:\n%s" % (where, stdout))
    return expected


def describe(seq, i):
    return "\n".join("  %s#%d %s" % ("> " if j == i else "  ", j, seq[j])
                     for j in range(max(0, i - 5), min(len(seq), i + 3)))


def test(opt):
    app = harness.sample(opt, "longjmp_app")
    where = "lj_outer, lj_inner (%s)" % opt
    alone, result, out = harness.check_unharmed([app], ["-F", "json", "-e", "lj_outer",
                                                       "-e", "lj_inner"])
    if alone.returncode != 0:
        fail("%s: longjmp_app fails without dwtrace\n%s" % (where, harness.describe(alone)))
    expected = oracle(alone.stdout, where + ", without dwtrace")
    left = sum(e[0] == "entry" for e in expected) - sum(e[0] == "exit" for e in expected)

    events = harness.read_events(out)
    tracing.check_summary(result.stderr, where, len(events), r"\blongjmp_app exited with status 0\b")
    for i, ev in enumerate(events):
        harness.check_event_fields(ev, "%s, event #%d" % (where, i))
        if ev["module"] != MODULE:
            fail("%s: event #%d in module %r, expected %r" % (where, i, ev["module"], MODULE))
    harness.check_one_process(events, result.pid, where)
    got = [(ev["type"], ev["function"], ev["args"] if ev["type"] == "entry" else ev.get("retval"))
           for ev in events]
    for i in range(max(len(got), len(expected))):
        g = got[i] if i < len(got) else None
        e = expected[i] if i < len(expected) else None
        if g is None or e is None or g[:2] != e[:2] or harness.compare(e[2], g[2]):
            fail("%s: event #%d is %s, the oracle says %s\ndwtrace's events around it:\n%s\n"
                 "the oracle's:\n%s" % (where, i, g, e, describe(got, i), describe(expected, i)))
    exits.check_left(result.stderr, where, left)
    print("%s: ok, %d events, %d calls left by a jump" % (where, len(events), left))


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
