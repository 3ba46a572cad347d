#!/usr/bin/env python3
"""test_attach_prior.py O0|O2: a return from a call that began before dwtrace
attached is ignored.

prior_app (samples/prior_app.c) calls pr_wait(1..4); each call blocks in
read() on stdin for one byte.  dwtrace -p attaches with -e pr_wait while the
first call is blocked; the test waits until the breakpoint byte (int3, 0xcc)
is in pr_wait's first bytes (read from /proc/PID/mem, the address from nm and
/proc/PID/maps), then feeds the bytes.  The first call returns with no entry
event before it: dwtrace must emit no exit event and no message for it, then
one entry and one exit for each of the three later calls, with the values
the program printed.  The program's output and exit status must be those of
an untraced run with the same input.
"""

import os
import re
import subprocess
import sys

import exits
import harness
import tracing
from harness import fail

INPUT = b"ABCD"


def entry_address(pid, app):
    """The address of pr_wait in process pid."""
    offset = harness.vaddr_to_offset(app, harness.symbol(app, "pr_wait")[0])
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 6 or fields[5] != app:
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            map_off = int(fields[2], 16)
            if map_off <= offset < map_off + (end - start):
                return start + offset - map_off
    fail("pr_wait's file offset 0x%x is in no mapping of %s in pid %d" % (offset, app, pid))


def code_bytes(pid, addr, n=8):
    try:
        with open("/proc/%d/mem" % pid, "rb") as f:
            f.seek(addr)
            return f.read(n)
    except OSError:
        return None


def test(opt):
    where = "attach during a call (%s)" % opt
    app = harness.sample(opt, "prior_app")
    input_path = os.path.join(harness.tempdir(), "input")
    with open(input_path, "wb") as f:
        f.write(INPUT)
    with open(input_path, "rb") as f:
        plain = harness.run_untraced([app], stdin=f)
    if plain.returncode != 0 or not plain.stdout.startswith("waiting\n"):
        fail("%s: unexpected untraced run\n%s" % (where, harness.describe(plain)))
    events_path = os.path.join(harness.tempdir(), "events.json")
    target = tracing.Running([app], stdin=subprocess.PIPE)
    try:
        target.stdout.wait_for(r"^waiting$", 10, where)
        if not tracing.wait_until(lambda: (tracing._proc(target.pid, target.pid, "syscall") or "")
                                  .startswith("0 "), 10):
            fail("%s: prior_app did not block in read()" % where)
        addr = entry_address(target.pid, app)
        original = code_bytes(target.pid, addr)
        tracer = tracing.Running([harness.dwtrace(), "-F", "json", "-o", events_path,
                                  "-e", "pr_wait", "-p", str(target.pid)])
        # A probe in pr_wait's first bytes: an int3 (ptrace engine) or a
        # jump (agent engine), at its entry or after an endbr64.
        if not tracing.wait_until(lambda: code_bytes(target.pid, addr) not in (None, original), 10):
            fail("%s: no probe at pr_wait (0x%x, bytes %r) within 10 s\n%s"
                 % (where, addr, original, tracer.describe()))
        target.proc.stdin.write(INPUT.decode())
        target.proc.stdin.close()
        status = target.wait(30, where)
        tracer_status = tracer.wait(30, where)
        out, err = target.stdout.text(), tracer.stderr.text()
    finally:
        tracing.kill_all()
    if out != plain.stdout or status != plain.returncode:
        fail("%s: traced, prior_app printed\n%s(status %s); untraced\n%s(status %s)"
             % (where, out, status, plain.stdout, plain.returncode))
    if tracer_status != 0:
        fail("%s: dwtrace exited with status %s\n%s" % (where, tracer_status, err))
    lines = harness.without_engine_note(err)
    if len(lines) != 1:
        fail("%s: dwtrace said more than its summary:\n%s" % (where, err))
    events = harness.read_events(events_path)
    printed = {int(n): int(r) for n, r in re.findall(r"^pr_wait\((\d+)\) = (-?\d+)$", out, re.M)}
    calls, dropped = exits.pair_with_drops(events, where)
    got = [(e["args"].get("n"), x.get("retval")) for e, x in calls]
    want = [(n, printed[n]) for n in (2, 3, 4)]
    if dropped or len(events) != 6 or got != want:
        fail("%s: expected the calls (n, retval) %s with entry and exit, got %s (%d events, %d "
             "entries without exit)" % (where, want, got, len(events), dropped))
    exits.check_left(err, where, 0)
    print("%s: ok" % where)


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
