#!/usr/bin/env python3
"""test_filter_agent.py O0|O2: --filter evaluated inside the program by the
agent (issue 14, item 2), against the ptrace engine and a Python predicate.

filter_app prints each call of filter_call it makes (i, big, name, c, x, y,
v, d): the oracle.  For each filter below, dwtrace --format json -e
filter_call (and, for filters over i alone, -e filter_inner -e
filter_other: filter_inner(i) is called by filter_call for even i, a
nested call) keeps exactly the calls the same condition, written in
Python over the oracle, keeps, and every kept entry has its exit on the
same thread, nothing else: a rejected call's exit leaves no event.  With
filter_inner traced and its caller rejected, filter_inner's depth still
counts the caller, as the ptrace engine's does.  The program's output and
exit status are those of its untraced run.

On the default engine (the agent here; the test fails if another ran):
filters the agent can run are run in the program -- dwtrace says "N calls
filtered out in the program" with N the calls rejected, and DWTRACE_DEBUG=
agent shows that the rings held one entry and one exit record per kept
call only -- and the kept calls equal those of --engine ptrace.  A filter
the agent cannot run (a float) is applied by dwtrace, and -v says why.
With --lttng the same filter runs before the program's own LTTng emitter:
the session records the kept calls' entry and exit events only; with a
filter the agent cannot run, the default engine is ptrace (a note says
why) and --engine agent is refused before the program starts.

Under DWTRACE_ENGINE=ptrace the same checks run but those about the agent.
"""

import json
import os
import re
import sys

import harness
import lttng_harness as lh
from harness import fail

N = 24
FUNCS = ("filter_call", "filter_inner", "filter_other")


def keep_i(pred):
    """A predicate over i only: the same for the three functions."""
    return {f: pred for f in FUNCS}


def call_only(pred):
    """A predicate naming filter_call's other fields: only filter_call is
    traced then."""
    return {"filter_call": pred}


# (filter, {function: predicate over the oracle line of the call}, agent runs it)
CASES = [
    ("i >= 10 && i < 17", keep_i(lambda o: 10 <= o["i"] < 17), True),
    ("i == 3 || i > 21 || !(i != 8)", keep_i(lambda o: o["i"] == 3 or o["i"] > 21 or o["i"] == 8), True),
    ('name == "util.h"', call_only(lambda o: o["name"] == "util.h"), True),
    ('name == "file_*" || name == "*\\*"', call_only(lambda o: o["name"].startswith("file_") or
                                                    o["name"].endswith("*")), True),
    ('name == "*.?"', call_only(lambda o: False), True),
    ("big > 0xffffffffffffff00 || i == -1 || i < 2", call_only(lambda o: o["big"] > 0xffffffffffffff00 or
                                                              o["i"] < 2), True),
    ('name != "main.c" && p.v[2] > 20', call_only(lambda o: o["name"] != "main.c" and o["v"][2] > 20), True),
    ("p.x < 0 && c == BLUE", call_only(lambda o: o["x"] < 0 and o["c"] == "BLUE"), True),
    ("big > 100000 || (i & 5) == 5", call_only(lambda o: o["big"] > 100000 or (o["i"] & 5) == 5), True),
    ("(i << 2 | 1) == 29 || -i == -4 || (i ^ 1) == 7", keep_i(lambda o: (o["i"] << 2 | 1) == 29 or -o["i"] == -4
                                                             or (o["i"] ^ 1) == 7), True),
    ("tid > 0 && i < 0", keep_i(lambda o: False), True),
    # filter_inner has no name: !(false) keeps it, inside a rejected filter_call
    ('!(name == "main.c")', {"filter_call": lambda o: o["name"] != "main.c", "filter_inner": lambda o: True}, True),
    ("d > 2.5", call_only(lambda o: o["d"] > 2.5), False),
]


# The filters of the --lttng runs: one the agent runs, one it cannot.
LTTNG_RUNS = 'name != "main.c" && p.v[2] > 20'
LTTNG_NOT = "d > 2.5"


def oracle(opt):
    r = harness.run_ok([harness.sample(opt, "filter_app"), str(N)])
    calls = [json.loads(line) for line in r.stdout.splitlines()]
    if len(calls) != N:
        fail("filter_app printed %d calls, expected %d" % (len(calls), N))
    return calls


def expected(calls, preds):
    """[(function, i)] of the calls kept, sorted."""
    out = []
    for o in calls:
        if preds["filter_call"](o):
            out.append(("filter_call", o["i"]))
        if "filter_inner" in preds and o["i"] % 2 == 0 and preds["filter_inner"](o):
            out.append(("filter_inner", o["i"]))
        if "filter_other" in preds and preds["filter_other"](o):
            out.append(("filter_other", o["i"]))
    return sorted(out)


def total_calls(preds):
    """The calls of the traced functions filter_app makes."""
    return N + (N // 2 if "filter_inner" in preds else 0) + (N if "filter_other" in preds else 0)


def kept_calls(events, where):
    """[(function, i, depth)] of the entries, checking that each has its exit on
    its thread (a stack per thread) and that no exit is left over."""
    stacks, kept = {}, []
    for ev in events:
        fn, tid = ev.get("function"), ev.get("tid")
        st = stacks.setdefault(tid, [])
        if ev.get("type") == "entry":
            st.append(fn)
            kept.append((fn, ev["args"]["i"], ev.get("depth")))
        elif ev.get("type") == "exit":
            if not st or st[-1] != fn:
                fail("%s: an exit of %s with no entry of it in flight (a rejected call's exit?):\n  %s"
                     % (where, fn, json.dumps(ev)))
            st.pop()
    left = {t: s for t, s in stacks.items() if s}
    if left:
        fail("%s: entries without their exit: %s" % (where, left))
    return sorted(kept)


def trace(opt, expr, funcs, extra=(), env=None):
    cmd = [harness.sample(opt, "filter_app"), str(N)]
    args = ["--format", "json", "--filter", expr] + list(extra)
    for f in funcs:
        args += ["-e", f]
    _plain, traced, path = harness.check_unharmed(cmd, args, env=env)
    return traced, harness.read_events(path)


def check_case(opt, calls, expr, preds, agent_runs):
    agent = harness.engine() != "ptrace"
    where = "--filter '%s' (%s, %s)" % (expr, opt, harness.engine() or "default engine")
    want = expected(calls, preds)
    env = dict(os.environ, DWTRACE_DEBUG="agent")
    # The agent's filter is what this run checks: ask for the agent, so
    # that the default engine's choice (ptrace when a patch would be an
    # int3, which can depend on where the loader found the program's
    # threads) cannot turn it into a ptrace run.
    extra = ["-v"] + (["--engine", "agent"] if agent and not harness.engine() else [])
    traced, events = trace(opt, expr, preds, extra, env)
    got_depth = kept_calls(events, where)
    got = [(f, i) for f, i, _d in got_depth]
    if got != want:
        fail("%s: kept %s, expected %s\n%s" % (where, got, want, harness.describe(traced)))
    total = total_calls(preds)
    if not agent:
        return
    if "using the ptrace engine" in traced.stderr:
        fail("%s: the default engine was not the agent\n%s" % (where, harness.describe(traced)))
    m = re.search(r"^dwtrace: (\d+) calls? filtered out in the program$", traced.stderr, re.M)
    r = re.search(r"records read: (\d+) entries, (\d+) exits", traced.stderr)
    if not r:
        fail("%s: no 'records read' line with DWTRACE_DEBUG=agent\n%s" % (where, harness.describe(traced)))
    entries, exits = int(r.group(1)), int(r.group(2))
    if agent_runs:
        if not m or int(m.group(1)) != total - len(want):
            fail("%s: expected 'dwtrace: %d calls filtered out in the program'\n%s"
                 % (where, total - len(want), harness.describe(traced)))
        if entries != len(want) or exits != len(want):
            fail("%s: the rings held %d entry and %d exit records, expected %d of each (rejected calls "
                 "write none)\n%s" % (where, entries, exits, len(want), harness.describe(traced)))
    else:
        if m:
            fail("%s: the agent cannot run this filter, yet says it filtered calls\n%s"
                 % (where, harness.describe(traced)))
        if not re.search(r"probe 'filter_call': its --filter compares a float: dwtrace evaluates it",
                         traced.stderr):
            fail("%s: -v does not say why the agent leaves the filter to dwtrace\n%s"
                 % (where, harness.describe(traced)))
        if entries != total or exits != total:
            fail("%s: the rings held %d/%d records, expected every call's (%d)\n%s"
                 % (where, entries, exits, total, harness.describe(traced)))
    # The same calls as the ptrace engine's.
    _t, pevents = trace(opt, expr, preds, ["--engine", "ptrace"])
    pgot = kept_calls(pevents, where + " --engine ptrace")
    # depth included: a call rejected in the program still counts
    if pgot != got_depth:
        fail("%s: the agent kept (function, i, depth) %s, --engine ptrace %s" % (where, got_depth, pgot))


def check_lttng(opt, calls):
    agent = harness.engine() != "ptrace"
    app = harness.sample(opt, "filter_app")
    plain = harness.run_ok([app, str(N)])
    for expr, preds, agent_runs in [c for c in CASES if c[0] in (LTTNG_RUNS, LTTNG_NOT)]:
        where = "--lttng --filter '%s' (%s)" % (expr, opt)
        want = [i for f, i in expected(calls, preds) if f == "filter_call"]
        with lh.Lttng() as lt:
            lt.start_sessiond()
            tr = lt.create_session("flt", events=["dwtrace:filter_call_*"])
            lt.lttng("start", "flt")
            result = lt.dwtrace(["--lttng", "--filter", expr, "-e", "filter_call", "--", app, str(N)])
            lt.lttng("stop", "flt")
            lt.lttng("destroy", "flt")
            if result.stdout != plain.stdout:
                fail("%s: the program's output differs from its untraced run\n%s"
                     % (where, harness.describe(result)))
            events = lt.events(tr)
            if agent and not agent_runs and "using the ptrace engine: --filter at probe 'filter_call'" \
                    not in result.stderr:
                fail("%s: no note that the ptrace engine was chosen for the filter\n%s"
                     % (where, harness.describe(result)))
            if agent and agent_runs and "filtered out in the program" not in result.stderr:
                fail("%s: the agent did not run the filter\n%s" % (where, harness.describe(result)))
            entries = [int(e.get("i")) for e in events if e.name == "dwtrace:filter_call_entry"]
            exits = [e for e in events if e.name == "dwtrace:filter_call_exit"]
            if entries != want or len(exits) != len(want):
                fail("%s: %d entries %s and %d exits recorded, expected the calls %s\n%s"
                     % (where, len(entries), entries, len(exits), want,
                        "\n".join(e.line for e in events)))
            if agent and not agent_runs:
                refused = lt.dwtrace(["--engine", "agent", "--lttng", "--filter", expr, "-e", "filter_call",
                                      "--", app, str(N)], expect_status=None)
                if refused.returncode == 0 or refused.stdout or \
                        "--engine agent cannot trace" not in refused.stderr:
                    fail("%s: --engine agent was not refused before the program started\n%s"
                         % (where, harness.describe(refused)))


def no_addresses(text):
    return re.sub(r"0x[0-9a-f]+", "0x?", text)


# Filters over C++ references (cxx_types: ct_inc(int &r), ct_pref(const
# Point2 &p)): the referent is compared, not its address.  Each is a
# predicate over the values the program prints it received.
REF_CASES = [
    ("r == %(r)d", lambda o: o["r"] == o["want_r"]),
    ("r != %(r)d", lambda o: o["r"] is not None and o["r"] != o["want_r"]),
    ("r > %(rm)d && (r & 1) == %(odd)d", lambda o: o["r"] is not None and o["r"] > o["want_r"] - 1
     and (o["r"] & 1) == (o["want_r"] & 1)),
    ("p.x == %(x)d && p.y > p.x", lambda o: o["x"] is not None and o["x"] == o["want_x"] and o["y"] > o["x"]),
    ("p.y < %(x)d", lambda o: o["y"] is not None and o["y"] < o["want_x"]),
]


def check_references(opt):
    """The agent compares a reference's referent as dwtrace's filter does:
    the calls kept are those the program's own print says match, and the
    same as --engine ptrace keeps."""
    app = harness.sample(opt, "cxx_types")
    plain = harness.run_ok([app])
    seen = {}
    for line in plain.stdout.splitlines():
        m = re.match(r"ORACLE (ct_inc|ct_pref) (.*)$", line)
        if m:
            seen[m.group(1)] = json.loads(m.group(2))
    if set(seen) != {"ct_inc", "ct_pref"}:
        fail("cxx_types printed no ORACLE line of ct_inc and ct_pref\n" + harness.describe(plain))
    r = seen["ct_inc"]["r"]["value"]
    x, y = seen["ct_pref"]["p"]["value"]["x"], seen["ct_pref"]["p"]["value"]["y"]
    calls = {"ct::ct_inc": {"r": r, "x": None, "y": None}, "ct::ct_pref": {"r": None, "x": x, "y": y}}
    for form, pred in REF_CASES:
        expr = form % {"r": r, "x": x, "rm": r - 1, "odd": r & 1}
        want = sorted(f for f, o in calls.items() if pred(dict(o, want_r=r, want_x=x)))
        got = {}
        for eng in ([None, "ptrace"] if harness.engine() != "ptrace" else ["ptrace"]):
            args = ["-F", "json", "-v", "--filter", expr, "-e", "ct::ct_inc", "-e", "ct::ct_pref"]
            if eng:
                args = ["--engine", eng] + args
            _p, traced, path = harness.check_unharmed([app], args, normalize=no_addresses)
            events = harness.read_events(path)
            got[eng] = sorted(ev["function"].split("(")[0] for ev in events if ev.get("type") == "entry")
            where = "cxx_types --filter '%s' (%s, engine %s)" % (expr, opt, eng or "default")
            if got[eng] != want:
                fail("%s: kept %s, the program's values say %s\n%s"
                     % (where, got[eng], want, harness.describe(traced)))
            if eng is None and "dwtrace evaluates it" in traced.stderr:
                fail("%s: the agent left a reference's filter to dwtrace\n%s" % (where, harness.describe(traced)))
            if eng is None and "filtered out in the program" not in traced.stderr and len(want) < 2:
                fail("%s: the agent did not run the filter\n%s" % (where, harness.describe(traced)))


def test(opt):
    calls = oracle(opt)
    for expr, preds, agent_runs in CASES:
        check_case(opt, calls, expr, preds, agent_runs)
    check_references(opt)
    check_lttng(opt, calls)


if __name__ == "__main__":
    harness.main(test, harness.opt_level(sys.argv, "O2"))
