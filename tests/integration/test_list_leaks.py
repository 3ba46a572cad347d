#!/usr/bin/env python3
"""test_list_leaks.py O0|O2: dwtrace list frees what it builds.

`dwtrace list FILE` on a library without debug info (libnodebug.so, stripped
to its dynamic symbols) and on one with it (libmylib.so, every function)
lists every defined function symbol nm shows, at nm's address, and exits
with status 0.  LeakSanitizer is switched on for dwtrace here (detect_leaks=1
and its own exit status 23), so in the sanitizer build (build-asan, as
setup.sh --test and CI run it) a leak fails the test instead of passing
unseen: the prototype of each function without debug info leaked once.
"""

import os
import re
import sys

import harness
from harness import fail

LEAK_STATUS = 23
LINE = re.compile(r"^0x([0-9a-f]+) 0x([0-9a-f]+) ([^(]*)\(")


def nm_functions(lib):
    """{name: address} of the functions lib defines, from nm -D."""
    harness.require_tool("nm")
    result = harness.run_ok(["nm", "-D", "--defined-only", lib])
    functions = {}
    for line in result.stdout.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] in "TtWi":
            functions[fields[2]] = int(fields[0], 16)
    if not functions:
        fail("nm -D finds no function in %s" % lib)
    return functions


def check_list(lib, expected, where):
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:exitcode=%d" % LEAK_STATUS
    env.pop("LSAN_OPTIONS", None)  # no suppressions: list loads no lttng-ust
    result = harness.run([harness.dwtrace(), "list", lib, "*"], env=env)
    if "LeakSanitizer" in result.stderr or result.returncode == LEAK_STATUS:
        fail("%s: LeakSanitizer found leaks\n%s" % (where, harness.describe(result)))
    if result.returncode != 0:
        fail("%s: exit status %s, expected 0\n%s" % (where, result.returncode,
                                                    harness.describe(result)))
    listed = {}
    for line in result.stdout.splitlines():
        m = LINE.match(line)
        if not m:
            fail("%s: line is not '0xADDR 0xOFFSET PROTOTYPE': %r" % (where, line))
        name = m.group(3).split()[-1].lstrip("*")
        listed[name] = int(m.group(1), 16)
    for name, addr in expected.items():
        if listed.get(name) != addr:
            fail("%s: nm -D shows %s at 0x%x, dwtrace list shows %s\n%s"
                 % (where, name, addr, "0x%x" % listed[name] if name in listed else "nothing",
                    harness.describe(result)))
    return result


def test(opt):
    nodebug = harness.sample(opt, "libnodebug.so")
    result = check_list(nodebug, nm_functions(nodebug), "dwtrace list %s" % nodebug)
    if "no debug info" not in result.stdout:
        fail("dwtrace list %s: prototypes do not say there is no debug info\n%s"
             % (nodebug, harness.describe(result)))
    mylib = harness.sample(opt, "libmylib.so")
    check_list(mylib, nm_functions(mylib), "dwtrace list %s" % mylib)


if __name__ == "__main__":
    harness.main(lambda: test(harness.opt_level(sys.argv)))
