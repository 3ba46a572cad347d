#!/usr/bin/env python3
"""test_backtrace.py O0|O2: a program that reads its own stack sees the same
stack under dwtrace.

backtrace_app (samples/backtrace_app.c) calls the chain bt_1 -> ... -> bt_6
three times; bt_6 calls glibc backtrace() and __builtin_return_address(1),
every bt_K records __builtin_return_address(0), and the program checks each
return address against its own function table (dladdr1: name and size).
Traced with -e on the middle functions bt_2 .. bt_5 (two in the executable,
two in libbtchain.so), its output and exit status must be those of an
untraced run -- the same frame count, every caller found -- and each traced
call must have one entry and one exit whose return value is the one the
function printed ("bt_K(x) = r").
"""

import re
import sys

import exits
import harness
from harness import fail

TRACED = ("bt_2", "bt_3", "bt_4", "bt_5")
RESULT = re.compile(r"^(bt_\d)\((-?\d+)\) = (-?\d+)$")


def test(opt):
    where = "backtrace_app (%s)" % opt
    app = harness.sample(opt, "backtrace_app")
    args = ["-F", "json"]
    for f in TRACED:
        args += ["-e", f]
    plain, traced, path = harness.check_unharmed([app], args)

    # The sample itself must show what a changed stack would break.
    if plain.returncode != 0:
        fail("%s: untraced, the program finds wrong callers\n%s" % (where, harness.describe(plain)))
    frames = [int(n) for n in re.findall(r"^backtrace: (\d+) frames$", plain.stdout, re.M)]
    if len(frames) != 3 or min(frames) < 7:
        fail("%s: untraced, backtrace() should find at least 7 frames three times, got %s"
             % (where, frames))
    if len(re.findall(r"callers ok 13 of 13$", plain.stdout, re.M)) != 3:
        fail("%s: untraced, not every caller was found:\n%s" % (where, plain.stdout))

    printed = {}
    for line in plain.stdout.splitlines():
        m = RESULT.match(line)
        if m:
            printed[(m.group(1), int(m.group(2)))] = int(m.group(3))
    events = harness.read_events(path)
    calls, dropped = exits.pair_with_drops(events, where)
    if dropped:
        fail("%s: %d entries without an exit, but every call returned" % (where, dropped))
    for f in TRACED:
        n = sum(1 for e, _ in calls if e["function"] == f)
        if n != 3:
            fail("%s: %d calls of %s with entry and exit, expected 3" % (where, n, f))
    if len(calls) != 3 * len(TRACED):
        fail("%s: %d calls, expected %d" % (where, len(calls), 3 * len(TRACED)))
    for entry, exit in calls:
        key = (entry["function"], entry["args"].get("x"))
        if key not in printed:
            fail("%s: entry %s does not match a call the program printed" % (where, entry))
        if exit.get("retval") != printed[key]:
            fail("%s: %s(%s) returned %s by dwtrace, the program printed %d"
                 % (where, key[0], key[1], exit.get("retval"), printed[key]))
    exits.check_left(traced.stderr, where, 0)
    print("%s: ok, %d calls, backtrace() found %s frames" % (where, len(calls), frames))


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
