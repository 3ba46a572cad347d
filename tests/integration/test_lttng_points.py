#!/usr/bin/env python3
"""test_lttng_points.py O0|O2|O3: a probe inside a function as an LTTng
event, checked with babeltrace2 against gdb stopped at the same address.

points_app 2 traced with --ctf DIR -e points_lib.c:LINE, LINE the PT:CELL
line of pt_grid (inside two loops: parameters rows, cols; locals cell, c,
row_sum, r, total in nested blocks).  The oracle is gdb (test_points.py's
gdb_hits: `break points_lib.c:LINE`, then at each stop `info symbol $pc`,
`info args`, `info locals`).  babeltrace2 DIR must show one event per gdb
stop, each named dwtrace:pt_grid_0xOFF (OFF: gdb's offset of the stop in
pt_grid, in hexadecimal), whose fields are the traced pid and tid when
dwtrace writes the events (the ptrace engine), then gdb's parameters, then
gdb's locals in gdb's order (innermost block first), with gdb's values (a
value gdb shows as <optimized out> is not compared).  The program prints
the same and exits with the same status (3) as without dwtrace.  (The
points of points_app are int3 sites: the default engine leaves them to the
ptrace engine, and --engine agent refuses them with --ctf, since
lttng-ust's own threads in the program block SIGTRAP; the description
the program's emitter gets for a point is test_ust_desc_points's.)
"""

import os
import sys

import harness
import lttng_harness as lh
from harness import fail
from test_points import ARGS, gdb_hits, mark_lines

MARK = "CELL"
FUNCTION = "pt_grid"


def expected_payload(hit, pid):
    """[(name, babeltrace2 text or None: not compared)] for one gdb stop."""
    fields = [("pid", str(pid)), ("tid", str(pid))] if pid is not None else []
    for part in ("args", "locals"):
        for name, value in hit[part].items():
            if isinstance(value, bool) or not isinstance(value, int):
                fields.append((name, None))  # <optimized out>, or not an int
            else:
                fields.append((name, str(value)))
    return fields


def check_run(lt, app, spec, gdb, plain, extra, where):
    directory = lt.path("trace%s" % "".join(extra))
    traced = lt.dwtrace(list(extra) + ["--ctf", directory, "-e", spec, "--", app] + ARGS,
                        expect_status=plain.returncode)
    lt.adopt_sessiond()
    if traced.stdout != plain.stdout:
        fail("%s: points_app printed otherwise under dwtrace\n  alone: %r\n  traced: %r"
             % (where, plain.stdout[:400], traced.stdout[:400]))
    events = lt.events(directory)
    if len(events) != len(gdb):
        fail("%s: gdb stopped %d times at %s, babeltrace2 shows %d events:\n  %s"
             % (where, len(gdb), spec, len(events), "\n  ".join(ev.line for ev in events[:8])))
    # Who writes the events: the program (agent engine, no pid/tid
    # fields) or dwtrace (ptrace engine: the traced pid and tid first).
    ptrace = harness.engine() == "ptrace" or harness.ENGINE_NOTE in traced.stderr
    pid = events[0].get("pid") if ptrace else None
    if ptrace and (pid is None or not lh.is_decimal(pid) or int(pid) == traced.pid):
        fail("%s: payload pid %s is not the traced program's:\n  %s" % (where, pid, events[0].line))
    problems = []
    for n, (g, ev) in enumerate(zip(gdb, events)):
        at = "%s, event #%d" % (where, n)
        want_name = "dwtrace:%s_0x%x" % (FUNCTION, g["offset"])
        if ev.name != want_name:
            problems.append("%s: named %s, expected %s (gdb stopped at %s+%d)"
                            % (at, ev.name, want_name, g["function"], g["offset"]))
        want = expected_payload(g, pid)
        if ev.fields() != [name for name, _ in want]:
            problems.append("%s: fields %s, expected %s (gdb's parameters, then its locals)"
                            % (at, ev.fields(), [name for name, _ in want]))
            continue
        for (name, value), (_, got) in zip(want, ev.payload):
            if value is not None and got != value:
                problems.append("%s: %s = %s, gdb says %s" % (at, name, got, value))
    if problems:
        fail("%s: babeltrace2 differs from gdb:\n  %s" % (where, "\n  ".join(problems[:30])))


def check(opt):
    app = harness.sample(opt, "points_app")
    line = mark_lines()[MARK]
    spec = "points_lib.c:%d" % line
    with lh.Lttng() as lt:
        gdb = gdb_hits(app, spec, lt.path(), "lttng-" + MARK)
        for g in gdb:
            if g["function"] != FUNCTION:
                fail("gdb stopped in %s at %s, expected %s" % (g["function"], spec, FUNCTION))
        plain = lt.run([app] + ARGS)
        check_run(lt, app, spec, gdb, plain, (), "--ctf -e %s (%s)" % (spec, opt))


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("O0", "O2", "O3"):
        fail("usage: %s O0|O2|O3" % os.path.basename(sys.argv[0]))
    check(sys.argv[1])


if __name__ == "__main__":
    main()
