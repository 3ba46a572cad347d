#!/usr/bin/env python3
"""test_corrupt_symtab.py [O0|O2]: a symbol that lies about where its function
starts.

A copy of libmylib.so gets its .symtab entry for my_traced_function moved 3
bytes into the function (objcopy), the middle of an instruction.  Probing
there would split an instruction (SIGILL, SIGSEGV, or a spinning program):
dwtrace must refuse that probe with a one-line message naming it, and the
program must run exactly as without dwtrace, whether that probe was alone
(dwtrace exits 1 before the program runs a single instruction of its own) or
beside a good one (the program runs traced, unharmed).
"""

import os
import re
import shutil
import sys

import harness
from harness import fail


def corrupt_copy(opt, workdir):
    """sample_app and a libmylib.so whose my_traced_function symbol is 3
    bytes off, in workdir (sample_app finds libraries at $ORIGIN)."""
    for name in ("sample_app", "libmylib.so"):
        shutil.copy(harness.sample(opt, name), workdir)
    lib = os.path.join(workdir, "libmylib.so")
    value, _size = harness.symbol(lib, "my_traced_function")
    text = None
    for line in harness.run_ok(["readelf", "-SW", lib]).stdout.splitlines():
        fields = re.sub(r"^\s*\[\s*\d+\]\s*", "", line).split()
        if fields and fields[0] == ".text":
            text = int(fields[2], 16)
    if text is None:
        fail("readelf -SW %s shows no .text section" % lib)
    harness.require_tool("objcopy")
    bad = os.path.join(workdir, "libmylib.bad.so")
    harness.run_ok(["objcopy", "--strip-symbol=my_traced_function", "--add-symbol",
                    "my_traced_function=.text:0x%x,function,global" % (value - text + 3), lib, bad])
    os.replace(bad, lib)
    moved = [int(l.split()[0], 16) for l in harness.run_ok(["nm", "--defined-only", lib]).stdout.splitlines()
             if l.split()[-1:] == ["my_traced_function"]]
    if moved != [value + 3]:
        fail("objcopy did not move the symbol: %s, expected [0x%x]" % (moved, value + 3))
    return os.path.join(workdir, "sample_app")


def test(opt):
    workdir = harness.tempdir()
    app = corrupt_copy(opt, workdir)
    where = "corrupt .symtab (%s)" % opt

    # Alone: refused, nothing else to probe, the program never ran.
    result = harness.run_dwtrace(["-e", "my_traced_function", "--", app, "3"], expect_status=1)
    refusal = [l for l in harness.stderr_lines(result)
               if "my_traced_function" in l and "left out" in l]
    if len(refusal) != 1 or "DWARF" not in refusal[0]:
        fail("%s: expected one line refusing the probe and naming DWARF\n%s"
             % (where, harness.describe(result)))
    if result.stdout:
        fail("%s: the program ran although dwtrace failed before it started\n%s"
             % (where, harness.describe(result)))

    # Beside a good probe: the program runs, unharmed, and main is traced.
    _plain, traced, events = harness.check_unharmed([app, "3"], ["-e", "my_traced_function", "-e", "main"])
    if not any("left out" in l for l in harness.stderr_lines(traced)):
        fail("%s: no message refusing the bad probe\n%s" % (where, harness.describe(traced)))
    text = harness.read_text(events)
    if "my_traced_function" in text or not re.search(r"^\S+ \d+/\d+ main\(", text, re.M):
        fail("%s: expected events of main only:\n%s" % (where, text[:2000]))


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv, default="O0")))
