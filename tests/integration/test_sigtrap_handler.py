#!/usr/bin/env python3
"""test_sigtrap_handler.py [O0|O2]: a program's SIGTRAP handler, ignored
SIGTRAP and signal mask survive dwtrace's breakpoints.

When an int3 traps in a thread that blocks SIGTRAP, the kernel resets the
SIGTRAP action to SIG_DFL (force_sig_info_to_task).  signals_app catches
SIGTRAP and raises it three times; probing __restore_rt (the signal
trampoline every handler returns through, with the handled signal still
blocked) makes dwtrace's trap hit inside the SIGTRAP handler's return, so
without repair the next raise(SIGTRAP) kills the program.  Its output and
exit status must be those of an untraced run, and __restore_rt, a signal
trampoline, gets entry events only.

sigtrap_app, started with SIGTRAP ignored (as a shell's `trap '' TRAP`
leaves it), calls the probed st_work(), raises SIGTRAP (ignored: it goes
on), then calls st_work() with every signal blocked and checks that SIGTRAP
is still blocked afterwards: the same output as untraced, and exit 0.
"""

import json
import signal
import sys

import harness
from harness import fail


def test(opt):
    app = harness.sample(opt, "signals_app")
    _plain, traced, events = harness.check_unharmed(
        [app], ["--format", "json", "-e", "__restore_rt", "-e", "sig_work"])
    evs = harness.read_events(events)
    restores = [e for e in evs if e["function"] == "__restore_rt"]
    # 5 SIGALRM, 3 SIGCHLD, 3 SIGUSR1, 3 SIGTRAP, 3 SIGSEGV (left by
    # siglongjmp, never returning through the trampoline): at least 14.
    if len([e for e in restores if e["type"] == "entry"]) < 14:
        fail("expected at least 14 entries of __restore_rt, got %d\n%s"
             % (len(restores), harness.describe(traced)))
    if any(e["type"] != "entry" for e in restores):
        fail("__restore_rt is a signal trampoline: entry events only, got %s"
             % json.dumps([e for e in restores if e["type"] != "entry"][0]))


def test_ignored_and_masked(opt):
    app = harness.sample(opt, "sigtrap_app")
    ignore = lambda: signal.signal(signal.SIGTRAP, signal.SIG_IGN)
    plain, traced, events = harness.check_unharmed([app], ["--format", "json", "-e", "st_work"],
                                                   preexec_fn=ignore)
    if plain.returncode != 0 or "SIGTRAP blocked: 1" not in plain.stdout:
        fail("unexpected untraced run of sigtrap_app\n%s" % harness.describe(plain))
    exits = [e for e in harness.read_events(events) if e["type"] == "exit"]
    if [e.get("retval") for e in exits] != [3, 5, 7]:
        fail("st_work exits %s, expected return values 3, 5, 7" % json.dumps(exits))


if __name__ == "__main__":
    harness.main(lambda: (test(harness.opt_level(sys.argv, default="O0")),
                          test_ignored_and_masked(harness.opt_level(sys.argv, default="O0"))))
