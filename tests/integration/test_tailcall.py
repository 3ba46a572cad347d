#!/usr/bin/env python3
"""test_tailcall.py O0|O2: return probes across a tail call and several
return paths.

tailcall_app calls tc_outer(x), which returns tc_inner(x + 1) -- at -O2 a
jump, so both calls return through the one return address its caller pushed
(checked here with objdump) -- and tc_multi(x), which returns from three
places.  The app prints every call and its result (the oracle).  dwtrace must
show, for each tc_outer call: entry tc_outer(x), entry tc_inner(x+1), exit
tc_inner, exit tc_outer, both exits with the printed result; and one entry
and one exit with the printed result for each tc_multi call.
"""

import os
import re
import subprocess
import sys

import harness
from harness import fail

LINE = re.compile(r"^(tc_outer|tc_multi)\((-?\d+)\) = (-?\d+)$")


def expected_events(stdout, where):
    expected = []
    for line in stdout.splitlines():
        m = LINE.match(line)
        if not m:
            fail("%s: unexpected line from tailcall_app: %r" % (where, line))
        fn, x, r = m.group(1), int(m.group(2)), int(m.group(3))
        if fn == "tc_outer":
            expected += [("entry", "tc_outer", {"x": x}), ("entry", "tc_inner", {"x": x + 1}),
                         ("exit", "tc_inner", r), ("exit", "tc_outer", r)]
        else:
            expected += [("entry", "tc_multi", {"x": x}), ("exit", "tc_multi", r)]
    if len(expected) != 3 * 4 + 4 * 2:
        fail("%s: tailcall_app printed %d calls' worth of lines:\n%s" % (where, len(expected), stdout))
    return expected


def check_tail_call_compiled(opt, lib):
    """At -O2 tc_outer must really end in a jump (else the test proves less)."""
    if opt != "O2":
        return
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", lib], capture_output=True, text=True,
                         timeout=60).stdout
    body = dis.split("<tc_outer>:", 1)[1].split("\n\n", 1)[0]
    if "call" in body or not re.search(r"\bjmp\b.*tc_inner", body):
        fail("tc_outer in %s is not compiled as a tail call:\n%s" % (lib, body))


def main():
    opt = sys.argv[1]
    where = "tailcall (%s)" % opt
    app = harness.sample(opt, "tailcall_app")
    check_tail_call_compiled(opt, harness.sample(opt, "libtailcall.so"))
    out = os.path.join(harness.tempdir(), "events.json")
    result = harness.run_dwtrace(["--format", "json", "-o", out, "-e", "tc_*", "--", app])
    expected = expected_events(result.stdout, where)
    events = harness.read_events(out)
    got = []
    pids = set()
    for ev in events:
        pids.add(ev["pid"])
        if ev["tid"] != ev["pid"] or ev["module"] != "libtailcall.so":
            fail("%s: unexpected tid/module in %s" % (where, ev))
    if len(pids) != 1 or result.pid in pids:
        fail("%s: events should all come from tailcall_app's one process, got pids %s" % (where, sorted(pids)))
    for ev in events:
        if ev["type"] == "entry":
            got.append(("entry", ev["function"], ev["args"]))
        else:
            got.append(("exit", ev["function"], ev.get("retval")))
    if got != expected:
        lines = ["%s: events differ from the oracle" % where]
        for i in range(max(len(got), len(expected))):
            e = expected[i] if i < len(expected) else None
            g = got[i] if i < len(got) else None
            lines.append("%s #%d expected %s, got %s" % ("  " if e == g else "!!", i, e, g))
        fail("\n".join(lines))
    print("%s: ok, %d events" % (where, len(events)))


if __name__ == "__main__":
    main()
