#!/usr/bin/env python3
"""Inlined copies and compiler clones (issue 13, items 3 and 4): -e FUNC sees
every call of FUNC, out of line, inlined, or in a .constprop/.isra/.part clone,
with the values inline_app printed itself (the oracle), on either engine.

At -O2 and -O3 (nm must show the clones, DWARF the inlined copies), weigh is
inlined into tally and report and called out of line through a pointer;
scale is scale.constprop.N (factor a DW_AT_const_value 3), area is
area.isra.N (b.w alone), classify is an inlined test whose calls that pass
it continue in classify.part.N.  At -O0 (the control) nothing is inlined or
cloned.  gdb stopped at scale.constprop.N's entry is a second oracle for a
clone's parameters.  The program must run as it does untraced.
"""

import json
import re
import sys

import harness
from harness import fail

ROUNDS = "3"
ISRA_RET = "maybe not returned"
PROBES = ["-e", "weigh", "-e", "scale", "-e", "area", "-e", "classify"]


def opt_level():
    if len(sys.argv) < 2 or sys.argv[1] not in ("O0", "O2", "O3"):
        fail("usage: test_inline.py O0|O2|O3")
    return sys.argv[1]


def clones(app):
    """The clone symbols nm lists in app: {kind: symbol}."""
    out = harness.run_ok(["nm", app]).stdout
    found = {}
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]+) [tT] ((\w+)\.(constprop|isra|part)\.\d+\S*)$", line)
        if m:
            found[(m.group(3), m.group(4))] = (int(m.group(1), 16), m.group(2))
    return found


def oracle(stdout):
    """What inline_app printed: the calls per function, in order."""
    calls = {"weigh": [], "scale": [], "area": [], "classify": [], "classify.part": [],
             "scale ret": [], "area ret": []}
    for line in stdout.splitlines():
        m = re.match(r"^weigh item=(-?\d+) grams=(-?\d+)$", line)
        if m:
            calls["weigh"].append({"item": int(m.group(1)), "grams": int(m.group(2))})
            continue
        m = re.match(r"^scale x=(-?\d+) factor=(-?\d+)$", line)
        if m:
            calls["scale"].append({"x": int(m.group(1)), "factor": int(m.group(2))})
            continue
        m = re.match(r"^(scale|area) ret=(-?\d+)$", line)
        if m:
            calls[m.group(1) + " ret"].append(int(m.group(2)))
            continue
        m = re.match(r"^area w=(-?\d+)$", line)
        if m:
            calls["area"].append({"w": int(m.group(1))})
            continue
        m = re.match(r"^classify call v=(-?\d+)$", line)
        if m:
            calls["classify"].append({"v": int(m.group(1))})
            continue
        m = re.match(r"^classify v=(-?\d+)$", line)
        if m:
            calls["classify.part"].append({"v": int(m.group(1))})
    for k in ("weigh", "scale", "area", "classify", "classify.part"):
        if not calls[k]:
            fail("inline_app printed no %s call:\n%s" % (k, stdout))
    return calls


def as_multiset(dicts):
    return sorted(json.dumps(d, sort_keys=True) for d in dicts)


def check_same_calls(where, expected, got):
    if as_multiset(expected) != as_multiset(got):
        fail("%s: the events' arguments differ from what inline_app printed\n expected %s\n got      %s"
             % (where, as_multiset(expected), as_multiset(got)))


def test(opt):
    app = harness.sample(opt, "inline_app")
    cmd = [app, ROUNDS]
    found = clones(app)
    kinds = {k for k in found}
    want = {("scale", "constprop"), ("area", "isra"), ("classify", "part")}
    if opt == "O0" and found:
        fail("inline_app at -O0 has clones %s: the control must have none" % sorted(found))
    if opt != "O0" and not want <= kinds:
        fail("inline_app at -%s lacks clones: nm shows %s, the test needs %s" % (opt, sorted(kinds), sorted(want)))

    # The default engine takes the ptrace engine when a probe would be an
    # int3 (an inlined copy's entry is one on the agent engine): the agent
    # engine's traps are run on their own too.
    runs = [[]] if harness.engine() else [[], ["--engine", "agent"]]
    for extra in runs:
        check_run(opt, cmd, extra)


def check_run(opt, cmd, extra):
    """One traced run (extra: more dwtrace options) against the sample's
    prints, the listing, and gdb."""
    app = cmd[0]
    found = clones(app)
    plain, traced, path = harness.check_unharmed(cmd, extra + ["-F", "json"] + PROBES)
    calls = oracle(plain.stdout)
    events = harness.read_events(path)
    entries = {}
    exits = {}
    for ev in events:
        if ev.get("type") == "entry":
            entries.setdefault(ev["function"], []).append(ev)
        elif ev.get("type") == "exit":
            exits.setdefault(ev["function"], []).append(ev)

    # weigh: inlined + out of line = every call.
    weigh = entries.get("weigh", [])
    check_same_calls("weigh", calls["weigh"], [e["args"] for e in weigh])
    inlined = [e for e in weigh if "inlined" in e]
    if opt == "O0" and inlined:
        fail("-O0: %d weigh events say inlined; nothing is inlined there" % len(inlined))
    if opt != "O0":
        into = {e["inlined"]["into"] for e in inlined}
        if into != {"tally", "report"}:
            fail("weigh's inlined events are inlined into %s, expected tally and report" % sorted(into))
        if len(exits.get("weigh", [])) != len(weigh) - len(inlined):
            fail("weigh: %d exit events for %d out-of-line calls (inlined copies have none)"
                 % (len(exits.get("weigh", [])), len(weigh) - len(inlined)))

    # scale and area: the clones, named as their functions.
    for name, ret in (("scale", "scale ret"), ("area", "area ret")):
        evs = entries.get(name, [])
        got = []
        for e in evs:
            if opt != "O0" and e.get("clone") not in ("constprop", "isra"):
                fail("%s: event without its clone kind: %s" % (name, json.dumps(e)))
            a = e["args"]
            if name == "scale":
                got.append({"x": a["x"], "factor": a["factor"]})
            elif isinstance(a["b"], dict) and "w" in a["b"]:
                got.append({"w": a["b"]["w"]})
            elif a["b"] == {"unavailable": "optimized out"}:
                # The clone receives b.w alone (gdb: {w = 4, h = <optimized
                # out>, ...}); decode shows a struct whole or not at all.
                got.append(calls["area"][len(got)])
            else:
                fail("area: b is %s, neither its members nor optimized out" % json.dumps(a["b"]))
        check_same_calls(name, calls[name], got)
        rets = [e.get("retval") for e in exits.get(name, [])]
        if opt != "O0" and name == "area":
            # An .isra clone may have lost its return value (IPA-SRA drops
            # one no caller uses; DWARF does not say): never a guess.
            if len(rets) != len(calls[ret]) or any(r != {"unavailable": ISRA_RET} for r in rets):
                fail("area.isra: return values %s, expected %d unavailable" % (rets, len(calls[ret])))
        elif rets != calls[ret]:
            fail("%s: return values %s, inline_app printed %s" % (name, rets, calls[ret]))

    # classify: each call at its (inlined) entry; the calls that pass the
    # test again in classify.part.N.
    cl = entries.get("classify", [])
    head = [e["args"] for e in cl if "clone" not in e]
    part = [e["args"] for e in cl if e.get("clone") == "part"]
    check_same_calls("classify (each call)", calls["classify"], head)
    if opt == "O0":
        if part:
            fail("-O0: classify events say part of a clone")
    else:
        check_same_calls("classify.part (calls past the test)", calls["classify.part"], part)

    # The listing names each inlined copy and where it was called.
    listing = harness.run_dwtrace(["--list-probes"] + PROBES + ["--", app, ROUNDS])
    text = listing.stderr
    copies = len(re.findall(r"probe inline_app weigh 0x[0-9a-f]+ \(inlined into (tally|report)\+0x[0-9a-f]+, "
                            r"called at \S*inline_app.c:\d+\)", text))
    if copies != (0 if opt == "O0" else 2):
        fail("--list-probes lists %d inlined copies of weigh\n%s" % (copies, text))

    # An exclusion names an inlined copy by its function, not by the
    # function it was inlined into.
    listing = harness.run_dwtrace(["--list-probes", "-e", "weigh", "-e", "tally", "-e", "!tally",
                                   "--", app, ROUNDS])
    if opt != "O0" and "inlined into tally" not in listing.stderr:
        fail("'!tally' left out weigh's copy inlined into tally\n%s" % listing.stderr)
    listing = harness.run_dwtrace(["--list-probes", "-e", "weigh", "-e", "!weigh", "--", app, ROUNDS],
                                  expect_status=None)
    if listing.returncode == 0 or "inlined into" in listing.stderr.replace("left out", ""):
        fail("'!weigh' did not leave out weigh's inlined copies\n%s" % harness.describe(listing))

    # The clone by its own symbol: the same events as by its function's name.
    if opt != "O0":
        _addr, sym = found[("scale", "constprop")]
        _p, _t, own = harness.check_unharmed(cmd, extra + ["-F", "json", "-e", sym])
        mine = [(e["type"], e["function"], e.get("clone"), e.get("args"), e.get("retval"))
                for e in harness.read_events(own) if e.get("type") in ("entry", "exit")]
        want = [(e["type"], e["function"], e.get("clone"), e.get("args"), e.get("retval"))
                for e in events if e.get("function") == "scale" and e.get("type") in ("entry", "exit")]
        if mine != want:
            fail("-e %s: events %s, -e scale gave %s" % (sym, mine, want))

    # glibc's extern inline atoi, inlined into main: a bare name means libc's
    # export (as for a local symbol), with a note; the module names the copy.
    if opt != "O0":
        listing = harness.run_dwtrace(["--list-probes", "-e", "atoi", "--", app, ROUNDS])
        if ("1 inlined copy of atoi in inline_app left out: libc.so.6 exports the name; "
                "probe inline_app:atoi for it") not in listing.stderr or "inlined into main" in listing.stderr:
            fail("-e atoi: the program's inlined copy is not left out with a note\n%s" % listing.stderr)
        listing = harness.run_dwtrace(["--list-probes", "-e", "inline_app:atoi", "--", app, ROUNDS])
        if len(re.findall(r"probe inline_app atoi 0x[0-9a-f]+ \(inlined into main", listing.stderr)) != 1:
            fail("-e inline_app:atoi: not its one copy inlined into main\n%s" % listing.stderr)

    # gdb: the clone's parameters at its entry, as dwtrace's first event.
    if opt != "O0":
        _addr, sym = found[("scale", "constprop")]
        harness.require_tool("gdb")
        r = harness.run(["gdb", "-nx", "-batch", "-ex", "break *'%s'" % sym, "-ex", "run",
                         "-ex", "info args", "--args", app, ROUNDS], timeout=60)
        args = dict(re.findall(r"^(\w+) = (.*)$", r.stdout, re.M))
        first = entries["scale"][0]["args"]
        if args.get("x") != str(first["x"]) or args.get("factor") != str(first["factor"]):
            fail("gdb at %s's entry shows %s, dwtrace %s\n%s" % (sym, args, first, harness.describe(r)))


if __name__ == "__main__":
    harness.main(test, opt_level())
