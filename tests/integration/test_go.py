#!/usr/bin/env python3
"""test_go.py O0|O2: a traced Go function whose goroutine stack is copied
while its frame is live, and Go values read right.

go_app (samples/go_app/main.go; O0 is built with -gcflags=all=-N -l) runs
16 goroutines that call main.work 8 times each; work recurses 2000 levels
deep, so the runtime grows and copies the goroutine's stack under work's
frame, and walks every return address on it ("fatal error: unknown caller
pc" when one is not Go code).  Traced with -e main.work -e main.label, the
output and the exit status must be those of an untraced run, and there must
be one entry and one exit event per call the program counted.  Goroutines
move between threads, so the counts are compared over all threads.

Values (issue 13): Go passes arguments and results in registers by its own
ABI (not SysV) and writes no .debug_aranges.  With -v, go_app prints each
call's arguments and result as it sees them: the set of (id, round) of the
entry events, and the results of the exit events, must be the program's.
main.label(name string, ids []int) (string, int): the string shown as a
string, the slice with its length and capacity, the two results as the
program printed them; and gdb stopped at label's entry (break *ADDR, info
args) must show the same name and slice length/capacity.

Points (issue 13, F3): -e main.go:LINE on the line `n += v` inside label's
loop must give probe events with that file:line and the variables in scope
(Go writes no .debug_aranges and DW_FORM_block1 locations): at the first
event's address, gdb (break *ADDR, info args, info locals) is the oracle:
every integer and string gdb shows, dwtrace shows the same; what gdb shows
as <optimized out>, dwtrace shows unavailable.  At O0 gdb shows n and v.
"""

import collections
import os
import re
import sys

import exits
import harness
from harness import fail

WORK = re.compile(r"^work\(id=(\d+), round=(\d+)\) = (\d+)$")
LABEL = re.compile(r'^label\(name="([^"]*)", ids=len (\d+)\) = \("([^"]*)", (-?\d+)\)$')


def sorted_lines(text):
    return "\n".join(sorted(text.splitlines()))


def gdb_label_args(app):
    """name and (len, cap) of ids as gdb shows them at label's first entry."""
    gdb = harness.require_tool("gdb")
    addr = harness.symbol(app, "main.label")[0]
    r = harness.run([gdb, "-nx", "-batch", "-ex", "break *0x%x" % addr, "-ex", "run",
                     "-ex", "info args", "--args", app, "-v"], timeout=60)
    name = re.search(r'^name = 0x[0-9a-f]+ "([^"]*)"$', r.stdout, re.M)
    ids = re.search(r"^ids = \{array = 0x[0-9a-f]+, len = (\d+), cap = (\d+)\}$", r.stdout, re.M)
    if not name or not ids:
        fail("gdb shows no name/ids at main.label's entry\n" + harness.describe(r))
    return name.group(1), (int(ids.group(1)), int(ids.group(2)))


GDB_VAR = re.compile(r'^(\S+) = (?:(-?\d+)|0x[0-9a-f]+ "([^"]*)"|(<optimized out>)|.*)$')


def gdb_scope(app, addr):
    """{name: int | str | None (optimized out)} of gdb's info args and
    info locals at the first stop at addr; other values left out."""
    gdb = harness.require_tool("gdb")
    r = harness.run([gdb, "-nx", "-batch", "-ex", "break *0x%x" % addr, "-ex", "run", "-ex", "info args",
                     "-ex", "info locals", "--args", app, "-v"], timeout=60)
    if "Breakpoint 1," not in r.stdout:
        fail("gdb never stopped at 0x%x\n%s" % (addr, harness.describe(r)))
    out = {}
    for line in r.stdout[r.stdout.index("Breakpoint 1,"):].splitlines()[2:]:
        m = GDB_VAR.match(line)
        if not m:
            continue
        if m.group(2) is not None:
            out[m.group(1)] = int(m.group(2))
        elif m.group(3) is not None:
            out[m.group(1)] = m.group(3)
        elif m.group(4):
            out[m.group(1)] = None
    return out


def test_point(opt, app):
    where = "go_app (%s), a source-line probe" % opt
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples", "go_app", "main.go")
    with open(src) as f:
        line = next(i for i, text in enumerate(f, 1) if text.strip() == "n += v")
    spec = "main.go:%d" % line
    _, _, path = harness.check_unharmed([app, "-v"], ["-F", "json", "-e", spec], timeout=120,
                                        normalize=sorted_lines)
    probes = [ev for ev in harness.read_events(path) if ev["type"] == "probe"]
    if not probes:
        fail("%s: no probe event for %s" % (where, spec))
    first = probes[0]
    if first["function"] != "main.label" or os.path.basename(first.get("file") or "") != "main.go" \
            or first.get("line") != line:
        fail("%s: the first event is not at main.label, main.go:%d: %s" % (where, line, first))
    addr = harness.symbol(app, "main.label")[0] + first["offset"]
    gdb = gdb_scope(app, addr)
    got = dict(first["args"])
    got.update(first["locals"])
    if opt == "O0" and not (isinstance(gdb.get("n"), int) and isinstance(gdb.get("v"), int)):
        fail("%s: gdb shows no n and v at 0x%x: %s" % (where, addr, gdb))
    if not any(v is not None for v in gdb.values()):
        fail("%s: gdb shows no value at 0x%x to compare with: %s" % (where, addr, gdb))
    for name, value in gdb.items():
        mine = got.get(name, "<missing>")
        if value is None:
            ok = isinstance(mine, dict) and mine.get("unavailable") == "optimized out"
        else:
            ok = mine == value
        if not ok:
            fail("%s: at main.label+%#x %s = %r, gdb says %r (event %s)"
                 % (where, first["offset"], name, mine, value, first))
    print("%s: ok, %d events, %s as gdb shows them" % (where, len(probes), sorted(gdb)))


def test(opt):
    where = "go_app (%s)" % opt
    app = harness.sample(opt, "go_app")
    plain, traced, path = harness.check_unharmed([app, "-v"], ["-F", "json", "-e", "main.work", "-e", "main.label"],
                                                 timeout=120, normalize=sorted_lines)
    m = re.search(r"^calls: (\d+)$", plain.stdout, re.M)
    if plain.returncode != 0 or not m or not re.search(r"^checksum: \d+$", plain.stdout, re.M):
        fail("%s: unexpected untraced run\n%s" % (where, harness.describe(plain)))
    calls = int(m.group(1))
    want_args, want_rets, want_labels = collections.Counter(), collections.Counter(), []
    for line in plain.stdout.splitlines():
        w, lb = WORK.match(line), LABEL.match(line)
        if w:
            want_args[(int(w.group(1)), int(w.group(2)))] += 1
            want_rets[int(w.group(3))] += 1
        elif lb:
            want_labels.append(lb.groups())
    if sum(want_args.values()) != calls or len(want_labels) != 2:
        fail("%s: go_app -v printed %d work and %d label calls, it counted %d\n%s"
             % (where, sum(want_args.values()), len(want_labels), calls, harness.describe(plain)))

    events = harness.read_events(path)
    work = [ev for ev in events if ev["function"] == "main.work"]
    label = [ev for ev in events if ev["function"] == "main.label"]
    for i, ev in enumerate(events):
        harness.check_event_fields(ev, "%s, event #%d" % (where, i))
        if ev["function"] not in ("main.work", "main.label"):
            fail("%s: event #%d is of %s, only main.work and main.label are traced" % (where, i, ev["function"]))
    n_in, n_out = exits.count(work, "entry"), exits.count(work, "exit")
    if n_in != calls or n_out != calls:
        fail("%s: %d entries and %d exits of main.work, the program made %d calls"
             % (where, n_in, n_out, calls))

    got_args = collections.Counter((ev["args"].get("id"), ev["args"].get("round"))
                                   for ev in work if ev["type"] == "entry")
    if got_args != want_args:
        fail("%s: main.work's arguments (id, round) differ from what the program printed: "
             "missing %s, extra %s" % (where, sorted((want_args - got_args).items())[:5],
                                       sorted((got_args - want_args).items())[:5]))
    got_rets = collections.Counter(ev.get("retval") for ev in work if ev["type"] == "exit")
    if got_rets != want_rets:
        fail("%s: main.work's results differ from what the program printed: missing %s, extra %s"
             % (where, sorted((want_rets - got_rets).items())[:5], sorted((got_rets - want_rets).items())[:5]))
    if any(set(ev["args"]) != {"id", "round"} for ev in work if ev["type"] == "entry"):
        fail("%s: main.work's entry shows other arguments than id and round (its result ~r0 is no "
             "argument): %s" % (where, work[0]))

    entries = [ev for ev in label if ev["type"] == "entry"]
    rets = [ev for ev in label if ev["type"] == "exit"]
    if len(entries) != 2 or len(rets) != 2:
        fail("%s: %d entries and %d exits of main.label, the program made 2 calls" % (where, len(entries), len(rets)))
    for (name, n, upper, total), ent, ex in zip(want_labels, entries, rets):
        ids = ent["args"].get("ids")
        if ent["args"].get("name") != name or not isinstance(ids, dict) or ids.get("len") != int(n):
            fail("%s: main.label's entry shows %s, the program printed name=%r and %s ids"
                 % (where, ent["args"], name, n))
        if ex.get("retval") != {"~r0": upper, "~r1": int(total)}:
            fail("%s: main.label's exit shows %r, the program printed (%r, %s)"
                 % (where, ex.get("retval"), upper, total))
    gname, (glen, gcap) = gdb_label_args(app)
    first = entries[0]["args"]
    if first["name"] != gname or first["ids"].get("len") != glen or first["ids"].get("cap") != gcap:
        fail("%s: main.label's first entry shows %s, gdb shows name=%r ids len %d cap %d"
             % (where, first, gname, glen, gcap))
    exits.check_left(traced.stderr, where, 0)
    print("%s: ok, %d calls, values as the program and gdb show them" % (where, calls))
    test_point(opt, app)


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
