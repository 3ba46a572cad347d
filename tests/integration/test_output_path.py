#!/usr/bin/env python3
"""test_output_path.py: -o PATH never blocks dwtrace and never writes where
it should not.

Refused at once, with exactly one "dwtrace:" line, a non-zero status and
nothing started (sample_app would print on stdout): a FIFO nobody reads
(dwtrace used to block in open(), deaf to SIGTERM), a directory, a device,
and a symbolic link owned by someone else (uid 65534) in a world-writable
sticky directory (the kernel's protected_symlinks rule, which dwtrace
applies itself since it runs as root) - the file it points to stays as it
was.  Accepted: a FIFO that a reader has open (the reader gets the events),
a symbolic link of our own in such a directory, /dev/stdout (events on
stdout with the program's output in the same stream, every line of both
whole), and an
existing regular file (truncated).  The program's output and status are
compared with an untraced run whenever it runs.
"""

import os
import re
import socket
import subprocess
import threading

import harness
from harness import fail


def expect_refused(app, path, key, what):
    try:
        result = subprocess.run([harness.dwtrace(), "-o", path, "-e", "my_traced_function", "--", app, "3"],
                                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        fail("%s: dwtrace -o %s blocked for 10 s" % (what, path))
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    if result.returncode in (0, None) or result.returncode < 0:
        fail("%s: exit status %s, expected an error status\n%s" % (what, result.returncode, result.stderr))
    if len(lines) != 1 or not lines[0].startswith("dwtrace: ") or not re.search(key, lines[0]):
        fail("%s: expected one 'dwtrace:' line mentioning %r, got:\n%s" % (what, key, result.stderr))
    if result.stdout:
        fail("%s: the program ran: %r" % (what, result.stdout[:200]))


def test():
    app = harness.sample("O0", "sample_app")
    plain = harness.run_ok([app, "3"])
    d = harness.tempdir()

    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    expect_refused(app, fifo, "no process has the FIFO .* open for reading", "FIFO without a reader")
    expect_refused(app, d, "is a directory", "a directory")
    expect_refused(app, d + "/", "is a directory", "a directory with a slash")
    sock_path = os.path.join(d, "sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(sock_path)
    expect_refused(app, sock_path, "socket", "a socket")
    sock.close()
    # A character device opens without blocking (O_NONBLOCK): /dev/null
    # takes the events, as with strace -o /dev/null.
    harness.check_unharmed([app, "3"], ["-o", "/dev/null", "-e", "my_traced_function"])

    # A world-writable sticky directory (like /tmp) with a link of uid 65534.
    sticky = os.path.join(d, "sticky")
    os.mkdir(sticky)
    os.chmod(sticky, 0o1777)
    victim = os.path.join(d, "victim")
    with open(victim, "w") as f:
        f.write("precious\n")
    link = os.path.join(sticky, "events")
    os.symlink(victim, link)
    os.lchown(link, 65534, 65534)
    expect_refused(app, link, "symbolic link owned by uid 65534", "someone else's symlink in a sticky dir")
    if harness.read_text(victim) != "precious\n":
        fail("the file behind the refused symbolic link was changed")

    # Our own link there is fine: events land in the file it names.
    mine = os.path.join(sticky, "mine")
    os.symlink(victim, mine)
    result = harness.run([harness.dwtrace(), "-o", mine, "-e", "my_traced_function", "--", app, "3"])
    if result.returncode != 0 or result.stdout != plain.stdout:
        fail("our own symbolic link in a sticky directory\n" + harness.describe(result))
    if harness.read_text(victim).count("my_traced_function(") != 3:
        fail("events did not go to the file our own link names:\n" + harness.read_text(victim))

    # A FIFO with a reader: the reader gets every event.
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo).read()))
    reader.start()
    result = harness.run([harness.dwtrace(), "-o", fifo, "-e", "my_traced_function", "--", app, "3"])
    reader.join(10)
    if result.returncode != 0 or result.stdout != plain.stdout:
        fail("FIFO with a reader\n" + harness.describe(result))
    if not got or got[0].count("my_traced_function(") != 3:
        fail("the FIFO's reader got %r" % got)

    # /dev/stdout: the descriptor dwtrace has, not a new open.  The program
    # writes to the same stream, so every line must reach it whole, dwtrace's
    # and the program's (a flush once pushed out an entry still waiting for
    # its exit, and the program's output landed in the middle of it).  Each
    # dwtrace line is the program's own print of that call ("f(ARGS) = RET")
    # in dwtrace's joined form; a few runs, since the interleaving varies.
    calls = plain.stdout.splitlines()
    m = re.match(r"^(my_traced_function\(.*\)) = (\S+)$", calls[0])
    if len(calls) != 3 or len(set(calls)) != 1 or not m:
        fail("sample_app 3 printed %r" % plain.stdout)
    event = re.compile(r"^\d\d:\d\d:\d\d\.\d{6} \d+/\d+ %s \u2192 %s <\d+\.\d{9}>$"
                       % (re.escape(m.group(1)), re.escape(m.group(2))))
    for _ in range(5):
        result = harness.run([harness.dwtrace(), "-o", "/dev/stdout", "-e", "my_traced_function", "--", app, "3"])
        lines = result.stdout.splitlines()
        events = [l for l in lines if event.match(l)]
        program = [l for l in lines if not event.match(l)]
        # 3 lines of the program, 3 of dwtrace (a call's entry and exit share one).
        if (result.returncode != 0 or not result.stdout.endswith("\n") or program != calls
                or len(events) != 3):
            fail("-o /dev/stdout: lines not whole\n" + harness.describe(result))

    # An existing regular file is replaced.
    old = os.path.join(d, "old")
    with open(old, "w") as f:
        f.write("old content\n" * 1000)
    result = harness.run([harness.dwtrace(), "-o", old, "-e", "my_traced_function", "--", app, "3"])
    text = harness.read_text(old)
    if result.returncode != 0 or "old content" in text or text.count("my_traced_function(") != 3:
        fail("existing file: status %d, content %r" % (result.returncode, text[:300]))


if __name__ == "__main__":
    harness.main(test)
