#!/usr/bin/env python3
"""test_star.py TARGET [OPT]: -e '*' probes every function of a program and
its libraries (libc and ld.so included, with their entry points, trampolines,
setjmp, longjmp ...), and the program must still run as without dwtrace.

  ls          /bin/ls -lA on a temporary directory this test fills
  sample_app  sample_app 100 (OPT)
  cxx         cxx_exceptions (OPT): exceptions through libstdc++ and libgcc_s

Output and exit status must be those of an untraced run.  Prints the number
of probes the summary counts and the time the traced run took (for the
record; not compared).
"""

import os
import sys
import time

import exits
import harness
from harness import fail

TIMEOUT = 500


def ls_command():
    d = harness.tempdir()
    os.mkdir(os.path.join(d, "subdir"))
    for name, size in (("a", 0), ("b.txt", 10), ("c d", 100), (".hidden", 1000)):
        with open(os.path.join(d, name), "wb") as f:
            f.write(b"x" * size)
    os.symlink("b.txt", os.path.join(d, "link"))
    for p in os.listdir(d):
        os.utime(os.path.join(d, p), (1700000000, 1700000000), follow_symlinks=False)
    # -A, not -a: ".." (the shared /tmp) changes while tests run.
    return ["/bin/ls", "-lA", "--time-style=+%s", d]


def test(argv):
    if len(argv) < 2 or argv[1] not in ("ls", "sample_app", "cxx"):
        fail("usage: %s ls|sample_app|cxx [O0|O2]" % os.path.basename(argv[0]))
    target = argv[1]
    if target == "ls":
        cmd = ls_command()
        where = "-e '*' on ls"
    else:
        opt = harness.opt_level(argv[1:], "O2")
        cmd = [harness.sample(opt, "sample_app"), "100"] if target == "sample_app" \
            else [harness.sample(opt, "cxx_exceptions")]
        where = "-e '*' on %s (%s)" % (os.path.basename(cmd[0]), opt)
    start = time.monotonic()
    plain, traced, _ = harness.check_unharmed(cmd, ["-e", "*"], timeout=TIMEOUT)
    took = time.monotonic() - start
    if not plain.stdout:
        fail("%s: the program printed nothing untraced\n%s" % (where, harness.describe(plain)))
    # ls and sample_app leave no call by longjmp or exception: every call
    # dwtrace saw begin, by a call, it saw end (the lazy-binding trampoline,
    # entered by a jump, is no call).
    if target != "cxx":
        exits.check_left(traced.stderr, where, 0)
    print("%s: ok, %d probes placed, both runs %.1f s; summary: %s"
          % (where, exits.probes_placed(traced.stderr, where), took,
             exits.summary_line(traced.stderr, where)))


if __name__ == "__main__":
    harness.main(lambda: test(sys.argv))
