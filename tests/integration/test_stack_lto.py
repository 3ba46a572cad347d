#!/usr/bin/env python3
"""test_stack_lto.py: --stack on an LTO build, Debian's python3.11 with its
debug package (python3.11-dbg, installed by setup.sh), with gdb as the
oracle.

python3.11 is built with -flto -O3: at startup PyList_Append() is called
from list_builtin_module_names(), inlined into _PySys_InitCore(), inlined
into _PySys_Create(), inlined into pycore_interp_init() -- the inlined
subroutines' abstract origins are in other compile units (DW_FORM_ref_addr),
which elfutils' dwarf_getscopes does not follow.  dwtrace used to print
pycore_interp_init's symbol with list_builtin_module_names's line and drop
the inlined frames.  The first 4 entry events of `dwtrace --format json
--stack -e PyList_Append` must show the frames gdb's bt shows at its first 4
stops on PyList_Append's entry address: the same functions in order, the
inlined ones marked, each with gdb's file and line (frame #0's with
addr2line's: gdb picks another of the line table's rows at that address).  The oracle must show
inlined frames (else the debug information is missing and the test tests
nothing: it fails).  python3.11's output and exit status are those of its
untraced run."""

import os

import harness
import stack_oracle
from harness import fail

PYTHON = "/usr/bin/python3.11"
FUNCTION = "PyList_Append"
STOPS = 4
ENV = {"PYTHONHASHSEED": "0"}
CMD = [PYTHON, "-I", "-c", "print('ok')"]


def test():
    if not os.path.exists(PYTHON):
        fail("%s is missing (setup.sh installs python3.11 and python3.11-dbg)" % PYTHON)
    backtraces = stack_oracle.gdb_backtraces(CMD, FUNCTION, STOPS, env=ENV)
    first = [f["name"] for f in backtraces[0]]
    inlined = [f["name"] for f in backtraces[0] if f["kind"] == "inline"]
    if len(inlined) < 3 or "list_builtin_module_names" not in inlined:
        fail("gdb's first backtrace at %s shows the inlined frames %s (all: %s), expected "
             "list_builtin_module_names and more: is python3.11-dbg installed?"
             % (FUNCTION, inlined, first))

    env = dict(os.environ, **ENV)
    _, traced, events = harness.check_unharmed(CMD, ["--format", "json", "--stack", "-e", FUNCTION],
                                               env=env, timeout=120)
    if traced.stdout != "ok\n":
        fail("python3.11 printed %r, expected 'ok'" % traced.stdout)
    entries = [ev for ev in harness.read_events(events) if ev["type"] == "entry"]
    if len(entries) < STOPS:
        fail("%d entry events of %s, gdb stopped %d times" % (len(entries), FUNCTION, STOPS))
    # Frame #0's line: addr2line's at the entry address (python3.11 is not
    # position-independent: gdb's pc is the address in the file).  There
    # the line table has 11 rows (views): listobject.c:333 first,
    # object.h:772 the last statement, which gdb shows.
    innermost = stack_oracle.addr2line(PYTHON, backtraces[0][0]["pc"])[0]
    if innermost[0] != FUNCTION:
        fail("addr2line shows %s at %s's entry address 0x%x"
             % (innermost[0], FUNCTION, backtraces[0][0]["pc"]))
    for k, (ev, bt) in enumerate(zip(entries, backtraces)):
        if ev["function"] != FUNCTION or ev["module"] != "python3.11":
            fail("entry event #%d is %s in %s" % (k, ev["function"], ev["module"]))
        stack_oracle.compare_stack(bt, ev["stack"], "--stack, JSON, call #%d of %s" % (k, FUNCTION),
                                   frame0_line=innermost[1:])


if __name__ == "__main__":
    harness.main(test)
