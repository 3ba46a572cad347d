#!/usr/bin/env python3
"""test_lttng_inline.py O2|O3: inlined copies and compiler clones as LTTng
events, read back with babeltrace2.

inline_app 3 traced with --ctf DIR -e weigh -e scale.  Oracles: the
program's own prints ("weigh item=I grams=G", "scale x=X factor=F",
"scale ret=R"), nm (the clone scale.KIND.N and the functions' starts) and
readelf's DWARF (each DW_TAG_inlined_subroutine called from a line of
inline_app.c that calls weigh: its DW_AT_entry_pc).  Expected, in order:
one entry event per weigh print, named dwtrace:weigh_entry (the out-of-line
copy, followed by its weigh_exit) or
dwtrace:weigh_inlined_CALLER_0xOFF_entry, CALLER the function nm places the
copy's entry pc in and OFF its offset there, every such copy seen, none
other; one dwtrace:scale_KIND_entry and _exit per scale call, with the
printed arguments and return value.  Fields: the traced pid and tid first
when dwtrace writes the events (the ptrace engine).  The program prints
the same and exits with the same status as without dwtrace.
"""

import os
import re
import sys

import harness
import lttng_harness as lh
from harness import fail

ROUNDS = "3"
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples", "inline_app.c")


def functions(app):
    """[(start, name)] of the text symbols nm lists, by address."""
    out = harness.run_ok(["nm", "-n", app]).stdout
    return [(int(m.group(1), 16), m.group(2))
            for m in re.finditer(r"^([0-9a-f]+) [tT] (\S+)$", out, re.M)]


def containing(funcs, addr):
    best = None
    for start, name in funcs:
        if start <= addr:
            best = (start, name)
    if best is None:
        fail("no function symbol contains 0x%x" % addr)
    return best


def weigh_call_lines():
    with open(SOURCE) as f:
        return {n for n, text in enumerate(f, 1) if re.search(r"\bweigh\(", text) and "static" not in text}


def inlined_weigh_names(app):
    """The event names of weigh's inlined copies, from readelf's DWARF."""
    out = harness.run_ok(["readelf", "--debug-dump=info", app]).stdout
    lines = weigh_call_lines()
    funcs = functions(app)
    names = set()
    for block in re.split(r"\n(?= <\d+><[0-9a-f]+>: Abbrev Number)", out):
        if "(DW_TAG_inlined_subroutine)" not in block:
            continue
        pc = re.search(r"DW_AT_entry_pc\s*: (0x[0-9a-f]+)", block)
        call = re.search(r"DW_AT_call_line\s*: (\d+)", block)
        if not pc or not call or int(call.group(1)) not in lines:
            continue
        start, caller = containing(funcs, int(pc.group(1), 16))
        names.add("dwtrace:weigh_inlined_%s_0x%x_entry" % (caller, int(pc.group(1), 16) - start))
    if not names:
        fail("readelf shows no inlined copy of weigh in %s" % app)
    return names


def clone_kind(app):
    for _start, name in functions(app):
        m = re.match(r"^scale\.(constprop|isra|part)\.\d+$", name)
        if m:
            return m.group(1)
    fail("nm shows no clone of scale in %s" % app)
    return None


def check(opt):
    app = harness.sample(opt, "inline_app")
    inlined = inlined_weigh_names(app)
    kind = clone_kind(app)
    with lh.Lttng() as lt:
        plain = lt.run([app, ROUNDS])
        directory = lt.path("trace")
        traced = lt.dwtrace(["--ctf", directory, "-e", "weigh", "-e", "scale", "--", app, ROUNDS],
                            expect_status=plain.returncode)
        lt.adopt_sessiond()
        where = "--ctf -e weigh -e scale (%s)" % opt
        if traced.stdout != plain.stdout:
            fail("%s: inline_app printed otherwise under dwtrace\n  alone: %r\n  traced: %r"
                 % (where, plain.stdout[:400], traced.stdout[:400]))
        events = lt.events(directory)
        ptrace = harness.engine() == "ptrace" or harness.ENGINE_NOTE in traced.stderr
        got = []
        for ev in events:
            payload = ev.payload
            if ptrace:
                if [n for n, _ in payload[:2]] != ["pid", "tid"]:
                    fail("%s: no pid and tid fields first (the ptrace engine):\n  %s" % (where, ev.line))
                payload = payload[2:]
            got.append((ev.name, [(n, v) for n, v in payload if n != "duration_ns"]))

        want_weigh = [[("item", m.group(1)), ("grams", m.group(2))]
                      for m in re.finditer(r"^weigh item=(-?\d+) grams=(-?\d+)$", plain.stdout, re.M)]
        want_scale = []
        for m in re.finditer(r"^scale (?:x=(-?\d+) factor=(-?\d+)|ret=(-?\d+))$", plain.stdout, re.M):
            if m.group(3) is None:
                want_scale.append(("dwtrace:scale_%s_entry" % kind, [("x", m.group(1)), ("factor", m.group(2))]))
            else:
                want_scale.append(("dwtrace:scale_%s_exit" % kind, [("retval", m.group(3))]))
        weigh = [(n, p) for n, p in got if n.startswith("dwtrace:weigh_")]
        entries = [(n, p) for n, p in weigh if n != "dwtrace:weigh_exit"]
        problems = []
        if [p for _n, p in entries] != want_weigh:
            problems.append("weigh's entries %s, the program printed %s" % (entries, want_weigh))
        seen = {n for n, _p in entries if n != "dwtrace:weigh_entry"}
        if seen != inlined:
            problems.append("inlined copies' events %s, DWARF's copies make %s" % (sorted(seen), sorted(inlined)))
        outs = [n for n, _p in weigh].count("dwtrace:weigh_exit")
        if outs != [n for n, _p in entries].count("dwtrace:weigh_entry") or not outs:
            problems.append("%d weigh_exit for %d weigh_entry (the out-of-line copy)"
                            % (outs, [n for n, _p in entries].count("dwtrace:weigh_entry")))
        scale = [(n, p) for n, p in got if n.startswith("dwtrace:scale_")]
        if scale != want_scale:
            problems.append("scale's events %s, the program printed %s" % (scale, want_scale))
        if len(weigh) + len(scale) != len(got):
            problems.append("other events: %s" % [n for n, _p in got if not n.startswith(("dwtrace:weigh_",
                                                                                           "dwtrace:scale_"))])
        if problems:
            fail("%s:\n  %s" % (where, "\n  ".join(problems)))


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("O2", "O3"):
        fail("usage: %s O2|O3" % os.path.basename(sys.argv[0]))
    check(sys.argv[1])


if __name__ == "__main__":
    main()
