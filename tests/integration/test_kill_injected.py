#!/usr/bin/env python3
"""test_kill_injected.py O0|O2: code dwtrace runs inside a thread of the
program (a remote system call such as the mmap of a scratch area, an IFUNC
resolver call) finishes safely when dwtrace is SIGKILLed in the middle of it:
the program prints exactly what it prints alone and exits with the same
status.

DWTRACE_TEST_KILL_INJECTED=syscall|call makes dwtrace send itself SIGKILL
right after it has set the thread's registers for the injected code (src/
emergency.c); every case checks that dwtrace did die of SIGKILL, so that the
injection really happened.

  - -p to ifunc_app blocked in read(2), -e libifunc.so:slow: slow's resolver
    (which clears the upper half of ymm15 and takes 0.6 s) runs on after
    dwtrace's death; the read must go on (no EINTR: none without dwtrace),
    ymm15 must be intact and the output as alone;
  - -p to idle_app sleeping in nanosleep, -e 'str*' -e 'mem*' -e 'wcs*'
    (glibc's IFUNCs: resolver calls, and the scratch area's mmap): "ok",
    exit status 7;
  - idle_app started by dwtrace (stopped at its entry point when the code
    is injected): "ok", exit status 7, collected as an orphan (this script
    is a child subreaper);
  - DWTRACE_TEST_SIGRETURN=1, -p ifunc_app: dwtrace alive lets the
    rt_sigreturn run and finds the registers (general, x87/SSE, AVX) equal
    to the saved ones; the program runs as alone;
  - the user's reproducer: 25 runs of idle_app with dwtrace -p SIGKILLed
    after a random 0-90 ms; every run killed before dwtrace has placed its
    probes must print "ok" and exit 7 (a kill after leaves breakpoints in
    the program: another window, not this test's).
"""

import ctypes
import os
import random
import signal
import subprocess
import sys
import time

import harness
import tracing
from harness import fail

WAIT = 30
LIBC_GLOBS = ["-e", "str*", "-e", "mem*", "-e", "wcs*"]


def wait_for(cond, what):
    tracing.wait_for(cond, what, WAIT)


def env_kill(kind):
    return dict(os.environ, DWTRACE_TEST_KILL_INJECTED=kind)


def dwtrace_killed(dw, errpath, where):
    """dwtrace must die of its own SIGKILL: the injection did happen."""
    try:
        status = dw.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        dw.kill()
        fail("%s: dwtrace did not kill itself (no injected code ran?)" % where)
    if status != -signal.SIGKILL:
        with open(errpath) as f:
            fail("%s: dwtrace exited with %s, expected death by SIGKILL right after "
                 "setting the registers\n%s" % (where, status, f.read()))


def attach_dwtrace(pid, kind, args, d):
    errpath = os.path.join(d, "stderr-" + kind)
    with open(errpath, "w") as errf:
        dw = subprocess.Popen([harness.dwtrace(), "-o", os.devnull, "-p", str(pid)] + args,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf,
                              env=env_kill(kind))
    return dw, errpath


# ---- ifunc_app blocked in read(2) ------------------------------------------

def ifunc_app_run(opt, env, kind=None, d=None):
    """(stdout after "ready", exit status) of ifunc_app fed one line; with
    kind, dwtrace attaches once it waits in read and kills itself."""
    p = subprocess.Popen([harness.sample(opt, "ifunc_app")], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, env=env)
    if p.stdout.readline() != "ready\n":
        p.kill()
        fail("ifunc_app did not say ready")
    wait_for(lambda: tracing.syscall_nr(p.pid) == 0, "ifunc_app to wait in read")
    if kind:
        dw, errpath = attach_dwtrace(p.pid, kind, ["-e", "libifunc.so:slow"], d)
        dwtrace_killed(dw, errpath, "-p ifunc_app, killed in a remote " + kind)
        wait_for(lambda: tracing.tracer_pid(p.pid, p.pid) == 0, "ifunc_app to be untraced")
        # Back in its read (the resolver, 0.6 s, has run to its end).
        wait_for(lambda: tracing.syscall_nr(p.pid) == 0, "ifunc_app to wait in read again")
    try:
        out, _ = p.communicate("x\n", timeout=WAIT)
    except subprocess.TimeoutExpired:
        p.kill()
        fail("ifunc_app did not finish")
    return out, p.returncode


def case_read(opt):
    d = harness.tempdir()
    env = dict(os.environ, IFUNC_MARKER=os.path.join(d, "marker"))
    plain = ifunc_app_run(opt, env)
    if "eintr=no ymm15=kept" not in plain[0]:
        fail("ifunc_app alone: %r" % (plain,))
    for kind in ("call", "syscall"):
        traced = ifunc_app_run(opt, env, kind, d)
        if traced != plain:
            fail("-p ifunc_app, dwtrace killed in a remote %s: output/status differ\n"
                 "alone:  %r\ntraced: %r" % (kind, plain, traced))


# ---- idle_app sleeping ----------------------------------------------------

def case_sigreturn(opt):
    """DWTRACE_TEST_SIGRETURN=1: dwtrace alive lets the stubs' rt_sigreturn
    run, as a dead one would, and compares the thread's registers with the
    saved ones (an error line when they differ, a debug line when not)."""
    d = harness.tempdir()
    env = dict(os.environ, IFUNC_MARKER=os.path.join(d, "marker"))
    plain = ifunc_app_run(opt, env)
    p = subprocess.Popen([harness.sample(opt, "ifunc_app")], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, env=env)
    if p.stdout.readline() != "ready\n":
        p.kill()
        fail("ifunc_app did not say ready")
    wait_for(lambda: tracing.syscall_nr(p.pid) == 0, "ifunc_app to wait in read")
    errpath = os.path.join(d, "stderr")
    with open(errpath, "w") as errf:
        dw = subprocess.Popen([harness.dwtrace(), "-o", os.devnull, "-p", str(p.pid), "-e", "libifunc.so:slow"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf,
                              env=dict(os.environ, DWTRACE_TEST_SIGRETURN="1", DWTRACE_DEBUG="ptrace"))
    wait_for(lambda: "probing add_two" in open(errpath).read() or dw.poll() is not None, "the probe on slow")
    out, _ = p.communicate("x\n", timeout=WAIT)
    dw.wait(timeout=WAIT)
    with open(errpath) as f:
        err = f.read()
    if (out, p.returncode) != plain:
        fail("DWTRACE_TEST_SIGRETURN=1: ifunc_app's output/status differ\nalone:  %r\ntraced: %r\n%s"
             % (plain, (out, p.returncode), err))
    lines = [l for l in err.splitlines() if "test: " in l]
    for what in ("call", "system call"):
        if not any("the rt_sigreturn of a remote %s restored the thread" % what in l for l in lines):
            fail("DWTRACE_TEST_SIGRETURN=1: no check of a remote %s's rt_sigreturn passed:\n%s"
                 % (what, "\n".join(lines)))
    if any("differ" in l for l in lines) or dw.returncode != 0:
        fail("DWTRACE_TEST_SIGRETURN=1: dwtrace exited with %s\n%s" % (dw.returncode, "\n".join(lines)))


def case_sleep(opt):
    app = harness.sample(opt, "idle_app")
    d = harness.tempdir()
    for kind in ("call", "syscall"):
        p = subprocess.Popen([app], stdout=subprocess.PIPE, text=True)
        # clock_nanosleep (230) or nanosleep (35), as usleep makes it.
        wait_for(lambda: tracing.syscall_nr(p.pid) in (230, 35), "idle_app to sleep")
        dw, errpath = attach_dwtrace(p.pid, kind, LIBC_GLOBS, d)
        dwtrace_killed(dw, errpath, "-p idle_app, killed in a remote " + kind)
        out, _ = p.communicate(timeout=WAIT)
        if (out, p.returncode) != ("ok\n", 7):
            fail("-p idle_app, dwtrace killed in a remote %s: printed %r, status %s "
                 "(alone: 'ok', 7)" % (kind, out, p.returncode))


def case_started(opt):
    app = harness.sample(opt, "idle_app")
    plain = harness.run_untraced([app])
    if (plain.stdout, plain.returncode) != ("ok\n", 7):
        fail("idle_app alone: %r, %s" % (plain.stdout, plain.returncode))
    d = harness.tempdir()
    for kind in ("call", "syscall"):
        errpath = os.path.join(d, "stderr-start-" + kind)
        with open(errpath, "w") as errf:
            dw = subprocess.Popen([harness.dwtrace(), "-o", os.devnull] + LIBC_GLOBS + ["--", app],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errf,
                                  text=True, env=env_kill(kind))
        # idle_app holds the pipe open until it exits.
        out = dw.stdout.read()
        dwtrace_killed(dw, errpath, "idle_app started, killed in a remote " + kind)
        # The orphan comes to this subreaper.
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            fail("idle_app started, killed in a remote %s: no orphan to collect" % kind)
        code = os.waitstatus_to_exitcode(status)
        if (out, code) != ("ok\n", 7):
            fail("idle_app started, dwtrace killed in a remote %s: printed %r, status %s "
                 "(alone: 'ok', 7)" % (kind, out, code))


def case_random(opt):
    """The user's reproducer, with real SIGKILLs at random moments.  A kill
    after dwtrace has placed its probes (it has said so on stderr) leaves
    breakpoints in the program, a harm this test is not about: such runs
    are counted and shown, not failed."""
    app = harness.sample(opt, "idle_app")
    seed = int(os.environ.get("KILL_SEED", time.time_ns() % 100000))
    rng = random.Random(seed)
    d = harness.tempdir()
    bad, placed = [], []
    for i in range(25):
        p = subprocess.Popen([app], stdout=subprocess.PIPE, text=True)
        time.sleep(0.02)
        errpath = os.path.join(d, "stderr-%d" % i)
        with open(errpath, "w") as errf:
            dw = subprocess.Popen([harness.dwtrace(), "-o", os.devnull, "-p", str(p.pid)] + LIBC_GLOBS,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf)
        # As the shell's "sleep 0.0$((RANDOM%25))": 0 to 90 ms.
        delay = float("0.0%d" % rng.randrange(25))
        time.sleep(delay)
        dw.kill()
        dw.wait()
        out, _ = p.communicate(timeout=WAIT)
        with open(errpath) as f:
            err = f.read()
        what = "run %d (kill after %.3f s): printed %r, status %s" % (i, delay, out, p.returncode)
        if "probed functions" in err or "probes" in err:
            placed.append(what)
        elif (out, p.returncode) != ("ok\n", 7):
            bad.append(what + "\n  dwtrace said: " + err.strip().replace("\n", "\n  "))
    if placed:
        print("%d run(s) killed after the probes were placed (not this test's subject):\n%s"
              % (len(placed), "\n".join(placed)))
    if bad:
        fail("idle_app with dwtrace -p SIGKILLed (KILL_SEED=%d), expected 'ok' and 7:\n%s"
             % (seed, "\n".join(bad)))
    if len(placed) == 25:
        fail("every run was killed after the probes were placed: nothing tested")


def test(opt):
    if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        fail("cannot become a child subreaper: errno %d" % ctypes.get_errno())
    case_read(opt)
    case_sigreturn(opt)
    case_sleep(opt)
    case_started(opt)
    case_random(opt)


if __name__ == "__main__":
    harness.main(test, harness.opt_level(sys.argv))
