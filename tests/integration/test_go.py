#!/usr/bin/env python3
"""test_go.py O0|O2: a traced Go function whose goroutine stack is copied
while its frame is live.

go_app (samples/go_app/main.go; O0 is built with -gcflags=all=-N -l) runs
16 goroutines that call main.work 8 times each; work recurses 2000 levels
deep, so the runtime grows and copies the goroutine's stack under work's
frame, and walks every return address on it ("fatal error: unknown caller
pc" when one is not Go code).  Traced with -e main.work, the output (the
number of calls and a checksum) and the exit status must be those of an
untraced run, and there must be one entry and one exit event per call the
program counted.  Goroutines move between threads, so the counts are
compared over all threads.
"""

import re
import sys

import exits
import harness
from harness import fail


def test(opt):
    where = "go_app (%s)" % opt
    app = harness.sample(opt, "go_app")
    plain, traced, path = harness.check_unharmed([app], ["-F", "json", "-e", "main.work"],
                                                 timeout=120)
    m = re.search(r"^calls: (\d+)$", plain.stdout, re.M)
    if plain.returncode != 0 or not m or not re.search(r"^checksum: \d+$", plain.stdout, re.M):
        fail("%s: unexpected untraced run\n%s" % (where, harness.describe(plain)))
    calls = int(m.group(1))
    events = harness.read_events(path)
    for i, ev in enumerate(events):
        harness.check_event_fields(ev, "%s, event #%d" % (where, i))
        if ev["function"] != "main.work":
            fail("%s: event #%d is of %s, only main.work is traced" % (where, i, ev["function"]))
    n_in, n_out = exits.count(events, "entry"), exits.count(events, "exit")
    if n_in != calls or n_out != calls:
        fail("%s: %d entries and %d exits of main.work, the program made %d calls"
             % (where, n_in, n_out, calls))
    exits.check_left(traced.stderr, where, 0)
    print("%s: ok, %d calls" % (where, calls))


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
