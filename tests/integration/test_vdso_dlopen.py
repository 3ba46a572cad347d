#!/usr/bin/env python3
"""test_vdso_dlopen.py O0|O2: probes in the vDSO survive a dlopen().

vdso_dlopen_app calls clock_gettime() three times, dlopen()s libplugin.so
and calls it three times more, then prints how many calls succeeded (the
oracle: 6).  `-e clock_gettime` probes glibc's function and the vDSO's,
which glibc's calls.  When the dynamic linker reports the new library,
dwtrace re-reads the process's modules: the vDSO, which the kernel maps and
nothing unloads, must keep its probes.  Before the fix dwtrace took it for
unloaded (its maps line says "[vdso]", libdwfl's name "[vdso: PID]"),
forgot its breakpoints with their int3 still in its code, and the
program's fourth call died of SIGTRAP.

The program must print the same and exit 0 as without dwtrace, and both
modules must show one entry and one exit per call the program made.
"""

import sys

import harness
from harness import fail

CALLS = 6


def test(opt):
    app = harness.sample(opt, "vdso_dlopen_app")
    # The vDSO's function has no DWARF: the ptrace engine serves it either way.
    plain, traced, path = harness.check_unharmed([app], ["--engine", "ptrace", "-F", "json",
                                                         "-e", "clock_gettime"])
    if plain.stdout != "clock_gettime calls: %d\n" % CALLS or plain.returncode != 0:
        fail("vdso_dlopen_app alone printed %r and exited %d" % (plain.stdout, plain.returncode))
    events = harness.read_events(path)
    counts = {}
    for ev in events:
        module = "vdso" if ev.get("module", "").startswith("[vdso") else ev.get("module")
        key = (module, ev.get("type"))
        counts[key] = counts.get(key, 0) + 1
    for module in ("libc.so.6", "vdso"):
        for kind in ("entry", "exit"):
            if counts.get((module, kind), 0) != CALLS:
                fail("%d %s events of clock_gettime in %s, expected %d (the program's calls); "
                     "all counts: %s\n%s" % (counts.get((module, kind), 0), kind, module, CALLS,
                                            counts, harness.describe(traced)))


if __name__ == "__main__":
    harness.main(test, harness.opt_level(sys.argv))
