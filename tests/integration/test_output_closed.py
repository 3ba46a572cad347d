#!/usr/bin/env python3
"""test_output_closed.py O0|O2: the output going away never harms the program.

When the events' output fails (the reader of a pipe or FIFO leaves, the disk
is full), dwtrace must take its probes out, detach, print exactly one line
"dwtrace: output closed (ERROR); detached from NAME (pid N), which runs on"
and exit with status 1; the program runs on to its own end with the output
and exit status it has without dwtrace.  The program's own stdout goes to a
file and is compared with an untraced run.  Cases:
  - started sample_app, events into a pipe whose reader reads one line and
    closes it (`| head -1`);
  - spin_app attached with -p, the same (afterwards no thread is traced or
    stopped, and spin_app finds all its own results right);
  - a FIFO given with -o whose reader (head -n 1) leaves;
  - ENOSPC: events to /dev/full, and to a 16 KiB tmpfs mounted in a
    private mount namespace (unshare -m).
Also liveness: events reach the output while the program still runs (they
were block-buffered until the end): a started `sleep 3` with -o FILE, and
a python3 program attached with -p whose events come through a pipe.
"""

import os
import re
import signal
import subprocess
import sys
import time

import harness
import tracing
from harness import fail

N = 20000
CLOSED = re.compile(r"^dwtrace: output closed \((.*)\); detached from (\S+) \(pid (\d+)\), which runs on$")


def untraced(app, where):
    out = os.path.join(harness.tempdir(), "plain.out")
    with open(out, "w") as f:
        status = subprocess.run([app, str(N)], stdout=f, timeout=60).returncode
    if status != 0:
        fail("%s: sample_app alone exited with %d" % (where, status))
    return harness.read_text(out)


def check_closed(stderr, returncode, error, name, where):
    """dwtrace's exit status 1 and its one stderr line; returns the pid."""
    lines = [l for l in stderr.splitlines() if l.strip()]
    if returncode != 1:
        fail("%s: dwtrace exited with %s, expected 1\nstderr:\n%s" % (where, returncode, stderr))
    if len(lines) != 1:
        fail("%s: %d stderr lines, expected exactly one:\n%s" % (where, len(lines), stderr))
    m = CLOSED.match(lines[0])
    if not m or m.group(1) != error or m.group(2) != name:
        fail("%s: expected 'output closed (%s); detached from %s ...', got:\n%s"
             % (where, error, name, lines[0]))
    return int(m.group(3))


def check_program_done(pid, plain, out, where):
    """A started program ended before dwtrace did (dwtrace waits for it),
    with the output of its untraced run."""
    comm = tracing._proc(pid, pid, "comm")
    if comm and comm.strip() == "sample_app":
        fail("%s: sample_app (pid %d) still runs after dwtrace exited" % (where, pid))
    got = harness.read_text(out)
    if got != plain:
        fail("%s: the program's output differs from its untraced run: %d lines instead of %d"
             % (where, got.count("\n"), plain.count("\n")))


def started_pipe(app, plain):
    where = "started, events to a pipe closed after one line"
    out = os.path.join(harness.tempdir(), "traced.out")
    r, w = os.pipe()
    with open(out, "w") as f:
        proc = subprocess.Popen([harness.dwtrace(), "-o", "/dev/fd/%d" % w, "-e", "my_traced_function",
                                 "--", app, str(N)], stdout=f, stderr=subprocess.PIPE,
                                pass_fds=[w], text=True)
    os.close(w)
    with os.fdopen(r) as events:
        first = events.readline()
    if "my_traced_function(" not in first:
        fail("%s: the first event line is %r" % (where, first))
    _, err = proc.communicate(timeout=60)
    pid = check_closed(err, proc.returncode, "Broken pipe", "sample_app", where)
    check_program_done(pid, plain, out, where)


def attached_pipe(opt):
    where = "attached with -p, events to a pipe closed after one line"
    spin = tracing.Running([harness.sample(opt, "spin_app"), "120"])
    spin.stdout.wait_for("^ready$", 30, where)
    r, w = os.pipe()
    proc = subprocess.Popen([harness.dwtrace(), "-o", "/dev/fd/%d" % w, "-e", "spin_step",
                             "-p", str(spin.pid)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, pass_fds=[w], text=True)
    os.close(w)
    with os.fdopen(r) as events:
        first = events.readline()
    if "spin_step(" not in first:
        fail("%s: the first event line is %r" % (where, first))
    _, err = proc.communicate(timeout=30)
    check_closed(err, proc.returncode, "Broken pipe", "spin_app", where)
    for tid in tracing.task_ids(spin.pid):
        if tracing.is_traced(spin.pid, tid):
            fail("%s: thread %d of spin_app is still traced" % (where, tid))
        if tracing.is_stopped(spin.pid, tid):
            fail("%s: thread %d of spin_app is stopped" % (where, tid))
    os.kill(spin.pid, signal.SIGUSR1)
    status = spin.wait(30, where)
    spin.stdout.wait_for("^ok iterations=", 5, where)
    if status != 0:
        fail("%s: spin_app exited with %d\n%s" % (where, status, spin.describe()))


def fifo_reader_leaves(app, plain):
    where = "-o FIFO, its reader leaves after one line"
    d = harness.tempdir()
    fifo, first, out = os.path.join(d, "fifo"), os.path.join(d, "first"), os.path.join(d, "traced.out")
    os.mkfifo(fifo)
    with open(first, "w") as f:
        head = subprocess.Popen(["head", "-n", "1", fifo], stdout=f)
    # head opens the FIFO for reading before dwtrace does: it then waits in
    # openat() for a writer (a reader already, for the kernel).
    def in_open():
        try:
            with open("/proc/%d/syscall" % head.pid) as f:
                return f.read().split()[0] == "257"
        except (OSError, IndexError):
            return False
    if not tracing.wait_until(in_open, 10):
        head.kill()
        fail("%s: head did not open the FIFO" % where)
    with open(out, "w") as f:
        result = subprocess.run([harness.dwtrace(), "-o", fifo, "-e", "my_traced_function", "--", app,
                                 str(N)], stdout=f, stderr=subprocess.PIPE, text=True, timeout=60)
    head.wait(10)
    if "my_traced_function(" not in harness.read_text(first):
        fail("%s: head read %r" % (where, harness.read_text(first)))
    pid = check_closed(result.stderr, result.returncode, "Broken pipe", "sample_app", where)
    check_program_done(pid, plain, out, where)


def dev_full(app, plain):
    where = "events to /dev/full"
    out = os.path.join(harness.tempdir(), "traced.out")
    full = os.open("/dev/full", os.O_WRONLY)
    with open(out, "w") as f:
        result = subprocess.run([harness.dwtrace(), "-o", "/dev/fd/%d" % full, "-e", "my_traced_function",
                                 "--", app, str(N)], stdout=f, stderr=subprocess.PIPE, text=True,
                                pass_fds=[full], timeout=60)
    os.close(full)
    pid = check_closed(result.stderr, result.returncode, "No space left on device", "sample_app", where)
    check_program_done(pid, plain, out, where)


def small_tmpfs(app, plain):
    where = "events to a full 16 KiB tmpfs"
    harness.require_tool("unshare")
    d = harness.tempdir()
    mnt, out = os.path.join(d, "mnt"), os.path.join(d, "traced.out")
    os.mkdir(mnt)
    script = ('mount -t tmpfs -o size=16k dwtrace-test "$1" || exit 99; shift; '
              'exec "$@" >"$OUT"')
    result = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", mnt,
                             harness.dwtrace(), "-o", os.path.join(mnt, "events"), "-e",
                             "my_traced_function", "--", app, str(N)],
                            env=dict(os.environ, OUT=out), stderr=subprocess.PIPE, text=True,
                            timeout=60)
    if result.returncode == 99:
        fail("%s: cannot mount a tmpfs in a private mount namespace:\n%s" % (where, result.stderr))
    pid = check_closed(result.stderr, result.returncode, "No space left on device", "sample_app", where)
    check_program_done(pid, plain, out, where)


def live_file():
    where = "liveness, -o FILE"
    events = os.path.join(harness.tempdir(), "events")
    proc = subprocess.Popen([harness.dwtrace(), "-o", events, "-e", "nanosleep", "--", "sleep", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = tracing.wait_until(lambda: os.path.exists(events) and "nanosleep(" in harness.read_text(events), 2)
    running = proc.poll() is None
    out, err = proc.communicate(timeout=30)
    if not seen or not running:
        fail("%s: the entry of nanosleep was not in the file within 2 s while sleep 3 ran "
             "(seen %s, still running %s)\nstderr:\n%s" % (where, seen, running, err))
    if proc.returncode != 0 or out:
        fail("%s: dwtrace -- sleep 3 exited %d with output %r" % (where, proc.returncode, out))


PY_PROGRAM = """
import sys, time
print("ready", flush=True)
for i in range(40):
    time.sleep(0.1)
print("done", flush=True)
sys.exit(3)
"""


def live_attached_pipe():
    where = "liveness, -p PID with events into a pipe"
    prog = tracing.Running([sys.executable, "-c", PY_PROGRAM])
    prog.stdout.wait_for("^ready$", 10, where)
    dw = tracing.Running([harness.dwtrace(), "-o", "-", "-e", "clock_nanosleep", "-p", str(prog.pid)])
    dw.stdout.wait_for(r"clock_nanosleep\(", 2.5, where)
    if prog.proc.poll() is not None:
        fail("%s: the program ended before its events came" % where)
    os.kill(dw.pid, signal.SIGINT)
    if dw.wait(10, where) != 0:
        fail("%s: dwtrace exited with %s after SIGINT\n%s" % (where, dw.proc.returncode, dw.describe()))
    status = prog.wait(30, where)
    prog.stdout.wait_for("^done$", 5, where)
    if status != 3:
        fail("%s: the program exited with %d, expected 3 as without dwtrace" % (where, status))


def test(opt):
    app = harness.sample(opt, "sample_app")
    plain = untraced(app, "untraced")
    try:
        started_pipe(app, plain)
        attached_pipe(opt)
        fifo_reader_leaves(app, plain)
        dev_full(app, plain)
        small_tmpfs(app, plain)
        live_file()
        live_attached_pipe()
    finally:
        tracing.kill_all()


if __name__ == "__main__":
    harness.main(test, harness.opt_level(sys.argv))
