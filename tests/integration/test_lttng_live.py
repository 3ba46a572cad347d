#!/usr/bin/env python3
"""test_lttng_live.py O0|O2: dwtrace --lttng into a live session.

The test starts lttng-relayd on three free loopback ports of its own and a
live session streaming to it (lttng create --live --set-url), then a live
reader, babeltrace2 --input-format=lttng-live on the session's URL (as
babeltrace2 lists it), then runs dwtrace --lttng -e my_traced_function --
sample_app 200.  While the session still runs, the reader must print all 200
entry and 200 exit events, with the values sample_app printed; after
lttng destroy it must end by itself.  The channel adds the vpid and vtid
contexts: with the agent engine the events are sample_app's own (vpid =
vtid = its pid, no pid/tid payload fields), with the ptrace engine dwtrace's
(vpid dwtrace's pid, sample_app's pid and tid in the payload).  sample_app's
output must be that of its untraced run.
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
        lt.setup_session(SESSION, channel="chan", events=["dwtrace:*"],
                         contexts=["vpid", "vtid"])
        lt.lttng("start", SESSION)
        url = session_url(lt, live, where)
        # stdbuf: babeltrace2 writes through stdio, line by line only this way
        # when its stdout is a pipe.
        reader = lt.start(["stdbuf", "-oL", "babeltrace2", "--input-format=lttng-live", url])

        app = harness.sample(opt, "sample_app")
        plain = harness.run_ok([app, str(CALLS)])
        result, child = lh.dwtrace_child(lt, ["--lttng", "-e", FUNCTION, "--", app, str(CALLS)])
        if result.stdout != plain.stdout:
            fail("%s: sample_app's output differs from its untraced run\n%s"
                 % (where, harness.describe(result)))
        returns = lh.sample_returns(result, CALLS, where)

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

        lh.check_sample_events(events, returns, result.pid, where, program_pid=child)
        if any(ev.context("vpid") is None for ev in events):
            fail("%s: events without the vpid context" % where)


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
