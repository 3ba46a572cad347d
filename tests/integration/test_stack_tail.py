#!/usr/bin/env python3
"""test_stack_tail.py O0|O2: --stack through tail calls and an inlined call,
with gdb as the oracle.

stack_tail_app (samples/stack_tail_app.c) reaches st_target() twice through
main -> st_caller -> st_wrap (inlined) -> st_hop1 -> st_hop2; at -O2,
st_hop1 and st_hop2 end in jumps (tail calls), which leave no frame on the
stack: gdb shows them as tail call frames from DWARF's call sites.  Each
entry event of `dwtrace --format json --stack -e st_target` must show the
frames gdb's bt shows at the same stop (break *st_target), in order, with
the same kinds (inlined, tail call), files, lines and offsets.  At -O2 the
oracle itself must show st_hop2 and st_hop1 as tail call frames and st_wrap
as inlined (else the sample tests nothing); at -O0 nothing is a tail call.
The text format marks the tail call frames "(tail call)".  The program's
output and exit status are those of its untraced run."""

import os
import re
import sys

import harness
import stack_oracle
from harness import fail

APP = "stack_tail_app"
TARGET = "st_target"
CHAIN = ["st_target", "st_hop2", "st_hop1", "st_wrap", "st_caller", "main"]


def test(opt):
    workdir = harness.tempdir()
    app = harness.sample(opt, APP)
    backtraces = stack_oracle.gdb_backtraces([app], TARGET, 2, workdir=workdir)
    for k, bt in enumerate(backtraces):
        names = [f["name"] for f in bt]
        kinds = [f["kind"] for f in bt]
        if names != CHAIN:
            fail("gdb's backtrace #%d of %s (%s) is %s, expected %s" % (k, APP, opt, names, CHAIN))
        want = (["normal", "tailcall", "tailcall", "inline", "normal", "normal"] if opt == "O2"
                else ["normal", "normal", "normal", "inline", "normal", "normal"])
        if kinds != want:
            fail("gdb's backtrace #%d of %s (%s) has frames of kinds %s, expected %s"
                 % (k, APP, opt, kinds, want))

    _, traced, events = harness.check_unharmed([app], ["--format", "json", "--stack", "-e", TARGET])
    if traced.stdout != "r=106\n":
        fail("%s printed %r, expected 'r=106'" % (APP, traced.stdout))
    entries = [ev for ev in harness.read_events(events) if ev["type"] == "entry"]
    if len(entries) != len(backtraces):
        fail("%d entry events of %s, gdb stopped %d times" % (len(entries), TARGET, len(backtraces)))
    for k, (ev, bt) in enumerate(zip(entries, backtraces)):
        stack_oracle.compare_stack(bt, ev["stack"], "--stack, JSON (%s), call #%d" % (opt, k))

    # Text: "    #1 0xADDR st_hop2+0x4 (tail call) (stack_tail_app) FILE:LINE"
    _, _, text = harness.check_unharmed([app], ["--stack=6", "-e", TARGET])
    frame = re.compile(r"^    #(\d+) 0x[0-9a-f]+ (\S+?)(\+0x[0-9a-f]+)?( \(inlined\)| \(tail call\))? "
                       r"\(stack_tail_app\) (\S+):(\d+)$")
    lines = [l for l in harness.read_text(text).splitlines() if l.startswith("    #")]
    if len(lines) != 12:
        fail("--stack=6, text (%s): %d frame lines, expected 12:\n%s"
             % (opt, len(lines), "\n".join(lines)))
    for i, line in enumerate(lines):
        m = frame.match(line)
        g = backtraces[i // 6][i % 6]
        mark = {"inline": " (inlined)", "tailcall": " (tail call)", "normal": None}[g["kind"]]
        if (not m or m.group(2) != g["name"] or m.group(4) != mark
                or int(m.group(6)) != g["line"]
                or os.path.basename(m.group(5)) != os.path.basename(g["file"])):
            fail("--stack=6, text (%s): %r, gdb shows %s%s at %s:%s"
                 % (opt, line, g["name"], mark or "", g["file"], g["line"]))


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
