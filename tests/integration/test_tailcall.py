#!/usr/bin/env python3
"""test_tailcall.py O0|O2: exit probes across a tail call and several return
paths.

tailcall_app calls tc_outer(x), which returns tc_inner(x + 1), and
tc_multi(x), which returns from three places; it prints every call and its
result (the oracle).  Whether tc_outer ends in a jump to tc_inner (a tail
call) is read from objdump: at -O2 it must, at -O0 it calls.

With a tail call, the exit of tc_outer is taken at the jump, before the
callee's entry, with no return value and the callee named: for each call
  entry tc_outer(x), exit tc_outer {"tail_call": "tc_inner", no "retval",
  "duration_ns"}, entry tc_inner(x+1), exit tc_inner = r
and in text "tc_outer → tail call to tc_inner <S.NNNNNNNNN>".  With a call:
  entry tc_outer(x), entry tc_inner(x+1), exit tc_inner = r, exit tc_outer = r.
One entry and one exit with the printed result for each tc_multi call.  The
program's output and exit status must be those of an untraced run.
"""

import re
import subprocess
import sys

import exits
import harness
from harness import fail

LINE = re.compile(r"^(tc_outer|tc_multi)\((-?\d+)\) = (-?\d+)$")
TAIL = "tail"


def expected_events(stdout, tail_call, where):
    expected = []
    for line in stdout.splitlines():
        m = LINE.match(line)
        if not m:
            fail("%s: unexpected line from tailcall_app: %r" % (where, line))
        fn, x, r = m.group(1), int(m.group(2)), int(m.group(3))
        if fn == "tc_multi":
            expected += [("entry", "tc_multi", {"x": x}), ("exit", "tc_multi", r)]
        elif tail_call:
            expected += [("entry", "tc_outer", {"x": x}), ("exit", "tc_outer", (TAIL, "tc_inner")),
                         ("entry", "tc_inner", {"x": x + 1}), ("exit", "tc_inner", r)]
        else:
            expected += [("entry", "tc_outer", {"x": x}), ("entry", "tc_inner", {"x": x + 1}),
                         ("exit", "tc_inner", r), ("exit", "tc_outer", r)]
    if len(expected) != 3 * 4 + 4 * 2:
        fail("%s: tailcall_app printed %d calls' worth of lines:\n%s" % (where, len(expected), stdout))
    return expected


def is_tail_call(opt, lib):
    """Whether tc_outer in lib ends in a jump to tc_inner (objdump); at -O2
    it must (else the test proves less)."""
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", lib], capture_output=True, text=True,
                         timeout=60).stdout
    if "<tc_outer>:" not in dis:
        fail("objdump -d %s shows no tc_outer" % lib)
    body = dis.split("<tc_outer>:", 1)[1].split("\n\n", 1)[0]
    tail = "call" not in body and re.search(r"\bjmp\b.*tc_inner", body) is not None
    if opt == "O2" and not tail:
        fail("tc_outer in %s is not compiled as a tail call:\n%s" % (lib, body))
    if opt == "O0" and not re.search(r"\bcall\b.*tc_inner", body):
        fail("tc_outer in %s does not call tc_inner at -O0:\n%s" % (lib, body))
    return tail


def exit_value(ev, where):
    if "tail_call" in ev:
        if "retval" in ev:
            fail("%s: a tail call's exit event has a retval: %s" % (where, ev))
        return (TAIL, ev["tail_call"])
    return ev.get("retval")


def check_json(app, expected, where):
    plain, traced, path = harness.check_unharmed([app], ["--format", "json", "-e", "tc_*"])
    events = harness.read_events(path)
    got, pids = [], set()
    for i, ev in enumerate(events):
        harness.check_event_fields(ev, "%s, event #%d" % (where, i))
        pids.add(ev["pid"])
        if ev["tid"] != ev["pid"] or ev["module"] != "libtailcall.so":
            fail("%s: unexpected tid/module in %s" % (where, ev))
        got.append((ev["type"], ev["function"],
                    ev["args"] if ev["type"] == "entry" else exit_value(ev, where)))
    if len(pids) != 1 or traced.pid in pids:
        fail("%s: events should all come from tailcall_app's one process, got pids %s"
             % (where, sorted(pids)))
    harness.check_sequence(where, expected, got)
    exits.check_left(traced.stderr, where, 0)
    return len(events)


def check_text(app, tail_call, where):
    """The text form of tc_outer's exit events."""
    plain, traced, path = harness.check_unharmed([app], ["-e", "tc_outer"])
    text = harness.read_text(path)
    if tail_call:
        pattern = r" tc_outer → tail call to tc_inner <\d+\.\d{9}>$"
    else:
        pattern = r" tc_outer → \d+ <\d+\.\d{9}>$"
    lines = [l for l in harness.text_event_lines(text) if " → " in l]
    if len(lines) != 3 or not all(re.search(pattern, l) for l in lines):
        fail("%s: expected 3 exit lines of tc_outer matching %r, got:\n%s" % (where, pattern, text))


def main():
    opt = harness.opt_level(sys.argv)
    where = "tailcall (%s)" % opt
    app = harness.sample(opt, "tailcall_app")
    tail_call = is_tail_call(opt, harness.sample(opt, "libtailcall.so"))
    expected = expected_events(harness.run_ok([app]).stdout, tail_call, where)
    n = check_json(app, expected, where)
    check_text(app, tail_call, where)
    print("%s: ok, %d events" % (where, n))


if __name__ == "__main__":
    harness.main(main)
