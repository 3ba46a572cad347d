#!/usr/bin/env python3
"""test_output.py O0|O2: call ids, nesting and the text output's forms.

nest_app calls functions that nest and recurse, and prints for each call
"enter ID FUNCTION DEPTH N" at its entry and "leave ID FUNCTION DEPTH RET"
before it returns its id.  Those lines are the oracle:
  - JSON: the k-th entry event is the sample's call k (function, n, depth);
    every exit has the "call" of an entry, whose call it ends: it returns
    that call's id (which the sample printed) at that call's depth, and the
    exits come in the order of the sample's "leave" lines; call ids are
    unique.
  - text: the lines the sample's enter/leave sequence implies: a call whose
    leave comes right after its enter is one line "f(n=N) → ID <S.NNNNNNNNN>";
    any other ends "<unfinished ...>" and its exit reads
    "<... f resumed> → ID <S.NNNNNNNNN>"; two spaces of indentation per depth.
  - LC_ALL=C: the same lines with "->".
  - --color=always: SGR codes around names and values; never, and auto on a
    file or on a terminal with NO_COLOR or TERM=dumb: none; auto on a
    terminal: some.
  - -q: no notes and no summary line, but errors stay.
  - -ttt: seconds since the epoch, between the clock before and after the run.
The program is never harmed (same stdout and status as untraced).
"""

import os
import pty
import re
import subprocess
import sys
import time

import harness
from harness import fail

ROUNDS = "2"
PROBE = ["-e", "nest_*"]
HEAD = r"^\d\d:\d\d:\d\d\.\d{6} (\d+)/(\d+) "
DURATION = r" <\d+\.\d{9}>"
SGR = re.compile(r"\x1b\[[0-9;]*m")


def sample_calls(stdout, where):
    """The sample's lines as (kind, id, function, depth, value)."""
    calls = []
    for line in stdout.splitlines():
        m = re.match(r"^(enter|leave) (\d+) (\w+) (\d+) (-?\d+)$", line)
        if not m:
            fail("%s: nest_app printed %r" % (where, line))
        calls.append((m.group(1), int(m.group(2)), m.group(3), int(m.group(4)), int(m.group(5))))
    if len(calls) < 10:
        fail("%s: nest_app printed only %d lines" % (where, len(calls)))
    return calls


def expected_text(calls, arrow):
    """The text lines (after "TIME PID/TID ") the sample's calls imply, as
    regexes."""
    want, i = [], 0
    a = re.escape(arrow)
    while i < len(calls):
        kind, cid, fn, depth, value = calls[i]
        indent = "  " * depth
        if kind == "enter":
            nxt = calls[i + 1] if i + 1 < len(calls) else None
            if nxt and nxt[0] == "leave" and nxt[1] == cid:
                want.append(indent + re.escape("%s(n=%d)" % (fn, value)) + " %s %d" % (a, nxt[4]) + DURATION)
                i += 2
                continue
            want.append(indent + re.escape("%s(n=%d) <unfinished ...>" % (fn, value)))
        else:
            want.append(indent + re.escape("<... %s resumed>" % fn) + " %s %d" % (a, value) + DURATION)
        i += 1
    return want


def check_text_lines(text, calls, arrow, where):
    lines = [l for l in text.splitlines() if l.strip()]
    want = expected_text(calls, arrow)
    if len(lines) != len(want):
        fail("%s: %d lines, the sample's calls make %d:\n%s" % (where, len(lines), len(want), text))
    for n, (line, w) in enumerate(zip(lines, want), 1):
        if not re.match(HEAD + w + "$", line):
            fail("%s: line %d is\n  %r\nexpected a match for\n  %r\n%s" % (where, n, line, HEAD + w + "$", text))


def check_json(app, where):
    plain, traced, path = harness.check_unharmed([app, ROUNDS], ["-F", "json"] + PROBE)
    calls = sample_calls(plain.stdout, where)
    events = harness.read_events(path)
    enters = [c for c in calls if c[0] == "enter"]
    leaves = [c for c in calls if c[0] == "leave"]
    entries = [e for e in events if e["type"] == "entry"]
    exits = [e for e in events if e["type"] == "exit"]
    if len(entries) != len(enters) or len(exits) != len(leaves):
        fail("%s: %d entries and %d exits, the sample made %d calls and %d returns"
             % (where, len(entries), len(exits), len(enters), len(leaves)))
    by_call = {}
    for ev, (_, cid, fn, depth, n) in zip(entries, enters):
        got = (ev.get("function"), ev.get("args", {}).get("n"), ev.get("depth"))
        if got != (fn, n, depth):
            fail("%s: entry of the sample's call %d is %r, expected (function, n, depth) %r"
                 % (where, cid, ev, (fn, n, depth)))
        if not isinstance(ev.get("call"), int) or ev["call"] in by_call:
            fail("%s: entry without a call id of its own: %r" % (where, ev))
        by_call[ev["call"]] = (cid, depth)
    for ev, (_, cid, fn, depth, ret) in zip(exits, leaves):
        entry = by_call.get(ev.get("call"))
        if entry is None:
            fail("%s: exit whose call no entry has: %r" % (where, ev))
        # The call it names must be the one the sample says returns here.
        if entry != (cid, depth) or ev.get("retval") != ret or ev.get("depth") != depth \
                or ev.get("function") != fn:
            fail("%s: exit %r pairs with the entry of call %d (depth %d); the sample's return here "
                 "is call %d of %s, depth %d, returning %d" % (where, ev, entry[0], entry[1], cid, fn, depth, ret))


def check_text(app, where):
    plain, traced, path = harness.check_unharmed([app, ROUNDS], PROBE)
    calls = sample_calls(plain.stdout, where)
    text = harness.read_text(path)
    check_text_lines(text, calls, "\u2192", where)
    if SGR.search(text):
        fail("%s: colors in a file with --color=auto:\n%s" % (where, text))
    pids = {m.group(1) for m in re.finditer(HEAD, text, re.M)}
    if len(pids) != 1:
        fail("%s: events of %d processes" % (where, len(pids)))
    if "events from" not in traced.stderr:
        fail("%s: no summary line without -q\n%s" % (where, harness.describe(traced)))
    return calls


def check_ascii(app, calls, where):
    env = dict(os.environ, LC_ALL="C")
    _, _, path = harness.check_unharmed([app, ROUNDS], PROBE, env=env)
    text = harness.read_text(path)
    if "\u2192" in text:
        fail("%s: '\u2192' with LC_ALL=C:\n%s" % (where, text))
    check_text_lines(text, calls, "->", where)


def check_colors(app, calls, where):
    _, _, path = harness.check_unharmed([app, ROUNDS], ["--color=always"] + PROBE)
    text = harness.read_text(path)
    if "\x1b[1;34mnest_leaf\x1b[0m(n=\x1b[36m7\x1b[0m)" not in text:
        fail("%s: no colored 'nest_leaf(n=7)' with --color=always:\n%r" % (where, text[:600]))
    check_text_lines(SGR.sub("", text), calls, "\u2192", where)
    _, _, path = harness.check_unharmed([app, ROUNDS], ["--color=never"] + PROBE)
    if SGR.search(harness.read_text(path)):
        fail("%s: colors with --color=never" % where)
    # An error in color with --color=always (stderr is a pipe here).
    r = harness.run([harness.dwtrace(), "--color=always", "-e", "no_such_function_here", "--", app])
    if r.returncode == 0 or not re.search(r"^\x1b\[1;31mdwtrace: .*no_such_function_here.*\x1b\[0m$",
                                          r.stderr, re.M):
        fail("%s: no red error with --color=always\n%s" % (where, harness.describe(r)))


def run_on_terminal(app, env):
    """dwtrace --color=auto -o - with its standard output a terminal: what
    it wrote there."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([harness.dwtrace(), "-o", "-"] + PROBE + ["--", app, ROUNDS],
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            b = os.read(master, 65536)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not b:
            break
        chunks.append(b)
    proc.wait(60)
    os.close(master)
    if proc.returncode != 0:
        fail("dwtrace on a terminal exited with status %d: %s" % (proc.returncode, proc.stderr.read()))
    proc.stderr.close()
    return b"".join(chunks).decode("utf-8", "replace")


def check_terminal(app, where):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    env["TERM"] = "xterm"
    if not SGR.search(run_on_terminal(app, env)):
        fail("%s: no colors with --color=auto on a terminal" % where)
    for name, value in (("NO_COLOR", "1"), ("TERM", "dumb")):
        out = run_on_terminal(app, dict(env, **{name: value}))
        if SGR.search(out) or "nest_leaf(n=7)" not in out:
            fail("%s: on a terminal with %s=%s: %r" % (where, name, value, out[:600]))


def check_quiet(app, where):
    _, traced, path = harness.check_unharmed([app, ROUNDS], ["-q"] + PROBE)
    notes = [l for l in traced.stderr.splitlines() if l.startswith("dwtrace:") and "warning:" not in l]
    if notes:
        fail("%s: -q left notes:\n%s" % (where, "\n".join(notes)))
    if "nest_leaf(n=7)" not in harness.read_text(path):
        fail("%s: -q dropped events" % where)
    r = harness.run([harness.dwtrace(), "-q", "-e", "no_such_function_here", "--", app])
    if r.returncode == 0 or not re.search(r"^dwtrace: .*no_such_function_here", r.stderr, re.M):
        fail("%s: -q dropped an error\n%s" % (where, harness.describe(r)))


def check_epoch(app, where):
    before = time.time()
    _, _, path = harness.check_unharmed([app, ROUNDS], ["-ttt"] + PROBE)
    after = time.time()
    lines = harness.read_text(path).splitlines()
    for line in lines:
        m = re.match(r"^(\d+\.\d{6}) \d+/\d+ ", line)
        if not m or not before - 1 <= float(m.group(1)) <= after + 1:
            fail("%s: -ttt line %r, not seconds between %.6f and %.6f" % (where, line, before, after))
    _, _, path = harness.check_unharmed([app, ROUNDS], ["-t"] + PROBE)
    for line in harness.read_text(path).splitlines():
        if not re.match(r"^\d\d:\d\d:\d\d \d+/\d+ ", line):
            fail("%s: -t line %r" % (where, line))


def test(opt):
    app = harness.sample(opt, "nest_app")
    where = "nesting (%s)" % opt
    check_json(app, where + ", JSON")
    calls = check_text(app, where + ", text")
    check_ascii(app, calls, where + ", LC_ALL=C")
    check_colors(app, calls, where + ", --color")
    check_terminal(app, where + ", --color=auto on a terminal")
    check_quiet(app, where + ", -q")
    check_epoch(app, where + ", -ttt and -t")


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
