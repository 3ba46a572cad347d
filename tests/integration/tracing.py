"""Pieces shared by the tests of threads, attaching, dlopen, signals, longjmp
and fork (test_threads.py, test_attach.py, ...), on top of harness.py:
dwtrace's summary and pending lines, call pairing, /proc facts, and reading a
running program's output line by line with time limits.
"""

import os
import re
import signal
import subprocess
import threading
import time

import harness
from harness import fail

# Groups: events, threads, probes, how it ended.  Processes and calls left
# without returning (longjmp, exceptions) are matched by LEFT and PROCESSES.
SUMMARY = re.compile(r"^dwtrace: (\d+) events? from (\d+) threads? in \d+ process(?:es)?, "
                     r"(\d+) probes?(?:, \d+ calls? left without returning)?; (.*)$")
PROCESSES = re.compile(r" in (\d+) process(?:es)?, ")
LEFT = re.compile(r", (\d+) calls? left without returning; ")


def pending_line(probe, module):
    """The line dwtrace prints for a probe whose module is not loaded yet."""
    return "dwtrace: probe '%s' is pending until %s is loaded" % (probe, module)


def check_summary(stderr, where, events=None, tail=None):
    """dwtrace's last stderr line is its summary.  events: the number of
    events it must count (those in the output file); tail: a regex the part
    after ';' must match.  Returns the match."""
    lines = [l for l in stderr.splitlines() if l.strip()]
    m = SUMMARY.match(lines[-1]) if lines else None
    if not m:
        fail("%s: the last line on dwtrace's stderr is not the summary %r:\n%s"
             % (where, SUMMARY.pattern, stderr[-3000:]))
    if events is not None and int(m.group(1)) != events:
        fail("%s: the summary counts %s events, the output has %d:\n  %s"
             % (where, m.group(1), events, lines[-1]))
    if tail is not None and not re.search(tail, m.group(4)):
        fail("%s: the summary does not say %r:\n  %s" % (where, tail, lines[-1]))
    return m


def check_events(events, where, function, module):
    """Every event is a well-formed entry or exit of function in module."""
    for i, ev in enumerate(events):
        w = "%s, event #%d" % (where, i)
        harness.check_event_fields(ev, w)
        if (ev["function"], ev["module"]) != (function, module):
            fail("%s: %s in %s, expected %s in %s"
                 % (w, ev["function"], ev["module"], function, module))


def pair_calls(events, where, nested=False):
    """Matches, per thread, each exit with the latest open entry.  Returns
    (calls, open_entries): calls a list of (entry, exit) in the order of the
    exits, open_entries the entries left without an exit.  Fails on an exit
    without an open entry of the same function, and, unless nested, on two
    entries in a row on one thread (a missed exit)."""
    stacks, calls = {}, []
    for i, ev in enumerate(events):
        stack = stacks.setdefault((ev["pid"], ev["tid"]), [])
        if ev["type"] == "entry":
            if stack and not nested:
                fail("%s: event #%d: two entries in a row on tid %d (a missed exit):\n"
                     "  %s\n  %s" % (where, i, ev["tid"], stack[-1], ev))
            stack.append(ev)
        elif not stack or stack[-1]["function"] != ev["function"]:
            fail("%s: event #%d: exit without an open entry of %s on tid %d: %s"
                 % (where, i, ev["function"], ev["tid"], ev))
        else:
            calls.append((stack.pop(), ev))
    return calls, [ev for stack in stacks.values() for ev in stack]


def check_retval(entry, exit, expected, where):
    if "retval" not in exit:
        fail("%s: exit event without retval: %s" % (where, exit))
    if harness.compare(expected, exit["retval"]):
        fail("%s: %s%s returned %s, expected %s"
             % (where, entry["function"], entry["args"], exit["retval"], expected))


# ---------------------------------------------------------------------------
# /proc

def _proc(pid, tid, name):
    try:
        with open("/proc/%d/task/%d/%s" % (pid, tid, name)) as f:
            return f.read()
    except OSError:
        return None


def task_ids(pid):
    try:
        return sorted(int(t) for t in os.listdir("/proc/%d/task" % pid))
    except OSError:
        return []


def task_state(pid, tid):
    """The state letter of a thread (R, S, D, T, t, Z, ...), None if gone."""
    stat = _proc(pid, tid, "stat")
    return stat[stat.rindex(")") + 2] if stat else None


def is_stopped(pid, tid):
    """Whether a thread is in a stop (T) or a ptrace stop (t); False once it
    is gone, since a thread may exit between listing and reading it."""
    return task_state(pid, tid) in ("t", "T")


def is_traced(pid, tid):
    """Whether a thread has a ptrace tracer; False once it is gone."""
    return tracer_pid(pid, tid) not in (0, None)


def tracer_pid(pid, tid):
    status = _proc(pid, tid, "status") or ""
    m = re.search(r"^TracerPid:\s*(\d+)$", status, re.MULTILINE)
    return int(m.group(1)) if m else None


def catches(pid, sig):
    """Whether process pid has a handler for signal sig (SigCgt)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            m = re.search(r"^SigCgt:\s*([0-9a-f]+)$", f.read(), re.MULTILINE)
    except OSError:
        return False
    return bool(m) and bool(int(m.group(1), 16) >> (sig - 1) & 1)


def states(pid):
    """{tid: state letter} of every thread of pid."""
    return {tid: task_state(pid, tid) for tid in task_ids(pid)}


def wait_until(predicate, timeout, step=0.005):
    """Polls predicate() until it is true (returns True) or timeout seconds
    pass (returns False)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True


def wait_for(cond, what, timeout, step=0.002):
    """Polls cond() until it is true; fails naming what after timeout s."""
    if not wait_until(cond, timeout, step):
        fail("timed out waiting for %s" % what)


def syscall_nr(pid):
    """The system call pid is blocked in (/proc/PID/syscall), or None."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            return int(f.read().split()[0])
    except (OSError, IndexError, ValueError):
        return None


def check_stays_stopped(pid, where, seconds=0.3):
    """After SIGSTOP: every thread of pid gets into a stopped state (T, or t
    under a tracer) within 10 s and stays there for seconds."""
    def stopped():
        s = states(pid)
        return bool(s) and all(v in ("T", "t") for v in s.values())
    if not wait_until(stopped, 10):
        fail("%s: pid %d did not stop after SIGSTOP: thread states %s" % (where, pid, states(pid)))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not stopped():
            fail("%s: pid %d runs on after SIGSTOP: thread states %s" % (where, pid, states(pid)))
        time.sleep(0.02)


# ---------------------------------------------------------------------------
# Programs that run while the test watches them

class Lines:
    """Collects the lines of a text stream in a background thread, so that a
    test can wait for a line with a time limit."""

    def __init__(self, stream):
        self.lines = []
        self.closed = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in stream:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def wait_for(self, regex, timeout, where):
        """The match of the first line matching regex; fails after timeout
        seconds or at the end of the stream."""
        pattern = re.compile(regex)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    m = pattern.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if self.closed or left <= 0:
                    fail("%s: no line matching %r within %g s; lines so far:\n%s"
                         % (where, regex, timeout, "\n".join(self.lines[-30:])))
                self._cond.wait(left)

    def text(self, timeout=10):
        """Everything, once the stream is closed."""
        self._thread.join(timeout)
        with self._cond:
            return "\n".join(self.lines) + ("\n" if self.lines else "")


class Running:
    """A program started with its stdout and stderr collected as Lines;
    kill_all() kills it if the test ends before it does."""

    def __init__(self, cmd, stdin=subprocess.DEVNULL, env=None):
        try:
            self.proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, errors="replace",
                                         env=env)
        except OSError as e:
            fail("cannot run %s: %s" % (harness.show_cmd(cmd), e))
        self.cmd = cmd
        self.pid = self.proc.pid
        self.stdout = Lines(self.proc.stdout)
        self.stderr = Lines(self.proc.stderr)
        _running.append(self)

    def wait(self, timeout, where):
        """The exit status; fails if the program runs on after timeout s."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            fail("%s: %s did not finish within %g s\n%s"
                 % (where, harness.show_cmd(self.cmd), timeout, self.describe()))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def describe(self):
        return ("command: %s\nexit status: %s\n--- stdout (end) ---\n%s\n"
                "--- stderr (end) ---\n%s" % (harness.show_cmd(self.cmd), self.proc.poll(),
                                             self.stdout.text(1)[-3000:],
                                             self.stderr.text(1)[-3000:]))


_running = []
_pids = []


def kill_later(pid, name):
    """Has kill_all() kill pid too (a process that dwtrace started), if it
    still runs the program called name."""
    _pids.append((pid, name))


def kill_all():
    """Kills what Running started and is still running, and the pids given
    to kill_later() (call in finally)."""
    for r in _running:
        r.kill()
    for pid, name in _pids:
        try:
            with open("/proc/%d/comm" % pid) as f:
                if f.read().strip() == name[:15]:
                    os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def send(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        fail("cannot send %s to pid %d: no such process" % (signal.Signals(sig).name, pid))


def has_agent(pid):
    """Whether dwtrace's agent (libdwtrace-agent.so) is mapped in process pid."""
    try:
        with open("/proc/%d/maps" % pid) as f:
            return "libdwtrace-agent.so" in f.read()
    except OSError:
        return False
