#!/usr/bin/env python3
"""test_blocked_entry.py: a call blocked in the program shows its entry
while it blocks.

The text sink keeps a call's entry in memory, to write it whole with its
exit on one line; a flush that finds it open for 50 ms writes it as
"<unfinished ...>".  The agent engine's reader flushes while it waits; the
ptrace engine's waitpid is interrupted by a timer for that flush.  The
default variant asks for the agent (dwtrace's default picks the ptrace
engine for prior_app, whose pr_wait needs an int3 trap); NAME_ptrace runs
the ptrace engine.
prior_app (samples/prior_app.c) calls pr_wait(1..4), each blocked in read()
on stdin until the test writes a byte: before each byte, the entry line
"pr_wait(n=N) <unfinished ...>" must be in dwtrace's output (-o FILE),
which proves it came out before the call returned.  Then the exit line
"<... pr_wait resumed> → R" with R the program's own print
"pr_wait(N) = R".  Every line of the file is whole; the program's output and
status are those of an untraced run with the same input.
"""

import os
import re
import subprocess
import time

import harness
from harness import fail

INPUT = b"ABCD"
HEAD = r"^\d\d:\d\d:\d\d\.\d{6} \d+/\d+ "


def wait_for_line(path, pattern, proc, what):
    """Waits (polling, 30 s at most: a bound for a hung run, not a timing
    assertion) until a line of path matches pattern."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if os.path.exists(path) and any(re.match(pattern, l) for l in harness.read_text(path).splitlines()):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.kill()
    out, err = proc.communicate()
    fail("%s: no line matching %r in dwtrace's output while the call blocks\n--- output:\n%s--- stderr:\n%s"
         % (what, pattern, harness.read_text(path) if os.path.exists(path) else "", err.decode()))


def test():
    app = harness.sample("O0", "prior_app")
    input_path = os.path.join(harness.tempdir(), "input")
    with open(input_path, "wb") as f:
        f.write(INPUT)
    with open(input_path, "rb") as f:
        plain = harness.run_untraced([app], stdin=f)
    out = os.path.join(harness.tempdir(), "events")
    engine = [] if harness.engine() else ["--engine", "agent"]
    cmd = [harness.dwtrace()] + engine + ["-o", out, "-e", "pr_wait", "--", app]
    harness.show_cmd(cmd)
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    printed = [proc.stdout.readline()]
    if printed[0] != b"waiting\n":
        proc.kill()
        fail("prior_app printed %r first" % printed[0])
    for n, byte in enumerate(INPUT, 1):
        wait_for_line(out, HEAD + r"pr_wait\(n=%d\) <unfinished \.\.\.>$" % n, proc, "call %d" % n)
        proc.stdin.write(bytes([byte]))
        proc.stdin.flush()
        printed.append(proc.stdout.readline())
    rest, err = proc.communicate(timeout=30)
    stdout = b"".join(printed) + rest
    if proc.returncode != plain.returncode or stdout.decode() != plain.stdout:
        fail("the program was harmed: status %s, stdout %r (untraced: %s, %r)\n%s"
             % (proc.returncode, stdout, plain.returncode, plain.stdout, err.decode()))

    # The whole output: per call, its entry unfinished, then its exit with
    # the value the program printed.
    results = [int(m.group(2)) for m in re.finditer(r"^pr_wait\((\d+)\) = (-?\d+)$", plain.stdout, re.M)]
    if len(results) != len(INPUT):
        fail("prior_app printed %r" % plain.stdout)
    want = []
    for n, r in enumerate(results, 1):
        want.append(HEAD + r"pr_wait\(n=%d\) <unfinished \.\.\.>$" % n)
        want.append(HEAD + r"<\.\.\. pr_wait resumed> \u2192 %d <\d+\.\d{9}>$" % r)
    text = harness.read_text(out)
    lines = text.splitlines()
    if not text.endswith("\n") or len(lines) != len(want) or not all(re.match(w, l) for w, l in zip(want, lines)):
        fail("dwtrace's output is not the entries and exits expected:\n" + text)


if __name__ == "__main__":
    harness.main(test)
