#!/usr/bin/env python3
"""test_stop_signals.py: every catchable signal that would end dwtrace
detaches first, and dwtrace's own descriptors never harm the program.

- SIGUSR1, SIGUSR2, SIGXCPU, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSYS and
  SIGTRAP sent to dwtrace while it traces a started sample_app: dwtrace
  takes its probes out and waits for the program, which prints every line it
  prints untraced; dwtrace exits with its status (0).
- A file size limit (RLIMIT_FSIZE) reached by the events: "output closed
  (File too large)", exit 1, the program runs to its end.
- dwtrace started with standard error closed still ends, with the
  program's status.
- Signals ignored when dwtrace starts (SIGINT, SIGTERM, SIGHUP, SIGUSR1, as a
  nohup-like parent leaves them) are still ignored in the program it starts:
  its SigIgn mask (/proc/self/status) is that of an untraced run.
"""

import os
import resource
import signal
import subprocess
import time

import harness
from harness import fail

CALLS = "60000"


def traced_run(args, where, signum=None, **kw):
    app = harness.sample("O2", "sample_app")
    plain = harness.run_ok([app, CALLS])
    kw.setdefault("stderr", subprocess.PIPE)
    proc = subprocess.Popen([harness.dwtrace()] + args + ["-e", "my_traced_function", "--", app, CALLS],
                            stdout=subprocess.PIPE, text=True, **kw)
    if signum:
        time.sleep(0.5)
        proc.send_signal(signum)
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        fail("%s: dwtrace did not end within 120 s" % where)
    if out != plain.stdout:
        fail("%s: sample_app printed %d lines, %d untraced\n%s"
             % (where, len(out.splitlines()), len(plain.stdout.splitlines()), err[-2000:]))
    return proc.returncode, err or ""


def test():
    for sig in ("SIGUSR1", "SIGUSR2", "SIGXCPU", "SIGVTALRM", "SIGPROF", "SIGIO", "SIGPWR", "SIGSYS", "SIGTRAP"):
        where = "%s to dwtrace" % sig
        rc, err = traced_run(["-o", os.devnull], where, getattr(signal, sig))
        if rc != 0 or "sample_app exited with status 0" not in err:
            fail("%s: dwtrace exit status %s, expected sample_app's 0\n%s" % (where, rc, err[-2000:]))

    limit = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    events = os.path.join(harness.tempdir(), "events")
    rc, err = traced_run(["-o", events], "RLIMIT_FSIZE", preexec_fn=limit)
    if rc != 1 or "output closed (File too large)" not in err:
        fail("RLIMIT_FSIZE: expected 'output closed (File too large)' and exit 1, got %s\n%s" % (rc, err[-2000:]))

    rc, _ = traced_run(["-o", events], "standard error closed", stderr=None, pass_fds=(),
                       preexec_fn=lambda: os.close(2))
    if rc != 0:
        fail("standard error closed: dwtrace exit status %s, expected 0" % rc)


def test_inherited_ignores():
    def ignore():
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGXFSZ):
            signal.signal(sig, signal.SIG_IGN)
    harness.check_unharmed(["grep", "^SigIgn", "/proc/self/status"], ["-e", "libc.so.6:malloc"],
                           preexec_fn=ignore)


if __name__ == "__main__":
    harness.main(lambda: (test_inherited_ignores(), test()))
