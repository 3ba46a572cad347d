#!/usr/bin/env python3
"""test_lttng_million.py [O2]: nothing lost in a million calls.

In a session whose channel blocks instead of discarding
(lttng enable-channel -u --blocking-timeout=inf; dwtrace sets
LTTNG_UST_ALLOW_BLOCKING=1 for itself, the test does not), dwtrace --lttng
-e my_traced_function -- sample_app 1000000 -q must record exactly 1,000,000
entry and 1,000,000 exit events: babeltrace2's text output, read line by
line, must alternate entry, exit, entry... with sample_app's arguments, the
return value sample_app prints for the same call (sample_app 1, untraced),
one traced pid, and babeltrace2 must not report discarded events or packets.
About a minute of ptrace round trips: a ctest test of its own, at -O2 only.
"""

import re
import subprocess
import sys
import threading
import time

import harness
import lttng_harness as lh
from harness import fail

CALLS = 1000000
FUNCTION = "my_traced_function"
APP_LINE = re.compile(r"^my_traced_function\(arg1=42, arg2=3735928559, arg3=3\.14159, "
                      r"arg4=0x12345678\) = (-?\d+)$")
PREFIX = r"^\[[^\]]*\] \([^)]*\) \S+ dwtrace:%s_" % FUNCTION
ENTRY = re.compile(PREFIX + r"entry: \{ cpu_id = \d+ \}, \{ pid = (\d+), tid = (\d+), arg1 = 42, "
                   r"arg2 = 3735928559, arg3 = 3\.14159, arg4 = 0x12345678 \}$")
EXIT = re.compile(PREFIX + r"exit: \{ cpu_id = \d+ \}, \{ pid = (\d+), tid = (\d+), "
                  r"retval = (-?\d+), duration_ns = (\d+) \}$")
DWTRACE_TIMEOUT = 450
BABELTRACE_TIMEOUT = 120


def count_events(lt, trace, retval, dwtrace_pid):
    """Reads babeltrace2 TRACE line by line; returns (entries, exits)."""
    where = "babeltrace2 %s" % trace
    errfile = lt.path("babeltrace2.stderr")
    with open(errfile, "w") as err:
        proc = subprocess.Popen(["babeltrace2", trace], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=err, env=lt.env,
                                text=True, errors="replace", bufsize=1 << 20)
    entries = exits = 0
    pid = None
    expect_entry = True
    watchdog = threading.Timer(BABELTRACE_TIMEOUT, proc.kill)
    watchdog.start()
    try:
        for n, line in enumerate(proc.stdout, 1):
            m = ENTRY.match(line) if expect_entry else EXIT.match(line)
            if not m:
                fail("%s: line %d (%d entries and %d exits before it) is not the %s "
                     "expected here:\n  %s" % (where, n, entries, exits,
                                               "entry" if expect_entry else "exit",
                                               line.rstrip("\n")))
            if pid is None:
                pid = m.group(1)
                if int(pid) == dwtrace_pid:
                    fail("%s: payload pid %s is dwtrace's own" % (where, pid))
            if m.group(1) != pid or m.group(2) != pid:
                fail("%s: line %d: pid/tid %s/%s, expected %s/%s (one single-threaded "
                     "process)" % (where, n, m.group(1), m.group(2), pid, pid))
            if expect_entry:
                entries += 1
            else:
                if int(m.group(3)) != retval:
                    fail("%s: line %d: retval %s, sample_app prints %d for this call"
                         % (where, n, m.group(3), retval))
                if int(m.group(4)) <= 0:
                    fail("%s: line %d: duration_ns %s" % (where, n, m.group(4)))
                exits += 1
            expect_entry = not expect_entry
        status = proc.wait()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with open(errfile) as f:
        stderr = f.read()
    if status != 0:
        fail("%s: exit status %d%s\n%s" % (where, status, " (killed after %d s)" % BABELTRACE_TIMEOUT
                                           if status == -9 else "", stderr[-3000:]))
    lh.check_no_discarded(stderr, where)
    return entries, exits


def test(opt):
    app = harness.sample(opt, "sample_app")
    alone = harness.run_ok([app, "1"])
    m = APP_LINE.match(alone.stdout.strip())
    if not m:
        fail("sample_app 1 printed %r" % alone.stdout)
    retval = int(m.group(1))

    with lh.Lttng() as lt:
        lt.start_sessiond()
        trace = lt.create_session("million", channel="chan", events=["dwtrace:*"],
                                  channel_args=["--blocking-timeout=inf"])
        lt.lttng("start", "million")
        started = time.monotonic()
        result = lt.dwtrace(["--lttng", "-e", FUNCTION, "--", app, str(CALLS), "-q"],
                            timeout=DWTRACE_TIMEOUT)
        traced = time.monotonic() - started
        lt.lttng("stop", "million", timeout=120)
        lt.lttng("destroy", "million", timeout=120)
        if result.stdout:
            fail("sample_app -q printed something under dwtrace\n" + harness.describe(result))
        entries, exits = count_events(lt, trace, retval, result.pid)
        if (entries, exits) != (CALLS, CALLS):
            fail("%d entry and %d exit events recorded, expected %d of each (nothing lost)"
                 % (entries, exits, CALLS))
        print("%d calls traced in %.1f s" % (CALLS, traced))


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv, default="O2")))
