#!/usr/bin/env python3
"""test_lttng_filter.py O0|O2: LTTng filter expressions on dwtrace's fields.

One run of types_app under dwtrace --lttng -e 't_*' is recorded by several
sessions at once, each enabling one entry event with one --filter
expression on an integer, a floating-point or a string field.  Each session
must keep exactly the calls whose arguments, as types_app's own oracle lines
give them, satisfy the expression (evaluated here in Python), with those
arguments, and nothing else.

Filters on the context $ctx.procname (issue 12): one run of sample_app 20
under dwtrace --lttng -e my_traced_function, recorded by sessions whose
entry event filters on procname "sample_app", "dwtrace", "nosuch", and on
procname "sample_app" together with a payload field.  With the agent engine
the program writes its events itself: "sample_app" keeps every call (with
sample_app's arguments), "dwtrace" and "nosuch" none.  With the ptrace engine
dwtrace's process writes them (documented): "dwtrace" keeps every call,
"sample_app" and "nosuch" none.  sample_app's output must be that of its
untraced run.
"""

import json
import sys

import harness
import lttng_harness as lh
from harness import fail

# (event, LTTng filter, the same condition on the oracle's args, field shown)
CASES = [
    ("t_int64s", "i64 > 10", lambda a: a["i64"] > 10, "i64"),
    ("t_int64s", "i64 < -10", lambda a: a["i64"] < -10, "i64"),
    ("t_int64s", "i64 == -1", lambda a: a["i64"] == -1, "i64"),
    ("t_int_widths", "i8 < 0 && u16 == 65535", lambda a: a["i8"] < 0 and a["u16"] == 65535, "i8"),
    ("t_ret_double", "x > 100.0", lambda a: a["x"] > 100.0, "x"),
    ("t_ret_double", "x < 100.0", lambda a: a["x"] < 100.0, "x"),
    ("t_small", "scale < 0.0", lambda a: a["scale"] < 0.0, "scale"),
    ("t_string", 's == "hello*"', lambda a: a["s"] is not None and a["s"].startswith("hello"), "s"),
    ("t_ret_str", "which == 5", lambda a: a["which"] == 5, "which"),
]


def oracle_entries(result):
    return [ev for ev in harness.oracle_lines(result) if ev["type"] == "entry"]


def test(opt):
    with lh.Lttng() as lt:
        lt.start_sessiond()
        sessions = []
        for i, (function, expr, _cond, _field) in enumerate(CASES):
            name = "filter%d" % i
            trace = lt.create_session(name, events=["dwtrace:%s_entry" % function],
                                      filter_expr=expr)
            lt.lttng("start", name)
            sessions.append((name, trace))
        result = lt.dwtrace(["--lttng", "-e", "t_*", "--", harness.sample(opt, "types_app")])
        for name, _trace in sessions:
            lt.lttng("stop", name)
            lt.lttng("destroy", name)
        oracle = oracle_entries(result)

        for (function, expr, cond, field), (_name, trace) in zip(CASES, sessions):
            where = "--filter '%s' on dwtrace:%s_entry (%s)" % (expr, function, opt)
            calls = [o["args"] for o in oracle if o["function"] == function]
            if not calls:
                fail("%s: types_app's oracle shows no call of %s" % (where, function))
            kept = [a for a in calls if cond(a)]
            events = lt.events(trace)
            for ev in events:
                if ev.name != "dwtrace:%s_entry" % function:
                    fail("%s: the session recorded another event:\n  %s" % (where, ev.line))
            if len(events) != len(kept):
                fail("%s: %d events recorded, expected %d of the %d calls (%s)\n  %s"
                     % (where, len(events), len(kept), len(calls),
                        json.dumps([a[field] for a in kept]),
                        "\n  ".join(ev.line for ev in events) or "(none)"))
            for ev, args in zip(events, kept):
                v = args[field]
                if isinstance(v, float) or field in ("x", "scale"):
                    want = lh.bt_float(v)
                elif isinstance(v, int):
                    want = str(v)
                else:
                    want = lh.bt_string(v)
                if ev.get(field) != want:
                    fail("%s: recorded %s = %s, expected the call with %s = %s\n  %s"
                         % (where, field, ev.get(field), field, want, ev.line))

        test_procname(lt, opt)


PROCNAME_CALLS = 20
ENTRY = "dwtrace:my_traced_function_entry"


def procname_cases():
    """(filter, whether it keeps every call) for this test's engine."""
    own = lh.program_writes()
    return [('$ctx.procname == "sample_app"', own),
            ('$ctx.procname == "dwtrace"', not own),
            ('$ctx.procname == "nosuch"', False),
            ('$ctx.procname == "sample_app" && arg1 == 42', own),
            ('$ctx.procname == "sample_app" && arg1 != 42', False)]


def test_procname(lt, opt):
    app = harness.sample(opt, "sample_app")
    plain = harness.run_ok([app, str(PROCNAME_CALLS)])
    sessions = []
    for i, (expr, _keeps) in enumerate(procname_cases()):
        name = "procname%d" % i
        sessions.append(lt.create_session(name, events=[ENTRY], filter_expr=expr))
        lt.lttng("start", name)
    result = lt.dwtrace(["--lttng", "-e", "my_traced_function", "--", app,
                         str(PROCNAME_CALLS)])
    for i in range(len(sessions)):
        lt.lttng("stop", "procname%d" % i)
        lt.lttng("destroy", "procname%d" % i)
    if result.stdout != plain.stdout:
        fail("sample_app's output under dwtrace differs from its untraced run\n%s"
             % harness.describe(result))
    for (expr, keeps), trace in zip(procname_cases(), sessions):
        where = "--filter '%s' on %s (%s, %s engine)" % (
            expr, ENTRY, opt, "agent" if lh.program_writes() else "ptrace")
        events = lt.events(trace)
        want = PROCNAME_CALLS if keeps else 0
        if len(events) != want:
            fail("%s: %d events recorded, expected %d\n  %s"
                 % (where, len(events), want, "\n  ".join(ev.line for ev in events[:4])))
        for ev in events:
            args = [(n, v) for n, v in ev.payload if n not in ("pid", "tid")]
            if ev.name != ENTRY or args != lh.SAMPLE_ENTRY_ARGS:
                fail("%s: expected sample_app's call, got:\n  %s" % (where, ev.line))


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
