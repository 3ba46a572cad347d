#!/usr/bin/env python3
"""test_lttng_live.py O0|O2: dwtrace --lttng into a live session.

The test starts lttng-relayd on three free loopback ports of its own and a
live session streaming to it (lttng create --live --set-url), then a live
reader, babeltrace2 --input-format=lttng-live on the session's URL (as
babeltrace2 lists it), then runs dwtrace --lttng -e my_traced_function --
sample_app 200.  While the session still runs, the reader must print all 200
entry and 200 exit events, with the values sample_app printed; after
lttng destroy it must end by itself.
"""

import re
import sys

import harness
import lttng_harness as lh
import tracing
from harness import fail

CALLS = 200
FUNCTION = "my_traced_function"
SESSION = "livetest"
APP_LINE = re.compile(r"^my_traced_function\(arg1=42, arg2=3735928559, arg3=3\.14159, "
                      r"arg4=0x12345678\) = (-?\d+)$")
ENTRY_ARGS = [("arg1", "42"), ("arg2", "3735928559"), ("arg3", "3.14159"),
              ("arg4", "0x12345678")]
LIVE_TIMER_US = 100000


def session_url(lt, live_port, where):
    """The lttng-live URL of SESSION, from babeltrace2's list of the relay
    daemon's sessions."""
    url = "net://127.0.0.1:%d" % live_port
    result = lt.run(["babeltrace2", "--input-format=lttng-live", url])
    if result.returncode != 0:
        fail("%s: babeltrace2 cannot list the relay daemon's sessions\n%s"
             % (where, harness.describe(result)))
    m = re.search(r"^(net://127\.0\.0\.1:%d/host/[^/\s]+/%s) " % (live_port, SESSION),
                  result.stdout, re.MULTILINE)
    if not m:
        fail("%s: the relay daemon does not list the session %s\n%s"
             % (where, SESSION, harness.describe(result)))
    return m.group(1)


def test(opt):
    where = "live session (%s)" % opt
    with lh.Lttng() as lt:
        lt.start_sessiond()
        control, data, live = lt.start_relayd()
        lt.lttng("create", SESSION, "--live=%d" % LIVE_TIMER_US,
                 "--set-url=net://127.0.0.1:%d:%d" % (control, data))
        lt.setup_session(SESSION, events=["dwtrace:*"])
        lt.lttng("start", SESSION)
        url = session_url(lt, live, where)
        # stdbuf: babeltrace2 writes through stdio, line by line only this way
        # when its stdout is a pipe.
        reader = lt.start(["stdbuf", "-oL", "babeltrace2", "--input-format=lttng-live", url])

        result = lt.dwtrace(["--lttng", "-e", FUNCTION, "--",
                             harness.sample(opt, "sample_app"), str(CALLS)])
        returns = []
        for line in result.stdout.splitlines():
            m = APP_LINE.match(line)
            if not m:
                fail("%s: unexpected line in sample_app's output: %r" % (where, line))
            returns.append(int(m.group(1)))
        if len(returns) != CALLS:
            fail("%s: sample_app printed %d calls, expected %d\n%s"
                 % (where, len(returns), CALLS, harness.describe(result)))

        # All events arrive while the session runs (the live timer flushes
        # the buffers every 0.1 s).
        last = "dwtrace:%s_exit: " % FUNCTION
        ok = tracing.wait_until(
            lambda: sum(1 for l in reader.stdout.lines if last in l) >= CALLS, 20, 0.05)
        if not ok:
            fail("%s: within 20 s the live reader printed %d exit events of %d\n%s"
                 % (where, sum(1 for l in reader.stdout.lines if last in l), CALLS,
                    reader.describe()))

        lt.lttng("stop", SESSION)
        lt.lttng("destroy", SESSION)
        status = reader.wait(15, "%s: the live reader after lttng destroy" % where)
        if status != 0:
            fail("%s: the live reader exited with status %s\n%s" % (where, status, reader.describe()))
        lh.check_no_discarded(reader.stderr.text(), where)
        events = lh.parse_events(reader.stdout.text(), where)

        if len(events) != 2 * CALLS:
            fail("%s: the live reader printed %d events, expected %d entries and %d exits"
                 % (where, len(events), CALLS, CALLS))
        pid = events[0].get("pid")
        if pid is None or not lh.is_decimal(pid) or int(pid) == result.pid:
            fail("%s: payload pid %s is not the traced program's:\n  %s"
                 % (where, pid, events[0].line))
        for i, ev in enumerate(events):
            w = "%s, event #%d" % (where, i)
            if i % 2 == 0:
                want_name = "dwtrace:%s_entry" % FUNCTION
                want = [("pid", pid), ("tid", pid)] + ENTRY_ARGS
            else:
                want_name = "dwtrace:%s_exit" % FUNCTION
                d = ev.get("duration_ns")
                if d is None or not lh.is_decimal(d) or int(d) <= 0:
                    fail("%s: duration_ns %s is not a positive integer:\n  %s" % (w, d, ev.line))
                want = [("pid", pid), ("tid", pid), ("retval", str(returns[i // 2])),
                        ("duration_ns", d)]
            if ev.name != want_name or ev.payload != want:
                fail("%s: expected %s with payload %s, got:\n  %s" % (w, want_name, want, ev.line))


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
