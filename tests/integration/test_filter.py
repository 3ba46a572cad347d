#!/usr/bin/env python3
"""test_filter.py O0|O2: --filter keeps exactly the calls its expression holds for.

filter_app calls filter_call(i, big, name, c, p, d, slow_ms) of libfilter.so
for i = 0..N-1 with values that vary per call, and prints one JSON line per
call: what it passed, what filter_call returned, whether it slept 60 ms and
whether filter_call called filter_inner.  Those prints are the oracle: for
each expression, a Python predicate over them says which calls must be
kept; dwtrace's JSON must hold the entries (and exits) of those calls and
no other, and the program's output and exit status must be those of its
untraced run.  Then: names only some probes have (a note, LTTng's rule),
depth, and bad expressions (exit 2 before the program runs, or with -p
before the process is touched).
"""

import fnmatch
import json
import os
import re
import subprocess
import sys

import harness
import tracing
from harness import fail

N = 24
INT64_MAX = 2 ** 63 - 1

# (expression, predicate over one call the program printed).
CASES = [
    ("i >= 3 && i < 9 || i == 20", lambda k: 3 <= k["i"] < 9 or k["i"] == 20),
    ("!(i & 1) && i != 4", lambda k: not (k["i"] & 1) and k["i"] != 4),
    ("(i << 2) > 40 && (i ^ 3) != 20", lambda k: (k["i"] << 2) > 40 and (k["i"] ^ 3) != 20),
    ("big > 9223372036854775807", lambda k: k["big"] > INT64_MAX),
    ("big == 18446744073709551603 || big == 0xfffffffffffffff6",
     lambda k: k["big"] in (18446744073709551603, 0xfffffffffffffff6)),
    ("big < 10000 && big >= 3000", lambda k: 3000 <= k["big"] < 10000),
    ('name == "file_*"', lambda k: fnmatch.fnmatchcase(k["name"], "file_*")),
    ('name != "*.c"', lambda k: not k["name"].endswith(".c")),
    ('name == "README\\*"', lambda k: k["name"] == "README*"),
    ('name == "util.h" || name == "*_1?.c"', lambda k: k["name"] == "util.h"),
    ("c == GREEN", lambda k: k["c"] == "GREEN"),
    ("BLUE != c && !(i < 10)", lambda k: k["c"] != "BLUE" and not k["i"] < 10),
    ("p.x < -5 || p.v[1] == -17", lambda k: k["x"] < -5 or k["v"][1] == -17),
    ("p.y >= 100 && p.v[2] <= 40", lambda k: k["y"] >= 100 and k["v"][2] <= 40),
    ("d >= 2.5 && d < 4", lambda k: 2.5 <= k["d"] < 4),
    ("retval == 2 || retval < -1", lambda k: k["ret"] == 2 or k["ret"] < -1),
    ("retval == 0 && i > 10", lambda k: k["ret"] == 0 and k["i"] > 10),
    # The two calls that sleep 60 ms; every other call returns in far
    # less than 40 ms, whatever the engine.
    ("duration_ns > 40000000", lambda k: k["slow"] > 0),
    ("tid == pid && $ctx.vtid == $ctx.vpid && i < 5", lambda k: k["i"] < 5),
    ("tid != pid", lambda k: False),
]


def oracle(opt):
    app = harness.sample(opt, "filter_app")
    plain = harness.run_untraced([app, str(N)])
    if plain.returncode != 0:
        fail("filter_app failed untraced\n" + harness.describe(plain))
    calls = [json.loads(line) for line in plain.stdout.splitlines()]
    if [k["i"] for k in calls] != list(range(N)):
        fail("filter_app printed %r" % plain.stdout[:500])
    return app, plain, calls


def traced(app, plain, args, where):
    """Runs dwtrace ARGS -- filter_app N; checks the program is unharmed;
    returns (events, result)."""
    out = os.path.join(harness.tempdir(), "events.json")
    result = harness.run([harness.dwtrace(), "--format", "json", "-o", out] + args + ["--", app, str(N)])
    if result.stdout != plain.stdout or result.returncode != plain.returncode:
        fail("%s: the traced program's output or status differs from its untraced run\n%s"
             % (where, harness.describe(result)))
    return harness.read_events(out), result


def kept_calls(events, function, where):
    """The i of each entry of function, checking each has its exit next
    (filter_call's only nested calls are filter_inner's)."""
    kept = []
    open_calls = []
    for ev in events:
        if ev.get("function") != function:
            continue
        if ev["type"] == "entry":
            kept.append(ev["args"]["i"])
            open_calls.append(ev)
        elif ev["type"] == "exit":
            if not open_calls:
                fail("%s: an exit of %s without its entry: %r" % (where, function, ev))
            open_calls.pop()
    if open_calls:
        fail("%s: entries of %s without exits: %r" % (where, function, open_calls))
    return kept


def check_cases(opt):
    app, plain, calls = oracle(opt)
    for expr, pred in CASES:
        where = "%s --filter '%s'" % (opt, expr)
        events, result = traced(app, plain, ["-e", "filter_call", "--filter", expr], where)
        want = [k["i"] for k in calls if pred(k)]
        got = kept_calls(events, "filter_call", where)
        if got != want:
            fail("%s: kept the calls with i in %s, the program's calls say %s\n%s"
                 % (where, got, want, result.stderr))
        # The values written are the program's (the held entries of
        # retval/duration_ns filters are decoded from their copies).
        by_i = {k["i"]: k for k in calls}
        for ev in events:
            if ev["type"] == "entry":
                k = by_i[ev["args"]["i"]]
                if ev["args"]["name"] != k["name"] or ev["args"]["big"] != k["big"] or \
                        ev["args"]["p"]["v"] != k["v"]:
                    fail("%s: entry %r differs from the program's call %r" % (where, ev, k))
            elif ev["type"] == "exit" and ev["retval"] not in [k["ret"] for k in calls]:
                fail("%s: exit %r" % (where, ev))
        # Exits follow their entries, entries in the order of the calls.
        if [e["type"] for e in events] != ["entry", "exit"] * len(want):
            fail("%s: events out of order: %r" % (where, [e["type"] for e in events]))


def check_nested(opt):
    """Entries held for an exit-decided filter: the nested calls' events come
    first, the ids and timestamps keep the true order; depth counts calls the
    filter dropped."""
    app, plain, calls = oracle(opt)
    where = "%s nested" % opt
    # filter_inner's i is filter_call's; depth == 1 keeps filter_inner only.
    events, _ = traced(app, plain, ["-e", "filter_call", "-e", "filter_inner", "--filter", "depth == 1"], where)
    want = [k["i"] for k in calls if k["inner"]]
    if kept_calls(events, "filter_inner", where) != want or kept_calls(events, "filter_call", where):
        fail("%s: depth == 1 kept %r, the program's nested calls are %s"
             % (where, [(e["function"], e["type"]) for e in events], want))
    # retval == 2: filter_call's calls returning 2 and filter_inner(1)
    # (never called: inner calls are for even i, returning 2i); the held
    # entry of filter_call is written after filter_inner's events.
    # i == 4 alone decides 'retval == 2 || i == 4' at the entry: written
    # at once, before filter_inner's events.
    events, _ = traced(app, plain, ["-e", "filter_call", "-e", "filter_inner",
                                    "--filter", "retval == 2 || i == 4"], where)
    seq = [(e["function"], e["type"], e["args"]["i"] if e["type"] == "entry" else None) for e in events]
    at = seq.index(("filter_call", "entry", 4)) if ("filter_call", "entry", 4) in seq else -1
    if at < 0 or seq[at + 1][:2] != ("filter_inner", "entry"):
        fail("%s: filter_call(4)'s entry, decided at the entry, is not written at once: %r" % (where, seq))
    # 'retval != 7777' leaves it to the exit (no call returns 7777): held.
    if any(k["ret"] == 7777 for k in calls):
        fail("%s: a call returned 7777" % where)
    events, _ = traced(app, plain, ["-e", "filter_call", "-e", "filter_inner",
                                    "--filter", "retval == 2 || i == 4 && retval != 7777"], where)
    want_outer = [k["i"] for k in calls if k["ret"] == 2 or k["i"] == 4]
    if kept_calls(events, "filter_call", where) != want_outer:
        fail("%s: kept %r" % (where, events))
    if kept_calls(events, "filter_inner", where) != [4]:
        fail("%s: filter_inner kept %r" % (where, kept_calls(events, "filter_inner", where)))
    seq = [(e["function"], e["type"]) for e in events]
    outer = [n for n, e in enumerate(events) if e["function"] == "filter_call" and e["type"] == "entry"
             and e["args"]["i"] == 4]
    inner = [n for n, e in enumerate(events) if e["function"] == "filter_inner"]
    if len(outer) != 1 or len(inner) != 2 or not inner[1] < outer[0] or \
            events[outer[0] + 1]["function"] != "filter_call" or events[outer[0] + 1]["type"] != "exit":
        fail("%s: the held entry of filter_call(4) is not written just before its exit: %r" % (where, seq))
    if not events[outer[0]]["ts_ns"] < events[inner[0]]["ts_ns"] < events[outer[0] + 1]["ts_ns"]:
        fail("%s: ts_ns of the held entry is not its own: %r" % (where, events))


def check_missing(opt):
    """A name only some probes have: one note per probe lacking it; its
    comparisons there are false."""
    app, plain, calls = oracle(opt)
    where = "%s missing field" % opt
    events, result = traced(app, plain, ["-e", "filter_call", "-e", "filter_other",
                                         "--filter", 'name == "main.c" || i == 1'], where)
    want = [k["i"] for k in calls if k["name"] == "main.c" or k["i"] == 1]
    if kept_calls(events, "filter_call", where) != want:
        fail("%s: filter_call kept %r, want %r" % (where, kept_calls(events, "filter_call", where), want))
    if kept_calls(events, "filter_other", where) != [1]:
        fail("%s: filter_other kept %r" % (where, kept_calls(events, "filter_other", where)))
    notes = [l for l in harness.stderr_lines(result) if "has no field" in l]
    if notes != ["dwtrace: --filter: probe 'filter_other' has no field 'name': comparisons with it are false there"]:
        fail("%s: notes %r" % (where, notes))


BAD = [
    ("i == 1 &&", "--filter: expected an operand after '&&' (column 8), found the end at column 10"),
    ("i % 2 == 0", "--filter: arithmetic ('%') is not supported (LTTng's filters have none) at column 3"),
    # Deeper than 256 levels: refused before anything recurses on it.
    ("(" * 10000 + "i == 1" + ")" * 10000, "--filter: nested deeper than 256 levels at column 257"),
    ("!" * 120000 + "i", "--filter: nested deeper than 256 levels at column 257"),
    ("-" * 120000 + "i == 1", "--filter: nested deeper than 256 levels at column 257"),
    ("i = 1", "--filter: unexpected '=' (an operator such as && or == was expected) at column 3"),
    ("lenn == 3", "--filter: unknown field 'lenn' (no probe has it; probe 'filter_call' has i, big, name, c, "
     "p, d, slow_ms, and retval, duration_ns, tid, pid, depth)"),
    ("name == 3", "--filter: 'name' of probe 'filter_call' is a string: compare it with a \"string\""),
    ("p.z == 3", "--filter: 'p.z' of probe 'filter_call': struct fpoint has no member 'z'"),
    ("c == PURPLE", "--filter: 'c' of probe 'filter_call' is an enum fcolor: 'PURPLE' is not one of its "
     "enumerators"),
]


def check_bad(opt):
    app = harness.sample(opt, "filter_app")
    for args, message in [(["-e", "filter_call", "--filter", e], m) for e, m in BAD] + [
            (["-e", "filter_call", "--filter", "i == 1", "--filter", "i == 2"],
             "--filter given twice: combine them with && in one"),
            # A MODULE:FUNCTION probe found now does not excuse an unknown name.
            (["-e", "libfilter.so:filter_call", "--filter", "nme == 1"],
             "--filter: unknown field 'nme' (no probe has it; probe 'filter_call' has i, big, name, c, p, d, "
             "slow_ms, and retval, duration_ns, tid, pid, depth)")]:
        expr = args[-1]
        result = harness.run_dwtrace(args + ["--", app, "3"], expect_status=2)
        lines = harness.stderr_lines(result)
        if lines != ["dwtrace: " + message] or result.stdout:
            fail("--filter '%s': expected the one line %r and no output of the program\n%s"
                 % (expr, message, harness.describe(result)))
    # LTTng events are written as they happen: no exit-decided filter.
    result = harness.run_dwtrace(["--lttng", "-e", "filter_call", "--filter", "retval == 1", "--", app, "3"],
                                 expect_status=2)
    if "written as they happen" not in result.stderr or result.stdout:
        fail("--lttng with retval\n" + harness.describe(result))
    # -p: the process is left as it was, and runs on as without dwtrace.
    proc = subprocess.Popen([app, "4", "wait"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        tracing.wait_for(lambda: tracing.task_state(proc.pid, proc.pid) == "S", "filter_app to wait", 10)
        maps = open("/proc/%d/maps" % proc.pid).read()
        # The unknown field too: with -p every probe's spec stays pending
        # for a reload, which must not excuse it.
        for expr, message in BAD[:3] + [b for b in BAD if b[0].startswith("lenn ")]:
            result = harness.run_dwtrace(["-p", str(proc.pid), "-e", "filter_call", "--filter", expr],
                                         expect_status=2)
            if harness.stderr_lines(result) != ["dwtrace: " + message]:
                fail("-p, --filter '%s'\n%s" % (expr, harness.describe(result)))
            if tracing.tracer_pid(proc.pid, proc.pid) != 0 or tracing.task_state(proc.pid, proc.pid) != "S":
                fail("-p, --filter '%s': the process is traced or not sleeping any more" % expr)
            if open("/proc/%d/maps" % proc.pid).read() != maps:
                fail("-p, --filter '%s': the process's mappings changed" % expr)
        out, _ = proc.communicate("go\n", timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    want = harness.run_untraced([app, "4"]).stdout
    if proc.returncode != 0 or out != want:
        fail("-p: filter_app printed %r (status %s), untraced %r" % (out, proc.returncode, want))


def check_late(opt):
    """A probe found in a library loaded later that the expression cannot
    apply to: a warning, and it is not placed; the program runs as alone."""
    app = harness.sample(opt, "dlopen_app")
    where = "%s dlopen" % opt
    plain, result, out = harness.check_unharmed(
        [app], ["--format", "json", "-e", "call_plugin", "-e", "libplugin.so:plugin_fn",
                "--filter", "x.y == 1 || first > 1"])
    warning = ("dwtrace: warning: --filter: 'x.y' of probe 'plugin_fn': 'x' is not a struct or union; "
               "probe 'plugin_fn' in libplugin.so is not placed")
    if warning not in harness.stderr_lines(result):
        fail("%s: no warning %r\n%s" % (where, warning, harness.describe(result)))
    events = harness.read_events(out)
    # call_plugin(first, last) calls plugin_fn(first..last) after each
    # dlopen the program prints: the first x printed after each is first.
    firsts, after_dlopen = [], False
    for line in plain.stdout.splitlines():
        if line.startswith("dlopen "):
            after_dlopen = True
        elif line.startswith("plugin_fn(x=") and after_dlopen:
            firsts.append(int(line[len("plugin_fn(x="):line.index(")")]))
            after_dlopen = False
    want = [f for f in firsts if f > 1]
    if len(firsts) != 2 or any(e["function"] != "call_plugin" for e in events) or \
            [e["args"]["first"] for e in events if e["type"] == "entry"] != want:
        fail("%s: events %r (call_plugin's first arguments, from the prints: %r)" % (where, events, firsts))


def check_entry_decided(opt):
    """A filter naming retval that the entry alone decides (Kleene's logic,
    retval unknown there) keeps the calls longjmp left, as the same filter
    without retval does; one the entry rejects counts no call."""
    app = harness.sample(opt, "longjmp_app")
    where = "%s longjmp" % opt
    plain = harness.run_untraced([app])
    lines = plain.stdout.splitlines()
    entries3 = lines.count("entry lj_inner 3")
    exits3 = sum(1 for l in lines if l.startswith("exit lj_inner 3 "))
    rets = [int(l.split()[3]) for l in lines if l.startswith("exit lj_inner ")]
    if -1 in rets or not entries3 > exits3 > 0:
        fail("%s: the program's prints are not as this test expects: %r" % (where, plain.stdout[:800]))
    for expr in ("depth == 3 || retval == -1", "retval == -1 || depth == 3", "depth == 3"):
        _, result, out = harness.check_unharmed([app], ["--format", "json", "-e", "lj_inner", "--filter", expr])
        events = harness.read_events(out)
        got_entries = [e for e in events if e["type"] == "entry"]
        got_exits = [e for e in events if e["type"] == "exit"]
        if len(got_entries) != entries3 or any(e["args"]["depth"] != 3 for e in got_entries) or \
                len(got_exits) != exits3:
            fail("%s --filter '%s': %d entries, %d exits; the program printed %d entries of lj_inner(3), "
                 "%d returned\n%s" % (where, expr, len(got_entries), len(got_exits), entries3, exits3,
                                      result.stderr))
    # Rejected at the entry (depth != 0) or kept at the exit: the calls at depth 0.
    _, result, out = harness.check_unharmed([app], ["--format", "json", "-e", "lj_inner",
                                                    "--filter", "depth == 0 && retval != -1"])
    events = harness.read_events(out)
    want = lines.count("entry lj_inner 0")
    if len(events) != 2 * want or any(e["type"] == "entry" and e["args"]["depth"] != 0 for e in events):
        fail("%s: depth == 0 && retval != -1 kept %r, want %d calls" % (where, events, want))


def check_references_and_no_exit(opt):
    """A std::string by reference compares as a string; retval at inlined
    copies a glob matched and at a point is a note, comparisons false there."""
    app = harness.sample(opt, "cxx_types")
    plain, result, out = harness.check_unharmed(
        [app], ["--format", "json", "-e", "ct::ct_str_cref", "--filter", 's == "heap*" && s != "heap"'],
        normalize=lambda text: re.sub(r"0x[0-9a-f]+", "0x?", text))  # its prints show stack addresses
    printed = [json.loads(l.split(" ", 2)[2]) for l in plain.stdout.splitlines()
               if l.startswith("ORACLE ct_str_cref ")]
    want = [k for k in printed if k["s"]["value"].startswith("heap")]
    got = [e for e in harness.read_events(out) if e["type"] == "entry"]
    if not printed or [e["args"]["s"]["value"] for e in got] != [k["s"]["value"] for k in want]:
        fail("%s: ct_str_cref kept %r, the program passed %r\n%s" % (opt, got, printed, result.stderr))
    fapp = harness.sample(opt, "filter_app")
    result = harness.run_dwtrace(["-e", "ct::ct_str_cref", "--filter", "s != 0", "--", app], expect_status=2)
    if not result.stderr.endswith(" is a string: compare it with a \"string\"\n") or result.stdout:
        fail("%s: a std::string reference compared with 0\n%s" % (opt, harness.describe(result)))
    plain, result, out = harness.check_unharmed(
        [fapp, str(N)], ["--format", "json", "-e", "filter_*", "-e", "filter_lib.c:28",
                         "--filter", "retval == 2 || i == 1"])
    calls = [json.loads(line) for line in plain.stdout.splitlines()]
    events = harness.read_events(out)
    want = [k["i"] for k in calls if k["ret"] == 2 or k["i"] == 1]
    if kept_calls(events, "filter_call", opt) != want:
        fail("%s: filter_call kept %r, want %r" % (opt, kept_calls(events, "filter_call", opt), want))
    notes = harness.stderr_lines(result)
    point = [l for l in notes if re.fullmatch(r"dwtrace: --filter: point filter_call\+0x[0-9a-f]+ has no exit, "
                                              r"so no 'retval': comparisons with it are false there", l)]
    inlined = [l for l in notes if l.startswith("dwtrace: --filter: inlined copy of filter_doc in ")
               and l.endswith(" has no exit, so no 'retval': comparisons with it are false there "
                              "(-x 'filter_doc' leaves it out)")]
    if len(point) != 1 or not inlined or len(set(inlined)) != len(inlined):
        fail("%s: notes for probes with no exit\n%s" % (opt, result.stderr))
    # The point's hits: i == 1 only (its retval comparison is false).
    pts = [e for e in events if e["function"] == "filter_call" and e["type"] not in ("entry", "exit")]
    if [e["args"]["i"] for e in pts] != [1]:
        fail("%s: the point kept %r" % (opt, pts))


def test(opt):
    check_entry_decided(opt)
    check_references_and_no_exit(opt)
    check_bad(opt)
    check_cases(opt)
    check_nested(opt)
    check_missing(opt)
    check_late(opt)


if __name__ == "__main__":
    harness.main(test, harness.opt_level(sys.argv))
