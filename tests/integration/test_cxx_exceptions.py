#!/usr/bin/env python3
"""test_cxx_exceptions.py O0|O2: C++ exceptions leaving traced functions.

cxx_exceptions (samples/cxx_exceptions.cpp, g++) throws out of cx_thrower,
through cx_pass (whose Guard destructor prints during the unwinding) and
into cx_catcher, catching in main or in cx_catcher, and prints at the end
"left by exception: L, returned: R", counted by the program itself.  Traced
with -e cx_thrower -e cx_pass -e cx_catcher, its output and exit status must
be those of an untraced run (a changed return address ends in
std::terminate), there must be L + R entries and R exits, each exit with the
value the function returns (cx_thrower(x) = 2x, cx_pass(x) = 2x + 1,
cx_catcher(x) = -1 for x < 0), and the summary must say "L calls left
without returning".
"""

import re
import sys

import exits
import harness
from harness import fail

TRACED = ("cx_thrower", "cx_pass", "cx_catcher")


def expected_retval(function, x):
    if function == "cx_thrower":
        return 2 * x
    if function == "cx_pass":
        return 2 * x + 1
    return -1 if x < 0 else 2 * x


def test(opt):
    where = "cxx_exceptions (%s)" % opt
    app = harness.sample(opt, "cxx_exceptions")
    args = ["-F", "json"]
    for f in TRACED:
        args += ["-e", f]
    plain, traced, path = harness.check_unharmed([app], args)
    if plain.returncode != 0:
        fail("%s: the program fails untraced\n%s" % (where, harness.describe(plain)))
    m = re.search(r"^left by exception: (\d+), returned: (\d+)$", plain.stdout, re.M)
    if not m:
        fail("%s: no 'left by exception' line:\n%s" % (where, plain.stdout))
    left, returned = int(m.group(1)), int(m.group(2))
    if left == 0:
        fail("%s: the program says no call was left by an exception" % where)

    events = harness.read_events(path)
    n_in, n_out = exits.count(events, "entry"), exits.count(events, "exit")
    if (n_in, n_out) != (left + returned, returned):
        fail("%s: %d entries and %d exits; the program made %d calls, %d of which returned"
             % (where, n_in, n_out, left + returned, returned))
    calls, dropped = exits.pair_with_drops(events, where)
    if dropped != left:
        fail("%s: %d entries without an exit, the program left %d calls by exception"
             % (where, dropped, left))
    for entry, exit in calls:
        x = entry["args"].get("x")
        want = expected_retval(entry["function"], x)
        if exit.get("retval") != want:
            fail("%s: %s(%s) returned %s by dwtrace, expected %d"
                 % (where, entry["function"], x, exit.get("retval"), want))
    exits.check_left(traced.stderr, where, left)
    print("%s: ok, %d calls left by exception, %d returned" % (where, left, returned))


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
