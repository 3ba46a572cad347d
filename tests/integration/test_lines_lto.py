#!/usr/bin/env python3
"""test_lines_lto.py: FILE:LINE in an LTO program, Debian's python3.11 with
its debug package (python3.11-dbg, installed by setup.sh).

The oracle is gdb's `break longobject.c:61` (get_small_int, inlined in
about a hundred places across LTO's units): `dwtrace list -v` must give the
same addresses, each labelled longobject.c:61.  Two faults hid them:
dwarf_getscopes finds no scope in GCC's LTO units (every row then counted
as one function), and rows followed at their address by a statement of
another file (an inlined callee's) count for gdb as no code.
"""

import os
import re

import harness
from harness import fail
from test_points import gdb_line_locations, list_line_locations

PYTHON = "/usr/bin/python3.11"
FILE, LINE = "longobject.c", 61


def test():
    if not os.path.exists(PYTHON):
        fail("%s is missing (setup.sh installs python3.11 and python3.11-dbg)" % PYTHON)
    want = gdb_line_locations(PYTHON, FILE, [LINE]).get(LINE, set())
    if len(want) < 10:
        fail("gdb puts %d locations on %s:%d of %s: is python3.11-dbg installed?" % (len(want), FILE, LINE, PYTHON))
    got = list_line_locations(PYTHON, "%s:%d" % (FILE, LINE))
    if not got:
        fail("dwtrace list -v %s %s:%d: no code, gdb has %d locations" % (PYTHON, FILE, LINE, len(want)))
    addrs, labels = got
    if addrs != want or labels != {"%s:%d" % (FILE, LINE)}:
        fail("%s:%d in %s: dwtrace has %d addresses (labels %s), gdb %d; only dwtrace: %s; only gdb: %s"
             % (FILE, LINE, PYTHON, len(addrs), sorted(labels), len(want), sorted(map(hex, addrs - want))[:10],
                sorted(map(hex, want - addrs))[:10]))


if __name__ == "__main__":
    harness.main(test)
