#!/usr/bin/env python3
"""dwtrace --engine agent SIGKILLed while 4 threads of stress_threads hit a
probe inside st_step (an instruction after the first: an int3 "trap site"
served by the agent's SIGTRAP handler).  The agent's watchdog sees dwtrace
die and puts the original byte back over the int3, so that:
- st_step's code in the program is the file's again (every byte of it),
- the program finishes within a bound close to its untraced time (with the
  int3 left in, each of its calls costs a SIGTRAP: minutes instead of
  seconds),
- with the output and exit status of an untraced run (the program checks
  every call's result itself).
Then the same probe on a running program (dwtrace -p), killed, and a second
dwtrace attached to it: the code is the file's after the kill, the second
dwtrace traces the point (events with the program's own thread numbers)
and leaves the code as the file has it, and the program's own check passes.

usage: test_kill_traps.py O0|O2
"""

import ctypes
import os
import re
import subprocess
import sys
import time

import fastpath
import harness
import tracing
from harness import fail

THREADS = 4
# Untraced, the program should run about this long (seconds): long enough
# that it is still running when dwtrace is killed, short enough for ctest.
TARGET_SECONDS = 2.0
INSN_LINE = re.compile(r"^\s*(?:=>\s*)?0x([0-9a-f]+) <\+(\d+)>:")
PR_SET_CHILD_SUBREAPER = 36


def inner_offset(app, function):
    """The offset of an instruction of function after its first (and after
    an endbr64), from gdb's disassembly: a point inside the function."""
    gdb = harness.require_tool("gdb")
    result = harness.run_ok([gdb, "-nx", "-batch", "-ex", "disassemble " + function, app])
    offsets = [int(m.group(2)) for m in map(INSN_LINE.match, result.stdout.splitlines()) if m]
    inner = [o for o in offsets if o >= 4]
    if len(offsets) < 3 or not inner:
        fail("gdb's disassembly of %s in %s has no instruction inside it:\n%s" % (function, app, result.stdout))
    return inner[0]


def untraced(app, calls):
    t0 = time.monotonic()
    plain = harness.run_untraced([app, "-n", str(calls), "-j", str(THREADS)], timeout=120)
    return plain, time.monotonic() - t0


def calibrated(app):
    """Calls per thread for about TARGET_SECONDS untraced, the untraced run
    and its time."""
    calls = 20000000
    plain, took = untraced(app, calls)
    calls = max(calls, int(calls * TARGET_SECONDS / max(took, 0.01)))
    plain, took = untraced(app, calls)
    if plain.returncode != 0 or not plain.stdout.endswith("ok\n"):
        fail("stress_threads failed untraced:\n%s" % harness.describe(plain))
    return calls, plain, took


def child_of(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                kids = f.read().split()
        except OSError:
            return None
        if kids:
            return int(kids[0])
        time.sleep(0.01)
    return None


def live(pid, addr, n):
    return fastpath.live_bytes(pid, addr, n)


def mapped_base(pid, path, timeout):
    """Where path is mapped in pid once pid has exec'd it (dwtrace's child
    is dwtrace until then), or None."""
    real = os.path.realpath(path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/maps" % pid) as f:
                for line in f:
                    fields = line.split()
                    if len(fields) >= 6 and os.path.realpath(fields[5]) == real and int(fields[2], 16) == 0:
                        return int(fields[0].split("-")[0], 16)
        except OSError:
            return None
        time.sleep(0.01)
    return None


def wait_for_code(pid, addr, code, timeout):
    """Whether the len(code) bytes at addr in pid become code within timeout s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if live(pid, addr, len(code)) == code:
            return True
        time.sleep(0.01)
    return False


def test(opt):
    app = harness.sample(opt, "stress_threads")
    vaddr, size = harness.symbol(app, "st_step")
    with open(app, "rb") as f:
        f.seek(harness.vaddr_to_offset(app, vaddr))
        file_code = f.read(size)
    off = inner_offset(app, "st_step")
    started(opt, app, vaddr, off, file_code)
    attached(opt, app, vaddr, off, file_code)


def attached(opt, app, vaddr, off, file_code):
    workdir = harness.tempdir()
    stop = os.path.join(workdir, "stop")
    events = os.path.join(workdir, "events")
    where = "stress_threads %s -j %d, dwtrace -p -e st_step+0x%x SIGKILLed" % (opt, THREADS, off)
    prog = tracing.Running([app, "-f", stop, "-t", "120", "-j", str(THREADS)])
    try:
        base = mapped_base(prog.pid, app, 30)
        if base is None:
            fail("%s: the program never mapped %s" % (where, app))
        d = subprocess.Popen([harness.dwtrace(), "--engine", "agent", "-o", os.devnull, "-e", "st_step+0x%x" % off,
                              "-p", str(prog.pid)], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while live(prog.pid, base + vaddr + off, 1) != b"\xcc":
            if d.poll() is not None or time.monotonic() > deadline:
                d.kill()
                d.wait()
                fail("%s: no int3 at st_step+0x%x before dwtrace was killed" % (where, off))
            time.sleep(0.01)
        time.sleep(0.3)
        d.kill()
        d.wait()
        if not wait_for_code(prog.pid, base + vaddr, file_code, 5):
            fail("%s: st_step's code is not the file's 5 s after the kill" % where)
        second = harness.run([harness.dwtrace(), "--engine", "agent", "-o", events, "-e", "st_step+0x%x" % off,
                              "-p", str(prog.pid), "--duration", "1"], timeout=120)
        if second.returncode != 0:
            fail("%s: the next dwtrace -p failed\n%s" % (where, harness.describe(second)))
        lines = harness.read_text(events).splitlines()
        threads = set()
        for line in lines:
            m = re.search(r" st_step\+0x%x\(thread=(-?\d+), i=\d+\)$" % off, line)
            if not m:
                fail("%s: the next dwtrace printed %r" % (where, line))
            threads.add(int(m.group(1)))
        if not lines or not threads <= set(range(THREADS)):
            fail("%s: the next dwtrace saw threads %s in %d events (the program has 0-%d)"
                 % (where, sorted(threads), len(lines), THREADS - 1))
        if live(prog.pid, base + vaddr, len(file_code)) != file_code:
            fail("%s: st_step's code is not the file's after the next dwtrace ended" % where)
        with open(stop, "w"):
            pass
        status = prog.wait(60, where)
        out = prog.stdout.text().splitlines()
        if status != 0 or not out or out[-1] != "ok":
            fail("%s: the program's own check failed (status %s)\n%s" % (where, status, prog.describe()))
        print("%s: the next dwtrace saw %d events of threads %s; the program's check passed"
              % (where, len(lines), sorted(threads)))
    finally:
        prog.kill()


def started(opt, app, vaddr, off, file_code):
    size = len(file_code)
    calls, plain, took = calibrated(app)
    bound = 2 * took + 5
    where = "stress_threads %s -n %d -j %d, st_step+0x%x, dwtrace SIGKILLed" % (opt, calls, THREADS, off)

    workdir = harness.tempdir()
    out_path = os.path.join(workdir, "out")
    err_path = os.path.join(workdir, "err")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        d = subprocess.Popen([harness.dwtrace(), "--engine", "agent", "-o", os.devnull, "-e",
                              "st_step+0x%x" % off, "--", app, "-n", str(calls), "-j", str(THREADS)],
                             stdout=out, stderr=err)
    prog = child_of(d.pid, 30)
    if prog is None:
        d.kill()
        d.wait()
        fail("%s: dwtrace started no program\n%s" % (where, harness.read_text(err_path)))
    # The int3 is in (the trap site this test is about), and is hit a while.
    base = mapped_base(prog, app, 30)
    deadline = time.monotonic() + 30
    while base is None or live(prog, base + vaddr + off, 1) != b"\xcc":
        if d.poll() is not None or time.monotonic() > deadline:
            d.kill()
            d.wait()
            fail("%s: no int3 at st_step+0x%x before dwtrace was killed (the test saw no trap site)\n%s"
                 % (where, off, harness.read_text(err_path)))
        time.sleep(0.01)
    time.sleep(0.5)
    try:
        os.kill(prog, 0)
    except ProcessLookupError:
        fail("%s: the program ended before dwtrace was killed" % where)
    d.kill()
    d.wait()
    killed = time.monotonic()

    # Orphaned, the program is ours to reap (we are its subreaper).
    restored = False
    status = None
    while status is None:
        pid, st = os.waitpid(prog, os.WNOHANG)
        if pid == prog:
            status = st
            break
        if not restored:
            restored = live(prog, base + vaddr, size) == file_code
        if time.monotonic() - killed > bound:
            os.kill(prog, 9)
            os.waitpid(prog, 0)
            fail("%s: the program still ran %.1f s after dwtrace's SIGKILL (untraced it takes %.1f s); "
                 "st_step's code %s the file's" % (where, bound, took, "is" if restored else "is not"))
        time.sleep(0.02)
    after = time.monotonic() - killed
    if not restored:
        fail("%s: st_step's code in the program never was the file's again before it ended (%.1f s "
             "after the kill)" % (where, after))
    code = os.waitstatus_to_exitcode(status)
    got = harness.read_text(out_path)
    if code != plain.returncode or got != plain.stdout:
        fail("%s: the program exited %d with\n%s\nuntraced %d with\n%s" % (where, code, got, plain.returncode,
                                                                         plain.stdout))
    print("%s: ended %.2f s after the kill (untraced run %.2f s, bound %.1f s)" % (where, after, took, bound))


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("O0", "O2"):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        sys.exit(2)
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1)
    harness.main(test, sys.argv[1])
