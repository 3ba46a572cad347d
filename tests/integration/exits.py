"""Pieces shared by the tests of exit probes that leave the stack alone
(test_backtrace.py, test_cxx_exceptions.py, test_go.py, test_notcall.py,
test_star.py, test_longjmp.py, test_tailcall.py), on top of harness.py and
tracing.py.

What they require of dwtrace (issue 9, item 4): the traced program's stack is
never written, so its output and exit status are those of an untraced run; a
call left without a return (exception, longjmp) is dropped and counted in the
summary line as "N calls left without returning"; a function not entered by
a call gets entry events only.
"""

import re

import harness
import tracing
from harness import fail

LEFT = re.compile(r"\b(\d+) calls? left without returning\b")


def summary_line(stderr, where):
    tracing.check_summary(stderr, where)
    return [l for l in stderr.splitlines() if l.strip()][-1]


def check_left(stderr, where, expected):
    """The summary counts expected calls left without returning; with 0 it
    may say so or say nothing about them."""
    line = summary_line(stderr, where)
    m = LEFT.search(line)
    got = int(m.group(1)) if m else 0
    if expected and not m:
        fail("%s: the program left %d traced calls without returning, the summary does not "
             "say \"%d call%s left without returning\":\n  %s"
             % (where, expected, expected, "" if expected == 1 else "s", line))
    if got != expected:
        fail("%s: the summary counts %d calls left without returning, the program left %d:\n  %s"
             % (where, got, expected, line))


def probes_placed(stderr, where):
    """The number of probes the summary line counts."""
    return int(tracing.check_summary(stderr, where).group(3))


def count(events, type_, function=None, module=None):
    return sum(1 for ev in events if ev.get("type") == type_
               and (function is None or ev.get("function") == function)
               and (module is None or ev.get("module") == module))


def check_entries_only(events, where, function, entries):
    """function has exactly `entries` entry events and no exit event."""
    n_in, n_out = count(events, "entry", function), count(events, "exit", function)
    if n_in != entries or n_out:
        fail("%s: expected %d entry events and no exit event of %s, got %d entries and %d exits"
             % (where, entries, function, n_in, n_out))


def pair_with_drops(events, where):
    """Matches, per thread, each exit with the latest open entry of the same
    function, dropping the open entries above it (calls left by an exception
    or a jump).  Entries still open at the end are dropped too.  Returns
    (calls, dropped): calls a list of (entry, exit), dropped the number of
    entries that got no exit.  Fails on an exit with no open entry."""
    stacks, calls, dropped = {}, [], 0
    for i, ev in enumerate(events):
        harness.check_event_fields(ev, "%s, event #%d" % (where, i))
        stack = stacks.setdefault((ev["pid"], ev["tid"]), [])
        if ev["type"] == "entry":
            stack.append(ev)
            continue
        for j in range(len(stack) - 1, -1, -1):
            if stack[j]["function"] == ev["function"]:
                dropped += len(stack) - 1 - j
                calls.append((stack[j], ev))
                del stack[j:]
                break
        else:
            fail("%s: event #%d: exit without an open entry of %s on tid %d: %s"
                 % (where, i, ev["function"], ev["tid"], ev))
    return calls, dropped + sum(len(s) for s in stacks.values())
