#!/usr/bin/env python3
"""test_rust.py O0|O2: Rust functions by their demangled names, with their
parameters read where DWARF locations put them (Rust's calling convention
is not SysV's: issue 13).

rust_app (samples/rust_app.rs, Debian's rustc -g at opt-level 0 and 2)
prints each call's arguments and, in main, what it returned.  Traced with
-e 'rust_app::*' (a glob over demangled names, no hash), every event is of
a rust_app:: function; the events of compute(a: u64, b: i32, scale: f64),
greet(name: &str, owned: String) and total(v: &[i64]) must show what the
program printed: integers, the float, both strings as strings, the slice's
length; their results as main printed them.  gdb stopped where it breaks
for `break rust_app::compute` / `greet` (after the prologue, info args) is
the second oracle for the first call.  The program's output and exit
status must be those of an untraced run.

opt(o: Option<u32>, r: Result<i32, String>) takes two Rust enums (structs
with a DWARF variant part, whose discriminant dwtrace does not decode yet):
their values must never be shown as the empty structs their members alone
make, but as unavailable with why "Rust enum not decoded", in each of
the calls the program printed.
"""

import collections
import re
import sys

import harness
from harness import fail

CALL = re.compile(r"^(compute|greet|total)\((.*)\)$")
RESULT = re.compile(r"^(compute|greet|total) = (-?\d+)$")


def parse_call(fn, text, where):
    if fn == "compute":
        m = re.match(r"^a=(\d+), b=(-?\d+), scale=([0-9.]+)$", text)
        return m and {"a": int(m.group(1)), "b": int(m.group(2)), "scale": float(m.group(3))}
    if fn == "greet":
        m = re.match(r'^name="([^"]*)", owned="([^"]*)"$', text)
        return m and {"name": m.group(1), "owned": m.group(2)}
    m = re.match(r"^v=\[([-0-9, ]*)\]$", text)
    return m and {"v": [int(x) for x in m.group(1).split(",") if x.strip()]}


def same(want, got):
    """got (a JSON value dwtrace wrote) is want (a number or string)."""
    if isinstance(want, str):
        return got == want
    return isinstance(got, (int, float)) and not isinstance(got, bool) and harness.numbers_equal(want, got)


def program_calls(stdout, where):
    calls = []
    for line in stdout.splitlines():
        c, r = CALL.match(line), RESULT.match(line)
        if c:
            args = parse_call(c.group(1), c.group(2), where)
            if not args:
                fail("%s: cannot read the program's line %r" % (where, line))
            calls.append({"function": c.group(1), "args": args})
        elif r:
            if not calls or calls[-1]["function"] != r.group(1) or "ret" in calls[-1]:
                fail("%s: result line %r without its call" % (where, line))
            calls[-1]["ret"] = int(r.group(2))
    return calls


def gdb_args(app):
    """info args of compute's and greet's first calls where gdb breaks."""
    gdb = harness.require_tool("gdb")
    r = harness.run([gdb, "-nx", "-batch", "-ex", "break rust_app::compute", "-ex", "break rust_app::greet",
                     "-ex", "run", "-ex", "info args", "-ex", "continue", "-ex", "info args",
                     "--args", app, "1"], timeout=60)
    a = re.search(r"^a = (\d+)\nb = (-?\d+)\nscale = ([0-9.]+)$", r.stdout, re.M)
    name = re.search(r'^name = "([^"]*)"$', r.stdout, re.M)
    if not a or not name:
        fail("gdb shows no arguments of rust_app::compute / greet\n" + harness.describe(r))
    return {"a": int(a.group(1)), "b": int(a.group(2)), "scale": float(a.group(3))}, name.group(1)


def test(opt):
    where = "rust_app (%s)" % opt
    app = harness.sample(opt, "rust_app")
    plain, traced, path = harness.check_unharmed([app, "3"], ["-F", "json", "-e", "rust_app::*"], timeout=60)
    want = program_calls(plain.stdout, where)
    if plain.returncode != 0 or len(want) != 9 or any("ret" not in c for c in want):
        fail("%s: unexpected untraced run\n%s" % (where, harness.describe(plain)))
    events = harness.read_events(path)
    for i, ev in enumerate(events):
        harness.check_event_fields(ev, "%s, event #%d" % (where, i))
        if not ev["function"].startswith("rust_app::") or re.search(r"::h[0-9a-f]{16}$", ev["function"]):
            fail("%s: event #%d is of %r: not a rust_app:: function demangled without its hash"
                 % (where, i, ev["function"]))
    got = [ev for ev in events if ev["function"] in ("rust_app::compute", "rust_app::greet", "rust_app::total")]
    entries = [ev for ev in got if ev["type"] == "entry"]
    exits = [ev for ev in got if ev["type"] == "exit"]
    if len(entries) != len(want) or len(exits) != len(want):
        fail("%s: %d entries and %d exits of compute/greet/total, the program made %d calls"
             % (where, len(entries), len(exits), len(want)))
    for w, ent, ex in zip(want, entries, exits):
        fn = "rust_app::" + w["function"]
        if ent["function"] != fn or ex["function"] != fn:
            fail("%s: events of %s/%s where the program called %s" % (where, ent["function"], ex["function"], fn))
        args = ent["args"]
        if w["function"] == "total":
            v = args.get("v")
            ok = isinstance(v, dict) and v.get("length") == len(w["args"]["v"])
        else:
            ok = set(args) == set(w["args"]) and all(same(w["args"][k], args[k]) for k in w["args"])
        if not ok:
            fail("%s: %s's entry shows %s, the program printed %s" % (where, fn, args, w["args"]))
        if ex.get("retval") != w["ret"]:
            fail("%s: %s's exit shows %r, main printed %d" % (where, fn, ex.get("retval"), w["ret"]))
    n_opt = sum(1 for line in plain.stdout.splitlines() if line.startswith("opt(o="))
    opts = [ev for ev in events if ev["function"] == "rust_app::opt" and ev["type"] == "entry"]
    undecoded = {"unavailable": "Rust enum not decoded"}
    if n_opt != 3 or len(opts) != n_opt:
        fail("%s: %d entries of rust_app::opt, the program printed %d calls" % (where, len(opts), n_opt))
    for ev in opts:
        if ev["args"] != {"o": undecoded, "r": undecoded}:
            fail("%s: rust_app::opt's entry shows %s, the enums should be %s" % (where, ev["args"], undecoded))
    g_compute, g_name = gdb_args(app)
    first = entries[0]["args"]
    if any(not same(g_compute[k], first.get(k)) for k in g_compute) or entries[1]["args"].get("name") != g_name:
        fail("%s: the first calls show %s and name=%r, gdb shows %s and name=%r"
             % (where, first, entries[1]["args"].get("name"), g_compute, g_name))

    # At -O0 the sites are after the prologue: an exclusion and a function
    # named twice must still find them by the function (one probe each).
    plain2, traced2, path2 = harness.check_unharmed(
        [app, "2"], ["-F", "json", "-e", "rust_app::compute", "-e", "rust_app::*", "-x", "rust_app::greet"], timeout=60)
    names = collections.Counter(ev["function"] for ev in harness.read_events(path2) if ev["type"] == "entry")
    if names["rust_app::compute"] != 2 or names["rust_app::greet"] or names["rust_app::total"] != 2:
        fail("%s: with -e compute -e '*' -x greet: entries %s, expected compute and total twice each, no greet"
             % (where, dict(names)))
    print("%s: ok, %d calls, values as the program and gdb show them" % (where, len(want)))


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
