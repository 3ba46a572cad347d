#!/usr/bin/env python3
"""test_sigtrap_handler.py [O0|O2]: a program's SIGTRAP handler survives
dwtrace's breakpoints.

When an int3 traps in a thread that blocks SIGTRAP, the kernel resets the
SIGTRAP action to SIG_DFL (force_sig_info_to_task).  signals_app catches
SIGTRAP and raises it three times; probing __restore_rt (the signal
trampoline every handler returns through, with the handled signal still
blocked) makes dwtrace's trap hit inside the SIGTRAP handler's return, so
without repair the next raise(SIGTRAP) kills the program.  Its output and
exit status must be those of an untraced run, and __restore_rt, a signal
trampoline, gets entry events only.
"""

import json
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


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv, default="O0")))
