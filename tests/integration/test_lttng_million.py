#!/usr/bin/env python3
"""test_lttng_million.py [O2]: nothing lost in a million calls.

In a session whose channel blocks instead of discarding
(lttng enable-channel -u --blocking-timeout=inf), dwtrace --lttng -e
my_traced_function -- sample_app 1000000 -q must record exactly 1,000,000
entry and 1,000,000 exit events: babeltrace2's text output, read line by
line, must alternate entry, exit, entry... with sample_app's arguments, the
return value sample_app prints for the same call (sample_app 1, untraced),
and babeltrace2 must not report discarded events or packets.

Agent engine: the program writes the events, so it needs
LTTNG_UST_ALLOW_BLOCKING=1 in its own environment, as any LTTng-UST
application does (the test sets it; dwtrace's -- PROGRAM inherits it); the
channel adds the vpid context, which must be sample_app's pid in every
event, and there are no pid/tid payload fields; the whole run must take
less than 120 s.  ptrace engine: dwtrace writes the events (it sets
LTTNG_UST_ALLOW_BLOCKING=1 for itself), the traced pid and tid first in the
payload, one pid; about a minute of ptrace round trips.  A ctest test of its
own, at -O2 only.
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
# Groups: the pid (vpid context or payload pid), the tid (vtid or payload
# tid), then the exit's retval and duration_ns.
AGENT_ENTRY = re.compile(PREFIX + r"entry: \{ cpu_id = \d+ \}, \{ vpid = (\d+), vtid = (\d+) \}, "
                         r"\{ arg1 = 42, arg2 = 3735928559, arg3 = 3\.14159, arg4 = 0x12345678 \}$")
AGENT_EXIT = re.compile(PREFIX + r"exit: \{ cpu_id = \d+ \}, \{ vpid = (\d+), vtid = (\d+) \}, "
                        r"\{ retval = (-?\d+), duration_ns = (\d+) \}$")
PTRACE_ENTRY = re.compile(PREFIX + r"entry: \{ cpu_id = \d+ \}, \{ vpid = \d+, vtid = \d+ \}, "
                          r"\{ pid = (\d+), tid = (\d+), arg1 = 42, "
                          r"arg2 = 3735928559, arg3 = 3\.14159, arg4 = 0x12345678 \}$")
PTRACE_EXIT = re.compile(PREFIX + r"exit: \{ cpu_id = \d+ \}, \{ vpid = \d+, vtid = \d+ \}, "
                         r"\{ pid = (\d+), tid = (\d+), retval = (-?\d+), duration_ns = (\d+) \}$")
DWTRACE_TIMEOUT = 450
AGENT_LIMIT = 120  # seconds for the traced run with the agent engine
BABELTRACE_TIMEOUT = 120


def count_events(lt, trace, retval, dwtrace_pid, program_pid):
    """Reads babeltrace2 TRACE line by line; returns (entries, exits)."""
    if lh.program_writes():
        entry_re, exit_re = AGENT_ENTRY, AGENT_EXIT
    else:
        entry_re, exit_re = PTRACE_ENTRY, PTRACE_EXIT
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
            m = entry_re.match(line) if expect_entry else exit_re.match(line)
            if not m:
                fail("%s: line %d (%d entries and %d exits before it) is not the %s "
                     "expected here:\n  %s" % (where, n, entries, exits,
                                               "entry" if expect_entry else "exit",
                                               line.rstrip("\n")))
            if pid is None:
                pid = m.group(1)
                if int(pid) != program_pid:
                    fail("%s: pid %s is not sample_app's %d (dwtrace is %d)"
                         % (where, pid, program_pid, dwtrace_pid))
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
                                  channel_args=["--blocking-timeout=inf"],
                                  contexts=["vpid", "vtid"])
        lt.lttng("start", "million")
        started = time.monotonic()
        result, child = lh.dwtrace_child(
            lt, ["--lttng", "-e", FUNCTION, "--", app, str(CALLS), "-q"],
            timeout=DWTRACE_TIMEOUT, extra_env={"LTTNG_UST_ALLOW_BLOCKING": "1"})
        traced = time.monotonic() - started
        if lh.program_writes() and traced >= AGENT_LIMIT:
            fail("%d calls traced in %.1f s with the agent engine, expected less than %d s"
                 % (CALLS, traced, AGENT_LIMIT))
        lt.lttng("stop", "million", timeout=120)
        lt.lttng("destroy", "million", timeout=120)
        if result.stdout:
            fail("sample_app -q printed something under dwtrace\n" + harness.describe(result))
        entries, exits = count_events(lt, trace, retval, result.pid, child)
        if (entries, exits) != (CALLS, CALLS):
            fail("%d entry and %d exit events recorded, expected %d of each (nothing lost)"
                 % (entries, exits, CALLS))
        print("%d calls traced in %.1f s" % (CALLS, traced))


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv, default="O2")))
