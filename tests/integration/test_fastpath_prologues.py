#!/usr/bin/env python3
"""Prologue and epilogue kinds (FASTPATH.md test list): endbr64, a
rip-relative load in the first 5 bytes, a jcc rel8 in the first bytes, a
loop head at entry+2, a 1-byte function, a jump table, a 5-byte
pop/pop/pop/ret epilogue, a ret that is a branch target.  Every function of
samples/prologues.c is traced; every call the program prints must appear as
an entry with its arguments and an exit with its result, in order, and the
program's output and status must be those of an untraced run.

usage: test_fastpath_prologues.py O0|O2
"""

import sys

import fastpath
import harness
import tracing
from harness import fail

# No DWARF (top-level assembly): raw registers arg0.. and the raw return
# register; pl_ret1 returns nothing.
RAW = {"pl_ret1", "pl_after_ret1"}


def test(opt):
    app = harness.sample(opt, "prologues")
    plain, traced, path = harness.check_unharmed([app], ["-F", "json", "-e", "pl_*"])
    expected = fastpath.program_calls(plain.stdout)
    events = harness.read_events(path)
    tracing.check_summary(traced.stderr, "prologues " + opt, len(events))
    calls, open_entries = tracing.pair_calls(events, "prologues " + opt)
    if open_entries:
        fail("prologues %s: entries without exit: %s" % (opt, open_entries))
    got = [entry["function"] for entry, _ in calls]
    harness.check_sequence("prologues %s: calls" % opt, [c[0] for c in expected], got)
    for (name, args, result), (entry, exit) in zip(expected, calls):
        where = "prologues %s: %s%s" % (opt, name, tuple(args))
        harness.check_event_fields(entry, where)
        harness.check_event_fields(exit, where)
        if name in RAW:
            raw = [entry["args"].get("arg%d" % i) for i in range(len(args))]
            if [None if v is None else v & 0xffffffff for v in raw] != [a & 0xffffffff for a in args]:
                fail("%s: raw argument registers %s, expected %s" % (where, entry["args"], args))
            if result is not None and (exit.get("retval", 0) & 0xffffffff) != result & 0xffffffff:
                fail("%s: raw return register %s, expected %d" % (where, exit.get("retval"), result))
            continue
        if list(entry["args"].values()) != args:
            fail("%s: arguments %s, expected %s" % (where, entry["args"], args))
        tracing.check_retval(entry, exit, result, where)


if __name__ == "__main__":
    harness.main(test, harness.opt_level(sys.argv))
