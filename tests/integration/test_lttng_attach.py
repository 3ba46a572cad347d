#!/usr/bin/env python3
"""test_lttng_attach.py CASE: dwtrace --lttng -p on a running program, as an
LTTng user works with it: sessions and enablers that come and go while
dwtrace runs, a program with its own tracepoints, dwtrace ending and
attaching again, triggers.

The programs are tests/lttng's call_app (no lttng-ust) and handwritten_app
(its own provider mylib) run with -i: each calls my_traced_function of
libmylib.so exactly when the test says so and prints each call, so every
count below is exact.  Each program's output must be the line that call_app
1 prints untraced, once per call, and it must exit 0 when its input ends.
dwtrace is ready once my_traced_function's first bytes differ from the file
(both engines patch them) and `lttng list -u` lists P:my_traced_function_entry
and _exit: with the agent engine (the default) under the program's pid and
name, with the ptrace engine under dwtrace's.  With the agent engine the
program also maps libdwtrace-ust.so and liblttng-ust.so.1 (one copy each);
its events have no pid/tid payload fields and its vpid/vtid contexts.  With
the ptrace engine the payload starts with the program's pid and tid.

CASE:
  sessions-uid, sessions-pid  attach first; then create a session (per-UID
      buffers, the default, or --buffers-pid), enable-event P:*, make 3
      calls (not started: none recorded), start, 5 calls, stop, 4 calls,
      start, 7 calls, stop: exactly the 12 calls made while the session was
      active, with their values.
  own   handwritten_app (provider mylib) in a session recording mylib:* and
      other:*; 5 calls, attach dwtrace --provider other, 10 calls, dwtrace
      SIGINTed, 3 calls: 18 mylib entry/exit pairs exactly as without dwtrace
      (its own events untouched), 10 other pairs, each inside its mylib pair
      (mylib entry, other entry, other exit, mylib exit); with the agent
      engine the program still maps one liblttng-ust.so.1.
  end   a session active throughout: attach, 5 calls, dwtrace SIGINTed (exit
      0; the program goes on), 5 calls (no events: the probes pass through;
      with the agent engine `lttng list -u` still lists the program's events
      P:*), attach again (one libdwtrace-ust.so in the maps with the agent),
      6 calls, dwtrace SIGINTed, 2 calls: exactly 11 pairs.
  trigger  lttng add-trigger --condition event-rule-matches --type=user
      --name=P:my_traced_function_entry --capture=arg1 --action notify; a
      liblttng-ctl client (tests/lttng/trigger_listener) subscribed to it;
      attach, 10 calls one by one: one notification each with arg1 = 42
      (what call_app passes); dwtrace SIGINTed, 3 calls: no notification.
"""

import os
import re
import signal
import sys
import time

import fastpath
import harness
import lttng_harness as lh
import tracing
from harness import fail

FUNCTION = "my_traced_function"
CASES = ("sessions-uid", "sessions-pid", "own", "end", "trigger")
REGISTER = {"LTTNG_UST_REGISTER_TIMEOUT": "30000"}


def call_line():
    """The line call_app prints for one call, untraced."""
    result = harness.run_ok([lh.test_program("call_app"), "1"])
    lines = result.stdout.splitlines()
    if len(lines) != 1 or not lines[0].startswith(FUNCTION + "("):
        fail("call_app 1 printed %r" % result.stdout)
    return lines[0]


def libmylib():
    # tests/lttng's programs link the -O2 libmylib.so (tests/lttng/CMakeLists.txt).
    return harness.sample("O2", "libmylib.so")


class Calls:
    """A program of tests/lttng run with -i whose output is checked."""

    def __init__(self, lt, name, extra_env=None):
        self.line = call_line()
        self.prog = lh.start_interactive(lt, name, extra_env)
        self.pid = self.prog.pid
        self.name = name
        self.made = 0

    def calls(self, n):
        got = self.prog.calls(n)
        if got != [self.line] * n:
            fail("%s: %d calls printed\n  %s\nexpected %d times\n  %s"
                 % (self.name, n, "\n  ".join(got[:5]), n, self.line))
        self.made += n

    def finish(self, where):
        self.prog.finish(where)


def attach(lt, app, prov, where):
    """dwtrace --lttng --provider prov -e FUNCTION -p app.pid, once ready."""
    d = lt.start([harness.dwtrace(), "--lttng", "--provider", prov, "-e", FUNCTION,
                  "-p", str(app.pid)])
    code = fastpath.Code(libmylib(), [FUNCTION])
    writer = app.pid if lh.program_writes() else d.pid
    want = {"%s:%s_entry" % (prov, FUNCTION), "%s:%s_exit" % (prov, FUNCTION)}
    deadline = time.monotonic() + 30
    while True:
        if d.proc.poll() is not None:
            fail("%s: dwtrace -p ended (status %s)\n%s" % (where, d.proc.poll(), d.describe()))
        apps = lh.list_ust(lt)
        if code.patched(app.pid) and writer in apps and want <= set(apps[writer][1]):
            break
        others = [p for p, (_n, evs) in apps.items() if p != writer and want <= set(evs)]
        if code.patched(app.pid) and others and time.monotonic() > deadline - 25:
            fail("%s: %s are registered by pid %s (%s), expected pid %d (%s)\n%s"
                 % (where, sorted(want), others[0], apps[others[0]][0], writer,
                    "the program" if lh.program_writes() else "dwtrace", d.describe()))
        if time.monotonic() > deadline:
            fail("%s: within 30 s dwtrace did not patch %s and register %s under pid %d "
                 "(lttng list -u: %s)\n%s" % (where, FUNCTION, sorted(want), writer, apps,
                                              d.describe()))
        time.sleep(0.05)
    if lh.program_writes():
        name = apps[writer][0]
        if os.path.basename(name.split()[0]) != app.name and not name.startswith(app.name[:15]):
            fail("%s: lttng list -u names pid %d %r, expected %s" % (where, writer, name, app.name))
        for lib in ("libdwtrace-ust.so", "liblttng-ust.so.1"):
            if lh.mapped_copies(app.pid, lib) != 1:
                fail("%s: %d copies of %s mapped in %s" % (where, lh.mapped_copies(app.pid, lib),
                                                          lib, app.name))
    return d


def detach(d, where):
    """SIGINT to dwtrace; it must exit 0."""
    tracing.send(d.pid, signal.SIGINT)
    status = d.wait(60, where)
    if status != 0:
        fail("%s: dwtrace exited with status %s after SIGINT\n%s" % (where, status, d.describe()))
    errors = [l for l in harness.without_engine_note(d.stderr.text())
              if re.search(r"error|cannot|fail", l, re.IGNORECASE)]
    if errors:
        fail("%s: dwtrace reported\n  %s" % (where, "\n  ".join(errors)))


def check_pairs(events, prov, n, pid, where):
    """n entry/exit pairs of prov:FUNCTION written for process pid, with
    call_app's arguments and return value."""
    want_ret = re.search(r"= (-?\d+)$", call_line()).group(1)
    if len(events) != 2 * n:
        fail("%s: %d events of %s, expected %d entry/exit pairs\n  %s"
             % (where, len(events), prov, n, "\n  ".join(ev.line for ev in events[:6])))
    ids = lh.id_fields(pid)
    for i, ev in enumerate(events):
        w = "%s, %s event #%d" % (where, prov, i)
        kind = "exit" if i % 2 else "entry"
        if ev.name != "%s:%s_%s" % (prov, FUNCTION, kind):
            fail("%s: expected the %s, got\n  %s" % (w, kind, ev.line))
        if kind == "entry":
            want = ids + lh.SAMPLE_ENTRY_ARGS
        else:
            d = ev.get("duration_ns")
            if d is None or not lh.is_decimal(d):
                fail("%s: no duration_ns\n  %s" % (w, ev.line))
            want = ids + [("retval", want_ret), ("duration_ns", d)]
        if ev.payload != want:
            fail("%s: payload %s, expected %s\n  %s" % (w, ev.payload, want, ev.line))
        if lh.program_writes():
            for ctx in ("vpid", "vtid"):
                v = ev.context(ctx)
                if v is not None and v != str(pid):
                    fail("%s: context %s %s, expected the program's %d\n  %s"
                         % (w, ctx, v, pid, ev.line))


def sessions(lt, buffers):
    where = "sessions and enablers after attaching (%s buffers)" % buffers
    app = Calls(lt, "call_app")
    d = attach(lt, app, "dwtrace", where)
    trace = lt.path("trace-s")
    lt.lttng("create", "s", "--output=%s" % trace)
    lt.lttng("enable-channel", "-u", "--session=s",
             "--buffers-pid" if buffers == "per-PID" else "--buffers-uid", "chan")
    for ctx in ("vpid", "vtid"):
        lt.lttng("add-context", "-u", "--session=s", "--channel=chan", "--type=%s" % ctx)
    lt.lttng("enable-event", "-u", "--session=s", "--channel=chan", "dwtrace:*")
    app.calls(3)
    lt.lttng("start", "s")
    app.calls(5)
    lt.lttng("stop", "s")
    app.calls(4)
    lt.lttng("start", "s")
    app.calls(7)
    lt.lttng("stop", "s")
    detach(d, where)
    app.finish(where)
    lt.lttng("destroy", "s")
    check_pairs(lt.events(trace), "dwtrace", 12, app.pid, where)


def own(lt):
    where = "handwritten_app (its own provider mylib) with dwtrace --provider other"
    trace = lt.create_session("own", channel="chan", events=["mylib:*", "other:*"],
                              contexts=["vpid", "vtid"])
    lt.lttng("start", "own")
    app = Calls(lt, "handwritten_app", REGISTER)
    app.calls(5)
    d = attach(lt, app, "other", where)
    app.calls(10)
    detach(d, where)
    app.calls(3)
    if lh.program_writes() and lh.mapped_copies(app.pid, "liblttng-ust.so.1") != 1:
        fail("%s: %d copies of liblttng-ust.so.1 in the program"
             % (where, lh.mapped_copies(app.pid, "liblttng-ust.so.1")))
    app.finish(where)
    lt.lttng("stop", "own")
    lt.lttng("destroy", "own")
    events = lt.events(trace)
    mine = [ev for ev in events if ev.name.startswith("mylib:")]
    other = [ev for ev in events if ev.name.startswith("other:")]
    if len(mine) + len(other) != len(events):
        fail("%s: events of other providers:\n  %s" % (where, "\n  ".join(
            ev.line for ev in events if not ev.name.startswith(("mylib:", "other:")))))
    # The program's own events: as without dwtrace (payload pid, tid, the
    # arguments, retval, duration_ns = 0), one pair per call it made.
    want_ret = re.search(r"= (-?\d+)$", app.line).group(1)
    if len(mine) != 2 * app.made:
        fail("%s: %d events of the program's own provider, expected %d (its %d calls)"
             % (where, len(mine), 2 * app.made, app.made))
    ids = [("pid", str(app.pid)), ("tid", str(app.pid))]
    for i, ev in enumerate(mine):
        want = ids + (lh.SAMPLE_ENTRY_ARGS if i % 2 == 0 else
                      [("retval", want_ret), ("duration_ns", "0")])
        kind = "exit" if i % 2 else "entry"
        if ev.name != "mylib:%s_%s" % (FUNCTION, kind) or ev.payload != want:
            fail("%s: the program's own event #%d changed:\n  %s\nexpected mylib:%s_%s %s"
                 % (where, i, ev.line, FUNCTION, kind, want))
    check_pairs(other, "other", 10, app.pid, where)
    # dwtrace's events of call k lie inside the program's own pair of call
    # 5 + k: the tracepoints surround the call.
    names = [ev.name.split(":")[0] + ":" + ev.name.rsplit("_", 1)[1] for ev in events]
    expected = (["mylib:entry", "mylib:exit"] * 5 +
                ["mylib:entry", "other:entry", "other:exit", "mylib:exit"] * 10 +
                ["mylib:entry", "mylib:exit"] * 3)
    if names != expected:
        fail("%s: the events are not in call order:\n  %s" % (where, "\n  ".join(
            ev.line for ev in events[:14])))


def end(lt):
    where = "dwtrace ends, the program goes on, dwtrace attaches again"
    trace = lt.create_session("end", channel="chan", events=["dwtrace:*"],
                              contexts=["vpid", "vtid"])
    lt.lttng("start", "end")
    app = Calls(lt, "call_app")
    d = attach(lt, app, "dwtrace", where + " (first)")
    app.calls(5)
    detach(d, where + " (first)")
    app.calls(5)
    if lh.program_writes():
        apps = lh.list_ust(lt)
        want = {"dwtrace:%s_entry" % FUNCTION, "dwtrace:%s_exit" % FUNCTION}
        if app.pid not in apps or not want <= set(apps[app.pid][1]):
            fail("%s: after dwtrace ended lttng list -u no longer lists the program's "
                 "events %s: %s" % (where, sorted(want), apps))
    d = attach(lt, app, "dwtrace", where + " (again)")
    app.calls(6)
    detach(d, where + " (again)")
    if lh.program_writes() and lh.mapped_copies(app.pid, "libdwtrace-ust.so") != 1:
        fail("%s: %d copies of libdwtrace-ust.so after attaching twice"
             % (where, lh.mapped_copies(app.pid, "libdwtrace-ust.so")))
    app.calls(2)
    app.finish(where)
    lt.lttng("stop", "end")
    lt.lttng("destroy", "end")
    check_pairs(lt.events(trace), "dwtrace", 11, app.pid, where)


def trigger(lt):
    where = "trigger with --capture=arg1 and a notification client"
    lt.lttng("add-trigger", "--name=dwt_trigger", "--condition=event-rule-matches",
             "--type=user", "--name=dwtrace:%s_entry" % FUNCTION, "--capture=arg1",
             "--action=notify")
    listener = lt.start([lh.test_program("trigger_listener"), "dwt_trigger"])
    listener.stdout.wait_for(r"^subscribed$", 30, where)
    app = Calls(lt, "call_app")
    d = attach(lt, app, "dwtrace", where)
    for k in range(1, 11):
        app.calls(1)
        if not tracing.wait_until(lambda: len(notifications(listener)) >= k, 10, 0.01):
            fail("%s: call %d brought no notification within 10 s\n%s"
                 % (where, k, listener.describe()))
    detach(d, where)
    app.calls(3)
    time.sleep(1)
    app.finish(where)
    got = notifications(listener)
    if got != ["notification 0=42"] * 10:
        fail("%s: notifications %s, expected 10 with the captured arg1 = 42\n%s"
             % (where, got, listener.describe()))


def notifications(listener):
    return [l for l in listener.stdout.lines if l != "subscribed"]


def test(case):
    with lh.Lttng() as lt:
        lt.start_sessiond()
        if case == "sessions-uid":
            sessions(lt, "per-UID")
        elif case == "sessions-pid":
            sessions(lt, "per-PID")
        elif case == "own":
            own(lt)
        elif case == "end":
            end(lt)
        else:
            trigger(lt)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        harness.main(lambda: fail("usage: test_lttng_attach.py %s" % "|".join(CASES)))
    harness.main(lambda: test(sys.argv[1]))
