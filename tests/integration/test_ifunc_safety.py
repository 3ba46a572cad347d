#!/usr/bin/env python3
"""test_ifunc_safety.py O0|O2: IFUNC resolvers dwtrace runs in the program
must never harm it, and IFUNCs are never silently lost or merged.

The samples: ifunc_app waits in read(2) (SIGUSR1/SIGUSR2 handlers without
SA_RESTART); each input line arms libifunc.so and calls its IFUNCs faulty,
slow and stuck (linked -z lazy: no GOT slot binds them before).  Until armed,
faulty's resolver faults, slow's creates $IFUNC_MARKER and works 0.6 s,
stuck's works 3 s.  At end of input ifunc_app prints the results, the
signals it got, whether a read failed with EINTR and whether the upper half
of ymm15 it set before each read survived (slow's resolver clears it).  Every case compares
its stdout and exit status with a run without dwtrace.

  - dlopen: -e libifunc_dl.so:dlfn, whose resolver needs the library
    relocated; the library is announced before that: dwtrace runs no
    resolver, one note says dlfn is probed when its resolver runs (the
    dynamic linker's call, late binding), ifunc_dl_app runs as alone and
    its call dlfn(1) is traced with the result it prints;
  - -p, faulty: the resolver's fault is discarded, dwtrace exits 1 with one
    line saying the resolver faulted;
  - -p, stuck: the resolver dwtrace calls does not return within 1 s: one
    note says stuck is probed when its resolver runs (late binding); the
    program's own binding of stuck (lazy, once armed) then gives the
    implementation, and stuck(1) is traced with the result it prints;
  - -p, slow, SIGUSR1 and SIGUSR2 sent while the resolver runs (the marker
    file exists): both reach the program, its read fails with EINTR (as
    alone: not restarted behind its back), ymm15 is intact (the whole
    XSAVE state is restored, not only the fxsave area), and slow(1) is traced with
    x=1 and the result the program prints;
  - -p, slow, SIGSEGV sent to dwtrace while the resolver runs: dwtrace
    dies, the program runs on as alone and is not traced any more;
  - --list-probes -p: the IFUNCs are listed as not bound yet and no
    resolver ran (no marker file);
  - libc_app with -e memmove -e memcpy: when both are bound to one
    implementation, a warning names both and the implementation, -v lists
    memcpy as left out, and memcpy's call (its arguments as libc_app prints
    them) is an event named as the warning says; otherwise it is memcpy's.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import harness
import tracing
from harness import fail

WAIT = 20


def start_app(opt, env):
    p = subprocess.Popen([harness.sample(opt, "ifunc_app")], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, env=env)
    line = p.stdout.readline()
    if line != "ready\n":
        p.kill()
        fail("ifunc_app did not say ready: %r" % line)
    return p


def finish_app(p):
    """Sends one line, ends the input; returns (stdout after ready, status)."""
    try:
        p.stdin.write("x\n")
        p.stdin.close()
        out = p.stdout.read()
        return out, p.wait(timeout=WAIT)
    except (subprocess.TimeoutExpired, BrokenPipeError) as e:
        p.kill()
        fail("ifunc_app did not finish: %s" % e)


def in_read(pid):
    """Whether pid is blocked in read(2) (/proc/PID/syscall: number 0)."""
    return tracing.syscall_nr(pid) == 0


def alone(opt, env, signals=()):
    p = start_app(opt, env)
    wait_for(lambda: in_read(p.pid), "ifunc_app to wait in read")
    for s in signals:
        os.kill(p.pid, s)
    time.sleep(0.2)
    return finish_app(p)


def wait_for(cond, what):
    tracing.wait_for(cond, what, WAIT, 0.005)


def attach(opt, env, fn, extra=()):
    """ifunc_app started, dwtrace -p attached with -e libifunc.so:FN."""
    p = start_app(opt, env)
    # Blocked in read when dwtrace stops it, as in the run alone.
    wait_for(lambda: in_read(p.pid), "ifunc_app to wait in read")
    d = harness.tempdir()
    events, errpath = os.path.join(d, "events.json"), os.path.join(d, "stderr")
    errf = open(errpath, "w")
    dw = subprocess.Popen([harness.dwtrace(), "-F", "json", "-o", events, "-p", str(p.pid),
                           "-e", "libifunc.so:" + fn] + list(extra),
                          stdin=subprocess.DEVNULL, stderr=errf)
    errf.close()
    return p, dw, events, errpath


def read(path):
    with open(path) as f:
        return f.read()


def same(where, plain, traced, dwerr):
    if traced != plain:
        fail("%s: ifunc_app's output/status differ under dwtrace\nalone:  %r\ntraced: %r\n"
             "dwtrace stderr:\n%s" % (where, plain, traced, dwerr))


def one_error(where, err, fn, reason):
    lines = [l for l in err.splitlines() if l.strip()]
    want = re.compile(r"^dwtrace: .*IFUNC %s in libifunc(_dl)?\.so: .*%s.*; probe its implementation "
                      r"by name$" % (fn, reason))
    if len(lines) != 1 or not want.match(lines[0]):
        fail("%s: expected one line matching %r, got:\n%s" % (where, want.pattern, err))


def case_dlopen(opt):
    app = harness.sample(opt, "ifunc_dl_app")
    plain, traced, path = harness.check_unharmed([app], ["-F", "json", "-e", "libifunc_dl.so:dlfn"])
    if not any(re.search(r"IFUNC dlfn in libifunc_dl\.so is probed when its resolver runs", l)
               for l in traced.stderr.splitlines()):
        fail("dlopen: no line saying dlfn is probed when its resolver runs\n" + harness.describe(traced))
    m = re.search(r"dlfn\(1\)=(\d+)", plain.stdout)
    events = harness.read_events(path)
    if not m or [(e["type"], e.get("args"), e.get("retval")) for e in events] != [
            ("entry", {"x": 1}, None), ("exit", None, int(m.group(1)))]:
        fail("dlopen: dlfn(1) as printed (%r) not traced: %s" % (plain.stdout, events))


def case_busy(opt):
    """-p while the dynamic linker runs a (slow) resolver of a library it is
    relocating: dwtrace must not run that resolver again (the program
    counts its runs) and the program runs on as alone."""
    app = harness.sample(opt, "ifunc_busy_app")
    plain = harness.run([app], timeout=WAIT)
    if plain.returncode != 5 or "runs=1" not in plain.stdout:
        fail("ifunc_busy_app alone: %s" % harness.describe(plain))
    p = subprocess.Popen([app], stdout=subprocess.PIPE, text=True)
    try:
        if p.stdout.readline().strip() != "loading":
            fail("ifunc_busy_app did not say loading")
        time.sleep(0.15)  # inside dlopen: the resolver sleeps 0.4 s
        dw = harness.run([harness.dwtrace(), "-e", "libifunc_busy.so:busy_fn", "-p", str(p.pid)],
                         timeout=WAIT)
        out = "loading\n" + p.stdout.read()
        status = p.wait(timeout=WAIT)
    finally:
        if p.poll() is None:
            p.kill()
    if out != plain.stdout or status != plain.returncode:
        fail("-p during the resolver's run: the program printed %r and exited %s, alone %r and %s\n%s"
             % (out, status, plain.stdout, plain.returncode, harness.describe(dw)))
    if "dynamic linker is at work" not in dw.stderr:
        fail("-p during the resolver's run: no note that the dynamic linker is at work\n%s"
             % harness.describe(dw))


def case_error(opt, env, fn, reason):
    plain = alone(opt, env)
    p, dw, _, errpath = attach(opt, env, fn)
    try:
        status = dw.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        dw.kill()
        fail("-p %s: dwtrace did not exit" % fn)
    err = read(errpath)
    if status != 1:
        fail("-p %s: dwtrace exited with %s, expected 1\n%s" % (fn, status, err))
    one_error("-p " + fn, err, fn, reason)
    same("-p " + fn, plain, finish_app(p), err)


def case_stuck(opt, env):
    plain = alone(opt, env)
    p, dw, events, errpath = attach(opt, env, "stuck")
    note = re.compile(r"^dwtrace: IFUNC stuck in libifunc\.so is probed when its resolver runs \(its resolver "
                      r"did not return within 1 s when dwtrace called it\)$", re.M)
    wait_for(lambda: note.search(read(errpath)) or dw.poll() is not None, "the note on stuck")
    traced = finish_app(p)
    try:
        dw.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        dw.kill()
        fail("-p stuck: dwtrace did not exit after ifunc_app")
    err = read(errpath)
    same("-p stuck", plain, traced, err)
    if dw.returncode != 0 or not note.search(err):
        fail("-p stuck: dwtrace exited with %s, expected 0 and the note\n%s" % (dw.returncode, err))
    m = re.search(r"stuck\(1\)=(\d+)", traced[0])
    evs = [json.loads(l) for l in read(events).splitlines() if l.strip()]
    if not m or [(e.get("type"), e.get("function"), e.get("args"), e.get("retval")) for e in evs] != [
            ("entry", "stuck", {"x": 1}, None), ("exit", "stuck", None, int(m.group(1)))]:
        fail("-p stuck: expected stuck(x=1) -> %s, events:\n%s" % (m and m.group(1), read(events)))


def case_signals(opt, env, marker):
    plain = alone(opt, env, [signal.SIGUSR1, signal.SIGUSR2])
    if "usr1=1 usr2=1 eintr=yes ymm15=kept" not in plain[0]:
        fail("ifunc_app alone: %r" % (plain,))
    p, dw, events, errpath = attach(opt, env, "slow")
    wait_for(lambda: os.path.exists(marker), "slow's resolver to run")
    os.kill(p.pid, signal.SIGUSR1)
    os.kill(p.pid, signal.SIGUSR2)
    wait_for(lambda: "probing add_two" in read(errpath) or dw.poll() is not None, "the probe on slow")
    traced = finish_app(p)
    try:
        dw.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        dw.kill()
        fail("-p slow: dwtrace did not exit after ifunc_app")
    err = read(errpath)
    same("-p slow with signals during its resolver", plain, traced, err)
    if dw.returncode != 0:
        fail("-p slow: dwtrace exited with %s\n%s" % (dw.returncode, err))
    m = re.search(r"slow\(1\)=(\d+)", traced[0])
    evs = [json.loads(l) for l in read(events).splitlines() if l.strip()]
    entries = [e for e in evs if e.get("type") == "entry" and e.get("function") == "slow"]
    exits = [e for e in evs if e.get("type") == "exit" and e.get("function") == "slow"]
    if (len(entries) != 1 or entries[0].get("args") != {"x": 1} or len(exits) != 1
            or exits[0].get("retval") != int(m.group(1))):
        fail("-p slow: expected slow(x=1) -> %s, events:\n%s" % (m.group(1), read(events)))


def case_crash(opt, env, marker):
    plain = alone(opt, env)
    p, dw, _, errpath = attach(opt, env, "slow")
    wait_for(lambda: os.path.exists(marker), "slow's resolver to run")
    time.sleep(0.1)
    dw.send_signal(signal.SIGSEGV)
    try:
        dw.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        dw.kill()
        fail("dwtrace did not die of SIGSEGV")
    wait_for(lambda: tracing.tracer_pid(p.pid, p.pid) == 0, "ifunc_app to be let go")
    same("SIGSEGV in dwtrace during slow's resolver", plain, finish_app(p), read(errpath))


def case_dry_run(opt, env, marker):
    p, dw, _, errpath = attach(opt, env, "*", ["--list-probes"])
    try:
        status = dw.wait(timeout=WAIT)
    finally:
        finish_app(p)
    err = read(errpath)
    if status != 0:
        fail("--list-probes: status %s\n%s" % (status, err))
    if os.path.exists(marker):
        fail("--list-probes ran slow's resolver in the program (the marker file exists)")
    for fn in ("faulty", "slow", "stuck"):
        if not re.search(r"probe libifunc\.so %s 0x.*implementation not bound yet" % fn, err):
            fail("--list-probes does not list %s as not bound yet:\n%s" % (fn, err))


def case_shared_impl(opt):
    app = harness.sample(opt, "libc_app")
    _, traced, events = harness.check_unharmed(
        [app], ["-F", "json", "-v", "-e", "memmove", "-e", "memcpy"],
        normalize=lambda text: re.sub(r"0x[0-9a-f]+", "0x?", text))  # stack addresses
    call = re.search(r"call memcpy dst=(0x[0-9a-f]+) src=(0x[0-9a-f]+) n=(\d+)", traced.stdout)
    if not call:
        fail("libc_app printed no memcpy call:\n" + traced.stdout)
    dst, src, n = int(call.group(1), 16), int(call.group(2), 16), int(call.group(3))
    warn = re.search(r"warning: memmove and memcpy are bound to the same implementation (\S+) in this "
                     r"process: their calls are shown as memmove", traced.stderr)
    evs = harness.read_events(events)
    def num(v):  # pointers are "0x..." strings in JSON
        return int(v, 16) if isinstance(v, str) else v
    hits = [e for e in evs if e["type"] == "entry"
            and [num(v) for v in list(e["args"].values())[:3]] == [dst, src, n]]
    if len(hits) != 1:
        fail("expected one event for memcpy(%#x, %#x, %d), got %s\n%s"
             % (dst, src, n, hits, traced.stderr))
    if warn:
        if hits[0]["function"] != "memmove" or hits[0].get("impl") != warn.group(1):
            fail("the warning says memcpy's calls are shown as memmove (%s), the event is %s"
                 % (warn.group(1), hits[0]))
        if not re.search(r"left out .*memcpy", traced.stderr):
            fail("-v does not list memcpy as left out:\n" + traced.stderr)
    elif hits[0]["function"] != "memcpy":
        fail("no warning about a shared implementation, yet memcpy's call is %s\n%s"
             % (hits[0], traced.stderr))
    # Excluding the name the shared probe carries brings the other back:
    # memcpy's call is then an event named memcpy.
    _, traced, events = harness.check_unharmed(
        [app], ["-F", "json", "-e", "memmove", "-e", "memcpy", "-e", "!memmove"],
        normalize=lambda text: re.sub(r"0x[0-9a-f]+", "0x?", text))
    call = re.search(r"call memcpy dst=(0x[0-9a-f]+) src=(0x[0-9a-f]+) n=(\d+)", traced.stdout)
    dst, src, n = int(call.group(1), 16), int(call.group(2), 16), int(call.group(3))
    hits = [e for e in harness.read_events(events) if e["type"] == "entry"
            and [num(v) for v in list(e["args"].values())[:3]] == [dst, src, n]]
    if len(hits) != 1 or hits[0]["function"] != "memcpy":
        fail("-e memmove -e memcpy -e '!memmove': expected one memcpy event for memcpy(%#x, %#x, %d), got %s\n%s"
             % (dst, src, n, hits, traced.stderr))
    if warn and not re.search(r"warning: memmove, excluded, is bound to the same implementation %s as memcpy "
                              r"in this process: its calls are shown as memcpy" % re.escape(warn.group(1)),
                              traced.stderr):
        fail("-e memmove -e memcpy -e '!memmove': no warning that memmove's calls are shown as memcpy\n%s"
             % traced.stderr)
    if warn and "shown as memmove" in traced.stderr:
        fail("-e memmove -e memcpy -e '!memmove': a warning says calls are shown as memmove, which is "
             "excluded\n%s" % traced.stderr)


def test(opt):
    d = harness.tempdir()
    marker = os.path.join(d, "marker")
    env = dict(os.environ, IFUNC_MARKER=marker)
    case_dlopen(opt)
    case_busy(opt)
    case_error(opt, env, "faulty", "its resolver faulted")
    case_stuck(opt, env)
    for case in (case_signals, case_crash, case_dry_run):
        if os.path.exists(marker):
            os.unlink(marker)
        case(opt, env, marker)
    case_shared_impl(opt)


if __name__ == "__main__":
    harness.main(test, harness.opt_level(sys.argv))
